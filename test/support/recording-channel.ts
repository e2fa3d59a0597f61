// A real in-process channel: it implements the delivery contract and records what it was
// handed (the outbox's code runs unchanged in front of it). Used where a test needs to see
// deliveries without an SMTP or HTTP peer.
import type { Channel, DeliveryResult, OutgoingMessage } from '../../src/conductor/runtime/index.ts';

export class RecordingChannel implements Channel {
  readonly deliveries: OutgoingMessage[] = [];
  /** Results to return, in order, before answering `sent` (to exercise retries). */
  readonly script: DeliveryResult[] = [];

  constructor(
    readonly name: string,
    readonly purpose: string = name,
  ) {}

  async deliver(message: OutgoingMessage): Promise<DeliveryResult> {
    const scripted = this.script.shift();
    if (scripted && scripted.status !== 'sent') return scripted;
    this.deliveries.push(structuredClone(message));
    return { status: 'sent', providerMessageId: `rec-${this.deliveries.length}` };
  }

  to(profileId: string): OutgoingMessage[] {
    return this.deliveries.filter((d) => d.profileId === profileId);
  }
}

/** Polls `read` until `done` holds (or fails after `timeoutMs` with the last value seen). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not reached; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await read();
  }
  return last;
}
