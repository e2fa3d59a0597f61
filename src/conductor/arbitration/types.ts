// The vocabulary of arbitration: what wants to be sent, what we know about the person, the
// rules (caps, quiet hours), and the decision with a machine code and a sentence for people.
import type { Channel } from '../journey/definition.ts';
import type { GlobalHoldout } from './holdout.ts';

export type ConsentState = 'granted' | 'denied' | 'unknown';

/** One message that wants to go out now: from a journey, a broadcast or the send API. */
export interface SendCandidate {
  /** The send's idempotency key; decisions refer to it. */
  id: string;
  channel: Channel;
  /** The message's own purpose (`marketing`, `city_services`, `receipts` …): a denial of it stops the message. */
  purpose: string;
  /**
   * The channel's opt-in (`email`, `sms` …, the channel's consent purpose), which marketing
   * needs granted and transactional messages do not. Absent: `purpose` stands for both.
   */
  channelPurpose?: string;
  /** Transactional messages (receipts, password resets) skip quiet hours and caps, and need no opt-in. */
  kind: 'marketing' | 'transactional';
  priority: number;
  expectedValue: number;
  /** When it loses to caps: wait for the next period, or give up. */
  onCapped: 'defer' | 'drop';
  journeyId?: string;
}

/** Why a channel is closed for a person: a bounce or an erasure closes it for all; an unsubscribe for marketing. */
export interface Suppression {
  channel: Channel | 'all';
  scope: 'marketing' | 'all';
  reason: string;
}

/** What arbitration knows about the person, read by the runner just before arbitrating. */
export interface PersonSendState {
  profileId: string;
  consent: Readonly<Record<string, ConsentState>>;
  suppressions: readonly Suppression[];
  timeZone: string | undefined;
  /** Sends already counted, by cap bucket key (see `capBucketKeys`): missing means 0. */
  capCounts: Readonly<Record<string, number>>;
}

/** At most `limit` marketing messages per calendar day or ISO week in the person's zone. */
export interface FatigueCap {
  channel: Channel | 'all';
  period: 'day' | 'week';
  limit: number;
}

/** No marketing between `start` and `end` (HH:MM) in the person's zone; `start` > `end` crosses midnight. */
export interface QuietHours {
  start: string;
  end: string;
}

export interface ArbitrationPolicy {
  caps: readonly FatigueCap[];
  quietHours: QuietHours | undefined;
  /** Used when the person's zone is unknown or not a real zone. */
  defaultTimeZone: string;
  /** A stable share of people who get no marketing (holdout.ts); absent: nobody is held out. */
  globalHoldout?: GlobalHoldout | undefined;
}

/** Ask the store to move a bucket's count from `from` to `to`, only if it still is `from`. */
export interface CapReservation {
  key: string;
  from: number;
  to: number;
  limit: number;
}

export type DecisionCode =
  | 'send'
  | 'suppressed'
  | 'quiet_hours'
  | 'fatigue_cap'
  | 'consent_denied'
  | 'consent_unknown'
  | 'global_holdout';

export type Decision =
  | { candidateId: string; action: 'send'; code: 'send'; reason: string; reservations: CapReservation[] }
  | { candidateId: string; action: 'defer'; code: DecisionCode; reason: string; until: string }
  | { candidateId: string; action: 'drop'; code: DecisionCode; reason: string };
