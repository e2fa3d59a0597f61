// arbitrate: the one gate every message passes, from journeys, broadcasts and the send API.
// For each candidate, in this order:
//   1. suppression and unsubscribes   → drop
//      the global holdout (marketing) → drop: these people measure the programme's lift
//   2. quiet hours (marketing)        → defer to their end in the person's zone
//   3. fatigue caps (marketing), candidates ranked by priority, then expected value, then id
//                                     → the loser is deferred or dropped by its own policy
//   4. consent for the purpose, last  → drop; a send reserves its cap slots
// Consent is last so that nothing after it can turn a "no" into a send, and so that a deferred
// message is checked against consent as it stands when it finally goes, not when it was queued.
// A candidate dropped for consent reserves nothing, so it never costs another message its slot.
import { resolveZone } from '../time.ts';
import { capBucketsFor, describeCap } from './caps.ts';
import { inGlobalHoldout } from './holdout.ts';
import { quietHoursEnd } from './quiet-hours.ts';
import { describeUntil } from './reasons.ts';
import type {
  ArbitrationPolicy,
  CapReservation,
  ConsentState,
  Decision,
  PersonSendState,
  SendCandidate,
} from './types.ts';

/** Decisions in the order of `candidates`. */
export function arbitrate(
  candidates: readonly SendCandidate[],
  person: PersonSendState,
  policy: ArbitrationPolicy,
  now: string,
): Decision[] {
  const zone = resolveZone(person.timeZone, policy.defaultTimeZone);
  const decided = new Map<string, Decision>();
  const open: SendCandidate[] = [];
  for (const candidate of candidates) {
    const early =
      checkSuppression(candidate, person) ??
      checkGlobalHoldout(candidate, person, policy) ??
      checkQuietHours(candidate, policy, zone, now);
    if (early) decided.set(candidate.id, early);
    else open.push(candidate);
  }
  const ledger = new CapLedger(person.capCounts);
  for (const candidate of rankCandidates(open)) {
    decided.set(candidate.id, checkCapsThenConsent(candidate, person, policy, zone, now, ledger));
  }
  return candidates.map((candidate) => decided.get(candidate.id)!);
}

