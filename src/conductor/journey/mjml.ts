// Responsive email HTML from MJML (mjml.io, as Dittofeed does): an `html` template that is an
// MJML document (`<mjml>…`) is compiled after Liquid has filled it in. The package ships no
// types, so this file declares the slice of it Rapport uses.
import { createRequire } from 'node:module';

interface MjmlResult {
  html: string;
  errors: Array<{ line: number; message: string; tagName: string; formattedMessage: string }>;
}
type Mjml2Html = (
  source: string,
  options: {
    validationLevel: 'strict' | 'soft' | 'skip';
    fonts: Record<string, string>;
    keepComments: boolean;
  },
) => MjmlResult;

const mjml2html = createRequire(import.meta.url)('mjml') as Mjml2Html;

/** Whether an `html` template is an MJML document rather than HTML. */
export function isMjml(source: string): boolean {
  return /^\s*<mjml[\s>]/i.test(source);
}

/**
 * Compiles MJML to HTML. No web fonts are linked (a mail client fetching Google Fonts tells a
 * third party that the person opened the message); problems are returned, not thrown.
 */
export function compileMjml(source: string): { html: string; errors: string[] } {
  try {
    const result = mjml2html(source, { validationLevel: 'soft', fonts: {}, keepComments: false });
    return { html: result.html, errors: result.errors.map((e) => `line ${e.line}: ${e.message}`) };
  } catch (error) {
    return { html: '', errors: [(error as Error).message] };
  }
}
