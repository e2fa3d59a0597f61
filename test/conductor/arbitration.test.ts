import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ArbitrationPolicy,
  arbitrate,
  CHANNELS,
  type ConsentState,
  capBucketKeys,
  type Decision,
  isInQuietHours,
  type PersonSendState,
  quietHoursEnd,
  type SendCandidate,
  validatePolicy,
} from '../../src/conductor/index.ts';

const policy: ArbitrationPolicy = {
  caps: [
    { channel: 'email', period: 'day', limit: 2 },
    { channel: 'all', period: 'week', limit: 5 },
  ],
  quietHours: { start: '21:00', end: '08:00' },
  defaultTimeZone: 'Europe/Paris',
};

const person = (extra: Partial<PersonSendState> = {}): PersonSendState => ({
  profileId: 'p1',
  consent: { marketing: 'granted' },
  suppressions: [],
  timeZone: 'Europe/Paris',
  capCounts: {},
  ...extra,
});

const candidate = (id: string, extra: Partial<SendCandidate> = {}): SendCandidate => ({
  id,
  channel: 'email',
  purpose: 'marketing',
  kind: 'marketing',
  priority: 100,
  expectedValue: 0,
  onCapped: 'defer',
  ...extra,
});

const NOON = '2026-03-02T11:00:00.000Z'; // Monday 12:00 in Paris

