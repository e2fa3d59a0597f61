// Templates are checked when a journey is saved, not when a message goes out: a template that
// does not parse, uses an unknown filter, or reads a variable that will not be there is refused
// with the step and field named. At send time the names are known good, but one person may
// lack a known trait: rendering then leaves it empty (or takes the template's `default`)
// rather than failing the send, so strict variables apply at save, not at render.
import { Liquid, type Template } from 'liquidjs';
import { compileMjml, isMjml } from './mjml.ts';

/** Strict: unknown variables and filters are errors at save. */
export const liquid = new Liquid({ strictVariables: true, strictFilters: true, ownPropertyOnly: true });
const renderer = new Liquid({ strictVariables: false, strictFilters: true, ownPropertyOnly: true });
/** For HTML: every value printed is HTML-escaped, so a trait holding markup shows as text. */
const htmlRenderer = new Liquid({
  strictVariables: false,
  strictFilters: true,
  ownPropertyOnly: true,
  outputEscape: 'escape',
});

/**
 * Parsed templates and compiled MJML by source. A journey sends one template to many people:
 * parsing (and compiling MJML, ~10 ms) once per source keeps the outbox, which runs on the
 * HTTP thread, from redoing it per message. Bounded: emptied when full.
 */
const CACHE_LIMIT = 500;
class SourceCache<T> {
  private readonly entries = new Map<string, T>();
  get(source: string, make: (source: string) => T): T {
    const known = this.entries.get(source);
    if (known !== undefined) return known;
    if (this.entries.size >= CACHE_LIMIT) this.entries.clear();
    const made = make(source);
    this.entries.set(source, made);
    return made;
  }
}
const parsedText = new SourceCache<Template[]>();
const parsedHtml = new SourceCache<Template[]>();
const compiledMjml = new SourceCache<string>();

/** Renders a template that passed `checkTemplate`; a value this person lacks renders as its `default` or empty. */
export function renderTemplate(source: string, variables: Record<string, unknown>): string {
  return renderer.renderSync(
    parsedText.get(source, (s) => renderer.parse(s)),
    variables,
  ) as string;
}

/** A message's content as the person receives it: rendered once, here, never again downstream. */
export interface RenderedContent {
  subject?: string;
  text?: string;
  html?: string;
  /** A push's deep link. */
  url?: string;
}

/** The template fields a message may carry; `body` is the older name of `text`. */
export interface ContentTemplate {
  subject?: string | undefined;
  body?: string | undefined;
  text?: string | undefined;
  html?: string | undefined;
  url?: string | undefined;
}

/**
 * Renders every field of a message template once. The values (traits, event properties) are
 * data: Liquid prints them as they are and never parses them, and in HTML they are escaped.
 * Channels receive the result and must not render it again (a trait holding `{{ … }}` would
 * become template code).
 */
export function renderContent(
  template: ContentTemplate,
  variables: Record<string, unknown>,
): RenderedContent {
  const content: RenderedContent = {};
  if (template.subject !== undefined) content.subject = renderTemplate(template.subject, variables).trim();
  const text = template.text ?? template.body;
  if (text !== undefined) content.text = renderTemplate(text, variables);
  if (template.html !== undefined) content.html = renderHtml(template.html, variables);
  if (template.url !== undefined) content.url = renderTemplate(template.url, variables).trim();
  return content;
}

function renderHtmlLiquid(source: string, variables: Record<string, unknown>): string {
  return htmlRenderer.renderSync(
    parsedHtml.get(source, (s) => htmlRenderer.parse(s)),
    variables,
  ) as string;
}

function compiledOrThrow(mjml: string): string {
  const compiled = compileMjml(mjml);
  if (compiled.html === '')
    throw new Error(`the MJML template does not compile: ${compiled.errors.join('; ')}`);
  return compiled.html;
}

/**
 * HTML with values escaped; an MJML document compiled to HTML. An MJML template whose Liquid only
 * prints values (`{{ … }}`, no `{% … %}` tags that could add or remove MJML elements) is compiled
 * once and the values filled into the compiled HTML; one with tags is filled in first and
 * compiled per message, as Dittofeed does.
 */
function renderHtml(source: string, variables: Record<string, unknown>): string {
  if (!isMjml(source)) return renderHtmlLiquid(source, variables);
  if (!source.includes('{%')) return renderHtmlLiquid(compiledMjml.get(source, compiledOrThrow), variables);
  return compiledOrThrow(renderHtmlLiquid(source, variables));
}

/** An `html` template's MJML problems (none for plain HTML), for the checks at save. */
export function checkHtmlTemplate(source: string): TemplateIssue[] {
  if (!isMjml(source)) return [];
  return compileMjml(source).errors.map((message) => ({ message: `MJML: ${message}` }));
}

/**
 * What a template may read. `roots` are the top-level names (`traits`, `person`, `event`, `offer`,
 * `journey`); `traits`, when given, is the catalogue of known trait names, so `traits.nmae` is
 * refused. A root not listed in `open` must name a known property (`person.id`, not `person.x`).
 */
export interface TemplateVariables {
  roots: Record<string, readonly string[] | 'any'>;
}

export interface TemplateIssue {
  message: string;
}

/** Parses a template and checks every variable it reads against what will be available. */
export function checkTemplate(source: string, variables: TemplateVariables): TemplateIssue[] {
  let segments: Array<Array<string | number | unknown>>;
  try {
    segments = liquid.globalVariableSegmentsSync(liquid.parse(source)) as Array<Array<unknown>>;
  } catch (error) {
    return [{ message: `template does not parse: ${(error as Error).message}` }];
  }
  const issues: TemplateIssue[] = [];
  for (const path of segments) {
    const issue = checkVariable(path, variables);
    if (issue && !issues.some((known) => known.message === issue)) issues.push({ message: issue });
  }
  return issues;
}

function checkVariable(path: ReadonlyArray<unknown>, variables: TemplateVariables): string | undefined {
  const [root, property] = path;
  const name = path.map(String).join('.');
  if (typeof root !== 'string' || !(root in variables.roots)) {
    const known = Object.keys(variables.roots).join(', ');
    return `template uses ${name}, which is not available here (available: ${known})`;
  }
  const allowed = variables.roots[root];
  if (allowed === 'any' || allowed === undefined) return undefined;
  if (property === undefined) return undefined;
  if (typeof property === 'string' && allowed.includes(property)) return undefined;
  return `template uses ${name}, but ${root} has no ${String(property)}`;
}
