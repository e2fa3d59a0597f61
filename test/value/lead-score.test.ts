import mt19937 from '@stdlib/random-base-mt19937';
import { describe, expect, it } from 'vitest';
import {
  bandReport,
  DEFAULT_LEAD_SCORE,
  decayedPoints,
  describeLeadScore,
  fitPoints,
  leadScore,
  learnFitRules,
  matchedFitRules,
  thresholdCrossings,
} from '../../src/value/lead-score.ts';
import { sigmoid } from '../../src/value/logistic.ts';

const DAY = 86_400_000;

describe('lead score', () => {
  it('adds the points of the trait rules that match', () => {
    expect(fitPoints({ company_size: 120, role: 'CTO', plan: 'free' }, DEFAULT_LEAD_SCORE.fit)).toBe(30);
    expect(fitPoints({ company_size: '80' }, DEFAULT_LEAD_SCORE.fit)).toBe(15);
    expect(fitPoints({ company_size: 'many', role: null }, DEFAULT_LEAD_SCORE.fit)).toBe(0);
  });

  it('halves behaviour points every half-life', () => {
    const rules = [{ event: 'Demo Requested', points: 40 }];
    const now = Date.UTC(2025, 0, 31);
    expect(decayedPoints([{ event: 'Demo Requested', at: now }], rules, now, 14)).toBe(40);
    expect(decayedPoints([{ event: 'Demo Requested', at: now - 14 * DAY }], rules, now, 14)).toBeCloseTo(
      20,
      12,
    );
    expect(decayedPoints([{ event: 'Demo Requested', at: now - 28 * DAY }], rules, now, 14)).toBeCloseTo(
      10,
      12,
    );
    expect(decayedPoints([{ event: 'Other', at: now }], rules, now, 14)).toBe(0);
  });

  it('says how a score is made up: the fit rules that matched and each event’s decayed points', () => {
    const traits = { company_size: 120, role: 'CTO', plan: 'free' };
    const fit = matchedFitRules(traits, DEFAULT_LEAD_SCORE.fit);
    expect(fit).toEqual([
      { rule: 'company_size 120 ≥ 50', points: 15 },
      { rule: 'role is CTO', points: 15 },
    ]);
    const behaviour = [
      { event: 'Product Viewed', count: 4, points: 2.54 },
      { event: 'Demo Requested', count: 1, points: 20 },
      { event: 'Signed Up', count: 1, points: 0.01 },
    ];
    const score = leadScore('p', fitPoints(traits, DEFAULT_LEAD_SCORE.fit), 22.55);
    expect(describeLeadScore(score, { fit, behaviour })).toBe(
      '52.6 = fit 30 (company_size 120 ≥ 50 +15, role is CTO +15) + behaviour 22.6 (Demo Requested ×1 +20, Product Viewed ×4 +2.5)',
    );
    expect(describeLeadScore(leadScore('q', 0, 0), { fit: [], behaviour: [] })).toBe(
      '0 = fit 0 + behaviour 0',
    );
  });

  it('never gives NaN', () => {
    expect(leadScore('p', Number.NaN, Number.POSITIVE_INFINITY)).toEqual({
      profileId: 'p',
      fit: 0,
      behaviour: 0,
      score: 0,
    });
  });

  it('asks for a sales task once, when a score crosses a threshold upwards', () => {
    const thresholds = DEFAULT_LEAD_SCORE.thresholds;
    const scores = [
      leadScore('up', 30, 25),
      leadScore('stays', 60, 0),
      leadScore('new', 70, 0),
      leadScore('low', 10, 0),
    ];
    const previous = new Map([
      ['up', 40],
      ['stays', 55],
      ['low', 80],
    ]);
    expect(thresholdCrossings(scores, previous, thresholds)).toEqual([
      {
        profileId: 'up',
        threshold: 'sales-ready',
        action: 'create_sales_task',
        score: 55,
        previousScore: 40,
      },
      {
        profileId: 'new',
        threshold: 'sales-ready',
        action: 'create_sales_task',
        score: 70,
        previousScore: null,
      },
    ]);
  });

  it('reports conversion by score band', () => {
    const rows = [
      { score: 5, converted: false },
      { score: 20, converted: true },
      { score: 30, converted: false },
      { score: 60, converted: true },
      { score: 90, converted: true },
      { score: -3, converted: false },
    ];
    expect(bandReport(rows, [0, 25, 50, 75])).toEqual([
      { from: 0, to: 25, leads: 3, converted: 1, conversionRate: 1 / 3 },
      { from: 25, to: 50, leads: 1, converted: 0, conversionRate: 0 },
      { from: 50, to: 75, leads: 1, converted: 1, conversionRate: 1 },
      { from: 75, to: null, leads: 1, converted: 1, conversionRate: 1 },
    ]);
  });

  it('learns fit points from who converted: planted strong traits get the most points', () => {
    const random = (mt19937.factory({ seed: 4 }) as unknown as { normalized: () => number }).normalized;
    const roles = ['cto', 'engineer', 'student'];
    const sizes = ['large', 'small'];
    // Planted log-odds: cto +1.5, engineer +0.5, student 0; large +1, small 0; base −2.
    const planted: Record<string, number> = { cto: 1.5, engineer: 0.5, student: 0, large: 1, small: 0 };
    const examples = Array.from({ length: 8_000 }, () => {
      const role = roles[Math.floor(random() * roles.length)]!;
      const size = sizes[Math.floor(random() * sizes.length)]!;
      const p = sigmoid(-2 + planted[role]! + planted[size]!);
      return { traits: { role, size }, converted: random() < p };
    });
    const learned = learnFitRules(examples, ['role', 'size']);
    const points = (trait: string, value: string) =>
      learned.rules.find((rule) => rule.trait === trait && rule.equals === value)?.points ?? 0;
    // One category of each trait is redundant with the intercept; what is identified is the
    // difference between categories: 10 × planted difference, within sampling noise.
    expect(points('role', 'cto') - points('role', 'student')).toBeGreaterThan(10);
    expect(points('role', 'cto') - points('role', 'student')).toBeLessThan(20);
    expect(points('role', 'cto')).toBeGreaterThan(points('role', 'engineer'));
    expect(points('role', 'engineer')).toBeGreaterThan(points('role', 'student'));
    expect(points('size', 'large')).toBeGreaterThan(points('size', 'small'));
    expect(
      learnFitRules(
        examples.map((e) => ({ ...e, converted: false })),
        ['role'],
      ).rules,
    ).toEqual([]);
  });
});