describe('arbitrate', () => {
  it('sends with consent, within caps, outside quiet hours, and reserves the cap slots', () => {
    const [decision] = arbitrate(
      [candidate('a')],
      person({ capCounts: { 'email:day:2026-03-02': 1 } }),
      policy,
      NOON,
    );
    expect(decision).toEqual({
      candidateId: 'a',
      action: 'send',
      code: 'send',
      reason: 'send: consent granted for marketing',
      reservations: [
        { key: 'email:day:2026-03-02', from: 1, to: 2, limit: 2 },
        { key: 'all:week:2026-03-02', from: 0, to: 1, limit: 5 },
      ],
    });
  });

  it('drops on suppression first, sparing transactional mail from a marketing unsubscribe', () => {
    const unsubscribed = person({
      suppressions: [{ channel: 'email', scope: 'marketing', reason: 'unsubscribed' }],
    });
    const [marketing, receipt] = arbitrate(
      [candidate('m'), candidate('r', { kind: 'transactional', purpose: 'service' })],
      unsubscribed,
      policy,
      NOON,
    );
    expect(marketing).toMatchObject({
      action: 'drop',
      code: 'suppressed',
      reason: 'dropped: suppressed on email (unsubscribed)',
    });
    expect(receipt).toMatchObject({ action: 'send' });
    const bounced = person({ suppressions: [{ channel: 'all', scope: 'all', reason: 'erased' }] });
    expect(arbitrate([candidate('r', { kind: 'transactional' })], bounced, policy, NOON)[0]).toMatchObject({
      code: 'suppressed',
      reason: 'dropped: suppressed on all channels (erased)',
    });
  });

  it('defers marketing in quiet hours to their end in the person’s zone, with the reason people read', () => {
    const late = '2026-03-02T21:30:00.000Z'; // 22:30 in Paris
    const [decision] = arbitrate([candidate('a')], person(), policy, late);
    expect(decision).toEqual({
      candidateId: 'a',
      action: 'defer',
      code: 'quiet_hours',
      until: '2026-03-03T07:00:00.000Z',
      reason: 'deferred: quiet hours until 08:00 Europe/Paris',
    });
    const [receipt] = arbitrate([candidate('r', { kind: 'transactional' })], person(), policy, late);
    expect(receipt?.action).toBe('send');
  });

  it('checks quiet hours before consent: a message without consent at night is deferred, and dropped later', () => {
    const noConsent = person({ consent: {} });
    expect(arbitrate([candidate('a')], noConsent, policy, '2026-03-02T22:00:00Z')[0]?.code).toBe(
      'quiet_hours',
    );
    expect(arbitrate([candidate('a')], noConsent, policy, '2026-03-03T07:00:00Z')[0]?.code).toBe(
      'consent_unknown',
    );
  });

  it('treats unknown consent as no for marketing and yes for transactional; denied is no for both', () => {
    const decide = (consent: Record<string, ConsentState>, kind: 'marketing' | 'transactional') =>
      arbitrate([candidate('a', { kind })], person({ consent }), policy, NOON)[0]!;
    expect(decide({}, 'marketing')).toMatchObject({
      code: 'consent_unknown',
      reason: 'dropped: no consent for marketing by email (unknown, and marketing needs a yes)',
    });
    expect(decide({ marketing: 'unknown' }, 'marketing').code).toBe('consent_unknown');
    expect(decide({ marketing: 'denied' }, 'marketing')).toMatchObject({
      code: 'consent_denied',
      reason: 'dropped: no consent for marketing by email (denied)',
    });
    expect(decide({}, 'transactional')).toMatchObject({
      action: 'send',
      reason: 'send: transactional, consent for marketing not required',
    });
    expect(decide({ marketing: 'denied' }, 'transactional').code).toBe('consent_denied');
  });

  it('consent by purpose and channel: marketing needs the channel’s yes and no denial of its purpose; transactional is exempt from channel opt-outs only', () => {
    const decide = (consent: Record<string, ConsentState>, extra: Partial<SendCandidate>) =>
      arbitrate(
        [candidate('a', { channelPurpose: 'email', ...extra })],
        person({ consent }),
        policy,
        NOON,
      )[0]!;
    // Marketing: the channel's opt-in decides; the step's purpose can only refuse.
    expect(decide({ email: 'granted' }, {})).toMatchObject({
      action: 'send',
      reason: 'send: consent granted for email',
    });
    expect(decide({ email: 'granted', marketing: 'denied' }, {})).toMatchObject({
      code: 'consent_denied',
      reason: 'dropped: no consent for marketing by email (denied)',
    });
    expect(decide({ marketing: 'granted' }, {})).toMatchObject({
      code: 'consent_unknown',
      reason: 'dropped: no consent for email by email (unknown, and marketing needs a yes)',
    });
    // Transactional: an unsubscribe from marketing email (email denied) does not stop a receipt…
    const receipt = { kind: 'transactional' as const, purpose: 'receipts' };
    expect(decide({ email: 'denied' }, receipt)).toMatchObject({
      action: 'send',
      reason: 'send: transactional, consent for email not required',
    });
    // …a denial of the receipt's own purpose does, and so does erasure or a hard bounce.
    expect(decide({ receipts: 'denied' }, receipt).code).toBe('consent_denied');
    for (const reason of ['erased', 'hard bounce']) {
      const closed = person({ suppressions: [{ channel: 'all', scope: 'all', reason }] });
      expect(
        arbitrate([candidate('r', { channelPurpose: 'email', ...receipt })], closed, policy, NOON)[0],
      ).toMatchObject({
        action: 'drop',
        code: 'suppressed',
      });
    }
  });

  it('when caps bind, higher priority wins, then higher expected value; the loser follows its policy', () => {
    const counts = { 'email:day:2026-03-02': 1 };
    const decisions = arbitrate(
      [
        candidate('low', { priority: 10 }),
        candidate('high-cheap', { priority: 50, expectedValue: 1 }),
        candidate('high-rich', { priority: 50, expectedValue: 9 }),
        candidate('drop-me', { priority: 1, onCapped: 'drop' }),
      ],
      person({ capCounts: counts }),
      policy,
      NOON,
    );
    const byId = Object.fromEntries(decisions.map((d) => [d.candidateId, d]));
    expect(byId['high-rich']?.action).toBe('send');
    expect(byId['high-cheap']).toEqual({
      candidateId: 'high-cheap',
      action: 'defer',
      code: 'fatigue_cap',
      // the next day starts at midnight, inside quiet hours: wait for 08:00
      until: '2026-03-03T07:00:00.000Z',
      reason: 'deferred: daily email cap of 2 reached; lost to high-rich, until 08:00 Europe/Paris',
    });
    expect(byId.low?.action).toBe('defer');
    expect(byId['drop-me']).toMatchObject({
      action: 'drop',
      reason: 'dropped: daily email cap of 2 reached; lost to high-rich',
    });
    expect(decisions.map((d) => d.candidateId)).toEqual(['low', 'high-cheap', 'high-rich', 'drop-me']);
  });

  it('breaks exact ties by candidate id, whatever the input order', () => {
    const counts = { 'email:day:2026-03-02': 1 };
    const forward = arbitrate([candidate('b'), candidate('a')], person({ capCounts: counts }), policy, NOON);
    const backward = arbitrate([candidate('a'), candidate('b')], person({ capCounts: counts }), policy, NOON);
    expect(forward.find((d) => d.action === 'send')?.candidateId).toBe('a');
    expect(backward.find((d) => d.action === 'send')?.candidateId).toBe('a');
  });

  it('counts the overall weekly cap across journeys and channels, deferring to next Monday', () => {
    const counts = { 'all:week:2026-03-02': 5 };
    const [decision] = arbitrate(
      [candidate('sms', { channel: 'sms', journeyId: 'renewal' })],
      person({ capCounts: counts }),
      policy,
      NOON,
    );
    expect(decision).toMatchObject({
      action: 'defer',
      code: 'fatigue_cap',
      until: '2026-03-09T07:00:00.000Z',
      reason: 'deferred: weekly message cap of 5 reached, until 2026-03-09 08:00 Europe/Paris',
    });
  });

  it('does not let a candidate without consent take a slot from one with consent', () => {
    const counts = { 'email:day:2026-03-02': 1 };
    const decisions = arbitrate(
      [candidate('no-consent', { priority: 90, purpose: 'partners' }), candidate('ok', { priority: 10 })],
      person({ capCounts: counts }),
      policy,
      NOON,
    );
    expect(decisions.map((d) => d.code)).toEqual(['consent_unknown', 'send']);
  });

  it('lets transactional mail through full caps without counting against them', () => {
    const counts = { 'email:day:2026-03-02': 2 };
    const [receipt] = arbitrate(
      [candidate('r', { kind: 'transactional' })],
      person({ capCounts: counts }),
      policy,
      NOON,
    );
    expect(receipt).toMatchObject({ action: 'send', reservations: [] });
  });

  it('uses calendar days in the person’s zone: buckets and resets follow local midnight', () => {
    // 23:30 UTC on Monday is already Tuesday in Tokyo
    expect(capBucketKeys(policy.caps, ['email'], '2026-03-02T23:30:00Z', 'Asia/Tokyo')).toEqual([
      'email:day:2026-03-03',
      'all:week:2026-03-02',
    ]);
  });
});

