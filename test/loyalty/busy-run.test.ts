// A loyalty run first applies what the processor has not. On the embedded engine that takes the
// state file's one write lock, which another processor's long step (a big import) may hold for
// longer than SQLite's busy timeout: the medium demo's run failed with a 500 there. The run now
// waits the lock out with backoff, and past its patience answers 503 with Retry-After.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { patientCatchUp } from '../../src/loyalty/runtime.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Two connections to one file: `holder` takes the write lock, `drain` needs it (as a step does). */
function lockedFile() {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-busy-'));
  dirs.push(dir);
  const file = join(dir, 'state.sqlite');
  const holder = new Database(file);
  holder.pragma('journal_mode = WAL');
  holder.exec('CREATE TABLE offsets (seq INTEGER)');
  const worker = new Database(file);
  worker.pragma('busy_timeout = 50');
  let calls = 0;
  const drain = async () => {
    calls++;
    worker.exec('BEGIN IMMEDIATE');
    worker.exec('INSERT INTO offsets VALUES (1)');
    worker.exec('COMMIT');
    return 7;
  };
  holder.exec('BEGIN IMMEDIATE');
  return { holder, worker, drain, calls: () => calls };
}

describe('a loyalty run on a busy database', () => {
  it('waits out a write lock held longer than the busy timeout, then applies', async () => {
    const { holder, worker, drain, calls } = lockedFile();
    setTimeout(() => holder.exec('COMMIT'), 1_200);
    await expect(patientCatchUp(drain, 30_000)).resolves.toBe(7);
    expect(calls()).toBeGreaterThan(1);
    holder.close();
    worker.close();
  });

  it('past its patience is refused as 503 with Retry-After, not a 500', async () => {
    const { holder, worker, drain } = lockedFile();
    const refused = await patientCatchUp(drain, 600).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'RAPPORT_STORE_UNAVAILABLE', status: 503 });
    expect((refused as { details: Record<string, unknown> }).details).toMatchObject({ retryAfterSeconds: 5 });
    holder.exec('ROLLBACK');
    holder.close();
    worker.close();
  });

  it('does not retry a failure of the messages themselves', async () => {
    let calls = 0;
    const broken = async () => {
      calls++;
      throw new Error('the programme names an unknown rule');
    };
    await expect(patientCatchUp(broken, 5_000)).rejects.toThrow('unknown rule');
    expect(calls).toBe(1);
  });
});
