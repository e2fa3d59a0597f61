// `rapport apply DIR`: definitions kept as files in git, applied to a running server
// (docs/segments.md, "rapport apply"). Every .json, .yaml and .yml file under DIR holds one
// definition `{ "kind": "segment" | "funnel" | "journey" | "placements" | "policy", … }` or a list of
// them. All files are read and checked first; if any is invalid nothing is applied. Then
// each definition is created or updated by its id (placements: the one set), and one line
// per definition says `created`, `updated` or `unchanged`.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import {
  AdminClient,
  type AdminOptions,
  type Body,
  CliFailure,
  cliAction,
  refusal,
  withAdminServer,
} from '../api/admin-client.ts';
import { checkRuleJson, checkRuleText, formatIssues, referencedSegments } from '../segments/index.ts';

export const DEFINITION_KINDS = ['segment', 'funnel', 'journey', 'placements', 'policy'] as const;
export type DefinitionKind = (typeof DEFINITION_KINDS)[number];

export interface Definition {
  file: string;
  kind: DefinitionKind;
  id: string;
  body: Body;
}

export type ApplyResult = 'created' | 'updated' | 'unchanged' | 'skipped' | 'failed';

export interface ApplyLine {
  file: string;
  kind: DefinitionKind;
  id: string;
  result: ApplyResult;
  message?: string;
}

const EXTENSIONS = new Set(['.json', '.yaml', '.yml']);
/** Segments first (others refer to them), in dependency order; then funnels, journeys, placements. */
const KIND_ORDER: Record<DefinitionKind, number> = {
  segment: 0,
  funnel: 1,
  journey: 2,
  placements: 3,
  policy: 4,
};
const LIST_PATH: Record<DefinitionKind, string> = {
  segment: '/api/segments',
  funnel: '/api/funnels',
  journey: '/api/journeys',
  placements: '/api/placements',
  policy: '/api/arbitration-policy',
};

export function registerApplyCommand(program: Command): void {
  withAdminServer(program.command('apply <dir>'))
    .description('create or update segments, funnels, journeys and placements from JSON/YAML files')
    .action(
      cliAction('apply', async (options: AdminOptions, dir: string) => {
        const definitions = await readDefinitions(dir);
        const lines = await applyDefinitions(new AdminClient(options), definitions);
        process.stdout.write(
          options.json ? `${JSON.stringify(lines, null, 2)}\n` : `${lines.map(formatLine).join('\n')}\n`,
        );
        if (lines.some((line) => line.result === 'failed')) process.exitCode = 1;
      }),
    );
}

function formatLine(line: ApplyLine): string {
  const what = `${line.result.padEnd(9)} ${line.kind} ${line.id} (${line.file})`;
  return line.message ? `${what}: ${line.message}` : what;
}

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => {
    throw new CliFailure(`${path}: no such file or folder`);
  });
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(
    entries
      .filter((entry) => !entry.name.startsWith('.'))
      .map((entry) => {
        const child = join(path, entry.name);
        if (entry.isDirectory()) return filesUnder(child);
        return Promise.resolve(EXTENSIONS.has(extname(entry.name)) ? [child] : []);
      }),
  );
  return nested.flat().sort();
}

/** Every definition under `path`, checked; throws naming each bad file and what is wrong. */
export async function readDefinitions(path: string): Promise<Definition[]> {
  const definitions: Definition[] = [];
  const problems: string[] = [];
  for (const file of await filesUnder(path)) {
    const name = file;
    try {
      const documents = parseFile(name, await readFile(file, 'utf8'));
      documents.forEach((document, index) => {
        const label = documents.length > 1 ? `${name}[${index}]` : name;
        definitions.push(checkDefinition(label, document));
      });
    } catch (error) {
      if (!(error instanceof CliFailure)) throw error;
      problems.push(error.message);
    }
  }
  problems.push(...duplicates(definitions));
  if (problems.length > 0) throw new CliFailure(`nothing applied:\n${problems.join('\n')}`);
  if (definitions.length === 0) throw new CliFailure(`${path}: no .json, .yaml or .yml definitions found`);
  return ordered(definitions);
}