describe('quiet hours', () => {
  const night = { start: '21:00', end: '08:00' };
  it('cross midnight', () => {
    expect(isInQuietHours('2026-03-02T19:59:00Z', night, 'Europe/Paris')).toBe(false); // 20:59
    expect(isInQuietHours('2026-03-02T20:00:00Z', night, 'Europe/Paris')).toBe(true); // 21:00
    expect(isInQuietHours('2026-03-03T06:59:00Z', night, 'Europe/Paris')).toBe(true); // 07:59
    expect(isInQuietHours('2026-03-03T07:00:00Z', night, 'Europe/Paris')).toBe(false); // 08:00
    expect(quietHoursEnd('2026-03-03T02:00:00Z', night, 'Europe/Paris')).toBe('2026-03-03T07:00:00.000Z');
  });

  it('end at 08:00 local across the spring-forward night', () => {
    // 22:00 CET on Saturday; Sunday 08:00 is CEST (UTC+2)
    expect(quietHoursEnd('2026-03-28T21:00:00Z', night, 'Europe/Paris')).toBe('2026-03-29T06:00:00.000Z');
  });

  it('handles the repeated hour of a fall-back night', () => {
    const window = { start: '22:00', end: '02:30' };
    // 2026-10-25 00:10 UTC = 02:10 CEST (first pass); 01:10 UTC = 02:10 CET (second pass)
    expect(quietHoursEnd('2026-10-25T00:10:00Z', window, 'Europe/Paris')).toBe('2026-10-25T00:30:00.000Z');
    expect(quietHoursEnd('2026-10-25T01:10:00Z', window, 'Europe/Paris')).toBe('2026-10-25T01:30:00.000Z');
  });
});

