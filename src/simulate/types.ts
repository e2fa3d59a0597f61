// The options of a simulated world, the messages it produces and the ground truth it plants.
import type { MessageType } from '../events/index.ts';
import type { BgNbdParams, GammaGammaParams } from '../value/index.ts';

export type WorldKind = 'store' | 'city';

export interface WorldOptions {
  kind: WorldKind;
  seed: number;
  people: number;
  /** First instant of the simulated window. */
  start: Date;
  days: number;
  /** Purchase (store) or service-use (city) process, time in weeks; defaults near CDNOW's. */
  bgNbd?: BgNbdParams;
  /** Order values (store only); defaults near CDNOW's. */
  gammaGamma?: GammaGammaParams;
  /** Store: plant two website experiments, one with a true effect and one without (experiments.ts). */
  experiments?: boolean;
}

/** A message as a client sends it in a /v1/batch body: no receivedAt, the server sets it. */
export interface OutgoingMessage {
  type: MessageType;
  messageId: string;
  anonymousId?: string;
  userId?: string;
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context?: Record<string, unknown>;
  timestamp: string;
}

export type Channel = 'email' | 'web' | 'sms' | 'push';

export type StoreStage = 'awareness' | 'interest' | 'motivation' | 'action' | 'relationship';
export type CityStage = 'aware' | 'interested' | 'applied' | 'served' | 'regular';

/** Ground truth of one simulated person: what was planted, and what it led to in the window. */
export interface PersonTruth {
  kind: WorldKind;
  index: number;
  /** Every browser or device id the person used; more than one means a second device. */
  anonymousIds: string[];
  /** null: never identified, so the person stays anonymous (one profile per device). */
  userId: string | null;
  email: string | null;
  identifiedAt: string | null;
  preferredChannel: Channel;
  /** BG/NBD draws, in weeks: purchase (or service-use) rate λ and drop-out probability p. */
  purchaseRate: number;
  dropoutProbability: number;
  /** When the person left (after a repeat purchase), or null if alive at the end or never bought. */
  droppedOutAt: string | null;
  /** Gamma-Gamma draw: order values are Gamma(p, spendRate), mean p / spendRate. Store only. */
  spendRate: number | null;
  expectedOrderValue: number | null;
  firstPurchaseAt: string | null;
  /** Orders (store) or completed services (city) inside the window, including the first. */
  purchases: number;
  /** Sum of order revenue (store) or fees (city) inside the window. */
  totalSpend: number;
  /** First time each stage was reached, ISO timestamps; stages not reached are absent. */
  stages: Partial<Record<StoreStage | CityStage, string>>;
  /** Anchor products followed later by one of their complements (printer → ink). */
  complementaryPurchases: { anchor: string; anchorAt: string; complement: string; complementAt: string }[];
  subscription: {
    plan: string;
    startedAt: string;
    cancelledAt: string | null;
    /** Why they cancelled (src/simulate/store.ts, SUBSCRIPTION_CHURN); null while subscribed. */
    cancelReason: 'usage' | 'payment' | 'unexplained' | null;
    /** When each `Payment Failed` was sent. */
    paymentFailures: string[];
  } | null;
  advocacy: { npsScore: number | null; referrals: number; reviews: number };
  /**
   * Email marketing consent (store, people who signed up; null otherwise): given or refused at
   * sign-up (the identify's `consent.email`), and when it was withdrawn later (a `Segment
   * Consent Preference Updated` with `email: false`), or null. The shop's newsletter goes only
   * to people whose consent stands.
   */
  emailConsent: { granted: boolean; at: string; withdrawnAt: string | null } | null;
  /** The demo experiments' arm per experiment id (store, with `experiments: true`). */
  experiments?: Record<string, string>;
  /** City: eligibility traits and the services the resident may use. */
  resident: { age: number; district: string; residentSince: number; eligibleServices: string[] } | null;
}

/** A message with its time in epoch milliseconds, for ordering without parsing. */
export interface TimedMessage {
  at: number;
  message: OutgoingMessage;
}
