// The DuckDB event store's gate (src/store/duckdb/gate.ts): a file rewrite after an erasure
// runs alone, after the operations in flight and before those that arrive meanwhile, so no
// query runs on a connection the rewrite closed.
import { describe, expect, it } from 'vitest';
import { OperationGate } from '../../src/store/duckdb/gate.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('OperationGate', () => {
  it('runs an exclusive operation after the shared ones in flight and before later ones', async () => {
    const gate = new OperationGate();
    const order: string[] = [];
    let finishFirst = () => {};
    const first = gate.shared(async () => {
      order.push('shared-1 start');
      await new Promise<void>((resolve) => {
        finishFirst = resolve;
      });
      order.push('shared-1 end');
    });
    await tick();
    const rewrite = gate.exclusive(async () => {
      order.push('exclusive');
    });
    const later = gate.shared(async () => {
      order.push('shared-2');
    });
    await tick();
    expect(order).toEqual(['shared-1 start']);
    finishFirst();
    await Promise.all([first, rewrite, later]);
    expect(order).toEqual(['shared-1 start', 'shared-1 end', 'exclusive', 'shared-2']);
  });

  it('runs at once with nothing in flight, and releases the gate when the work fails', async () => {
    const gate = new OperationGate();
    await expect(gate.exclusive(async () => Promise.reject(new Error('copy failed')))).rejects.toThrow(
      'copy failed',
    );
    expect(await gate.shared(async () => 42)).toBe(42);
  });
});