describe('arbitration properties', () => {
  const zones = [
    'Europe/Paris',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
    'Pacific/Chatham',
    'UTC',
  ];
  const time = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const instant = fc
    .integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') })
    .map((ms) => new Date(ms - (ms % 60_000)).toISOString());
  const consentState = fc.constantFrom<ConsentState | undefined>('granted', 'denied', 'unknown', undefined);
  const candidates = fc.uniqueArray(
    fc.record({
      id: fc.string({ minLength: 1, maxLength: 4 }),
      channel: fc.constantFrom(...CHANNELS),
      purpose: fc.constantFrom('marketing', 'service'),
      kind: fc.constantFrom<'marketing' | 'transactional'>('marketing', 'transactional'),
      priority: fc.integer({ min: 0, max: 3 }),
      expectedValue: fc.integer({ min: 0, max: 3 }),
      onCapped: fc.constantFrom<'defer' | 'drop'>('defer', 'drop'),
    }),
    { selector: (c) => c.id, maxLength: 8 },
  );
  const scenario = fc.record({
    candidates,
    zone: fc.constantFrom(...zones),
    now: instant,
    quiet: fc.option(
      fc.record({ start: time, end: time }).filter((q) => q.start !== q.end),
      { nil: undefined },
    ),
    marketing: consentState,
    service: consentState,
    dayCap: fc.integer({ min: 0, max: 3 }),
    weekCap: fc.integer({ min: 0, max: 5 }),
    used: fc.integer({ min: 0, max: 4 }),
  });

  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

  function run(s: Scenario): Decision[] {
    const consent: Record<string, ConsentState> = {};
    if (s.marketing) consent.marketing = s.marketing;
    if (s.service) consent.service = s.service;
    const rules: ArbitrationPolicy = {
      caps: [
        { channel: 'email', period: 'day', limit: s.dayCap },
        { channel: 'all', period: 'week', limit: s.weekCap },
      ],
      quietHours: s.quiet,
      defaultTimeZone: 'UTC',
    };
    const keys = capBucketKeys(rules.caps, ['email'], s.now, s.zone);
    const capCounts = Object.fromEntries(keys.map((key) => [key, s.used]));
    return arbitrate(s.candidates, person({ consent, timeZone: s.zone, capCounts }), rules, s.now);
  }

  it('never sends marketing without granted consent, nor anything against a denial', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const decisions = run(s);
        for (const [i, decision] of decisions.entries()) {
          if (decision.action !== 'send') continue;
          const c = s.candidates[i]!;
          const state = (c.purpose === 'marketing' ? s.marketing : s.service) ?? 'unknown';
          expect(state).not.toBe('denied');
          if (c.kind === 'marketing') expect(state).toBe('granted');
        }
      }),
    );
  });

  it('never reserves past a cap, and every send’s reservations move a count by one', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const sends = run(s).filter((d) => d.action === 'send');
        const fromByKey = new Map<string, number[]>();
        for (const decision of sends) {
          for (const r of decision.reservations) {
            expect(r.to).toBe(r.from + 1);
            expect(r.to).toBeLessThanOrEqual(r.limit);
            fromByKey.set(r.key, [...(fromByKey.get(r.key) ?? []), r.from]);
          }
        }
        // each key's reservations chain from the stored count, one after another, no gaps or repeats
        for (const froms of fromByKey.values()) {
          expect(froms.sort((a, b) => a - b)).toEqual(froms.map((_, i) => s.used + i));
        }
      }),
    );
  });

  it('defers only to an instant after now and outside quiet hours', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        for (const decision of run(s)) {
          if (decision.action !== 'defer') continue;
          expect(Date.parse(decision.until)).toBeGreaterThan(Date.parse(s.now));
          if (s.quiet) expect(isInQuietHours(decision.until, s.quiet, s.zone)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('ends at the first real minute outside when the end time falls in a spring-forward gap', () => {
    // Found by the property below: Chatham skips 02:45-03:45 on 2026-09-27, so 03:00 does not
    // exist; luxon moves it to 04:00, inside the next quiet hours. The real end is 03:45.
    const until = quietHoursEnd(
      '2026-09-25T15:15:00.000Z',
      { start: '04:00', end: '03:00' },
      'Pacific/Chatham',
    );
    expect(until).toBe('2026-09-26T14:00:00.000Z');
    expect(isInQuietHours(until as string, { start: '04:00', end: '03:00' }, 'Pacific/Chatham')).toBe(false);
  });

  it('quiet hours end is always after the instant and outside the window', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), time, time, (now, zone, start, end) => {
        fc.pre(start !== end);
        const until = quietHoursEnd(now, { start, end }, zone);
        if (until === undefined) return;
        expect(Date.parse(until)).toBeGreaterThan(Date.parse(now));
        expect(isInQuietHours(until, { start, end }, zone)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('validatePolicy', () => {
  it('refuses empty quiet hours, unknown zones and negative caps, naming the field', () => {
    const bad = validatePolicy({
      caps: [],
      quietHours: { start: '08:00', end: '08:00' },
      defaultTimeZone: 'Nowhere',
    });
    expect(bad).toEqual({
      ok: false,
      issues: [
        {
          field: '/quietHours',
          message: 'quiet hours start and end at the same time; leave them out for none',
        },
        { field: '/defaultTimeZone', message: 'Nowhere is not an IANA time zone' },
      ],
    });
    const negative = validatePolicy({
      caps: [{ channel: 'sms', period: 'day', limit: -1 }],
      defaultTimeZone: 'UTC',
    });
    expect(negative.ok ? [] : negative.issues.map((i) => i.field)).toContain('/caps/0/limit');
  });
});
