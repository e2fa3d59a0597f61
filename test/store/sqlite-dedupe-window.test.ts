// The embedded log's messageId dedupe window is held in memory by every connection that appends
// (docs/architecture.md): it must hold the ids of the entries the log keeps and no more, or its
// memory grows with every message ever received. Many distinct ids pass through while compaction
// removes the old ones; the window's size must follow the log's, in this connection and in a
// second one on the same file (the pipeline worker's, which reads what the writer appended).
// No timing: sizes after a known sequence of appends and compactions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteIngestLog } from '../../src/store/index.ts';
import type { LogEntry } from '../../src/store/types.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function entries(round: number, count: number): LogEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const messageId = `round-${round}-message-${i}`;
    return {
      messageId,
      source: 'test',
      receivedAt: '2026-12-07T18:00:00.000Z',
      json: JSON.stringify({ type: 'track', event: 'Seen', messageId, userId: `u${i}` }),
    };
  });
}

describe('the embedded log’s dedupe window', () => {
  it('stays the size of what the log keeps while 20,000 distinct ids pass through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-window-'));
    dirs.push(dir);
    const path = join(dir, 'log.sqlite');
    const writer = new SqliteIngestLog(path);
    const reader = new SqliteIngestLog(path);
    let head = 0;
    for (let round = 0; round < 20; round++) {
      const result = await writer.append(entries(round, 1000));
      expect(result.appended).toBe(1000);
      head += 1000;
      // Keep the last 1,000 entries, as a retention would.
      await writer.compactThrough(head - 1000, '2026-12-07T18:00:00.000Z');
      // The second connection appends too (as segments does from the pipeline worker).
      expect((await reader.append(entries(1000 + round, 1))).appended).toBe(1);
      head += 1;
    }
    const kept = await writer.countEntries();
    expect(kept).toBeLessThanOrEqual(1020);
    // Each window holds the kept entries' ids (its own and the other connection's), not 20,020.
    expect(writer.loadDedupeWindow()).toBe(kept);
    expect(reader.loadDedupeWindow()).toBe(kept);

    // Still a dedupe for what is kept, and ids compaction removed are new again (docs/architecture.md).
    expect((await writer.append(entries(19, 10))).duplicates).toBe(10);
    expect((await writer.append(entries(0, 10))).appended).toBe(10);
  });
});
