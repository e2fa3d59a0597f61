// The conductor store's contract over both engines: versions, compare-and-set instance writes,
// one active trip per person and journey, timers, outbox claims (one process each, interrupted
// rows come back flagged), cap reservations that refuse a stale count, the decision log.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { ConductorStore, InstanceWrite, OutboxEntry, StoredInstance } from '../../src/store/index.ts';
import { SqliteConductorStore } from '../../src/store/index.ts';
import { PostgresConductorStore } from '../../src/store/postgres/conductor.ts';
import { quoteIdent } from '../../src/store/postgres/sql.ts';

const postgresUrl = inject('postgresUrl');
const at = (minutes: number) =>
  new Date(Date.parse('2026-03-02T10:00:00.000Z') + minutes * 60_000).toISOString();

interface Opened {
  store: ConductorStore;
  peer(): Promise<ConductorStore>;
  close(): Promise<void>;
}

const ENGINES: Array<{ name: string; skip: string; open(): Promise<Opened> }> = [
  {
    name: 'sqlite',
    skip: '',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'rapport-conductor-'));
      const store = new SqliteConductorStore(join(dir, 'state.sqlite'));
      return {
        store,
        peer: async () => store,
        async close() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: postgresUrl ? '' : inject('postgresSkipReason'),
    async open() {
      const schema = `conductor_${randomBytes(6).toString('hex')}`;
      const store = await PostgresConductorStore.open(postgresUrl, { schema });
      const peers: ConductorStore[] = [];
      return {
        store,
        async peer() {
          const peer = await PostgresConductorStore.open(postgresUrl, { schema });
          peers.push(peer);
          return peer;
        },
        async close() {
          for (const peer of peers) await peer.close();
          await store.close();
          const pool = new pg.Pool({ connectionString: postgresUrl });
          await pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
          await pool.end();
        },
      };
    },
  },
];

function instance(id: string, extra: Partial<StoredInstance> = {}): StoredInstance {
  return {
    instanceId: id,
    journeyId: 'j',
    journeyVersion: 1,
    profileId: 'p1',
    revision: 1,
    active: true,
    stepId: 'wait',
    body: { instanceId: id },
    enteredAt: at(0),
    exitedAt: null,
    exitReason: null,
    ...extra,
  };
}

function outbox(key: string, extra: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    idempotencyKey: key,
    profileId: 'p1',
    journeyId: 'j',
    instanceId: 'i1',
    stepId: 'send',
    origin: 'journey',
    kind: 'message',
    payload: { key },
    createdAt: at(0),
    nextAttemptAt: at(0),
    ...extra,
  };
}

