// Why a rule was refused. Every issue names where (a JSON pointer into the tree, and for the
// text form a line, a column and the source line with a caret) and why, in words a marketer
// can act on. Checks return all issues at once; nothing is saved unless there are none.

export interface RuleIssue {
  /** JSON pointer into the rule tree: `/rules/1/window/amount`; `` for the whole rule. */
  path: string;
  message: string;
  /** 1-based line and column in the text form, when the rule came from text. */
  line?: number;
  column?: number;
  /** The source line and a caret under the column. */
  snippet?: string;
}

export type RuleResult<T> = { ok: true; value: T } | { ok: false; issues: RuleIssue[] };

export interface SourcePosition {
  line: number;
  column: number;
  snippet: string;
}

/** Line, column and a caret snippet for a character offset in `text`. */
export function positionIn(text: string, offset: number): SourcePosition {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = text.indexOf('\n', lineStart);
  const source = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
  const column = offset - lineStart + 1;
  const gutter = `${line} | `;
  const snippet = `${gutter}${source}\n${' '.repeat(gutter.length + column - 1)}^`;
  return { line, column, snippet };
}

/** One line per issue: `line 1, column 14: …` or `/rules/0/test: …`. */
export function formatIssue(issue: RuleIssue): string {
  const where =
    issue.line === undefined ? issue.path || '(rule)' : `line ${issue.line}, column ${issue.column}`;
  return issue.snippet ? `${where}: ${issue.message}\n${issue.snippet}` : `${where}: ${issue.message}`;
}

export function formatIssues(issues: readonly RuleIssue[]): string {
  return issues.map(formatIssue).join('\n');
}

/** Appends a segment to a JSON pointer, escaping `~` and `/` (RFC 6901). */
export function pointer(base: string, ...parts: Array<string | number>): string {
  return parts.reduce<string>(
    (path, part) => `${path}/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`,
    base,
  );
}
