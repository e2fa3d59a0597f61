// The soak bench's instruments (bench/soak.ts): the heap snapshot diff must name what grew, the
// inspector must read a worker thread's heap and snapshot it, the slope must be least squares.
// Real V8 snapshots of this process and of a real worker thread; no timing in the assertions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { grownConstructors, readSnapshotCounts } from '../../bench/support/heap-diff.ts';
import { trend } from '../../bench/support/process-stats.ts';
import { ThreadHeaps } from '../../bench/support/thread-heaps.ts';

const dir = mkdtempSync(join(tmpdir(), 'rapport-soak-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class SoakProbeEntry {
  constructor(readonly key: string) {}
}

describe('heap snapshot diff', () => {
  it('counts a constructor exactly and names it among what grew between two snapshots', () => {
    const held: SoakProbeEntry[] = [];
    for (let i = 0; i < 1000; i++) held.push(new SoakProbeEntry(`k${i}`));
    const before = readSnapshotCounts(writeHeapSnapshot(join(dir, 'before.heapsnapshot')));
    for (let i = 0; i < 2500; i++) held.push(new SoakProbeEntry(`m${i}`));
    const after = readSnapshotCounts(writeHeapSnapshot(join(dir, 'after.heapsnapshot')));

    expect(before.get('SoakProbeEntry')?.count).toBe(1000);
    expect(after.get('SoakProbeEntry')?.count).toBe(3500);
    const grown = grownConstructors(before, after, 1000).find((c) => c.name === 'SoakProbeEntry');
    expect(grown?.countDelta).toBe(2500);
    expect(grown?.bytesDelta).toBeGreaterThan(0);
    expect(held.length).toBe(3500);
  }, 120_000);
});

describe('thread heaps through the inspector', () => {
  it("reads a worker's heap as it grows and snapshots it", async () => {
    const heaps = await ThreadHeaps.attach();
    const before = new Set(heaps.labels());
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       class WorkerProbe { constructor(i) { this.i = i; this.pad = new Array(64).fill(i); } }
       const kept = [];
       parentPort.on('message', (n) => { for (let i = 0; i < n; i++) kept.push(new WorkerProbe(i)); parentPort.postMessage(kept.length); });`,
      { eval: true },
    );
    const grow = (n: number) =>
      new Promise<number>((resolve) => {
        worker.once('message', resolve);
        worker.postMessage(n);
      });
    try {
      await grow(1);
      // The worker is attached once its inspector session exists; by its first answer it does.
      const added = heaps.labels().filter((l) => !before.has(l) && !l.startsWith('module-hooks'));
      expect(added).toHaveLength(1);
      const label = added[0] as string;
      await heaps.collectGarbage();
      const small = (await heaps.usage())[label]?.usedMb as number;
      await grow(40_000); // 40,000 objects with 64-slot arrays: ≈ 20 MB live
      await heaps.collectGarbage();
      const large = (await heaps.usage())[label]?.usedMb as number;
      expect(large - small).toBeGreaterThan(10);
      expect((await heaps.usage()).main?.usedMb).toBeGreaterThan(0);

      const files = await heaps.snapshots(dir, 'probe');
      const counts = readSnapshotCounts(files[label] as string);
      expect(counts.get('WorkerProbe')?.count).toBe(40_001);
    } finally {
      heaps.detach();
      await worker.terminate();
    }
  }, 120_000);
});

describe('trend', () => {
  it('is the least-squares line: slope, intercept, R²', () => {
    const exact = trend([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2 * x })));
    expect(exact.slope).toBeCloseTo(2, 10);
    expect(exact.intercept).toBeCloseTo(5, 10);
    expect(exact.rSquared).toBeCloseTo(1, 10);
    // y = 1, 3, 2, 4 over x = 0..3: slope 0.8, intercept 1.3, R² 0.64 (by hand).
    const noisy = trend([1, 3, 2, 4].map((y, x) => ({ x, y })));
    expect(noisy.slope).toBeCloseTo(0.8, 10);
    expect(noisy.intercept).toBeCloseTo(1.3, 10);
    expect(noisy.rSquared).toBeCloseTo(0.64, 10);
    expect(Number.isNaN(trend([{ x: 1, y: 1 }]).slope)).toBe(true);
  });
});