function write(
  row: StoredInstance,
  expectedRevision: number | null,
  extra: Partial<InstanceWrite> = {},
): InstanceWrite {
  return {
    instance: row,
    expectedRevision,
    timers: [],
    cancelTimers: [],
    outbox: [],
    stepPasses: {},
    ...extra,
  };
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== '')(`conductor store: ${engine.name}`, () => {
    let opened: Opened;
    let store: ConductorStore;
    beforeEach(async () => {
      opened = await engine.open();
      store = opened.store;
      await store.saveJourney('j', 1, { id: 'j', version: 1 }, at(0));
    });
    afterEach(async () => opened.close());

    it('keeps every saved version and lists the latest; status changes', async () => {
      await store.saveJourney('j', 2, { id: 'j', version: 2 }, at(1));
      expect(await store.getJourneyVersion('j', 1)).toEqual({ id: 'j', version: 1 });
      await store.saveJourney('other', 1, { id: 'other', version: 1, name: 'Not j' }, at(1));
      await store.saveJourney('j', 3, { id: 'j', version: 3, name: 'Third' }, at(3));
      expect(await store.listJourneyVersions('j')).toEqual([
        { version: 3, savedAt: at(3), name: 'Third' },
        { version: 2, savedAt: at(1), name: null },
        { version: 1, savedAt: at(0), name: null },
      ]);
      expect(await store.listJourneyVersions('nope')).toEqual([]);
      expect(await store.listVersionKeys()).toEqual([
        { journeyId: 'j', version: 1 },
        { journeyId: 'j', version: 2 },
        { journeyId: 'j', version: 3 },
        { journeyId: 'other', version: 1 },
      ]);
      expect((await store.getJourney('j'))?.version).toBe(3);
      expect(await store.setJourneyStatus('j', 'paused', at(2))).toBe(true);
      expect((await store.listJourneys()).map((j) => [j.journeyId, j.status])).toEqual([
        ['j', 'paused'],
        ['other', 'active'],
      ]);
      expect(await store.setJourneyStatus('nope', 'paused', at(2))).toBe(false);
    });

    it('writes an instance once, then only from the revision it was read at', async () => {
      const first = instance('i1');
      expect(
        await store.withTransaction((tx) => tx.writeInstance(write(first, null, { stepPasses: { a: 1 } }))),
      ).toBe(true);
      expect(await store.withTransaction((tx) => tx.writeInstance(write(instance('i2'), null)))).toBe(false); // one active trip
      expect(await store.withTransaction((tx) => tx.writeInstance(write({ ...first, revision: 2 }, 5)))).toBe(
        false,
      );
      const done = {
        ...first,
        revision: 2,
        active: false,
        exitedAt: at(3),
        exitReason: 'completed',
        stepId: 'end',
      };
      expect(
        await store.withTransaction((tx) =>
          tx.writeInstance(write(done, 1, { stepPasses: { a: 1, end: 1 } })),
        ),
      ).toBe(true);
      expect(await store.withTransaction((tx) => tx.entryHistory('j', 'p1'))).toEqual({
        active: false,
        entries: 1,
        lastExitAt: at(3),
      });
      const stats = await store.journeyStats('j');
      expect(stats).toMatchObject({
        entered: 1,
        active: 0,
        completed: 1,
        steps: { a: { current: 0, passed: 2 } },
      });
    });

    it("lists a person's trips over several profile ids, latest entered first, limited", async () => {
      await store.saveJourney('k', 1, { id: 'k', version: 1 }, at(0));
      const trips = [
        instance('i1', { enteredAt: at(1), active: false, exitedAt: at(2), exitReason: 'completed' }),
        instance('i2', { enteredAt: at(3) }),
        instance('i3', { journeyId: 'k', profileId: 'p0', enteredAt: at(2), stepId: 'send' }),
        instance('i4', { journeyId: 'k', profileId: 'p9', enteredAt: at(9) }),
      ];
      for (const trip of trips)
        expect(await store.withTransaction((tx) => tx.writeInstance(write(trip, null)))).toBe(true);
      const listed = await store.instancesOfProfiles(['p1', 'p0'], 10);
      expect(listed.map((t) => [t.instanceId, t.profileId, t.active, t.stepId, t.exitReason])).toEqual([
        ['i2', 'p1', true, 'wait', null],
        ['i3', 'p0', true, 'send', null],
        ['i1', 'p1', false, 'wait', 'completed'],
      ]);
      expect(listed[2]).toEqual(trips[0]);
      expect((await store.instancesOfProfiles(['p1', 'p0'], 2)).map((t) => t.instanceId)).toEqual([
        'i2',
        'i3',
      ]);
      expect(await store.instancesOfProfiles([], 10)).toEqual([]);
      expect(await store.instancesOfProfiles(['nobody'], 10)).toEqual([]);
    });

    it('hands due timers of active journeys to one transaction at a time, and cancels them', async () => {
      const timers = [
        { token: 't1', instanceId: 'i1', journeyId: 'j', profileId: 'p1', dueAt: at(5) },
        { token: 't2', instanceId: 'i1', journeyId: 'j', profileId: 'p1', dueAt: at(50) },
      ];
      await store.withTransaction((tx) => tx.writeInstance(write(instance('i1'), null, { timers })));
      expect(await store.withDueTimers(at(10), 10, async (_tx, due) => due.map((t) => t.token))).toEqual([
        't1',
      ]);
      await store.setJourneyStatus('j', 'paused', at(10));
      expect(await store.withDueTimers(at(60), 10, async (_tx, due) => due.length)).toBe(0);
      await store.setJourneyStatus('j', 'active', at(10));
      const peer = await opened.peer();
      // While one transaction holds the due timers, a peer process sees none of them (SKIP LOCKED).
      const seenByPeer = await store.withDueTimers(at(60), 10, async (tx, due) => {
        const other =
          engine.name === 'postgres' ? await peer.withDueTimers(at(60), 10, async (_t, d) => d.length) : 0;
        await tx.deleteTimer('t1');
        return { mine: due.length, other };
      });
      expect(seenByPeer).toEqual({ mine: 2, other: 0 });
      expect((await store.pendingTimers('i1')).map((t) => t.token)).toEqual(['t2']);
    });

    it('gives a processor to one step at a time, and a peer skips it rather than waits', async () => {
      const peer = await opened.peer();
      const result = await store.withProcessor('journeys', async (tx, offset) => {
        expect(offset).toBe(0);
        // The offset row is already updated when the peer tries: PostgreSQL must skip, not
        // wait behind this transaction (a wait here would hang the test).
        await tx.setOffset(9);
        const other =
          engine.name === 'postgres'
            ? await peer.withProcessor('journeys', async () => 'peer ran')
            : 'skipped';
        return other ?? 'skipped';
      });
      expect(result).toBe('skipped');
      expect(await peer.getOffset('journeys')).toBe(9);
      await expect(
        store.withProcessor('journeys', async (tx) => {
          await tx.setOffset(12);
          throw new Error('step failed');
        }),
      ).rejects.toThrow('step failed');
      expect(await peer.withProcessor('journeys', async (_tx, offset) => offset)).toBe(9);
    });

    it('queues each idempotency key once and gives each due row to one claimer', async () => {
      expect(
        await store.enqueue([outbox('k1'), outbox('k2'), outbox('k3', { nextAttemptAt: at(100) })]),
      ).toBe(3);
      expect(await store.enqueue([outbox('k1')])).toBe(0);
      const peer = await opened.peer();
      const [mine, theirs] = await Promise.all([
        store.claimOutbox(at(1), 10, 600_000),
        peer.claimOutbox(at(1), 10, 600_000),
      ]);
      const claimed = [...mine, ...theirs].map((r) => r.idempotencyKey).sort();
      expect(claimed).toEqual(['k1', 'k2']);
      expect(await store.claimOutbox(at(2), 10, 600_000)).toEqual([]);
      // k1 is handed to its channel under the claim's lease; k2 never is.
      const k1 = [...mine, ...theirs].find((r) => r.idempotencyKey === 'k1')!;
      expect(await store.startDelivery(k1.id, k1.leaseUntil!, at(1))).toBe(true);
      // A lease that ran out: a row that was being delivered comes back flagged as interrupted
      // (in doubt); one that was only claimed comes back to be processed like a queued row.
      const back = await store.claimOutbox(at(12), 10, 60_000);
      expect(back.map((r) => [r.idempotencyKey, r.interrupted])).toEqual([
        ['k1', true],
        ['k2', false],
      ]);
      // The first claimer's lease is gone: it may no longer start a delivery of k2.
      expect(await store.startDelivery(k1.id, k1.leaseUntil!, at(12))).toBe(false);
      const row = back[0]!;
      await store.updateOutbox(row.id, {
        status: 'sent',
        attempts: 1,
        sentAt: at(62),
        channel: 'email',
        updatedAt: at(62),
      });
      expect(await store.getOutbox('k1')).toMatchObject({
        status: 'sent',
        attempts: 1,
        channel: 'email',
        leaseUntil: null,
      });
      expect((await store.listOutbox({ status: 'sent', limit: 10 })).map((r) => r.idempotencyKey)).toEqual([
        'k1',
      ]);
    });

    it('reserves cap slots only from the count it read, all or nothing, and gives them back', async () => {
      expect(await store.reserveCaps('p1', [{ key: 'email:day:2026-03-02', from: 0, to: 1 }])).toBe(true);
      expect(await store.reserveCaps('p1', [{ key: 'email:day:2026-03-02', from: 0, to: 1 }])).toBe(false);
      expect(
        await store.reserveCaps('p1', [
          { key: 'all:week:2026-03-02', from: 0, to: 1 },
          { key: 'email:day:2026-03-02', from: 0, to: 1 },
        ]),
      ).toBe(false);
      expect(await store.capCounts('p1', ['email:day:2026-03-02', 'all:week:2026-03-02'])).toEqual({
        'email:day:2026-03-02': 1,
      });
      await store.releaseCaps('p1', ['email:day:2026-03-02']);
      expect(await store.capCounts('p1', ['email:day:2026-03-02'])).toEqual({ 'email:day:2026-03-02': 0 });
    });

    it('logs decisions, queryable per person and per journey, newest first', async () => {
      const base = { at: at(0), stepId: 's', channel: 'email', until: null };
      await store.logDecisions([
        {
          ...base,
          profileId: 'p1',
          journeyId: 'j',
          idempotencyKey: 'k1',
          action: 'send',
          code: 'send',
          reason: 'send: consent granted for email',
        },
        {
          ...base,
          profileId: 'p2',
          journeyId: 'j',
          idempotencyKey: 'k2',
          action: 'defer',
          code: 'quiet_hours',
          reason: 'deferred: quiet hours until 08:00 Europe/Paris',
        },
        {
          ...base,
          profileId: 'p1',
          journeyId: 'other',
          idempotencyKey: 'k3',
          action: 'drop',
          code: 'consent_denied',
          reason: 'dropped',
        },
      ]);
      expect(
        (await store.listDecisions({ profileId: 'p1', limit: 10 })).map((d) => d.idempotencyKey),
      ).toEqual(['k3', 'k1']);
      expect((await store.listDecisions({ journeyId: 'j', limit: 10 })).map((d) => d.code)).toEqual([
        'quiet_hours',
        'send',
      ]);
    });

    it('counts distinct messages per action by channel, journey and code within a time range', async () => {
      const row = (minutes: number, key: string, action: string, code: string, extra: object = {}) => ({
        at: at(minutes),
        profileId: 'p1',
        journeyId: 'j' as string | null,
        stepId: 's',
        idempotencyKey: key,
        channel: 'email' as string | null,
        action,
        code,
        reason: code,
        until: null,
        ...extra,
      });
      await store.logDecisions([
        row(-1, 'before', 'send', 'send'),
        row(0, 'k1', 'defer', 'quiet_hours'),
        // Deferred twice for one reason, then sent: one deferred message, one sent.
        row(5, 'k1', 'defer', 'quiet_hours'),
        row(10, 'k1', 'send', 'send'),
        row(11, 'k2', 'defer', 'fatigue_cap', { channel: 'sms' }),
        row(12, 'k3', 'drop', 'consent_denied', { journeyId: null }),
        row(13, 'k4', 'drop', 'consent_denied', { journeyId: null, channel: 'sms' }),
        row(14, 'k5', 'fail', 'failed'),
        row(60, 'after', 'send', 'send'),
      ]);
      const counts = await store.countDecisions(at(0), at(60));
      expect(counts.total).toEqual({ send: 1, defer: 2, drop: 2, fail: 1 });
      const sorted = <T>(rows: T[]) =>
        [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(sorted(counts.byChannel)).toEqual(
        sorted([
          { channel: 'email', action: 'defer', messages: 1 },
          { channel: 'email', action: 'send', messages: 1 },
          { channel: 'email', action: 'drop', messages: 1 },
          { channel: 'email', action: 'fail', messages: 1 },
          { channel: 'sms', action: 'defer', messages: 1 },
          { channel: 'sms', action: 'drop', messages: 1 },
        ]),
      );
      expect(sorted(counts.byJourney)).toEqual(
        sorted([
          { journeyId: 'j', action: 'defer', messages: 2 },
          { journeyId: 'j', action: 'send', messages: 1 },
          { journeyId: 'j', action: 'fail', messages: 1 },
          { journeyId: null, action: 'drop', messages: 2 },
        ]),
      );
      expect(sorted(counts.byCode)).toEqual(
        sorted([
          { action: 'defer', code: 'quiet_hours', messages: 1 },
          { action: 'defer', code: 'fatigue_cap', messages: 1 },
          { action: 'drop', code: 'consent_denied', messages: 2 },
        ]),
      );
      expect(await store.countDecisions(at(1000), at(2000))).toEqual({
        total: {},
        byChannel: [],
        byJourney: [],
        byCode: [],
      });
    });

    it('moves a schedule mark only from the value it had', async () => {
      expect(await store.moveScheduleMark('s', undefined, 'a')).toBe(true);
      expect(await store.moveScheduleMark('s', undefined, 'b')).toBe(false);
      expect(await store.moveScheduleMark('s', 'a', 'b')).toBe(true);
      expect(await store.getScheduleMark('s')).toBe('b');
    });
  });
}
