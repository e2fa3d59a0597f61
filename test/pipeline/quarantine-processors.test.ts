// The profiles and warehouse processors with the quarantine, on real stores of both engines.
// The poison is a real refusal where one exists: a log entry without a timestamp (written past
// the tracking API's validation, as an old version or another tool writing the shared log
// could) is refused by the store (SQLite: NOT NULL constraint failed: profiles.first_seen;
// PostgreSQL: 23502). Where a failure must come and go (replay after a fix, the guard), it is
// injected into the processor (src/pipeline/faults.ts), as a bug would throw.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InjectedFault } from '../../src/pipeline/faults.ts';
import { profilesProcessor, warehouseProcessor } from '../../src/pipeline/processors.ts';
import { isTransientError, type QuarantinePolicy, SystemicFailure } from '../../src/pipeline/quarantine.ts';
import {
  type QuarantinableProcessor,
  replayQuarantined,
  runGuardedStep,
} from '../../src/pipeline/quarantine-loop.ts';
import { DEFAULT_STEP_OPTIONS, type StepOptions } from '../../src/pipeline/steps.ts';
import type { LogEntry, StateStore } from '../../src/store/index.ts';
import { ENGINES, type OpenedStores } from '../store/engines.ts';

const policy: QuarantinePolicy = { retries: 1, retryDelayMs: 1, maxConsecutive: 10 };
const T = '2026-03-02T10:00:00.000Z';

function track(messageId: string, userId: string): LogEntry {
  const message = {
    type: 'track',
    messageId,
    userId,
    event: 'Viewed',
    properties: {},
    timestamp: T,
    receivedAt: T,
  };
  return { messageId, source: 'test', receivedAt: T, json: JSON.stringify(message) };
}

/** An identify the tracking API would have refused: no timestamp. The stores refuse it too. */
function withoutTimestamp(messageId: string, userId: string): LogEntry {
  const message = { type: 'identify', messageId, userId, traits: { plan: 'pro' }, receivedAt: T };
  return { messageId, source: 'test', receivedAt: T, json: JSON.stringify(message) };
}

const options = (faults?: InjectedFault[]): StepOptions => ({
  ...DEFAULT_STEP_OPTIONS,
  ...(faults ? { faults } : {}),
});

/** Guarded steps until one finds nothing to do (bounded: a loop that never ends is a failure). */
async function drain(processor: QuarantinableProcessor, custom = policy): Promise<number> {
  let total = 0;
  for (let i = 0; i < 50; i++) {
    const applied = await runGuardedStep(processor, custom);
    if (applied === 0) return total;
    total += applied;
  }
  throw new Error(`${processor.name} did not settle`);
}

async function owner(state: StateStore, userId: string): Promise<string | undefined> {
  return (await state.findIdentities([{ kind: 'user_id', value: userId }]))[0]?.profileId;
}

