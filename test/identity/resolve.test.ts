import { describe, expect, it } from 'vitest';
import { parsePayload, type SegmentMessage } from '../../src/events/index.ts';
import { DEFAULT_IDENTITY_CONFIG, IdentityGraph, resolveIdentity } from '../../src/identity/index.ts';
import { applyMessage } from '../../src/profiles/index.ts';

function messages(raw: object[]): SegmentMessage[] {
  let n = 0;
  const parsed = parsePayload({ batch: raw }, 'batch', {
    receivedAt: new Date('2026-03-01T12:00:00Z'),
    newMessageId: () => `m${n++}`,
  });
  expect(parsed.rejected).toEqual([]);
  return parsed.accepted.map((a) => a.message);
}

function run(raw: object[], config = DEFAULT_IDENTITY_CONFIG) {
  const graph = new IdentityGraph([], []);
  let next = 0;
  const ctx = { config, newProfileId: () => `p${next++}`, now: '2026-03-01T12:00:00.000Z' };
  const resolved = messages(raw).map((message) => {
    const profileId = resolveIdentity(graph, message, ctx);
    applyMessage(graph.profile(profileId), message, 'test');
    return profileId;
  });
  return { graph, resolved, changes: graph.changes() };
}

describe('resolveIdentity', () => {
  it('joins anonymous history to the profile when the person identifies', () => {
    const { resolved, changes } = run([
      { type: 'track', anonymousId: 'a1', event: 'Product Viewed' },
      { type: 'identify', anonymousId: 'a1', userId: 'u1', traits: { email: 'Ann@X.com' } },
      { type: 'track', userId: 'u1', event: 'Order Completed' },
    ]);
    expect(new Set(resolved).size).toBe(1);
    const live = changes.profiles.filter((p) => p.mergedInto === null);
    expect(live).toHaveLength(1);
    expect(live[0]?.eventCount).toBe(3);
    expect(changes.identities.map((i) => `${i.kind}:${i.value}`).sort()).toEqual([
      'anonymous_id:a1',
      'email:ann@x.com',
      'user_id:u1',
    ]);
  });

  it('merges two known profiles on alias and records why', () => {
    const { resolved, changes } = run([
      { type: 'track', anonymousId: 'a1', event: 'Viewed' },
      { type: 'track', userId: 'u1', event: 'Bought' },
      { type: 'alias', userId: 'u1', previousId: 'a1' },
    ]);
    expect(resolved[0]).not.toBe(resolved[1]);
    const merge = changes.merges.find((m) => m.outcome === 'merged');
    expect(merge).toMatchObject({
      winnerId: resolved[1],
      loserId: resolved[0],
      messageId: 'm2',
      reason: 'alias',
    });
    const loser = changes.profiles.find((p) => p.profileId === resolved[0]);
    expect(loser?.mergedInto).toBe(resolved[1]);
    const winner = changes.profiles.find((p) => p.profileId === resolved[1]);
    expect(winner?.eventCount).toBe(3);
  });

  it("re-keys an alias's previousId to its userId under the default limits (Segment's alias)", () => {
    const { resolved, changes } = run([
      { type: 'track', userId: 'old-id', event: 'Viewed' },
      { type: 'track', userId: 'new-id', event: 'Bought' },
      { type: 'alias', userId: 'new-id', previousId: 'old-id' },
      { type: 'track', userId: 'old-id', event: 'Returned' },
    ]);
    expect(resolved[0]).not.toBe(resolved[1]);
    // The profile the userId names survives; the previousId's history and identity move into it.
    expect(changes.merges).toEqual([
      expect.objectContaining({
        outcome: 'merged',
        winnerId: resolved[1],
        loserId: resolved[0],
        reason: 'alias',
      }),
    ]);
    expect(resolved[2]).toBe(resolved[1]);
    expect(resolved[3]).toBe(resolved[1]);
    const owners = changes.identities.filter((i) => i.kind === 'user_id').map((i) => [i.value, i.profileId]);
    expect(owners.sort()).toEqual([
      ['new-id', resolved[1]],
      ['old-id', resolved[1]],
    ]);
    expect(changes.profiles.find((p) => p.profileId === resolved[1])?.eventCount).toBe(4);
  });

  it('links a new userId to the profile of the previousId it aliases', () => {
    const { resolved, changes } = run([
      { type: 'identify', userId: 'old-id', traits: { email: 'ann@x.com' } },
      { type: 'alias', userId: 'new-id', previousId: 'old-id' },
      { type: 'track', userId: 'new-id', event: 'Bought' },
    ]);
    expect(new Set(resolved).size).toBe(1);
    expect(changes.merges).toEqual([]);
    expect(
      changes.identities
        .filter((i) => i.kind === 'user_id')
        .map((i) => i.value)
        .sort(),
    ).toEqual(['new-id', 'old-id']);
  });

  it('keeps the guard rail for identify-driven merges, and the email limit for aliases', () => {
    const { resolved, changes } = run([
      { type: 'identify', anonymousId: 'laptop', userId: 'alice' },
      { type: 'identify', anonymousId: 'laptop', userId: 'bob' },
      { type: 'identify', userId: 'carol', traits: { email: 'carol@x.com' } },
      { type: 'identify', userId: 'dave', traits: { email: 'dave@x.com' } },
      { type: 'alias', userId: 'dave', previousId: 'carol' },
    ]);
    expect(resolved[1]).not.toBe(resolved[0]);
    const refused = changes.merges.filter((m) => m.outcome === 'refused').map((m) => m.reason);
    expect(refused).toEqual([expect.stringMatching(/^alias; refused: email limit 1/)]);
    expect(changes.merges.filter((m) => m.outcome === 'merged')).toEqual([]);
    expect(resolved[4]).toBe(resolved[3]);
  });

  it('refuses to fuse two identified people who share a device, and records the refusal', () => {
    const { resolved, changes } = run([
      { type: 'identify', anonymousId: 'shared-laptop', userId: 'alice' },
      { type: 'identify', anonymousId: 'shared-laptop', userId: 'bob' },
      { type: 'track', userId: 'bob', event: 'Bought' },
    ]);
    expect(resolved[1]).not.toBe(resolved[0]);
    expect(resolved[2]).toBe(resolved[1]);
    const live = changes.profiles.filter((p) => p.mergedInto === null);
    expect(live).toHaveLength(2);
    expect(changes.identities.find((i) => i.value === 'shared-laptop')?.profileId).toBe(resolved[0]);
  });

  it('refuses a merge that would give one profile two emails', () => {
    const { changes } = run([
      { type: 'identify', anonymousId: 'a1', traits: { email: 'one@x.com' } },
      { type: 'identify', anonymousId: 'a2', traits: { email: 'two@x.com' } },
      // The browser of the first address now types the second one.
      { type: 'identify', anonymousId: 'a1', traits: { email: 'two@x.com' } },
    ]);
    const refused = changes.merges.filter((m) => m.outcome === 'refused');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.reason).toMatch(/email limit 1 per profile/);
    const owners = new Set(changes.identities.filter((i) => i.kind === 'email').map((i) => i.profileId));
    expect(owners.size).toBe(2);
  });

  it('honours a configured limit', () => {
    const config = { ...DEFAULT_IDENTITY_CONFIG, limits: { user_id: 1, email: 2 } };
    const { changes } = run(
      [
        { type: 'identify', userId: 'u1', traits: { email: 'one@x.com' } },
        { type: 'identify', userId: 'u1', traits: { email: 'two@x.com' } },
      ],
      config,
    );
    expect(changes.identities.filter((i) => i.kind === 'email')).toHaveLength(2);
    expect(changes.merges).toEqual([]);
  });

  it('keeps the latest trait by timestamp, whatever the arrival order', () => {
    const { changes } = run([
      { type: 'identify', userId: 'u1', traits: { plan: 'team' }, timestamp: '2026-02-02T00:00:00Z' },
      { type: 'identify', userId: 'u1', traits: { plan: 'free' }, timestamp: '2026-01-01T00:00:00Z' },
    ]);
    const profile = changes.profiles[0];
    expect(profile?.traits.plan?.value).toBe('team');
    expect(profile?.firstSeen).toBe('2026-01-01T00:00:00.000Z');
  });

  it('orders instants written with an offset among ones in UTC (first and last seen, the later trait wins)', () => {
    // Ingest writes timestamps in UTC, compared as text; any other form is parsed (model.ts).
    const graph = new IdentityGraph([], []);
    const ctx = { config: DEFAULT_IDENTITY_CONFIG, newProfileId: () => 'p', now: '2026-03-01T12:00:00.000Z' };
    const sent: Array<[string, string]> = [
      ['2026-03-01T09:00:00.000Z', 'utc-nine'],
      ['2026-03-01T10:00:00.000+02:00', 'eight-utc'],
      ['2026-03-01T11:30:00+01:00', 'half-ten-utc'],
      ['2026-03-01T10:00:00.000Z', 'utc-ten'],
    ];
    for (const [timestamp, plan] of sent) {
      const message = {
        type: 'identify',
        messageId: plan,
        userId: 'u1',
        timestamp,
        receivedAt: ctx.now,
        traits: { plan },
      } as unknown as SegmentMessage;
      applyMessage(graph.profile(resolveIdentity(graph, message, ctx)), message, 'test');
    }
    const profile = graph.profile('p');
    expect(profile.firstSeen).toBe('2026-03-01T10:00:00.000+02:00');
    expect(profile.lastSeen).toBe('2026-03-01T11:30:00+01:00');
    expect(profile.traits.plan?.value).toBe('half-ten-utc');
  });
});
