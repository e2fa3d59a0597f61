// The text form → the rule tree, by recursive descent. Hand-written rather than with a parser
// library: the grammar is small, words are keywords only by position (`in`, `between`, `not`
// mean different things in different places), and we want our own messages at exact columns.
// Besides the tree it returns where each node came from (JSON pointer → offset), so that
// validate.ts's issues can point at the column too.
//
//   rule       := or
//   or         := and ("or" and)*
//   and        := unary ("and" unary)*
//   unary      := "not" unary | "(" or ")" | condition
//   condition  := "trait" key comparison | "computed" key comparison
//               | "performed" STRING [where] [count] [window]
//               | agg "of" key "in" STRING [where] [window] op NUMBER
//               | ("first" | "last") "seen" seen
//               | "consent" key "=" ("granted" | "denied" | "unknown")
//               | "in" "segment" name | "stage" ("=" name | "in" "(" name ("," name)* ")")
//   comparison := op literal | "between" literal "and" literal | "contains" STRING
//               | "starts" "with" STRING | "exists" | "in" "(" literal ("," literal)* ")"
//   where      := "where" key comparison ("," key comparison)*
//   count      := ("at least" | "at most" | "exactly" | "not exactly" | "more than" | "fewer than") NUMBER ("time" | "times")
//   window     := "in" "last" NUMBER unit | "between" DATE "and" DATE | "ever"
//   seen       := ("before" | "after") DATE | "in" "last" NUMBER unit | "more" "than" NUMBER unit "ago"
import type {
  AggregateFn,
  CompareOp,
  Comparison,
  Condition,
  CountTest,
  DateLiteral,
  Literal,
  PropertyFilter,
  SeenTest,
  SegmentRule,
  TimeUnit,
  TimeWindow,
} from './ast.ts';
import { pointer, positionIn, type RuleIssue, type RuleResult } from './issues.ts';
import { DEFAULT_COUNT, EVER } from './json.ts';
import { LexError, stringValue, type Token, tokenize } from './lexer.ts';
import { parseDateLiteral } from './values.ts';

/** Where each part of the tree starts in the source: JSON pointer → character offset. */
export type SourceMap = Map<string, number>;

export interface ParsedRuleText {
  rule: SegmentRule;
  sourceMap: SourceMap;
}

class ParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const OPERATORS: Record<string, CompareOp> = {
  '=': 'eq',
  '!=': 'neq',
  '>': 'gt',
  '>=': 'gte',
  '<': 'lt',
  '<=': 'lte',
};
const UNITS: Record<string, TimeUnit> = {
  minute: 'minutes',
  minutes: 'minutes',
  hour: 'hours',
  hours: 'hours',
  day: 'days',
  days: 'days',
  week: 'weeks',
  weeks: 'weeks',
};
const AGGREGATES: Record<string, AggregateFn> = {
  sum: 'sum',
  average: 'avg',
  avg: 'avg',
  min: 'min',
  max: 'max',
};

/** Parses the text form. Errors carry line, column and a caret snippet. */
export function parseRuleText(text: string): RuleResult<ParsedRuleText> {
  try {
    const parser = new Parser(text);
    return { ok: true, value: { rule: parser.parseAll(), sourceMap: parser.sourceMap } };
  } catch (error) {
    if (!(error instanceof ParseError || error instanceof LexError)) throw error;
    const issue: RuleIssue = { path: '', message: error.message, ...positionIn(text, error.offset) };
    return { ok: false, issues: [issue] };
  }
}

class Parser {
  readonly sourceMap: SourceMap = new Map();
  private readonly tokens: Token[];
  private index = 0;

  constructor(text: string) {
    this.tokens = tokenize(text);
  }

  parseAll(): SegmentRule {
    if (this.peek().kind === 'end') throw new ParseError('the rule is empty', 0);
    const rule = this.parseOr('');
    const next = this.peek();
    if (next.kind !== 'end') throw this.unexpected(next, '"and", "or" or the end of the rule');
    return rule;
  }

  // ── tokens ────────────────────────────────────────────────────────────────────────────

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private isWord(word: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'word' && token.text === word;
  }

  private isSymbol(symbol: string): boolean {
    const token = this.peek();
    return token.kind === 'symbol' && token.text === symbol;
  }