function parseFile(file: string, content: string): unknown[] {
  let value: unknown;
  if (file.endsWith('.json')) {
    try {
      value = JSON.parse(content);
    } catch (error) {
      throw new CliFailure(`${file}: not JSON: ${(error as Error).message}`);
    }
  } else {
    const documents = parseAllDocuments(content);
    const docs = Array.isArray(documents) ? documents : [documents];
    const error = docs.flatMap((doc) => doc.errors)[0];
    if (error) throw new CliFailure(`${file}: not YAML: ${error.message}`);
    const values = docs.map((doc) => doc.toJSON() as unknown).filter((v) => v !== null);
    value = values.length === 1 ? values[0] : values;
  }
  return Array.isArray(value) ? value : [value];
}

const isObject = (value: unknown): value is Body =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkDefinition(file: string, document: unknown): Definition {
  const fail = (message: string) => new CliFailure(`${file}: ${message}`);
  if (!isObject(document)) throw fail('a definition is an object with a "kind"');
  const { kind, ...body } = document;
  if (!DEFINITION_KINDS.includes(kind as DefinitionKind))
    throw fail(`"kind" is one of ${DEFINITION_KINDS.join(', ')}; got ${JSON.stringify(kind)}`);
  if (kind === 'placements') {
    if (!Array.isArray(body.placements) || !Array.isArray(body.offers))
      throw fail('placements need "placements" and "offers" lists');
    return { file, kind, id: 'placements', body };
  }
  // The arbitration policy: one per server, like the placements.
  if (kind === 'policy') return { file, kind, id: 'policy', body };
  if (typeof body.id !== 'string' || body.id === '')
    throw fail(`a ${kind} needs an "id" (definitions are matched to the server's by id)`);
  if (kind === 'segment') checkSegment(body, fail);
  if (kind === 'funnel' && body.preset === undefined && !Array.isArray(body.stages))
    throw fail('a funnel has "stages" (a list) or a "preset"');
  if (kind === 'journey' && !Array.isArray(body.steps)) throw fail('a journey has "steps"');
  return { file, kind: kind as DefinitionKind, id: body.id, body };
}

/** The rule is checked here so its issues are named with the file (references are the server's). */
function checkSegment(body: Body, fail: (message: string) => CliFailure): void {
  if ((body.rule === undefined) === (body.text === undefined))
    throw fail('a segment has a "rule" (the JSON tree) or a "text" (the text form), one of them');
  if (body.text !== undefined && typeof body.text !== 'string') throw fail('"text" is a string');
  const checked = body.text !== undefined ? checkRuleText(body.text as string) : checkRuleJson(body.rule);
  if (!checked.ok) throw fail(`the rule was refused:\n${formatIssues(checked.issues)}`);
  body.rule = checked.value;
  delete body.text;
}

function duplicates(definitions: Definition[]): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const d of definitions) {
    const key = `${d.kind}:${d.id}`;
    const first = seen.get(key);
    if (first) problems.push(`${d.file}: ${d.kind} ${d.id} is also defined in ${first}`);
    else seen.set(key, d.file);
  }
  return problems;
}

/** Kinds in KIND_ORDER; a segment after the segments its rule refers to. */
function ordered(definitions: Definition[]): Definition[] {
  const segments = new Map(definitions.filter((d) => d.kind === 'segment').map((d) => [d.id, d]));
  const placed = new Set<string>();
  const result: Definition[] = [];
  const place = (definition: Definition, path: Set<string>) => {
    if (placed.has(definition.id) || path.has(definition.id)) return;
    path.add(definition.id);
    for (const ref of referencedSegments(definition.body.rule)) {
      const other = segments.get(ref);
      if (other) place(other, path);
    }
    placed.add(definition.id);
    result.push(definition);
  };
  for (const segment of segments.values()) place(segment, new Set());
  const rest = definitions
    .filter((d) => d.kind !== 'segment')
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return [...result, ...rest];
}

/** Applies in order; a definition the server refuses is reported and the others still go. */
export async function applyDefinitions(client: AdminClient, definitions: Definition[]): Promise<ApplyLine[]> {
  const missing = await missingApis(client, definitions);
  const lines: ApplyLine[] = [];
  for (const definition of definitions) {
    const line = { file: definition.file, kind: definition.kind, id: definition.id };
    if (missing.has(definition.kind)) {
      lines.push({
        ...line,
        result: 'skipped',
        message: `this server has no ${LIST_PATH[definition.kind]} API`,
      });
      continue;
    }
    try {
      lines.push({ ...line, result: await APPLIERS[definition.kind](client, definition) });
    } catch (error) {
      if (!(error instanceof CliFailure)) throw error;
      const issues = error.body?.issues as Body[] | undefined;
      const more = issues?.length ? `\n${issues.map(formatServerIssue).join('\n')}` : '';
      lines.push({ ...line, result: 'failed', message: `${error.message}${more}` });
    }
  }
  return lines;
}

