// One person's life as a timeline of episodes (a browsing session, an order, an email opened),
// planned up front with every random choice made, then played lazily: an episode becomes
// messages only when the world's clock reaches it. So the world holds a compact plan per
// active person and a handful of messages, never the whole stream.
import type { MessageType } from '../events/index.ts';
import type { OutgoingMessage, PersonTruth, TimedMessage } from './types.ts';

export interface Device {
  anonymousId: string;
  context: Record<string, unknown>;
}

/** Writes messages for episodes; who they come from depends on when and on which device. */
export class Emitter {
  readonly buffer: TimedMessage[] = [];

  constructor(
    private readonly person: PersonIdentity,
    private readonly windowEnd: number,
  ) {}

  track(at: number, device: Device, event: string, properties: Record<string, unknown> = {}): void {
    this.push(at, device, { type: 'track', event, properties });
  }

  page(at: number, device: Device, name: string, properties: Record<string, unknown> = {}): void {
    this.push(at, device, { type: 'page', name, properties });
  }

  identify(at: number, device: Device, traits: Record<string, unknown>): void {
    this.push(at, device, { type: 'identify', traits });
  }

  /** Sent by a back office (email provider, help desk, billing): userId only, no device. */
  server(at: number, event: string, properties: Record<string, unknown> = {}): void {
    this.fromServer(at, { type: 'track', event, properties });
  }

  serverIdentify(at: number, traits: Record<string, unknown>): void {
    this.fromServer(at, { type: 'identify', traits });
  }

  private fromServer(
    at: number,
    body: Pick<OutgoingMessage, 'type' | 'event' | 'properties' | 'traits'>,
  ): void {
    if (at > this.windowEnd) return;
    const message: OutgoingMessage = {
      ...body,
      messageId: '',
      userId: this.person.userId!,
      timestamp: new Date(at).toISOString(),
    };
    this.insert({ at, message });
  }

  private push(
    at: number,
    device: Device,
    body: { type: MessageType; event?: string; name?: string; properties?: object; traits?: object },
  ): void {
    if (at > this.windowEnd) return;
    const message = {
      messageId: '',
      anonymousId: device.anonymousId,
      ...(this.person.isIdentifiedAt(at) ? { userId: this.person.userId! } : {}),
      ...body,
      context: { ...device.context },
      timestamp: new Date(at).toISOString(),
    } as OutgoingMessage;
    this.insert({ at, message });
  }

  /** Keeps the buffer in time order; equal times keep the order they were written in. */
  private insert(item: TimedMessage): void {
    let low = 0;
    let high = this.buffer.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.buffer[middle]!.at <= item.at) low = middle + 1;
      else high = middle;
    }
    this.buffer.splice(low, 0, item);
  }
}

export class PersonIdentity {
  userId: string | null = null;
  identifiedAt = Number.POSITIVE_INFINITY;

  isIdentifiedAt(at: number): boolean {
    return this.userId !== null && at >= this.identifiedAt;
  }
}

export interface Episode {
  at: number;
  /** Writes the episode's messages, none earlier than `at`. */
  play: (emit: Emitter) => void;
}

/** Watches the emitted messages and fills in the truth that follows from them. */
export type Observer = (message: OutgoingMessage, truth: PersonTruth) => void;

export interface PersonPlan {
  messageIdPrefix: string;
  identity: PersonIdentity;
  episodes: Episode[];
  truth: PersonTruth;
  observe: Observer;
  windowEnd: number;
}

/**
 * Plays a plan in time order. An episode is played once the next message due is not earlier
 * than its start, so an email opened in the middle of a browsing session still lands in order.
 */
export function* playPerson(plan: PersonPlan): Generator<TimedMessage, PersonTruth> {
  // Latest first, so played episodes are popped off and freed: a long life would otherwise
  // keep every played episode until its end, and at a large world's end most lives are long.
  const pending = plan.episodes.sort((x, y) => x.at - y.at).reverse();
  const emitter = new Emitter(plan.identity, plan.windowEnd);
  const { buffer } = emitter;
  let sequence = 0;
  while (pending.length > 0 || buffer.length > 0) {
    while (pending.length > 0 && (buffer.length === 0 || pending[pending.length - 1]!.at <= buffer[0]!.at)) {
      pending.pop()!.play(emitter);
    }
    const item = buffer.shift();
    if (!item) continue;
    item.message.messageId = `${plan.messageIdPrefix}-${sequence++}`;
    plan.observe(item.message, plan.truth);
    yield item;
  }
  return plan.truth;
}

/** The first time a stage is reached; later events do not move it. */
export function reach(truth: PersonTruth, stage: keyof PersonTruth['stages'], timestamp: string): void {
  if (truth.stages[stage] === undefined) truth.stages[stage] = timestamp;
}

/** Whole cents, as money is sent. */
export function cents(amount: number): number {
  return Math.round(amount * 100) / 100;
}

export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;
export const MS_PER_WEEK = 7 * MS_PER_DAY;
