// Attribution: Markov removal effect (order 1 and 3) and Shapley values over simulated paths
// (1M by default). The baseline, in the same run, is a plain loop over the same paths that only
// counts the first-order transitions into a Map (the least any Markov model must do); the
// ratio says what building the chain, solving it once per channel and splitting the credit
// costs over that. Shapley's cost growth with the number of channels is shown too: exact up to
// 15, sampled beyond, with the sampling's largest standard error.
//
// `npm run bench -- attribution [--paths N]`
import { countTransitions, markov, shapley } from '../src/attribution/index.ts';
import type { AttributionPath } from '../src/attribution/types.ts';

function simulatePaths(n: number, channels: number, seed: number): AttributionPath[] {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const names = Array.from({ length: channels }, (_, at) => `channel-${at}`);
  return Array.from({ length: n }, () => {
    const length = 1 + Math.floor(random() * 6);
    const path = Array.from({ length }, () => names[Math.floor(random() ** 1.5 * channels)]!);
    // Longer paths and the first channels convert more often: something for the models to find.
    const converts = random() < 0.05 + 0.03 * length + (path.includes('channel-0') ? 0.05 : 0);
    return {
      channels: path,
      conversions: converts ? 1 : 0,
      nulls: converts ? 0 : 1,
      value: converts ? 50 : 0,
    };
  });
}

function time<T>(work: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = work();
  return { ms: performance.now() - start, result };
}

/** The baseline: one pass over the paths counting first-order transitions in a Map. */
function plainTransitionCount(paths: readonly AttributionPath[]): number {
  const counts = new Map<string, number>();
  for (const path of paths) {
    let previous = '(start)';
    for (const channel of path.channels) {
      const key = `${previous}>${channel}`;
      counts.set(key, (counts.get(key) ?? 0) + path.conversions + path.nulls);
      previous = channel;
    }
    const end = `${previous}>(end)`;
    counts.set(end, (counts.get(end) ?? 0) + path.conversions + path.nulls);
  }
  return counts.size;
}

export default async function run(args: string[] = []): Promise<void> {
  const at = args.indexOf('--paths');
  const n = at >= 0 ? Number(args[at + 1]) : 1_000_000;
  console.log(
    `node ${process.version}, ${process.platform}/${process.arch}; ${n.toLocaleString('en')} paths of 1-6 touches`,
  );
  const paths = simulatePaths(n, 10, 7);
  // Warm-up on a slice, so neither side pays the JIT's first compilation in its timing.
  const warm = paths.slice(0, 50_000);
  plainTransitionCount(warm);
  markov(warm, { order: 3, withNulls: true });
  const baseline = time(() => plainTransitionCount(paths));
  console.log(
    `baseline: plain loop counting transitions  ${baseline.ms.toFixed(0)} ms (${baseline.result} transitions)`,
  );
  for (const order of [1, 3]) {
    const chain = time(() => countTransitions(paths, order, true));
    const model = time(() => markov(paths, { order, withNulls: true }));
    console.log(
      `markov order ${order}: ${model.ms.toFixed(0)} ms = ${(model.ms / baseline.ms).toFixed(1)}x baseline ` +
        `(counting ${chain.ms.toFixed(0)} ms, ${chain.result.states} states, 11 solves)`,
    );
  }
  const exact = time(() => shapley(paths, { withNulls: true }));
  console.log(
    `shapley 10 channels (exact): ${exact.ms.toFixed(0)} ms = ${(exact.ms / baseline.ms).toFixed(1)}x baseline`,
  );
  // Growth with the channel count, on 100k paths so the sampled runs stay short.
  const small = Math.min(n, 100_000);
  for (const channels of [5, 10, 15, 16, 20, 30]) {
    const many = simulatePaths(small, channels, 11);
    const result = time(() => shapley(many, { withNulls: true, permutations: 1000 }));
    const errors = result.result.standardErrors
      ? Math.max(...Object.values(result.result.standardErrors).map((error) => error.conversions))
      : 0;
    const total = Object.values(result.result.channels).reduce((sum, credit) => sum + credit.conversions, 0);
    console.log(
      `shapley ${channels} channels on ${small.toLocaleString('en')} paths: ${result.ms.toFixed(0)} ms, ${result.result.method}` +
        (result.result.method === 'sampled'
          ? ` (1,000 orders; largest standard error ${errors.toFixed(1)} of ${total.toFixed(0)} conversions)`
          : ''),
    );
  }
}
