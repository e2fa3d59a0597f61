// The rule language: the text form parses into the canonical tree and prints back from it,
// and bad input is refused with where and why.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkRuleJson,
  checkRuleText,
  formatIssues,
  parseRuleText,
  printRule,
  type SegmentRule,
  validateRule,
} from '../../src/segments/index.ts';
import { ruleOf, WIDE_VOCABULARY } from './arbitraries.ts';

function parsed(text: string): SegmentRule {
  const result = parseRuleText(text);
  if (!result.ok) throw new Error(formatIssues(result.issues));
  return result.value.rule;
}

describe('text form', () => {
  it('reads "bought a printer in the last 30 days and no ink"', () => {
    expect(
      parsed(
        'performed "Order Completed" where category = "printer" in last 30 days and not performed "Order Completed" where category = "ink" in last 30 days',
      ),
    ).toEqual({
      kind: 'and',
      rules: [
        {
          kind: 'performed',
          event: 'Order Completed',
          where: [{ property: 'category', test: { op: 'eq', value: 'printer' } }],
          count: { op: 'gte', value: 1 },
          window: { kind: 'last', amount: 30, unit: 'days' },
        },
        {
          kind: 'not',
          rule: {
            kind: 'performed',
            event: 'Order Completed',
            where: [{ property: 'category', test: { op: 'eq', value: 'ink' } }],
            count: { op: 'gte', value: 1 },
            window: { kind: 'last', amount: 30, unit: 'days' },
          },
        },
      ],
    });
  });

  it('reads "opened no email in 90 days" as a count of zero', () => {
    expect(parsed('performed "Email Opened" exactly 0 times in last 90 days')).toEqual({
      kind: 'performed',
      event: 'Email Opened',
      where: [],
      count: { op: 'eq', value: 0 },
      window: { kind: 'last', amount: 90, unit: 'days' },
    });
  });

  it('reads "spent over 200 in 90 days" and the other conditions', () => {
    expect(parsed('sum of revenue in "Order Completed" in last 90 days > 200')).toEqual({
      kind: 'aggregate',
      fn: 'sum',
      property: 'revenue',
      event: 'Order Completed',
      where: [],
      window: { kind: 'last', amount: 90, unit: 'days' },
      op: 'gt',
      value: 200,
    });
    expect(parsed('consent email = granted')).toEqual({
      kind: 'consent',
      purpose: 'email',
      state: 'granted',
    });
    expect(parsed('in segment "vip"')).toEqual({ kind: 'in_segment', segment: 'vip' });
    expect(parsed('stage in (awareness, action)')).toEqual({
      kind: 'stage',
      stages: ['awareness', 'action'],
    });
    expect(parsed('first seen before 2026-01-01')).toEqual({
      kind: 'first_seen',
      test: { op: 'before', date: { date: '2026-01-01T00:00:00.000Z' } },
    });
    expect(parsed('last seen more than 90 days ago')).toEqual({
      kind: 'last_seen',
      test: { op: 'more_than_ago', amount: 90, unit: 'days' },
    });
    expect(parsed('computed ltv between 100 and 500')).toEqual({
      kind: 'computed',
      name: 'ltv',
      test: { op: 'between', low: 100, high: 500 },
    });
    expect(parsed('trait "first name" starts with "An" or trait vip = true')).toEqual({
      kind: 'or',
      rules: [
        { kind: 'trait', trait: 'first name', test: { op: 'starts_with', value: 'An' } },
        { kind: 'trait', trait: 'vip', test: { op: 'eq', value: true } },
      ],
    });
  });

  it('binds not tighter than and, and and tighter than or; parentheses keep groups', () => {
    const a = 'trait a exists';
    const tree = parsed(`not ${a} and ${a} or ${a}`);
    expect(tree.kind).toBe('or');
    expect(printRule(tree)).toBe(`(not ${a} and ${a}) or ${a}`);
    expect(printRule(parsed(`(${a} and ${a}) and ${a}`))).toBe(`(${a} and ${a}) and ${a}`);
  });

  it('prints every valid tree so that it parses back to the same tree', () => {
    fc.assert(
      fc.property(ruleOf(WIDE_VOCABULARY, 4), (rule) => {
        expect(validateRule(rule)).toEqual([]);
        const text = printRule(rule);
        const back = parseRuleText(text);
        if (!back.ok) throw new Error(`${text}\n${formatIssues(back.issues)}`);
        expect(back.value.rule).toEqual(rule);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('bad input', () => {
  function refusedText(text: string) {
    const result = checkRuleText(text, { segmentId: 'a', lookupSegment: lookup });
    if (result.ok) throw new Error(`accepted: ${text}`);
    return result.issues;
  }
  const others: Record<string, SegmentRule> = {
    b: { kind: 'in_segment', segment: 'c' },
    c: {
      kind: 'or',
      rules: [
        { kind: 'trait', trait: 'x', test: { op: 'exists' } },
        { kind: 'in_segment', segment: 'a' },
      ],
    },
    vip: { kind: 'trait', trait: 'vip', test: { op: 'eq', value: true } },
  };
  const lookup = (id: string) => others[id];

  it('points at the column where the text stops making sense', () => {
    const [issue] = refusedText('trait plan = "pro" and performed Order Completed');
    expect(issue).toMatchObject({ line: 1, column: 34 });
    expect(issue?.message).toBe('expected the event name in quotes, found "Order"');
    expect(issue?.snippet).toBe(
      '1 | trait plan = "pro" and performed Order Completed\n                                     ^',
    );
  });

  it('refuses an unclosed string, a missing value and trailing words, on the right line', () => {
    expect(refusedText('trait plan = "pro')[0]).toMatchObject({
      column: 14,
      message: expect.stringMatching(/not closed/),
    });
    expect(refusedText('trait plan =')[0]).toMatchObject({
      column: 13,
      message: expect.stringMatching(/found the end/),
    });
    expect(refusedText('trait plan exists\n  trait x exists')[0]).toMatchObject({ line: 2, column: 3 });
    expect(refusedText('first seen before 2026-02-30')[0]?.message).toMatch(/2026-02-30 is not a date/);
  });

  it('refuses a window of minus three days, pointing at the -3', () => {
    const issues = refusedText('performed "Order Completed" in last -3 days');
    expect(issues).toEqual([
      expect.objectContaining({
        path: '/window/amount',
        line: 1,
        column: 37,
        message: 'a window is a positive whole number of days; got -3',
      }),
    ]);
  });

  it('refuses ordering a string, naming the operator and the value', () => {
    const issues = refusedText('trait plan exists and trait age > "thirty"');
    expect(issues).toEqual([
      expect.objectContaining({
        path: '/rules/1/test/value',
        column: 35,
        message: '"greater than" compares numbers or dates; the string "thirty" is neither',
      }),
    ]);
  });

  it('refuses a string compared with a number when the catalogue says the trait is a number', () => {
    const result = checkRuleText('trait age = "30"', { fields: { traits: { age: 'number' } } });
    expect(result.ok || result.issues).toEqual([
      expect.objectContaining({
        message: 'trait age is a number; it cannot be compared with the string "30"',
        column: 13,
      }),
    ]);
    const unknown = checkRuleText('trait agee = 30', { fields: { traits: { age: 'number' } } });
    expect(unknown.ok || unknown.issues[0]).toMatchObject({ message: 'unknown trait "agee"', column: 7 });
  });

  it('refuses a segment that includes itself through another, showing the chain', () => {
    const issues = refusedText('trait x exists or in segment "b"');
    expect(issues).toEqual([
      expect.objectContaining({
        path: '/rules/1/segment',
        column: 30,
        message: 'this segment would include itself: a → b → c → a',
      }),
    ]);
    expect(refusedText('in segment "a"')[0]?.message).toBe('this segment would include itself: a → a');
    expect(refusedText('in segment "nope"')[0]?.message).toBe('there is no segment "nope"');
    expect(checkRuleText('in segment "vip"', { segmentId: 'a', lookupSegment: lookup }).ok).toBe(true);
  });

  it('refuses unknown fields and wrong shapes in JSON, with a pointer to each', () => {
    const result = checkRuleJson({
      kind: 'and',
      rules: [
        { kind: 'trait', trait: 'plan', test: { op: 'eq', valeu: 'pro' } },
        { kind: 'performed', event: 'Order Completed', window: { kind: 'last', amount: '30', unit: 'days' } },
        { kind: 'sometimes' },
        {
          kind: 'aggregate',
          fn: 'sum',
          property: 'revenue',
          event: 'Order Completed',
          op: 'gt',
          value: '200',
        },
      ],
    });
    expect(result.ok).toBe(false);
    expect(result.ok || result.issues).toEqual([
      { path: '/rules/0/test/valeu', message: 'unknown field "valeu" (expected op, value)' },
      { path: '/rules/0/test/value', message: 'missing field "value"' },
      { path: '/rules/1/window/amount', message: 'the window length must be a number, got the string "30"' },
      {
        path: '/rules/2/kind',
        message:
          'unknown rule kind the string "sometimes" (expected and, or, not, trait, performed, aggregate, first_seen, last_seen, consent, in_segment, stage, computed)',
      },
      { path: '/rules/3/value', message: 'an aggregate compares with a number, got the string "200"' },
    ]);
  });

  it('fills in the defaults of the JSON form and accepts what it prints', () => {
    const result = checkRuleJson({ kind: 'performed', event: 'Signed Up' });
    expect(result).toEqual({
      ok: true,
      value: {
        kind: 'performed',
        event: 'Signed Up',
        where: [],
        count: { op: 'gte', value: 1 },
        window: { kind: 'ever' },
      },
    });
    expect(result.ok && printRule(result.value)).toBe('performed "Signed Up"');
  });

  it('refuses a window that ends before it starts and bounds out of order', () => {
    const issues = refusedText(
      'performed "X" between 2026-02-01 and 2026-01-01 or trait age between 30 and 18 or performed "Y" at least 5000 times',
    );
    expect(issues.map((i) => i.message)).toEqual([
      'the window ends (2026-01-01T00:00:00.000Z) before or when it starts (2026-02-01T00:00:00.000Z)',
      'between runs from low to high; the number 30 is above the number 18',
      'a count is at most 1000; got 5000',
    ]);
  });
});
