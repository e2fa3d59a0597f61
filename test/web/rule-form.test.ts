// The condition forms as data (web/src/components/rule-form.ts): every form's rule comes back
// as the same form, and a saved rule with a part no form holds is left to the text view.
import { describe, expect, it } from 'vitest';
import { checkRuleJson } from '../../src/segments/index.ts';
import { blank, type Condition, combine, fromRule, toRule } from '../../web/src/components/rule-form.ts';

const forms: Condition[] = [
  { ...blank('performed'), event: 'Order Completed', countOp: 'gte', count: '2', days: '' },
  { ...blank('performed'), event: 'Signed Up', countOp: 'eq', count: '1', days: '30', negate: true },
  { ...blank('trait'), trait: 'plan', op: 'eq', value: 'pro' },
  { ...blank('trait'), trait: 'seats', op: 'gte', value: '12' },
  { ...blank('trait'), trait: 'vip', op: 'neq', value: 'true' },
  { ...blank('trait'), trait: 'email', op: 'contains', value: '@example' },
  { ...blank('trait'), trait: 'phone', op: 'exists', value: '' },
  { ...blank('last_seen'), seen: 'more_than_ago', days: '90' },
  { ...blank('stage'), stage: 'interest, action' },
  { ...blank('in_segment'), segment: 'repeat-buyers' },
];

describe('rule forms', () => {
  it('reads each form back from the rule it writes, alone and combined', () => {
    for (const form of forms) {
      const rule = combine([form], true);
      const back = fromRule(rule);
      expect(back?.conditions.map(toRule)).toEqual([toRule(form)]);
    }
    for (const all of [true, false]) {
      const rule = combine(forms, all);
      const back = fromRule(rule);
      expect(back?.all).toBe(all);
      expect(combine(back?.conditions ?? [], all)).toEqual(rule);
    }
  });

  it('writes rules the server accepts', () => {
    const lookupSegment = () => ({ kind: 'trait', trait: 'x', test: { op: 'exists' } }) as never;
    const checked = checkRuleJson(combine(forms, true), { lookupSegment });
    expect(checked.ok, JSON.stringify(checked)).toBe(true);
  });

  it('leaves rules no form holds to the text view', () => {
    const performed = toRule(forms[0] as Condition);
    const withWhere = { ...performed, where: [{ property: 'total', test: { op: 'gt', value: 50 } }] };
    const nested = { kind: 'and', rules: [performed, { kind: 'or', rules: [performed, performed] }] };
    const hours = { kind: 'last_seen', test: { op: 'within', amount: 3, unit: 'hours' } };
    const textThatReadsAsNumber = { kind: 'trait', trait: 'zip', test: { op: 'eq', value: '1012' } };
    const aggregate = { kind: 'aggregate', fn: 'sum', property: 'revenue', event: 'Order Completed' };
    const doubleNot = { kind: 'not', rule: { kind: 'not', rule: performed } };
    for (const rule of [withWhere, nested, hours, textThatReadsAsNumber, aggregate, doubleNot, null, 'x'])
      expect(fromRule(rule)).toBeNull();
  });
});