for (const engine of ENGINES)
  describe.skipIf(engine.skipReason !== '')(
    `quarantine in the processors on ${engine.name} ${engine.skipReason}`,
    () => {
      let stores: OpenedStores;
      beforeEach(async () => {
        stores = await engine.open();
      });
      afterEach(async () => stores.close());

      it('a message the store refuses is set aside; the messages before and after it land', async () => {
        const { state, events } = stores;
        await state.log.append([track('a-1', 'ann'), withoutTimestamp('bad-1', 'bob'), track('c-1', 'cid')]);
        const head = await state.log.headSeq();
        const profiles = profilesProcessor(state, options());
        expect(await drain(profiles)).toBe(3);
        expect(await state.getOffset('profiles')).toBe(head);
        expect(await owner(state, 'ann')).toBeDefined();
        expect(await owner(state, 'cid')).toBeDefined();
        expect(await owner(state, 'bob')).toBeUndefined();
        const [row] = await state.quarantine.list({ limit: 10 });
        expect(await state.quarantine.counts()).toEqual({ profiles: 1 });
        expect(row).toMatchObject({
          processor: 'profiles',
          seq: head - 1,
          messageId: 'bad-1',
          // A store's refusal of the content does not count toward the guard's run.
          consecutive: 0,
        });
        expect(row?.error).toMatch(
          /NOT NULL constraint failed: profiles\.first_seen|null value in column "first_seen"/,
        );
        expect(row?.stack).toContain('\n');
        expect(row?.attempts).toBeGreaterThanOrEqual(1);
        expect(JSON.parse(row?.body as string)).toMatchObject({ userId: 'bob', traits: { plan: 'pro' } });

        // The warehouse reads the same log behind profiles: it cannot store an event without a
        // time either, and sets the entry aside for itself.
        const warehouse = warehouseProcessor(state, events, options());
        expect(await drain(warehouse)).toBe(3);
        expect(await events.getOffset('warehouse')).toBe(head);
        const counts = await events.countByMessageId(['a-1', 'bad-1', 'c-1']);
        expect([counts.get('a-1'), counts.get('bad-1') ?? 0, counts.get('c-1')]).toEqual([1, 0, 1]);
        expect(await state.quarantine.counts()).toEqual({ profiles: 1, warehouse: 1 });

        // A restart (a new connection on the same data) finds nothing to redo: no row is added
        // and no attempt counted again.
        const peer = await stores.openPeerState();
        expect(await drain(profilesProcessor(peer, options()))).toBe(0);
        expect(await drain(warehouse)).toBe(0);
        const after = await peer.quarantine.list({ limit: 10 });
        expect(after.map((r) => [r.processor, r.seq, r.attempts])).toEqual(
          (await state.quarantine.list({ limit: 10 })).map((r) => [r.processor, r.seq, r.attempts]),
        );
        expect(after).toHaveLength(2);
      });

      // Retries with backoff on several processors: over a minute on a loaded Citus cluster.
      it('sets aside every message the store refuses for its content, however many in a row', {
        timeout: 180_000,
      }, async () => {
        const { state, events } = stores;
        // Twelve refusals, past a guard of ten: none of them counts toward it.
        const bad = Array.from({ length: 12 }, (_, i) => withoutTimestamp(`bad-run-${i}`, `bob-${i}`));
        await state.log.append([...bad, track('after-run', 'ann')]);
        const head = await state.log.headSeq();
        expect(await drain(profilesProcessor(state, options()))).toBe(13);
        expect(await drain(warehouseProcessor(state, events, options()))).toBe(13);
        expect(await state.getOffset('profiles')).toBe(head);
        expect(await events.getOffset('warehouse')).toBe(head);
        expect(await owner(state, 'ann')).toBeDefined();
        expect(await state.quarantine.counts()).toEqual({ profiles: 12, warehouse: 12 });
        const rows = await state.quarantine.list({ limit: 50 });
        expect(new Set(rows.map((row) => row.consecutive))).toEqual(new Set([0]));
      });

      it('twelve identifies with 4,000-character userIds written past ingest do not stop profiles', async () => {
        // The tracking API refuses these now (RAPPORT_INGEST_FIELD_TOO_LONG); an older log, or
        // another tool writing it, may still hold them. PostgreSQL refuses each (54000: the
        // identities index row is over its size limit); SQLite stores them.
        const { state } = stores;
        const longIds = Array.from({ length: 12 }, () => randomBytes(2000).toString('hex'));
        const entries = longIds.map((userId, i) => {
          const message = {
            type: 'identify',
            messageId: `long-${i}`,
            userId,
            traits: {},
            timestamp: T,
            receivedAt: T,
          };
          return { messageId: `long-${i}`, source: 'test', receivedAt: T, json: JSON.stringify(message) };
        });
        await state.log.append([...entries, track('after-long', 'ann')]);
        const head = await state.log.headSeq();
        await drain(profilesProcessor(state, options()));
        expect(await state.getOffset('profiles')).toBe(head);
        expect(await owner(state, 'ann')).toBeDefined();
        const counts = await state.quarantine.counts();
        if (engine.name === 'postgres') {
          expect(counts).toEqual({ profiles: 12 });
          const [row] = await state.quarantine.list({ limit: 1 });
          expect(row?.error).toMatch(/^54000: index row size/);
        } else expect(counts).toEqual({});
      });

      it('a transient failure is never set aside: the step fails, nothing moves', async () => {
        const { state } = stores;
        await state.log.append([track('a-2', 'ann'), track('busy-2', 'bob'), track('c-2', 'cid')]);
        const profiles = profilesProcessor(
          state,
          options([{ processor: 'profiles', messageIds: ['busy-2'], kind: 'transient' }]),
        );
        for (let attempt = 0; attempt < 3; attempt++) {
          const failure = await runGuardedStep(profiles, policy).then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(isTransientError(failure)).toBe(true);
        }
        expect(await state.getOffset('profiles')).toBe(0);
        expect(await state.quarantine.counts()).toEqual({});
        // Once the cause is gone, everything lands.
        expect(await drain(profilesProcessor(state, options()))).toBe(3);
        expect(await owner(state, 'bob')).toBeDefined();
      });

      it('the guard stops setting aside after maxConsecutive in a row, and a good message ends a run', async () => {
        const { state } = stores;
        const ids = ['g-a', 'p-1', 'p-2', 'p-3', 'g-b', 'p-4'];
        await state.log.append(ids.map((id) => track(id, `user-${id}`)));
        const poison = ['p-1', 'p-2', 'p-3', 'p-4'];
        const faulty = profilesProcessor(state, options([{ processor: 'profiles', messageIds: poison }]));
        const guarded: QuarantinePolicy = { ...policy, maxConsecutive: 2 };
        expect(await runGuardedStep(faulty, guarded)).toBe(2); // g-a lands, p-1 set aside
        expect(await runGuardedStep(faulty, guarded)).toBe(1); // p-2 set aside: two in a row
        for (let attempt = 0; attempt < 2; attempt++)
          await expect(runGuardedStep(faulty, guarded)).rejects.toBeInstanceOf(SystemicFailure);
        expect((await state.quarantine.list({ limit: 10 })).map((r) => [r.messageId, r.consecutive])).toEqual(
          [
            ['p-1', 1],
            ['p-2', 2],
          ],
        );
        expect(await state.getOffset('profiles')).toBe(3);
        // The fix is deployed: p-3 and g-b land; p-4 fails alone again and starts a new run.
        const fixedButP4 = profilesProcessor(
          state,
          options([{ processor: 'profiles', messageIds: ['p-4'] }]),
        );
        expect(await drain(fixedButP4, guarded)).toBe(3);
        expect(await owner(state, 'user-p-3')).toBeDefined();
        expect((await state.quarantine.list({ limit: 10, processor: 'profiles' })).at(-1)).toMatchObject({
          messageId: 'p-4',
          consecutive: 1,
        });
      });

      it('replays a profiles message once the bug is fixed: failed replays count, the row goes once', async () => {
        const { state } = stores;
        await state.log.append([track('a-4', 'ann'), track('p-4', 'pia'), track('c-4', 'cid')]);
        const fault: InjectedFault[] = [{ processor: 'profiles', messageIds: ['p-4'] }];
        await drain(profilesProcessor(state, options(fault)));
        const [row] = await state.quarantine.list({ limit: 1 });
        const id = row?.id as number;
        const stillBroken = await replayQuarantined(profilesProcessor(state, options(fault)), id);
        expect(stillBroken).toMatchObject({
          outcome: 'failed',
          error: 'injected failure of profiles on p-4',
        });
        expect((await state.quarantine.get(id))?.attempts).toBe((row?.attempts as number) + 1);
        expect(await owner(state, 'pia')).toBeUndefined();

        const fixed = profilesProcessor(state, options());
        expect(await replayQuarantined(fixed, id)).toMatchObject({
          outcome: 'replayed',
          entry: { messageId: 'p-4' },
        });
        const pia = await owner(state, 'pia');
        expect(pia).toBeDefined();
        expect((await state.getProfile(pia as string))?.eventCount).toBe(1);
        expect(await state.quarantine.get(id)).toBeUndefined();
        // Twice is not applied twice.
        expect(await replayQuarantined(fixed, id)).toEqual({ outcome: 'gone' });
        expect((await state.getProfile(pia as string))?.eventCount).toBe(1);
        // The offset never moved back.
        expect(await state.getOffset('profiles')).toBe(await state.log.headSeq());
      });

      it('the warehouse sets aside idempotently and replays without storing an event twice', async () => {
        const { state, events } = stores;
        await state.log.append([track('a-5', 'ann'), track('w-5', 'wes'), track('c-5', 'cid')]);
        await drain(profilesProcessor(state, options()));
        const badSeq = (await state.log.read(1, 1))[0]?.seq as number;
        // A crash after the row was written and before the offset moved: the row is already there.
        await state.quarantine.put({
          processor: 'warehouse',
          seq: badSeq,
          messageId: 'w-5',
          source: 'test',
          receivedAt: T,
          body: track('w-5', 'wes').json,
          error: 'earlier',
          stack: null,
          firstFailedAt: T,
          lastFailedAt: T,
          attempts: 1,
          consecutive: 1,
        });
        const fault: InjectedFault[] = [{ processor: 'warehouse', messageIds: ['w-5'] }];
        expect(await drain(warehouseProcessor(state, events, options(fault)))).toBe(3);
        const rows = await state.quarantine.list({ limit: 10 });
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          seq: badSeq,
          firstFailedAt: T,
          error: 'injected failure of warehouse on w-5',
        });
        expect(rows[0]?.attempts).toBeGreaterThan(1);
        expect((await events.countByMessageId(['w-5'])).get('w-5') ?? 0).toBe(0);

        // The event was appended by a replay that crashed before removing the row: the next
        // replay does not append it again.
        const fixed = warehouseProcessor(state, events, options());
        const id = rows[0]?.id as number;
        expect(await replayQuarantined(fixed, id)).toMatchObject({ outcome: 'replayed' });
        expect((await events.countByMessageId(['w-5'])).get('w-5')).toBe(1);
        await state.quarantine.put({ ...(rows[0] as NonNullable<(typeof rows)[0]>) });
        const [again] = await state.quarantine.list({ limit: 1 });
        expect(await replayQuarantined(fixed, again?.id as number)).toMatchObject({ outcome: 'replayed' });
        expect((await events.countByMessageId(['w-5'])).get('w-5')).toBe(1);
        const [stored] = await events.eventsOf({
          profileIds: [(await owner(state, 'wes')) as string],
          limit: 5,
        });
        expect(stored).toMatchObject({ messageId: 'w-5', seq: badSeq });
        expect(await events.getOffset('warehouse')).toBe(await state.log.headSeq());
      });
    },
  );
