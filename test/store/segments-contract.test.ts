// One contract over both segment stores (SQLite and PostgreSQL): definitions, members with
// history, stages, states with re-checks, the outbox, meta, the offset written with the
// changes, merges followed to the end, and (PostgreSQL) one step at a time across processes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { FunnelDefinition } from '../../src/segments/lifecycle.ts';
import { funnelTallies } from '../../src/segments/live/funnel-report.ts';
import { PostgresStateStore } from '../../src/store/postgres/index.ts';
import { PostgresSegmentStore } from '../../src/store/postgres/segments.ts';
import { quoteIdent } from '../../src/store/postgres/sql.ts';
import {
  emptyChanges,
  type FunnelCohortFilter,
  type SegmentChanges,
  type SegmentRow,
  type SegmentStore,
} from '../../src/store/segment-types.ts';
import { SqliteSegmentStore } from '../../src/store/sqlite/segments.ts';
import { SqliteStateStore, sqlitePathsIn } from '../../src/store/sqlite/state.ts';
import type { ProfileRow, StateStore } from '../../src/store/types.ts';

interface Opened {
  store: SegmentStore;
  state: StateStore;
  /** A second store on the same data with its own connections, as another process has. */
  openPeer(): Promise<SegmentStore>;
  close(): Promise<void>;
}

interface Engine {
  name: string;
  skipReason: string;
  open(): Promise<Opened>;
}

const postgresUrl = inject('postgresUrl');

const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    skipReason: '',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'rapport-segment-contract-'));
      const state = new SqliteStateStore(sqlitePathsIn(dir));
      const store = new SqliteSegmentStore(sqlitePathsIn(dir).statePath);
      const peers: SegmentStore[] = [];
      return {
        store,
        state,
        async openPeer() {
          const peer = new SqliteSegmentStore(sqlitePathsIn(dir).statePath);
          peers.push(peer);
          return peer;
        },
        async close() {
          for (const peer of peers) await peer.close();
          await store.close();
          await state.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    skipReason: postgresUrl ? '' : inject('postgresSkipReason'),
    async open() {
      const schema = `segments_${randomBytes(6).toString('hex')}`;
      const pool = new pg.Pool({ connectionString: postgresUrl, max: 6 });
      const state = await PostgresStateStore.open(postgresUrl, { schema, pool });
      const store = await PostgresSegmentStore.open(postgresUrl, { schema, pool });
      const peers: SegmentStore[] = [];
      return {
        store,
        state,
        async openPeer() {
          const peer = await PostgresSegmentStore.open(postgresUrl, { schema });
          peers.push(peer);
          return peer;
        },
        async close() {
          for (const peer of peers) await peer.close();
          await pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
          await pool.end();
        },
      };
    },
  },
];

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function segment(id: string, extra: Partial<SegmentRow> = {}): SegmentRow {
  return {
    id,
    name: id.toUpperCase(),
    rule: { kind: 'trait', trait: 'plan', test: { op: 'eq', value: 'pro' } },
    text: 'trait plan = "pro"',
    version: 1,
    status: 'building',
    createdAt: at(0),
    updatedAt: at(0),
    ...extra,
  };
}

const changes = (extra: Partial<SegmentChanges>): SegmentChanges => ({ ...emptyChanges(), ...extra });
const member = (segmentId: string, profileId: string, minute = 1) => ({
  segmentId,
  profileId,
  since: at(minute),
  reason: `reason ${minute}`,
});

