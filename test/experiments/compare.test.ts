// `rapport experiments compare` (a child process reading stdin) and POST /api/experiments/compare
// (a real server): the same document gives gbstats' numbers, and bad input is refused with the
// field named, never answered with NaN.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare } from '../../src/experiments/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function rapportWithStdin(
  stdin: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'bin/rapport.js'), ...args],
      { cwd: ROOT },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}

const control = { n: 3407, sum: 1396.87, sumSquares: 52377.9767 };
const variant = { n: 3461, sum: 2422.7, sumSquares: 134698.29 };
const round = (x: number) => Math.round(x * 1e5) / 1e5;

const BAD: { name: string; document: unknown; field: string }[] = [
  { name: 'n = 0', document: { type: 'mean', control: { ...control, n: 0 }, variant }, field: 'control.n' },
  { name: 'n = 1', document: { type: 'mean', control, variant: { ...variant, n: 1 } }, field: 'variant.n' },
  {
    name: 'a negative sum of squares',
    document: { type: 'mean', control: { ...control, sumSquares: -1 }, variant },
    field: 'control.sumSquares',
  },
  {
    name: 'a zero-variance arm',
    document: { type: 'mean', control: { n: 10, sum: 20, sumSquares: 40 }, variant },
    field: 'control.sumSquares',
  },
  {
    name: 'totals no real values can have',
    document: { type: 'mean', control: { n: 2, sum: 1396.87, sumSquares: 52377.9767 }, variant },
    field: 'control.sumSquares',
  },
  {
    name: 'a proportion where everyone converted',
    document: { type: 'proportion', control: { n: 50, sum: 50 }, variant: { n: 50, sum: 20 } },
    field: 'control.sum',
  },
  {
    name: 'more conversions than people',
    document: { type: 'proportion', control: { n: 50, sum: 10 }, variant: { n: 50, sum: 60 } },
    field: 'variant.sum',
  },
  {
    name: 'a relative difference over a zero control mean',
    document: { type: 'mean', control: { n: 10, sum: 0, sumSquares: 40 }, variant },
    field: 'control.sum',
  },
  {
    name: 'one of several variants with more conversions than people',
    document: {
      type: 'proportion',
      control: { n: 50, sum: 10 },
      variants: [
        { n: 50, sum: 12 },
        { n: 50, sum: 51 },
      ],
    },
    field: 'variants.1.sum',
  },
  {
    name: 'a variant and variants both',
    document: { type: 'mean', control, variant, variants: [variant] },
    field: 'variant',
  },
  {
    name: 'CUPED in one arm only',
    document: {
      type: 'mean',
      control: { ...control, pre: { sum: 1, sumSquares: 4 }, sumProducts: 3 },
      variant,
    },
    field: 'variant.pre',
  },
];

// Each case spawns the CLI (tsx start-up takes seconds on a busy machine): generous time-outs.
describe('rapport experiments compare', () => {
  it('prints gbstats’ frequentist relative result with null for what does not apply', async () => {
    const result = await rapportWithStdin(
      JSON.stringify({ type: 'mean', control, variant }),
      'experiments',
      'compare',
    );
    expect(result.stderr).toBe('');
    const answer = JSON.parse(result.stdout);
    expect(Object.keys(answer).sort()).toEqual(['chanceToWin', 'ci', 'effect', 'pValue', 'risk', 'se']);
    expect(answer.ci.map(round)).toEqual([-0.03526, 1.44989]);
    expect(round(answer.pValue)).toBe(0.06191);
    expect(answer.chanceToWin).toBeNull();
    expect(answer.risk).toBeNull();
  }, 180_000);

  it('runs the Bayesian engine', async () => {
    const document = {
      type: 'proportion',
      control: { n: 100, sum: 49, sumSquares: 49 },
      variant: { n: 100, sum: 51, sumSquares: 51 },
      engine: 'bayesian',
    };
    const answer = JSON.parse(
      (await rapportWithStdin(JSON.stringify(document), 'experiments', 'compare')).stdout,
    );
    expect(round(answer.chanceToWin)).toBe(0.60918);
    expect(answer.risk.map(round)).toEqual([0.0814, 0.04058]);
    expect(answer.pValue).toBeNull();
  }, 180_000);

  it('compares several variants when given variants', async () => {
    const document = {
      type: 'proportion',
      control: { n: 1000, sum: 100 },
      variants: [
        { n: 1000, sum: 135 },
        { n: 1000, sum: 108 },
      ],
    };
    const result = await rapportWithStdin(JSON.stringify(document), 'experiments', 'compare');
    expect(result.stderr).toBe('');
    const answer = JSON.parse(result.stdout);
    expect(answer.correction).toBe('holm-bonferroni');
    expect(answer.variants).toHaveLength(2);
    const first = compare({ type: 'proportion', control: document.control, variant: document.variants[0]! });
    expect(answer.variants[0].effect).toBeCloseTo(first.effect, 12);
    expect(answer.variants[0].adjustedPValue).toBeGreaterThan(answer.variants[0].pValue);
  }, 180_000);

  it('refuses n = 1 naming the field, and text that is not JSON', async () => {
    const one = await rapportWithStdin(
      JSON.stringify({ type: 'mean', control: { ...control, n: 1 }, variant }),
      'experiments',
      'compare',
    );
    expect(one.code).toBe(1);
    expect(one.stderr).toContain('control.n');
    expect(one.stdout).toBe('');
    const text = await rapportWithStdin('not json', 'experiments', 'compare');
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('not JSON');
    const shape = await rapportWithStdin(
      JSON.stringify({ type: 'ratio', control, variant }),
      'experiments',
      'compare',
    );
    expect(shape.code).toBe(1);
    expect(shape.stderr).toContain('type');
  }, 180_000);
});

