// The log written per request: the messages of one request (same source, same receivedAt)
// share one stored batch and are addressed by (batch, index). Whatever the shape, readers see
// one record per message with contiguous seqs, a read may stop inside a batch, erasure and
// compaction take single messages out of a batch (their bytes leave the file), and a
// messageId is stored once, also when two connections append (a second process, the
// pipeline's own appends).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/store/types.ts';
import { ENGINES, type OpenedStores } from './engines.ts';

const RECEIVED = '2024-03-01T10:00:00.000Z';

/** One request's messages: a shared source and receivedAt, as ingest logs them. */
function request(ids: string[], receivedAt = RECEIVED, source = 'web'): LogEntry[] {
  return ids.map((messageId, i) => ({
    messageId,
    source,
    receivedAt,
    json: JSON.stringify({ type: 'track', messageId, userId: `person-of-${messageId}`, properties: { i } }),
  }));
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

for (const engine of ENGINES) {
  describe.skipIf(engine.skipReason !== '')(`the log per request: ${engine.name}`, () => {
    let stores: OpenedStores;
    beforeEach(async () => {
      stores = await engine.open();
    });
    afterEach(async () => {
      await stores.close();
    });

    it('gives the messages of a request contiguous seqs, in order, and a read may stop inside it', async () => {
      const { log } = stores.state;
      expect(await log.append(request(ids('a', 5)))).toEqual({ appended: 5, duplicates: 0 });
      expect(await log.append(request(ids('b', 3), '2024-03-01T10:00:01.000Z', 'app'))).toEqual({
        appended: 3,
        duplicates: 0,
      });
      const all = await log.read(0, 100);
      expect(all.map((r) => [r.seq, r.messageId, r.source])).toEqual([
        [1, 'a-1', 'web'],
        [2, 'a-2', 'web'],
        [3, 'a-3', 'web'],
        [4, 'a-4', 'web'],
        [5, 'a-5', 'web'],
        [6, 'b-1', 'app'],
        [7, 'b-2', 'app'],
        [8, 'b-3', 'app'],
      ]);
      expect(JSON.parse(all[3]?.json ?? '')).toMatchObject({ messageId: 'a-4', properties: { i: 3 } });
      expect((await log.read(2, 2)).map((r) => r.seq)).toEqual([3, 4]);
      expect((await log.read(4, 3)).map((r) => r.seq)).toEqual([5, 6, 7]);
      expect(await log.headSeq()).toBe(8);
      expect(await log.countEntries()).toBe(8);
      const sparse = await log.readContaining(1, 10, '"a-3"');
      expect(sparse.map((r) => [r.seq, r.json === null])).toEqual([
        [2, true],
        [3, false],
        [4, true],
        [5, true],
        [6, true],
        [7, true],
        [8, true],
      ]);
      expect((await log.entryTimes(6, 10)).map((r) => r.seq)).toEqual([7, 8]);
    });

    it('stores a messageId once: repeated inside a request, across requests, and across connections', async () => {
      const { log } = stores.state;
      expect(await log.append(request(['d-1', 'd-2', 'd-1', 'd-3']))).toEqual({ appended: 3, duplicates: 1 });
      expect(await log.append(request(['d-3', 'd-4'], '2024-03-01T10:00:02.000Z'))).toEqual({
        appended: 1,
        duplicates: 1,
      });
      // The peer is closed by the engine's close, as another process's store would be.
      const peer = await stores.openPeerState();
      expect(await peer.log.append(request(['d-2', 'd-5'], '2024-03-01T10:00:03.000Z'))).toEqual({
        appended: 1,
        duplicates: 1,
      });
      // The first connection sees what the peer stored since its own last append.
      expect(await log.append(request(['d-5', 'd-6'], '2024-03-01T10:00:04.000Z'))).toEqual({
        appended: 1,
        duplicates: 1,
      });
      // PostgreSQL draws seqs from a sequence, which a refused duplicate also advances: only the
      // order is common to both engines.
      const read = await log.read(0, 100);
      expect(read.map((r) => r.messageId)).toEqual(['d-1', 'd-2', 'd-3', 'd-4', 'd-5', 'd-6']);
      expect(read.map((r) => r.seq)).toEqual([...read.map((r) => r.seq)].sort((a, b) => a - b));
    });

    it('erases single messages out of a request: the others keep their seqs, the head stays', async () => {
      const { log } = stores.state;
      await log.append(request(ids('e', 6)));
      expect(await log.deleteEntries([2, 5])).toBe(2);
      expect((await log.read(0, 100)).map((r) => [r.seq, r.messageId])).toEqual([
        [1, 'e-1'],
        [3, 'e-3'],
        [4, 'e-4'],
        [6, 'e-6'],
      ]);
      expect((await log.read(1, 1)).map((r) => r.seq)).toEqual([3]);
      expect(await log.countEntries()).toBe(4);
      expect(await log.deleteEntries([1, 3, 4, 6])).toBe(4);
      expect(await log.read(0, 100)).toEqual([]);
      expect(await log.headSeq()).toBe(6);
      await log.append(request(['e-7'], '2024-03-01T10:00:05.000Z'));
      expect((await log.read(0, 100)).map((r) => r.seq)).toEqual([7]);
    });

    it('compacts through the middle of a request: its later messages stay', async () => {
      const { log } = stores.state;
      await log.append(request(ids('c', 4)));
      await log.append(request(ids('k', 4), '2024-03-01T10:00:06.000Z'));
      expect(await log.compactThrough(6, '2024-03-09T00:00:00.000Z')).toBe(6);
      expect((await log.read(0, 100)).map((r) => [r.seq, r.messageId])).toEqual([
        [7, 'k-3'],
        [8, 'k-4'],
      ]);
      expect(await log.stats()).toMatchObject({ entries: 2, oldestSeq: 7, headSeq: 8, compactedThrough: 6 });
      // Compaction ends the dedupe window of what it removed, and only of that.
      expect(await log.append(request(['k-1', 'k-4'], '2024-03-09T00:00:01.000Z'))).toEqual({
        appended: 1,
        duplicates: 1,
      });
    });

    describe.skipIf(engine.kind !== 'embedded')('in SQLite', () => {
      it('writes one row per request, and an erased message leaves no byte in the file', async () => {
        const { log } = stores.state;
        await log.append([...request(ids('r', 50)), ...request(ids('s', 50), '2024-03-01T10:00:07.000Z')]);
        const dataDir = stores.sqlite?.dataDir ?? '';
        const file = join(dataDir, 'log.sqlite');
        const raw = new Database(file, { readonly: true });
        try {
          expect(raw.prepare('SELECT count(*) AS n FROM log_batches').get()).toEqual({ n: 2 });
        } finally {
          raw.close();
        }
        await log.deleteEntries([17]);
        await (log as unknown as { truncateWal(): Promise<void> }).truncateWal();
        const bytes = readFileSync(file);
        expect(bytes.includes('person-of-r-17')).toBe(false);
        expect(bytes.includes('person-of-r-16')).toBe(true);
      });
    });
  });
}
