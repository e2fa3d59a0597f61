// The one way in for a rule that is about to be saved: decode (JSON) or parse (text), then
// validate; all or nothing. Issues from the text form carry the line and column of the part
// they are about.
import type { SegmentRule } from './ast.ts';
import { positionIn, type RuleIssue, type RuleResult } from './issues.ts';
import { decodeRuleJson } from './json.ts';
import { parseRuleText, type SourceMap } from './parse.ts';
import { type ValidationContext, validateRule } from './validate.ts';

export function checkRuleJson(input: unknown, context: ValidationContext = {}): RuleResult<SegmentRule> {
  const decoded = decodeRuleJson(input);
  if (!decoded.ok) return decoded;
  const issues = validateRule(decoded.value, context);
  return issues.length === 0 ? decoded : { ok: false, issues };
}

export function checkRuleText(text: string, context: ValidationContext = {}): RuleResult<SegmentRule> {
  const parsed = parseRuleText(text);
  if (!parsed.ok) return parsed;
  const { rule, sourceMap } = parsed.value;
  const issues = validateRule(rule, context);
  if (issues.length === 0) return { ok: true, value: rule };
  return { ok: false, issues: issues.map((issue) => locateIssue(issue, text, sourceMap)) };
}

/** Adds line/column from the nearest part of the tree the parser recorded a position for. */
function locateIssue(issue: RuleIssue, text: string, sourceMap: SourceMap): RuleIssue {
  let path = issue.path;
  for (;;) {
    const offset = sourceMap.get(path);
    if (offset !== undefined) return { ...issue, ...positionIn(text, offset) };
    if (path === '') return issue;
    path = path.slice(0, path.lastIndexOf('/'));
  }
}