  private acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.index += 1;
    return true;
  }

  private expectWord(word: string, context: string): Token {
    const token = this.peek();
    if (!this.acceptWord(word)) throw this.unexpected(token, `"${word}" ${context}`);
    return token;
  }

  private expectSymbol(symbol: string, context: string): Token {
    const token = this.peek();
    if (!this.isSymbol(symbol)) throw this.unexpected(token, `"${symbol}" ${context}`);
    this.index += 1;
    return token;
  }

  private unexpected(token: Token, expected: string): ParseError {
    const found = token.kind === 'end' ? 'the end of the rule' : `"${token.text}"`;
    return new ParseError(`expected ${expected}, found ${found}`, token.offset);
  }

  private mark(path: string, token: Token): void {
    this.sourceMap.set(path, token.offset);
  }

  // ── rules ─────────────────────────────────────────────────────────────────────────────

  private parseOr(path: string): SegmentRule {
    return this.parseGroup(path, 'or', (p) => this.parseAnd(p));
  }

  private parseAnd(path: string): SegmentRule {
    return this.parseGroup(path, 'and', (p) => this.parseUnary(p));
  }

  /** `a op b op c` → one group of three; a single operand is returned as itself. */
  private parseGroup(path: string, op: 'and' | 'or', operand: (path: string) => SegmentRule): SegmentRule {
    const start = this.peek();
    const first = operand(pointer(path, 'rules', 0));
    if (!this.isWord(op)) {
      this.relocate(pointer(path, 'rules', 0), path);
      return first;
    }
    const rules = [first];
    while (this.acceptWord(op)) rules.push(operand(pointer(path, 'rules', rules.length)));
    this.mark(path, start);
    return { kind: op, rules };
  }

  /** Moves source positions recorded under `from` to `to` (an operand that was not a group). */
  private relocate(from: string, to: string): void {
    for (const [key, offset] of [...this.sourceMap]) {
      if (key !== from && !key.startsWith(`${from}/`)) continue;
      this.sourceMap.delete(key);
      this.sourceMap.set(to + key.slice(from.length), offset);
    }
  }

  private parseUnary(path: string): SegmentRule {
    const start = this.peek();
    if (this.acceptWord('not')) {
      const rule = this.parseUnary(pointer(path, 'rule'));
      this.mark(path, start);
      return { kind: 'not', rule };
    }
    if (this.isSymbol('(')) {
      this.next();
      const rule = this.parseOr(path);
      this.expectSymbol(')', 'to close the "(" opened before');
      return rule;
    }
    const condition = this.parseCondition(path);
    this.mark(path, start);
    return condition;
  }

  private parseCondition(path: string): Condition {
    const token = this.peek();
    const word = token.kind === 'word' ? token.text : '';
    if (word === 'trait' || word === 'computed') {
      this.next();
      const name = this.parseKey(pointer(path, word === 'trait' ? 'trait' : 'name'), `a ${word} name`);
      const test = this.parseComparison(pointer(path, 'test'));
      return word === 'trait' ? { kind: 'trait', trait: name, test } : { kind: 'computed', name, test };
    }
    if (word === 'performed') return this.parsePerformed(path);
    if (Object.hasOwn(AGGREGATES, word) && this.isWord('of', 1)) return this.parseAggregate(path);
    if ((word === 'first' || word === 'last') && this.isWord('seen', 1)) {
      this.index += 2;
      return {
        kind: word === 'first' ? 'first_seen' : 'last_seen',
        test: this.parseSeen(pointer(path, 'test')),
      };
    }
    if (word === 'consent') return this.parseConsent(path);
    if (word === 'in' && this.isWord('segment', 1)) {
      this.index += 2;
      return { kind: 'in_segment', segment: this.parseName(pointer(path, 'segment'), 'a segment id') };
    }
    if (word === 'stage') return this.parseStage(path);
    throw this.unexpected(
      token,
      'a condition (trait, performed, sum/average/min/max of, first seen, last seen, consent, in segment, stage, computed, not, or "(")',
    );
  }

  private parsePerformed(path: string): Condition {
    this.next();
    const event = this.parseString(pointer(path, 'event'), 'the event name in quotes');
    const where = this.parseWhere(pointer(path, 'where'));
    const count = this.parseCount(pointer(path, 'count'));
    const window = this.parseWindow(pointer(path, 'window'));
    return { kind: 'performed', event, where, count, window };
  }

  private parseAggregate(path: string): Condition {
    const fn = AGGREGATES[this.next().text] as AggregateFn;
    this.next();
    const property = this.parseKey(pointer(path, 'property'), 'the property to aggregate');
    this.expectWord('in', 'before the event name (sum of revenue in "Order Completed")');
    const event = this.parseString(pointer(path, 'event'), 'the event name in quotes');
    const where = this.parseWhere(pointer(path, 'where'));
    const window = this.parseWindow(pointer(path, 'window'));
    const op = this.parseOperator('a comparison (=, !=, >, >=, <, <=) for the aggregate');
    const value = this.parseLiteral(pointer(path, 'value'));
    if (typeof value !== 'number') {
      throw new ParseError(
        `an aggregate compares with a number, got ${JSON.stringify(value)}`,
        this.peek(-1).offset,
      );
    }
    return { kind: 'aggregate', fn, property, event, where, window, op, value };
  }

  private parseConsent(path: string): Condition {
    this.next();
    const purpose = this.parseKey(pointer(path, 'purpose'), 'a consent purpose (consent email = granted)');
    this.expectSymbol('=', 'after the consent purpose');
    const token = this.next();
    if (
      token.kind === 'word' &&
      (token.text === 'granted' || token.text === 'denied' || token.text === 'unknown')
    ) {
      this.mark(pointer(path, 'state'), token);
      return { kind: 'consent', purpose, state: token.text };
    }
    throw this.unexpected(token, 'granted, denied or unknown');
  }

  private parseStage(path: string): Condition {
    this.next();
    if (this.isSymbol('=')) {
      this.next();
      return { kind: 'stage', stages: [this.parseName(pointer(path, 'stages', 0), 'a stage name')] };
    }
    this.expectWord('in', 'or "=" after stage');
    this.expectSymbol('(', 'to start the list of stages');
    const stages = this.parseList((i) => this.parseName(pointer(path, 'stages', i), 'a stage name'));
    return { kind: 'stage', stages };
  }

  // ── parts ─────────────────────────────────────────────────────────────────────────────

  /** Items separated by commas up to a closing ")", which it consumes. */
  private parseList<T>(item: (index: number) => T): T[] {
    const items = [item(0)];
    while (this.isSymbol(',')) {
      this.next();
      items.push(item(items.length));
    }
    this.expectSymbol(')', 'or "," in the list');
    return items;
  }

  private parseKey(path: string, what: string): string {
    const token = this.next();
    this.mark(path, token);
    if (token.kind === 'word') return token.text;
    if (token.kind === 'string') return stringValue(token);
    throw this.unexpected(token, what);
  }

  private parseName(path: string, what: string): string {
    return this.parseKey(path, what);
  }

  private parseString(path: string, what: string): string {
    const token = this.next();
    this.mark(path, token);
    if (token.kind === 'string') return stringValue(token);
    throw this.unexpected(token, what);
  }

  private parseNumber(path: string, what: string): number {
    const token = this.next();
    this.mark(path, token);
    if (token.kind === 'number') return Number(token.text);
    throw this.unexpected(token, what);
  }

  private parseDate(path: string): DateLiteral {
    const token = this.next();
    this.mark(path, token);
    if (token.kind !== 'date') throw this.unexpected(token, 'a date like 2026-01-01 or 2026-01-01T10:00:00Z');
    const date = parseDateLiteral(token.text);
    if (!date) {
      throw new ParseError(
        `${token.text} is not a date: write a real UTC day or time, like 2026-01-01 or 2026-01-01T10:00:00Z`,
        token.offset,
      );
    }
    return date;
  }

  private parseLiteral(path: string): Literal {
    const token = this.peek();
    if (token.kind === 'date') return this.parseDate(path);
    this.next();
    this.mark(path, token);
    if (token.kind === 'string') return stringValue(token);
    if (token.kind === 'number') return Number(token.text);
    if (token.kind === 'word' && (token.text === 'true' || token.text === 'false'))
      return token.text === 'true';
    throw this.unexpected(token, 'a value (a "string", a number, true, false or a date)');
  }

  private parseOperator(expected: string): CompareOp {
    const token = this.peek();
    const op =
      token.kind === 'symbol' && Object.hasOwn(OPERATORS, token.text) ? OPERATORS[token.text] : undefined;
    if (!op) throw this.unexpected(token, expected);
    this.next();
    return op;
  }

  private parseComparison(path: string): Comparison {
    const token = this.peek();
    if (token.kind === 'symbol' && Object.hasOwn(OPERATORS, token.text)) {
      const op = this.parseOperator('');
      return { op, value: this.parseLiteral(pointer(path, 'value')) };
    }
    if (this.acceptWord('between')) {
      const low = this.parseLiteral(pointer(path, 'low'));
      this.expectWord('and', 'between the two bounds');
      return { op: 'between', low, high: this.parseLiteral(pointer(path, 'high')) };
    }
    if (this.acceptWord('contains'))
      return { op: 'contains', value: this.parseString(pointer(path, 'value'), 'a "string"') };
    if (this.acceptWord('starts')) {
      this.expectWord('with', 'after "starts"');
      return { op: 'starts_with', value: this.parseString(pointer(path, 'value'), 'a "string"') };
    }
    if (this.acceptWord('exists')) return { op: 'exists' };
    if (this.acceptWord('in')) {
      this.expectSymbol('(', 'to start the list of values');
      return { op: 'in', values: this.parseList((i) => this.parseLiteral(pointer(path, 'values', i))) };
    }
    throw this.unexpected(
      token,
      'a comparison (=, !=, >, >=, <, <=, between, contains, starts with, exists, in)',
    );
  }

  private parseWhere(path: string): PropertyFilter[] {
    if (!this.acceptWord('where')) return [];
    const filters: PropertyFilter[] = [];
    for (;;) {
      const at = pointer(path, filters.length);
      const start = this.peek();
      const property = this.parseKey(pointer(at, 'property'), 'a property name');
      filters.push({ property, test: this.parseComparison(pointer(at, 'test')) });
      this.mark(at, start);
      if (!this.isSymbol(',')) return filters;
      this.next();
    }
  }

  private parseCount(path: string): CountTest {
    const start = this.peek();
    const op = this.parseCountOp();
    if (!op) return DEFAULT_COUNT;
    this.mark(path, start);
    const value = this.parseNumber(pointer(path, 'value'), 'a number of times');
    if (!this.acceptWord('times') && !this.acceptWord('time')) throw this.unexpected(this.peek(), '"times"');
    return { op, value };
  }

  private parseCountOp(): CountTest['op'] | undefined {
    const pairs: Array<[string, string, CountTest['op']]> = [
      ['at', 'least', 'gte'],
      ['at', 'most', 'lte'],
      ['more', 'than', 'gt'],
      ['fewer', 'than', 'lt'],
      ['not', 'exactly', 'neq'],
    ];
    for (const [first, second, op] of pairs) {
      if (this.isWord(first) && this.isWord(second, 1)) {
        this.index += 2;
        return op;
      }
    }
    return this.acceptWord('exactly') ? 'eq' : undefined;
  }

  private parseWindow(path: string): TimeWindow {
    const start = this.peek();
    if (this.acceptWord('ever')) return EVER;
    if (this.isWord('in') && this.isWord('last', 1)) {
      this.index += 2;
      this.mark(path, start);
      const amount = this.parseNumber(pointer(path, 'amount'), 'a number (in last 30 days)');
      return { kind: 'last', amount, unit: this.parseUnit(pointer(path, 'unit')) };
    }
    if (this.acceptWord('between')) {
      this.mark(path, start);
      const from = this.parseDate(pointer(path, 'from'));
      this.expectWord('and', 'between the two dates');
      return { kind: 'between', from, to: this.parseDate(pointer(path, 'to')) };
    }
    return EVER;
  }

  private parseUnit(path: string): TimeUnit {
    const token = this.next();
    this.mark(path, token);
    const unit = token.kind === 'word' && Object.hasOwn(UNITS, token.text) ? UNITS[token.text] : undefined;
    if (!unit) throw this.unexpected(token, 'minutes, hours, days or weeks');
    return unit;
  }

  private parseSeen(path: string): SeenTest {
    const token = this.peek();
    if (this.acceptWord('before') || this.acceptWord('after')) {
      const op = token.text as 'before' | 'after';
      return { op, date: this.parseDate(pointer(path, 'date')) };
    }
    if (this.isWord('in') && this.isWord('last', 1)) {
      this.index += 2;
      const amount = this.parseNumber(pointer(path, 'amount'), 'a number (last seen in last 30 days)');
      return { op: 'within', amount, unit: this.parseUnit(pointer(path, 'unit')) };
    }
    if (this.isWord('more') && this.isWord('than', 1)) {
      this.index += 2;
      const amount = this.parseNumber(pointer(path, 'amount'), 'a number (last seen more than 90 days ago)');
      const unit = this.parseUnit(pointer(path, 'unit'));
      this.expectWord('ago', 'after the length (more than 90 days ago)');
      return { op: 'more_than_ago', amount, unit };
    }
    throw this.unexpected(token, 'before DATE, after DATE, in last N days or more than N days ago');
  }
}
