// The template library's store on each engine: the same expectations for SQLite and PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresTemplateStore } from '../../src/store/postgres/templates.ts';
import { SqliteTemplateStore } from '../../src/store/sqlite/templates.ts';
import type { NewTemplate, TemplateStore } from '../../src/store/template-types.ts';
import { ENGINES, type OpenedStores } from './engines.ts';

const welcome: NewTemplate = {
  id: 'welcome',
  name: 'Welcome',
  description: null,
  channel: 'sms',
  content: { body: 'Hi {{ traits.first_name }} 😀' },
  at: '2026-03-02T10:00:00.000Z',
  by: 'ada',
};

for (const engine of ENGINES) {
  describe.skipIf(engine.skipReason !== '')(`template store: ${engine.name}`, () => {
    let opened: OpenedStores;
    let store: TemplateStore;
    let dir: string | undefined;

    beforeEach(async () => {
      opened = await engine.open();
      if (opened.postgres) {
        store = await PostgresTemplateStore.open(opened.postgres.url, { schema: opened.postgres.schema });
      } else {
        dir = mkdtempSync(join(tmpdir(), 'rapport-templates-'));
        store = new SqliteTemplateStore(join(dir, 'state.sqlite'));
      }
    });

    afterEach(async () => {
      await store.close();
      await opened.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('creates version 1 once per id and reads it back with its content', async () => {
      expect(await store.createTemplate(welcome)).toBe(true);
      expect(await store.createTemplate({ ...welcome, name: 'Other' })).toBe(false);
      const read = await store.getTemplate('welcome');
      expect(read).toMatchObject({
        id: 'welcome',
        name: 'Welcome',
        channel: 'sms',
        status: 'active',
        latestVersion: 1,
        content: { body: 'Hi {{ traits.first_name }} 😀' },
        updatedBy: 'ada',
      });
      expect(new Date(read!.createdAt).toISOString()).toBe(welcome.at);
      expect(await store.getTemplate('nobody')).toBeUndefined();
    });

    it('keeps every version; an edit on a stale base is refused and changes nothing', async () => {
      await store.createTemplate(welcome);
      const edit = {
        id: 'welcome',
        baseVersion: 1,
        name: 'Welcome SMS',
        description: 'first message',
        content: { body: 'Hello {{ traits.first_name }}' },
        note: 'shorter',
        at: '2026-03-02T11:00:00.000Z',
        by: 'grace',
      };
      expect(await store.addVersion(edit)).toBe('saved');
      expect(await store.addVersion({ ...edit, content: { body: 'lost' } })).toBe('conflict');
      expect(await store.addVersion({ ...edit, id: 'nobody' })).toBe('missing');
      const latest = await store.getTemplate('welcome');
      expect(latest).toMatchObject({
        latestVersion: 2,
        name: 'Welcome SMS',
        content: { body: 'Hello {{ traits.first_name }}' },
      });
      const versions = await store.listVersions('welcome');
      expect(versions.map((v) => [v.version, v.content.body, v.note, v.createdBy])).toEqual([
        [2, 'Hello {{ traits.first_name }}', 'shorter', 'grace'],
        [1, 'Hi {{ traits.first_name }} 😀', null, 'ada'],
      ]);
      expect((await store.getVersion('welcome', 1))?.content).toEqual({
        body: 'Hi {{ traits.first_name }} 😀',
      });
      expect(await store.getVersion('welcome', 3)).toBeUndefined();
    });

    it('lists the latest edited first, archives, and deletes a template with its versions', async () => {
      await store.createTemplate(welcome);
      await store.createTemplate({
        ...welcome,
        id: 'later',
        channel: 'push',
        at: '2026-03-03T10:00:00.000Z',
      });
      expect((await store.listTemplates()).map((t) => t.id)).toEqual(['later', 'welcome']);
      expect(await store.setStatus('welcome', 'archived', '2026-03-01T00:00:00.000Z')).toBe(true);
      expect((await store.getTemplate('welcome'))?.status).toBe('archived');
      expect(await store.deleteTemplate('welcome')).toBe(true);
      expect(await store.deleteTemplate('welcome')).toBe(false);
      expect(await store.listVersions('welcome')).toEqual([]);
      expect((await store.listTemplates()).map((t) => t.id)).toEqual(['later']);
    });
  });
}
