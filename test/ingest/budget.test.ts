// The ingest byte budget's rules (src/ingest/budget.ts), without a server.
import { describe, expect, it } from 'vitest';
import { IngestByteBudget, requestBytesOf } from '../../src/ingest/index.ts';

describe('IngestByteBudget', () => {
  it('admits requests while they fit, always one when nothing is held, and frees on release', () => {
    const budget = new IngestByteBudget(1000);
    expect(budget.tryTake(5000)).toBe(true); // alone: a request larger than the budget still goes
    expect(budget.tryTake(1)).toBe(false);
    budget.release(5000);
    expect(budget.tryTake(600)).toBe(true);
    expect(budget.tryTake(400)).toBe(true);
    expect(budget.tryTake(1)).toBe(false);
    budget.release(400);
    expect(budget.held).toBe(600);
  });

  it('counts a request by its Content-Length, or by the request limit when compressed or unannounced', () => {
    expect(requestBytesOf({ 'content-length': '1234' }, 512_000)).toBe(1234);
    expect(requestBytesOf({ 'content-length': '9999999' }, 512_000)).toBe(512_000);
    expect(requestBytesOf({ 'content-length': '1234', 'content-encoding': 'gzip' }, 512_000)).toBe(512_000);
    expect(requestBytesOf({}, 512_000)).toBe(512_000);
  });
});