/** Higher priority first, then higher expected value; the id breaks ties so the order is stable. */
export function rankCandidates(candidates: readonly SendCandidate[]): SendCandidate[] {
  return [...candidates].sort(
    (a, b) =>
      b.priority - a.priority ||
      b.expectedValue - a.expectedValue ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

// 1. A suppression for the channel (or all channels) drops; an unsubscribe spares transactional mail.
function checkSuppression(candidate: SendCandidate, person: PersonSendState): Decision | undefined {
  const hit = person.suppressions.find(
    (s) =>
      (s.channel === 'all' || s.channel === candidate.channel) &&
      (s.scope === 'all' || candidate.kind === 'marketing'),
  );
  if (!hit) return undefined;
  const where = hit.channel === 'all' ? 'all channels' : hit.channel;
  return {
    candidateId: candidate.id,
    action: 'drop',
    code: 'suppressed',
    reason: `dropped: suppressed on ${where} (${hit.reason})`,
  };
}

// 1b. The global holdout gets no marketing, ever; transactional messages still go.
function checkGlobalHoldout(
  candidate: SendCandidate,
  person: PersonSendState,
  policy: ArbitrationPolicy,
): Decision | undefined {
  if (candidate.kind !== 'marketing' || !inGlobalHoldout(person.profileId, policy.globalHoldout))
    return undefined;
  return {
    candidateId: candidate.id,
    action: 'drop',
    code: 'global_holdout',
    reason: `dropped: in the global holdout (${policy.globalHoldout?.percent}% of people get no marketing, to measure its lift)`,
  };
}

// 2. Quiet hours hold marketing until they end.
function checkQuietHours(
  candidate: SendCandidate,
  policy: ArbitrationPolicy,
  zone: string,
  now: string,
): Decision | undefined {
  if (candidate.kind !== 'marketing' || !policy.quietHours) return undefined;
  const until = quietHoursEnd(now, policy.quietHours, zone);
  if (!until) return undefined;
  return {
    candidateId: candidate.id,
    action: 'defer',
    code: 'quiet_hours',
    until,
    reason: `deferred: quiet hours until ${describeUntil(until, now, zone)}`,
  };
}

// 3 and 4, for one ranked candidate.
function checkCapsThenConsent(
  candidate: SendCandidate,
  person: PersonSendState,
  policy: ArbitrationPolicy,
  zone: string,
  now: string,
  ledger: CapLedger,
): Decision {
  const buckets =
    candidate.kind === 'marketing' ? capBucketsFor(policy.caps, candidate.channel, now, zone) : [];
  const full = buckets.filter((bucket) => ledger.count(bucket.key) >= bucket.cap.limit);
  if (full.length > 0) return capDecision(candidate, full, policy, zone, now, ledger);
  const refusal = checkConsent(candidate, person);
  if (refusal) return refusal;
  const reservations = buckets.map((bucket) => ledger.reserve(bucket.key, bucket.cap.limit, candidate.id));
  return {
    candidateId: candidate.id,
    action: 'send',
    code: 'send',
    reason: sendReason(candidate, person),
    reservations,
  };
}

function capDecision(
  candidate: SendCandidate,
  full: ReturnType<typeof capBucketsFor>,
  policy: ArbitrationPolicy,
  zone: string,
  now: string,
  ledger: CapLedger,
): Decision {
  // Every full cap must have room again: wait for the last of them to reset, then past quiet hours.
  const binding = full.reduce((a, b) => (Date.parse(b.resetsAt) > Date.parse(a.resetsAt) ? b : a));
  const winners = full.flatMap((bucket) => ledger.takenBy(bucket.key));
  const lostTo = winners.length > 0 ? `; lost to ${[...new Set(winners)].join(', ')}` : '';
  const what = `${describeCap(binding.cap)} reached`;
  if (candidate.onCapped === 'drop') {
    return {
      candidateId: candidate.id,
      action: 'drop',
      code: 'fatigue_cap',
      reason: `dropped: ${what}${lostTo}`,
    };
  }
  const quietEnd = policy.quietHours ? quietHoursEnd(binding.resetsAt, policy.quietHours, zone) : undefined;
  const until = quietEnd ?? binding.resetsAt;
  return {
    candidateId: candidate.id,
    action: 'defer',
    code: 'fatigue_cap',
    until,
    reason: `deferred: ${what}${lostTo}, until ${describeUntil(until, now, zone)}`,
  };
}

// 4. Consent, by purpose and channel (docs/privacy.md, "Consent by purpose and channel"):
//    - a denial of the message's own purpose stops it, marketing or transactional;
//    - marketing needs a yes for its channel (the opt-in: `email`, `sms` …), unknown is a no;
//    - transactional messages are exempt from channel opt-ins and opt-outs (an unsubscribe from
//      marketing email does not stop a receipt). Erasure and hard bounces are suppressions
//      (step 1), which stop transactional messages too.
function checkConsent(candidate: SendCandidate, person: PersonSendState): Decision | undefined {
  const failure = consentFailure(candidate, person.consent);
  if (!failure) return undefined;
  const { purpose, state } = failure;
  const why = state === 'denied' ? 'denied' : 'unknown, and marketing needs a yes';
  return {
    candidateId: candidate.id,
    action: 'drop',
    code: state === 'denied' ? 'consent_denied' : 'consent_unknown',
    reason: `dropped: no consent for ${purpose} by ${candidate.channel} (${why})`,
  };
}

/** The consent that stops this candidate, or undefined when consent allows it. */
export function consentFailure(
  candidate: Pick<SendCandidate, 'purpose' | 'channelPurpose' | 'kind'>,
  consent: Readonly<Record<string, ConsentState>>,
): { purpose: string; state: ConsentState } | undefined {
  const channelPurpose = candidate.channelPurpose ?? candidate.purpose;
  const ownPurposeIsChannel = channelPurpose === candidate.purpose && candidate.channelPurpose !== undefined;
  const purposeState = consent[candidate.purpose] ?? 'unknown';
  if (candidate.kind === 'transactional') {
    // Exempt from the channel's opt-out; not from a denial of the message's own purpose.
    return purposeState === 'denied' && !ownPurposeIsChannel
      ? { purpose: candidate.purpose, state: 'denied' }
      : undefined;
  }
  if (purposeState === 'denied') return { purpose: candidate.purpose, state: 'denied' };
  const channelState = consent[channelPurpose] ?? 'unknown';
  return channelState === 'granted' ? undefined : { purpose: channelPurpose, state: channelState };
}

function sendReason(candidate: SendCandidate, _person: PersonSendState): string {
  const channelPurpose = candidate.channelPurpose ?? candidate.purpose;
  return candidate.kind === 'marketing'
    ? `send: consent granted for ${channelPurpose}`
    : `send: transactional, consent for ${channelPurpose} not required`;
}

/** Counts as the store has them plus what this call has reserved, and who reserved it. */
class CapLedger {
  private readonly reserved = new Map<string, string[]>();
  constructor(private readonly counts: Readonly<Record<string, number>>) {}

  count(key: string): number {
    return (this.counts[key] ?? 0) + (this.reserved.get(key)?.length ?? 0);
  }
  takenBy(key: string): string[] {
    return this.reserved.get(key) ?? [];
  }
  reserve(key: string, limit: number, by: string): CapReservation {
    const from = this.count(key);
    this.reserved.set(key, [...this.takenBy(key), by]);
    return { key, from, to: from + 1, limit };
  }
}
