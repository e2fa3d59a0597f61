// The assumption audit's data types, apart from the statistics so the dashboard can use them
// without the distributions' library.

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export type Verdict = 'supported' | 'contradicted' | 'not_enough_data';

export interface EventRef {
  event: string;
  /** Only events whose property has this value (as text), e.g. product_id = printer-laser. */
  property?: string;
  value?: string;
}

export type TraitOp = 'equals' | 'not_equals' | 'at_least' | 'at_most' | 'is_set';

export type Condition =
  | { kind: 'trait'; trait: string; op: TraitOp; value?: string | number }
  | { kind: 'persona'; persona: string }
  | ({ kind: 'event'; minCount?: number } & EventRef)
  /** Did `next` within `withinDays` after their first `first`. */
  | { kind: 'followed_by'; first: EventRef; next: EventRef; withinDays: number };

export type Claim =
  | {
      kind: 'share';
      /** Who the claim is about (all must hold); empty: everyone. */
      among: Condition[];
      have: Condition;
      direction: 'at_least' | 'at_most';
      /** 0 to 1. */
      share: number;
    }
  | {
      kind: 'difference';
      among: Condition[];
      group: Condition;
      outcome: Condition;
      /** The group is `more` (or `less`) likely than the rest to have the outcome, by at least `margin`. */
      direction: 'more' | 'less';
      /** In shares (0.05: five points). */
      margin: number;
    }
  | {
      /** "Email is the channel our buyers prefer": the channel people engage with most, per send. */
      kind: 'preferred_channel';
      among: Condition[];
      channel: 'email' | 'sms' | 'push' | 'webhook';
      /** engagement: engaged sends per send; conversion: converted within 7 days of an engaged send. */
      by: 'engagement' | 'conversion';
      /** The conversion (by: conversion); default Order Completed. */
      conversion?: EventRef;
    }
  | {
      /** "Persona X is our most valuable": revenue per person, by persona. */
      kind: 'most_valuable_persona';
      among: Condition[];
      persona: string;
    };

/** One of the groups a rival claim compares (a channel, a persona). */
export interface RivalGroup {
  name: string;
  /** People behind the figure. */
  people: number;
  value: number;
  low: number;
  high: number;
}

export interface GroupCount {
  people: number;
  withOutcome: number;
}

export interface TestResult extends Interval {
  verdict: Verdict;
  /** The value the belief is tested against: the share, or the margin. */
  threshold: number;
  /** People the claim is about. */
  people: number;
  /** share: how many of them have it; difference: the two groups. */
  having?: number;
  group?: GroupCount;
  rest?: GroupCount;
  /** A claim that one channel or persona beats the others: each one's figure, and the closest rival. */
  rivals?: RivalGroup[];
  rival?: string;
  /** About how many people (in all, or in each group) would settle it; absent when settled or never. */
  peopleToSettle?: number;
  /** The evidence in words. */
  evidence: string;
  testedAt: string;
}

export interface Flip {
  at: string;
  from: Verdict;
  to: Verdict;
  estimate: number;
  people: number;
}

/** A flip with the belief it belongs to. */
export interface FlipOf extends Flip {
  beliefId: string;
  statement: string;
}

export interface Belief {
  id: string;
  /** The belief in the marketer's words. */
  statement: string;
  claim: Claim;
  createdAt: string;
  result?: TestResult;
  /** Every change of verdict between two tests, oldest first. */
  flips: Flip[];
}