function profile(profileId: string, mergedInto: string | null): ProfileRow {
  return {
    profileId,
    createdAt: at(0),
    firstSeen: at(0),
    lastSeen: at(1),
    eventCount: 1,
    traits: {},
    groups: {},
    consent: {},
    mergedInto,
  };
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skipReason !== '')(`segment store on ${engine.name} ${engine.skipReason}`, () => {
    let opened: Opened;
    let store: SegmentStore;
    beforeEach(async () => {
      opened = await engine.open();
      store = opened.store;
    }, 60_000);
    afterEach(async () => opened.close(), 60_000);

    it('saves, replaces, lists in id order, sets status by version and deletes definitions', async () => {
      await store.saveSegment(segment('b'));
      await store.saveSegment(
        segment('a', { rule: { kind: 'stage', stages: ['action'] }, text: 'stage = action' }),
      );
      await store.saveSegment(segment('b', { version: 2, name: 'B two' }));
      expect((await store.listSegments()).map((s) => [s.id, s.version, s.name])).toEqual([
        ['a', 1, 'A'],
        ['b', 2, 'B two'],
      ]);
      expect((await store.getSegment('a'))?.rule).toEqual({ kind: 'stage', stages: ['action'] });
      await store.setSegmentStatus('b', 1, 'live');
      expect((await store.getSegment('b'))?.status).toBe('building');
      await store.setSegmentStatus('b', 2, 'live');
      expect((await store.getSegment('b'))?.status).toBe('live');
      await store.commit(
        changes({
          addMembers: [member('b', 'p1')],
          history: [{ ...member('b', 'p1'), change: 'entered', at: at(1) }],
        }),
        1,
      );
      expect(await store.deleteSegment('b')).toBe(true);
      expect(await store.deleteSegment('b')).toBe(false);
      expect(await store.getSegment('b')).toBeUndefined();
      expect(await store.membershipsOfProfile('p1')).toEqual([]);
      expect(await store.historyOf('b')).toEqual([]);
    });

    it('keeps a funnel definition exactly as saved (key order too), and deletes its stages', async () => {
      const definition = {
        id: 'lifecycle',
        name: 'L',
        stages: [{ id: 'z', name: 'Z', rule: { kind: 'and', rules: [] } }],
      };
      await store.saveFunnel({
        id: 'lifecycle',
        definition,
        version: 1,
        status: 'building',
        updatedAt: at(0),
      });
      const [saved] = await store.listFunnels();
      expect(JSON.stringify(saved?.definition)).toBe(JSON.stringify(definition));
      await store.setFunnelStatus('lifecycle', 1, 'live');
      await store.commit(
        changes({
          setStages: [{ funnelId: 'lifecycle', profileId: 'p1', stage: 'z', since: at(2) }],
          stageHistory: [
            { funnelId: 'lifecycle', profileId: 'p1', fromStage: null, toStage: 'z', at: at(2) },
          ],
        }),
        3,
      );
      expect((await store.listFunnels())[0]?.status).toBe('live');
      expect(await store.allStages('lifecycle')).toHaveLength(1);
      expect(await store.deleteFunnel('lifecycle')).toBe(true);
      expect(await store.allStages('lifecycle')).toEqual([]);
      expect(await store.stageHistoryOf('lifecycle')).toEqual([]);
      expect(await store.deleteFunnel('lifecycle')).toBe(false);
    });

    it("replaces a person's stage history in a funnel with the commit's, leaving everyone else's", async () => {
      const row = (profileId: string, from: string | null, to: string, day: number) => ({
        funnelId: 'lifecycle',
        profileId,
        fromStage: from,
        toStage: to,
        at: at(day),
      });
      await store.commit(
        changes({
          stageHistory: [
            row('p1', null, 'interest', 5),
            row('p2', null, 'interest', 1),
            row('p1', 'interest', 'action', 6),
          ],
        }),
        1,
      );
      // A late event re-dated p1's changes (and the merged p3's rows go with them).
      await store.commit(
        changes({
          replaceStageHistory: [
            { funnelId: 'lifecycle', profileId: 'p1' },
            { funnelId: 'lifecycle', profileId: 'p3' },
          ],
          stageHistory: [row('p1', null, 'interest', 2), row('p1', 'interest', 'action', 4)],
        }),
        2,
      );
      const history = await store.stageHistoryOf('lifecycle');
      expect(history.map((h) => [h.profileId, h.toStage, h.at])).toEqual([
        ['p2', 'interest', at(1)],
        ['p1', 'interest', at(2)],
        ['p1', 'action', at(4)],
      ]);
    });

    it('commits members, history, stages, states, outbox, meta and the offset together', async () => {
      expect(await store.getOffset()).toBe(0);
      await store.commit(
        changes({
          states: [
            { profileId: 'p1', state: { version: 1, n: [1.5, -0] }, nextCheckAt: T0 + 5, evaluatedAt: T0 },
          ],
          addMembers: [member('vip', 'p1'), member('vip', 'p2'), member('vip', 'p1', 7)],
          history: [
            { segmentId: 'vip', profileId: 'p1', change: 'entered', at: at(1), reason: 'first' },
            { segmentId: 'vip', profileId: 'p1', change: 'exited', at: at(2), reason: 'second' },
            { segmentId: 'vip', profileId: 'p1', change: 'entered', at: at(3), reason: 'third' },
          ],
          setStages: [{ funnelId: 'lifecycle', profileId: 'p1', stage: 'action', since: at(4) }],
          stageHistory: [
            { funnelId: 'lifecycle', profileId: 'p1', fromStage: null, toStage: 'interest', at: at(3) },
            { funnelId: 'lifecycle', profileId: 'p1', fromStage: 'interest', toStage: 'action', at: at(4) },
          ],
          outbox: [
            { messageId: 'm2', json: '{"n":2}', createdAt: at(5) },
            { messageId: 'm1', json: '{"n":1}', createdAt: at(5) },
          ],
          meta: { built: { 'segment:vip': 1 } },
        }),
        42,
      );
      expect(await store.getOffset()).toBe(42);
      expect(await store.memberCounts()).toEqual(new Map([['vip', 2]]));
      // The last change to a row in one commit wins.
      expect(await store.membershipsOfProfile('p1')).toEqual([member('vip', 'p1', 7)]);
      expect((await store.historyOf('vip', 'p1')).map((h) => h.reason)).toEqual(['first', 'second', 'third']);
      expect(await store.historyOf('vip')).toHaveLength(3);
      expect(await store.stagesOf(['p1', 'nobody'])).toEqual([
        { funnelId: 'lifecycle', profileId: 'p1', stage: 'action', since: at(4) },
      ]);
      expect((await store.stageHistoryOf('lifecycle')).map((h) => h.toStage)).toEqual(['interest', 'action']);
      const state = (await store.loadStates(['p1', 'p9'])).get('p1');
      expect(state).toEqual({
        profileId: 'p1',
        state: { version: 1, n: [1.5, 0] },
        nextCheckAt: T0 + 5,
        evaluatedAt: T0,
      });
      expect((await store.outbox(10)).map((o) => o.messageId)).toEqual(['m2', 'm1']);
      expect(await store.getMeta('built')).toEqual({ 'segment:vip': 1 });

      await store.commit(
        changes({
          removeMembers: [{ segmentId: 'vip', profileId: 'p2' }],
          removeStages: [{ funnelId: 'lifecycle', profileId: 'p1' }],
          deleteStates: ['p1'],
          outbox: [{ messageId: 'm1', json: '{"n":"again"}', createdAt: at(6) }],
        }),
        43,
      );
      expect(await store.listMembers('vip', { limit: 10 })).toEqual([member('vip', 'p1', 7)]);
      expect(await store.stagesOf(['p1'])).toEqual([]);
      expect(await store.loadStates(['p1'])).toEqual(new Map());
      // Outbox entries are deduped by messageId: the first one stays.
      expect(await store.outbox(10)).toEqual([
        { messageId: 'm2', json: '{"n":2}', createdAt: at(5) },
        { messageId: 'm1', json: '{"n":1}', createdAt: at(5) },
      ]);
      await store.removeFromOutbox(['m2']);
      expect((await store.outbox(10)).map((o) => o.messageId)).toEqual(['m1']);
    });

    it('keeps whose entry a pending outbox message is, so erasing the person removes it', async () => {
      await store.commit(
        changes({
          outbox: [
            { messageId: 'o1', json: '{"userId":"erased-person"}', createdAt: at(1), profileId: 'p1' },
            { messageId: 'o2', json: '{"userId":"someone-else"}', createdAt: at(1), profileId: 'p2' },
          ],
        }),
        3,
      );
      await opened.state.eraseProfiles(['p1']);
      expect((await store.outbox(10)).map((o) => o.messageId)).toEqual(['o2']);
    });

    it('counts entries and exits per segment and UTC day from a day on, in SQL', async () => {
      const day = (d: number, time = '12:00:00.000') => `2026-03-${String(d).padStart(2, '0')}T${time}Z`;
      const h = (segmentId: string, profileId: string, change: 'entered' | 'exited', when: string) => ({
        segmentId,
        profileId,
        change,
        at: when,
        reason: 'r',
      });
      await store.commit(
        changes({
          history: [
            h('vip', 'p1', 'entered', day(1)),
            h('vip', 'p2', 'entered', day(2, '00:00:00.000')),
            h('vip', 'p3', 'entered', day(2, '23:59:59.999')),
            h('vip', 'p1', 'exited', day(2, '10:00:00.000')),
            h('vip', 'p4', 'entered', day(4)),
            h('vip_2', 'p1', 'entered', day(3)),
            h('vip-2', 'p1', 'exited', day(3)),
          ],
        }),
        1,
      );
      expect(await store.membershipByDay('2026-03-02', 'vip')).toEqual([
        { segmentId: 'vip', day: '2026-03-02', entered: 2, exited: 1 },
        { segmentId: 'vip', day: '2026-03-04', entered: 1, exited: 0 },
      ]);
      // Every segment, in byte order of id ('-' before '_') then day; the day before is left out.
      expect(await store.membershipByDay('2026-03-03')).toEqual([
        { segmentId: 'vip', day: '2026-03-04', entered: 1, exited: 0 },
        { segmentId: 'vip-2', day: '2026-03-03', entered: 0, exited: 1 },
        { segmentId: 'vip_2', day: '2026-03-03', entered: 1, exited: 0 },
      ]);
      expect(await store.membershipByDay('2026-03-05')).toEqual([]);
      await store.deleteSegment('vip');
      expect(await store.membershipByDay('2026-03-01', 'vip')).toEqual([]);
    });

    it('pages members and states in byte order of profile id, and finds due re-checks earliest first', async () => {
      const ids = ['b', 'B', 'a', 'é', 'a-1', 'Z'];
      await store.commit(
        changes({
          addMembers: ids.map((id) => member('s', id)),
          states: ids.map((id, i) => ({
            profileId: id,
            state: {},
            nextCheckAt: i % 2 === 0 ? T0 + 100 - i : null,
            evaluatedAt: T0,
          })),
        }),
        1,
      );
      const byteOrder = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      const first = await store.listMembers('s', { limit: 4 });
      const rest = await store.listMembers('s', { afterId: first.at(-1)?.profileId as string, limit: 4 });
      expect([...first, ...rest].map((m) => m.profileId)).toEqual(byteOrder);
      const page = await store.pageStates('', 3);
      const next = await store.pageStates(page.at(-1)?.profileId as string, 10);
      expect([...page, ...next].map((s) => s.profileId)).toEqual(byteOrder);
      expect((await store.membersOf('s', ['a', 'nobody', 'Z'])).map((m) => m.profileId).sort()).toEqual([
        'Z',
        'a',
      ]);
      expect(await store.dueRechecks(T0 + 100, 10)).toEqual(['a-1', 'a', 'b']);
      expect(await store.dueRechecks(T0 + 97, 10)).toEqual(['a-1']);
    });

    it('maps merged-away profiles to the profile they ended in, chains followed', async () => {
      await opened.state.withProcessorLock('profiles', async (tx) => {
        await tx.write({
          profiles: [profile('winner', null), profile('middle', 'winner'), profile('first', 'middle')],
          identities: [],
          merges: [],
        });
      });
      expect(await store.profileMap()).toEqual(
        new Map([
          ['middle', 'winner'],
          ['first', 'winner'],
        ]),
      );
    });

    it('counts the funnel report in SQL exactly as funnelTallies does over the rows (random histories, merges, cohorts)', async () => {
      // Each run writes under its own ids (profiles, funnel, segment), so runs share one store.
      let run = 0;
      const pool = ['s0', 's1', 's2', 's3', 'gone'];
      const stage = fc.option(fc.constantFrom(...pool), { nil: null });
      const MONTH = Date.parse('2026-03-01T00:00:00.000Z');
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            stages: fc.integer({ min: 1, max: 4 }),
            profiles: fc.integer({ min: 1, max: 6 }),
            merges: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
            current: fc.array(stage, { minLength: 6, maxLength: 6 }),
            history: fc.array(
              fc.record({
                who: fc.nat(),
                follow: fc.boolean(),
                from: stage,
                to: stage,
                minute: fc.integer({ min: 0, max: 40 }),
                ms: fc.constantFrom(0, 1, 499, 999),
                elsewhere: fc.boolean(),
              }),
              { maxLength: 60, size: 'max' },
            ),
            cohort: fc.constantFrom('none', 'segment', 'firstSeen', 'profiles'),
            picked: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
            firstSeenDays: fc.array(fc.integer({ min: -40, max: 40 }), { minLength: 6, maxLength: 6 }),
          }),
          async (world) => {
            run++;
            const id = (i: number) => `r${run}-p${i}`;
            const ids = Array.from({ length: world.profiles }, (_, i) => id(i));
            const funnel: FunnelDefinition = {
              id: `f${run}`,
              name: 'F',
              stages: pool.slice(0, world.stages).map((s) => ({ id: s, name: s.toUpperCase() })),
            } as FunnelDefinition;
            // Merges only into a later profile: chains, never cycles.
            const mergedInto = ids.map((_, i) => {
              const k = (world.merges[i] ?? 0) % (world.profiles - i);
              return k === 0 ? null : id(i + k);
            });
            await opened.state.withProcessorLock('profiles', async (tx) => {
              await tx.write({
                profiles: ids.map((p, i) => profile(p, mergedInto[i] ?? null)),
                identities: [],
                merges: [],
              });
            });
            const last = new Map<string, string | null>();
            const stageHistory = world.history.map((h) => {
              const profileId = id(h.who % world.profiles);
              const fromStage = h.follow ? (last.get(profileId) ?? null) : h.from;
              if (!h.elsewhere) last.set(profileId, h.to);
              return {
                funnelId: h.elsewhere ? `other${run}` : funnel.id,
                profileId,
                fromStage,
                toStage: h.to,
                at: new Date(T0 + h.minute * 60_000 + h.ms).toISOString(),
              };
            });
            const picked = ids.filter((_, i) => world.picked[i]);
            await store.commit(
              changes({
                setStages: ids.flatMap((p, i) => {
                  const now = world.current[i] ?? null;
                  return now === null
                    ? []
                    : [{ funnelId: funnel.id, profileId: p, stage: now, since: at(0) }];
                }),
                stageHistory,
                addMembers: world.cohort === 'segment' ? picked.map((p) => member(`seg${run}`, p)) : [],
                states: ids.map((p, i) => ({
                  profileId: p,
                  state: { firstSeenMs: MONTH + (world.firstSeenDays[i] ?? 0) * 86_400_000 },
                  nextCheckAt: null,
                  evaluatedAt: null,
                })),
              }),
              run,
            );
            // As the report picked the cohort before it counted in SQL: the UTC month the instant prints.
            const inMarch = ids.filter(
              (_, i) =>
                new Date(MONTH + (world.firstSeenDays[i] ?? 0) * 86_400_000).toISOString().slice(0, 7) ===
                '2026-03',
            );
            const [filter, members]: [FunnelCohortFilter | null, Set<string> | null] =
              world.cohort === 'segment'
                ? [{ kind: 'segment', segmentId: `seg${run}` }, new Set(picked)]
                : world.cohort === 'firstSeen'
                  ? [
                      { kind: 'firstSeen', fromMs: MONTH, toMs: Date.parse('2026-04-01T00:00:00.000Z') },
                      new Set(inMarch),
                    ]
                  : world.cohort === 'profiles'
                    ? [{ kind: 'profiles', profileIds: picked }, new Set(picked)]
                    : [null, null];
            const expected = funnelTallies(
              funnel,
              await store.allStages(funnel.id),
              await store.stageHistoryOf(funnel.id),
              members,
              await store.profileMap(),
            );
            const stageIds = funnel.stages.map((s) => s.id);
            expect(await store.funnelTallies(funnel.id, stageIds, filter)).toEqual(expected);
          },
        ),
        { numRuns: 60 },
      );
    }, 120_000);

    it('runs a step alone, and a step that fails leaves nothing behind', async () => {
      const peer = await opened.openPeer();
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered: () => void = () => {};
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const first = store.exclusive(async () => {
        // Entered after the step has written its offset row: a peer must skip a step that
        // holds an updated row too, not wait behind it.
        await store.commit(changes({ addMembers: [member('s', 'p1')] }), 5);
        entered();
        await held;
        return 'first';
      });
      await inside;
      const second = await peer.exclusive(async () => 'second');
      release();
      expect(await first).toBe('first');
      // PostgreSQL: the peer skipped while the offset row was held. The embedded engine has
      // one process and no lock: the peer ran.
      expect(second).toBe(engine.name === 'postgres' ? undefined : 'second');
      expect(await peer.getOffset()).toBe(5);

      const failing = store.exclusive(async () => {
        await store.commit(changes({ addMembers: [member('s', 'p2')] }), 6);
        throw new Error('step failed');
      });
      await expect(failing).rejects.toThrow('step failed');
      if (engine.name === 'postgres') {
        expect(await store.getOffset()).toBe(5);
        expect(await store.membersOf('s', ['p2'])).toEqual([]);
      }
      expect(await peer.exclusive(async () => 'free again')).toBe('free again');
    });
  });
}
