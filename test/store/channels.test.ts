// The channel store (tasks, settings, sandbox captures) on each engine, Kysely-style: the same expectations for
// SQLite and PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelStore, NewTask } from '../../src/store/channel-types.ts';
import { PostgresChannelStore } from '../../src/store/postgres/channels.ts';
import { SqliteChannelStore } from '../../src/store/sqlite/channels.ts';
import { ENGINES, type OpenedStores } from './engines.ts';

const task = (id: string, extra: Partial<NewTask> = {}): NewTask => ({
  id,
  idempotencyKey: `key-${id}`,
  profileId: 'p1',
  queue: 'call-centre',
  title: `call ${id}`,
  note: null,
  journeyId: 'j1',
  stepId: 's1',
  createdAt: `2026-03-02T10:00:0${id.length % 10}.000Z`,
  dueAt: null,
  ...extra,
});

for (const engine of ENGINES) {
  describe.skipIf(engine.skipReason !== '')(`channel store: ${engine.name}`, () => {
    let opened: OpenedStores;
    let store: ChannelStore;
    let dir: string | undefined;

    beforeEach(async () => {
      opened = await engine.open();
      if (opened.postgres) {
        store = await PostgresChannelStore.open(opened.postgres.url, { schema: opened.postgres.schema });
      } else {
        dir = mkdtempSync(join(tmpdir(), 'rapport-channels-'));
        store = new SqliteChannelStore(join(dir, 'state.sqlite'));
      }
    });

    afterEach(async () => {
      await store.close();
      await opened.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('creates a task once per idempotency key and lists by queue and status, oldest first', async () => {
      const first = await store.createTask(task('a'));
      const again = await store.createTask({
        ...task('a-other'),
        idempotencyKey: 'key-a',
        title: 'different',
      });
      expect(again).toEqual(first);
      await store.createTask(task('bb', { queue: 'sales' }));
      await store.createTask(task('ccc'));
      expect((await store.listTasks({ queue: 'call-centre', limit: 10 })).map((t) => t.id)).toEqual([
        'a',
        'ccc',
      ]);
      expect(
        (await store.listTasks({ queue: 'call-centre', afterId: 'a', limit: 10 })).map((t) => t.id),
      ).toEqual(['ccc']);
      expect(first).toMatchObject({ status: 'open', claimedBy: null, createdAt: '2026-03-02T10:00:01.000Z' });
    });

    it('claims only an open task and completes an open or claimed one once', async () => {
      await store.createTask(task('a'));
      expect(await store.claimTask('a', 'agent-1', '2026-03-02T11:00:00.000Z')).toMatchObject({
        status: 'claimed',
        claimedBy: 'agent-1',
      });
      expect(await store.claimTask('a', 'agent-2', '2026-03-02T11:00:01.000Z')).toBeUndefined();
      expect(
        await store.completeTask('a', 'interested', 'agent-1', '2026-03-02T11:05:00.000Z'),
      ).toMatchObject({
        status: 'completed',
        outcome: 'interested',
        completedAt: '2026-03-02T11:05:00.000Z',
      });
      expect(
        await store.completeTask('a', 'declined', 'agent-1', '2026-03-02T11:06:00.000Z'),
      ).toBeUndefined();
      expect((await store.listTasks({ status: 'completed', limit: 10 })).map((t) => t.outcome)).toEqual([
        'interested',
      ]);
      expect(await store.deleteTasksOf(['p1'])).toBe(1);
      expect(await store.getTask('a')).toBeUndefined();
    });

    it('keeps one sandbox capture per send, lists them newest first by person or journey, erases them', async () => {
      const email = (id: string, profileId: string, second: number, journeyId: string | null = 'j1') => ({
        id,
        profileId,
        to: `${profileId}@example.com`,
        from: 'Shop <shop@example.com>',
        subject: `hello ${id}`,
        text: 'Hello',
        html: '<p>Hello</p>',
        journeyId,
        stepId: journeyId ? 'send' : null,
        templateId: null,
        capturedAt: `2026-03-02T10:00:0${second}.000Z`,
      });
      await store.captureEmail(email('k1', 'p1', 1));
      await store.captureEmail({ ...email('k1', 'p1', 9), subject: 'again' });
      await store.captureEmail(email('k2', 'p2', 2));
      await store.captureEmail(email('k3', 'p1', 3, null));
      expect((await store.listCapturedEmails({ limit: 10 })).map((e) => e.id)).toEqual(['k3', 'k2', 'k1']);
      expect(await store.getCapturedEmail('k1')).toEqual(email('k1', 'p1', 1));
      expect((await store.listCapturedEmails({ profileId: 'p1', limit: 10 })).map((e) => e.id)).toEqual([
        'k3',
        'k1',
      ]);
      expect((await store.listCapturedEmails({ journeyId: 'j1', limit: 10 })).map((e) => e.id)).toEqual([
        'k2',
        'k1',
      ]);
      expect((await store.listCapturedEmails({ beforeId: 'k2', limit: 10 })).map((e) => e.id)).toEqual([
        'k1',
      ]);
      expect(await store.deleteCapturedEmailsOf(['p1'])).toBe(2);
      expect((await store.listCapturedEmails({ limit: 10 })).map((e) => e.id)).toEqual(['k2']);
    });

    it('keeps the first value of a setting put if absent', async () => {
      expect(await store.getSetting('signing_secret')).toBeUndefined();
      expect(await store.putSettingIfAbsent('signing_secret', 'one')).toBe('one');
      expect(await store.putSettingIfAbsent('signing_secret', 'two')).toBe('one');
      await store.putSetting('placements', '{}');
      await store.putSetting('placements', '{"a":1}');
      expect(await store.getSetting('placements')).toBe('{"a":1}');
    });
  });
}
