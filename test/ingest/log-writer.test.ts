import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommitLog } from '../../src/ingest/group-commit.ts';
import { ThreadedLogWriter } from '../../src/ingest/log-writer.ts';
import { SqliteIngestLog } from '../../src/store/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function entry(id: string) {
  return { messageId: id, source: 'test', receivedAt: '2026-01-01T00:00:00.000Z', json: `{"id":"${id}"}` };
}

describe('ThreadedLogWriter', () => {
  it('commits from its own thread, in order, visible to another connection once resolved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-writer-'));
    dirs.push(dir);
    const path = join(dir, 'log.sqlite');
    const reader = new SqliteIngestLog(path);
    const writer = await ThreadedLogWriter.start(path);
    const log = new GroupCommitLog(writer, { maxPendingMessages: 100_000, maxBatchMessages: 5_000 });
    const ids = Array.from({ length: 40 }, (_, request) =>
      Array.from({ length: 50 }, (_, i) => `r${request}-m${i}`),
    );
    await Promise.all(ids.map((batch) => log.append(batch.map(entry))));
    const stored = await reader.read(0, 10_000);
    expect(stored.map((r) => r.messageId).sort()).toEqual(ids.flat().sort());
    expect(stored.map((r) => r.seq)).toEqual([...stored.map((r) => r.seq)].sort((a, b) => a - b));
    // Every field crosses to the writer thread in its place (they travel as a flat array).
    const { seq: _seq, ...one } = stored.find((r) => r.messageId === 'r3-m7') ?? { seq: 0 };
    expect(one).toEqual(entry('r3-m7'));

    const dupes = await writer.append(
      [entry('r0-m0'), entry('new-one')],
      [
        {
          receivedAt: '2026-01-01T00:00:00.000Z',
          source: 'test',
          code: 'X',
          field: 'f',
          reason: 'r',
          body: '{}',
        },
      ],
    );
    expect(dupes).toEqual({ appended: 1, duplicates: 1 });
    expect(await reader.countDeadLetters()).toBe(1);
    await log.close();
    await writer.close();
    reader.close();
  });

  it('answers each append posted in the same turn with its own result, duplicates across them counted once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-writer-'));
    dirs.push(dir);
    const path = join(dir, 'log.sqlite');
    const writer = await ThreadedLogWriter.start(path, 3);
    // Posted together, so the writer thread takes them off its port as one group (of at most
    // three messages: the last two go in later commits); the results must not mix.
    const results = await Promise.all([
      writer.append([entry('a'), entry('b')]),
      writer.append([entry('b'), entry('c')]),
      writer.append([entry('a')]),
      writer.append([entry('d'), entry('e'), entry('f'), entry('g')]),
      writer.append([]),
    ]);
    expect(results).toEqual([
      { appended: 2, duplicates: 0 },
      { appended: 1, duplicates: 1 },
      { appended: 0, duplicates: 1 },
      { appended: 4, duplicates: 0 },
      { appended: 0, duplicates: 0 },
    ]);
    await writer.close();
    const reader = new SqliteIngestLog(path);
    const stored = await reader.read(0, 100);
    expect(stored.map((r) => r.messageId)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    reader.close();
  });

  it('rejects pending appends when its thread is gone, so requests get a 503 instead of hanging', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-writer-'));
    dirs.push(dir);
    const writer = await ThreadedLogWriter.start(join(dir, 'log.sqlite'));
    await writer.close();
    await expect(writer.append([entry('late')])).rejects.toThrow();
  });
});
