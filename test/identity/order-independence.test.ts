// Property: the same messages in any order, applied in batches of any size, give the same
// final profiles, and those profiles are exactly the connected components of the
// identifiers the messages link (as long as no identity limit is hit).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePayload, type SegmentMessage } from '../../src/events/index.ts';
import { DEFAULT_IDENTITY_CONFIG, identityKeysOf } from '../../src/identity/index.ts';
import { runProfilesStep } from '../../src/pipeline/index.ts';
import { type IdentityKey, SqliteStateStore, sqlitePathsIn } from '../../src/store/index.ts';

interface Person {
  userId: string;
  email: string;
  anonymousIds: string[];
}

const people: Person[] = Array.from({ length: 5 }, (_, p) => ({
  userId: `user-${p}`,
  email: `Person${p}@Example.com`,
  anonymousIds: [`anon-${p}-a`, `anon-${p}-b`, `anon-${p}-c`],
}));

const timestamp = fc
  .integer({ min: 0, max: 10_000 })
  .map((s) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString());

const messageArb = fc
  .record({
    person: fc.integer({ min: 0, max: people.length - 1 }),
    anon: fc.integer({ min: 0, max: 2 }),
    kind: fc.constantFrom(
      'track-anon',
      'track-user',
      'identify-both',
      'identify-anon-email',
      'alias',
      'page-anon',
    ),
    plan: fc.constantFrom('free', 'pro', 'team'),
    timestamp,
  })
  .map(({ person, anon, kind, plan, timestamp }) => {
    const who = people[person] as Person;
    const anonymousId = who.anonymousIds[anon] as string;
    switch (kind) {
      case 'track-anon':
        return { type: 'track', anonymousId, event: 'Product Viewed', timestamp };
      case 'track-user':
        return { type: 'track', userId: who.userId, event: 'Order Completed', timestamp };
      case 'identify-both':
        return { type: 'identify', userId: who.userId, anonymousId, traits: { plan }, timestamp };
      case 'identify-anon-email':
        return { type: 'identify', anonymousId, traits: { email: who.email, plan }, timestamp };
      case 'alias':
        return { type: 'alias', userId: who.userId, previousId: anonymousId, timestamp };
      default:
        return { type: 'page', anonymousId, name: 'Home', timestamp };
    }
  });

function normalise(raw: object[]): SegmentMessage[] {
  let id = 0;
  const parsed = parsePayload({ batch: raw }, 'batch', {
    receivedAt: new Date('2026-06-01T00:00:00Z'),
    newMessageId: () => `m-${String(id++).padStart(5, '0')}`,
  });
  expect(parsed.rejected).toEqual([]);
  return parsed.accepted.map((a) => a.message);
}

/** The expected partition: union-find over the identifiers each message carries. */
function components(messages: SegmentMessage[]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    if (!parent.has(x)) parent.set(x, x);
    const p = parent.get(x) as string;
    if (p === x) return x;
    const root = find(p);
    parent.set(x, root);
    return root;
  };
  for (const message of messages) {
    const keys = identityKeysOf(message, DEFAULT_IDENTITY_CONFIG).map((k) => `${k.kind}:${k.value}`);
    if (message.type === 'alias') keys.push(`anonymous_id:${message.previousId}`);
    const first = find(keys[0] as string);
    for (const key of keys.slice(1)) parent.set(find(key), first);
  }
  return new Map([...parent.keys()].map((k) => [k, find(k)]));
}

function allKeys(): IdentityKey[] {
  return people.flatMap((p) => [
    { kind: 'user_id', value: p.userId },
    { kind: 'email', value: p.email.toLowerCase() },
    ...p.anonymousIds.map((value) => ({ kind: 'anonymous_id', value })),
  ]);
}

async function replay(messages: SegmentMessage[], batchSize: number) {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-order-'));
  const state = new SqliteStateStore(sqlitePathsIn(dir));
  try {
    await state.log.append(
      messages.map((m) => ({
        messageId: m.messageId,
        source: 'test',
        receivedAt: m.receivedAt,
        json: JSON.stringify(m),
      })),
    );
    while ((await runProfilesStep(state, { batchSize, identity: DEFAULT_IDENTITY_CONFIG })) > 0) {}
    const identities = await state.findIdentities(allKeys());
    const byProfile = new Map<string, string[]>();
    for (const identity of identities) {
      const list = byProfile.get(identity.profileId) ?? [];
      list.push(`${identity.kind}:${identity.value}`);
      byProfile.set(identity.profileId, list);
    }
    const profiles = [];
    for (const [profileId, keys] of byProfile) {
      const profile = await state.getProfile(profileId);
      expect(profile?.mergedInto).toBeNull();
      profiles.push({
        keys: keys.sort(),
        traits: Object.fromEntries(Object.entries(profile?.traits ?? {}).map(([k, t]) => [k, t.value])),
        eventCount: profile?.eventCount,
        firstSeen: profile?.firstSeen,
        lastSeen: profile?.lastSeen,
      });
    }
    return profiles.sort((a, b) => (a.keys[0] as string).localeCompare(b.keys[0] as string));
  } finally {
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('identity resolution is order-independent', () => {
  it('gives the same profiles for any order and batch size, equal to the connected components', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(messageArb, { minLength: 1, maxLength: 40 })
          .chain((raw) =>
            fc.tuple(fc.constant(raw), fc.shuffledSubarray([...raw.keys()], { minLength: raw.length })),
          ),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        async ([raw, permutation], batchA, batchB) => {
          const messages = normalise(raw);
          const shuffled = permutation.map((i) => messages[i] as SegmentMessage);
          const inOrder = await replay(messages, batchA);
          const reordered = await replay(shuffled, batchB);
          expect(reordered).toEqual(inOrder);

          const expected = components(messages);
          const groups = new Map<string, string[]>();
          for (const [key, root] of expected) groups.set(root, [...(groups.get(root) ?? []), key]);
          const expectedPartition = [...groups.values()]
            .map((keys) => keys.sort())
            .sort((a, b) => a[0]!.localeCompare(b[0]!));
          expect(inOrder.map((p) => p.keys)).toEqual(expectedPartition);
          expect(inOrder.reduce((sum, p) => sum + (p.eventCount ?? 0), 0)).toBe(messages.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});