function formatServerIssue(issue: Body): string {
  if (typeof issue.snippet === 'string' || typeof issue.line === 'number')
    return formatIssues([issue as never]);
  const where = issue.path ?? issue.field ?? issue.stepId ?? '';
  return `  ${where ? `${where}: ` : ''}${issue.message ?? JSON.stringify(issue)}`;
}

/** Kinds whose list route answers 404: this server (or version) does not have that API. */
async function missingApis(client: AdminClient, definitions: Definition[]): Promise<Set<DefinitionKind>> {
  const kinds = [...new Set(definitions.map((d) => d.kind))];
  const missing = new Set<DefinitionKind>();
  for (const kind of kinds) {
    const answer = await client.request('GET', LIST_PATH[kind]);
    if (answer.status === 404) missing.add(kind);
    else if (answer.status >= 400) throw refusal(answer.status, answer.body);
  }
  return missing;
}

type Applier = (client: AdminClient, definition: Definition) => Promise<ApplyResult>;

const APPLIERS: Record<DefinitionKind, Applier> = {
  async segment(client, { id, body }) {
    const path = `/api/segments/${encodeURIComponent(id)}`;
    const current = await client.request('GET', path);
    const input = { id, name: body.name ?? id, rule: body.rule };
    if (current.status === 404) {
      await client.call('POST', '/api/segments', input);
      return 'created';
    }
    if (current.status >= 400) throw refusal(current.status, current.body);
    if (current.body.name === input.name && sameJson(current.body.rule, input.rule)) return 'unchanged';
    await client.call('PUT', path, { name: input.name, rule: input.rule });
    return 'updated';
  },
  async funnel(client, { id, body }) {
    const existing = (await client.call('GET', '/api/funnels')).funnels as Body[];
    const answer = await client.call('PUT', `/api/funnels/${encodeURIComponent(id)}`, body);
    if (!existing.some((funnel) => funnel.id === id)) return 'created';
    return answer.changed ? 'updated' : 'unchanged';
  },
  async journey(client, { id, body }) {
    const path = `/api/journeys/${encodeURIComponent(id)}`;
    const current = await client.request('GET', path);
    if (current.status === 404) {
      await client.call('POST', '/api/journeys', body);
      return 'created';
    }
    if (current.status >= 400) throw refusal(current.status, current.body);
    if (contains(current.body.definition, body)) return 'unchanged';
    await client.call('PUT', path, body);
    return 'updated';
  },
  async policy(client, { body }) {
    const current = await client.call('GET', '/api/arbitration-policy');
    if (contains(current.policy, body)) return 'unchanged';
    if (current.editable === false)
      throw new CliFailure(
        'the server reads its policy from RAPPORT_ARBITRATION_POLICY (read-only over the API); change that file instead',
      );
    await client.call('PUT', '/api/arbitration-policy', body);
    return current.source === 'stored' ? 'updated' : 'created';
  },
  async placements(client, { body }) {
    const current = await client.call('GET', '/api/placements');
    const empty = (current.placements ?? []).length === 0 && (current.offers ?? []).length === 0;
    if (contains(current, body)) return 'unchanged';
    await client.call('PUT', '/api/placements', body);
    return empty ? 'created' : 'updated';
  },
};

/** Equal as JSON values, whatever the order of object keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  return contains(a, b) && contains(b, a);
}

/**
 * Whether `stored` says everything `wanted` says: objects may carry more fields (defaults the
 * server filled in); arrays have the same length and each element is contained.
 */
export function contains(stored: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted))
    return (
      Array.isArray(stored) &&
      stored.length === wanted.length &&
      wanted.every((w, i) => contains(stored[i], w))
    );
  if (isObject(wanted))
    return isObject(stored) && Object.entries(wanted).every(([key, value]) => contains(stored[key], value));
  return stored === wanted;
}