describe('POST /api/experiments/compare', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  }, 60_000);
  afterAll(async () => server?.close());

  it('answers each engine and difference as the published cases', async () => {
    const absolute = await server.adminRequest('POST', '/api/experiments/compare', {
      type: 'mean',
      control,
      variant,
      difference: 'absolute',
    });
    expect(absolute.status).toBe(200);
    expect(absolute.body.ci.map(round)).toEqual([0.04538, 0.53462]);
    expect(round(absolute.body.pValue)).toBe(0.02016);

    const sequential = await server.adminRequest('POST', '/api/experiments/compare', {
      type: 'mean',
      control: { ...control, n: 3000 },
      variant,
      engine: 'sequential',
      sequentialTuning: 1000,
    });
    expect(sequential.status).toBe(200);
    expect(sequential.body.ci.map(round)).toEqual([-0.55844, 1.56516]);
    expect(sequential.body.pValue).toBe(1);

    const cuped = await server.adminRequest('POST', '/api/experiments/compare', {
      type: 'mean',
      control: {
        n: 3000,
        sum: 1396.87,
        sumSquares: 52377.9767,
        pre: { sum: 16.87, sumSquares: 527.9767 },
        sumProducts: 12525,
      },
      variant: { ...variant, pre: { sum: 22.7, sumSquares: 1348.29 }, sumProducts: 3333 },
      engine: 'sequential',
      theta: 0.5,
    });
    expect(cuped.status).toBe(200);
    expect(cuped.body.ci.map(round)).toEqual([-0.43745, 1.44217]);
  });

  it('compares several variants with the control, the p-values adjusted together by Holm–Bonferroni', async () => {
    const base = { n: 1000, sum: 100 };
    const variants = [
      { n: 1000, sum: 150 },
      { n: 1000, sum: 108 },
      { n: 1000, sum: 82 },
      { n: 1000, sum: 135 },
    ];
    const answer = await server.adminRequest('POST', '/api/experiments/compare', {
      type: 'proportion',
      control: base,
      variants,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.correction).toBe('holm-bonferroni');
    const alone = variants.map((v) => compare({ type: 'proportion', control: base, variant: v }));
    // Holm by hand: sorted p-values times 4, 3, 2, 1, kept increasing and at most 1.
    const order = alone.map((r, i) => ({ p: r.pValue as number, i })).sort((a, b) => a.p - b.p);
    const holm = new Array<number>(4);
    let running = 0;
    order.forEach(({ p, i }, rank) => {
      running = Math.max(running, Math.min(1, (4 - rank) * p));
      holm[i] = running;
    });
    answer.body.variants.forEach(
      (result: { effect: number; pValue: number; adjustedPValue: number }, i: number) => {
        expect(result.effect).toBeCloseTo(alone[i]!.effect, 12);
        expect(result.pValue).toBeCloseTo(alone[i]!.pValue as number, 12);
        expect(result.adjustedPValue).toBeCloseTo(holm[i]!, 12);
        expect(result.adjustedPValue).toBeGreaterThanOrEqual(result.pValue);
      },
    );
    // The first variant wins after the correction; the last would win alone (p < 0.05) but not
    // once four comparisons are counted: the false positive the correction is there to stop.
    expect(answer.body.variants[0].adjustedPValue).toBeLessThan(0.05);
    expect(answer.body.variants[3].pValue).toBeLessThan(0.05);
    expect(answer.body.variants[3].adjustedPValue).toBeGreaterThan(0.05);
    expect(answer.body.variants[1].adjustedPValue).toBeGreaterThan(0.05);

    const bh = await server.adminRequest('POST', '/api/experiments/compare', {
      type: 'proportion',
      control: base,
      variants,
      correction: 'benjamini-hochberg',
    });
    expect(bh.body.correction).toBe('benjamini-hochberg');
    // BH never adjusts more than Holm.
    bh.body.variants.forEach((r: { adjustedPValue: number }, i: number) => {
      expect(r.adjustedPValue).toBeLessThanOrEqual(holm[i]! + 1e-12);
    });
  });

  for (const bad of BAD) {
    it(`refuses ${bad.name} with a 400 naming ${bad.field}`, async () => {
      const answer = await server.adminRequest('POST', '/api/experiments/compare', bad.document);
      expect(answer.status).toBe(400);
      expect(answer.body.field).toBe(bad.field);
      expect(answer.body.message).toContain(bad.field);
      expect(JSON.stringify(answer.body)).not.toMatch(/NaN|null/);
    });
  }

  it('refuses a malformed document through the schema, naming the field', async () => {
    const answer = await server.adminRequest('POST', '/api/experiments/compare', {
      type: 'mean',
      control: { n: 'many', sum: 1 },
      variant,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/control\/n/);
  });

  it('needs the admin token', async () => {
    const answer = await server.adminRequest(
      'POST',
      '/api/experiments/compare',
      { type: 'mean', control, variant },
      null,
    );
    expect(answer.status).toBe(401);
  });
});
