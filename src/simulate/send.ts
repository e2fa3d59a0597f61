// Sends a message stream to a Rapport (or any Segment-compatible) server as /v1/batch bodies:
// a few requests in flight, retries with backoff on 429, 503 and network errors (honouring
// Retry-After), and a clear stop on any other refusal, so a wrong write key is said once
// instead of being retried a thousand times.
import pRetry, { AbortError } from 'p-retry';
import type { OutgoingMessage } from './types.ts';

export interface SendOptions {
  url: string;
  writeKey: string;
  /** Messages per request. */
  batchSize?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Retries of one request before giving up. */
  retries?: number;
  /** Called after each accepted request with the number of messages it carried. */
  onSent?: (messages: number) => void;
}

export interface SendResult {
  messages: number;
  requests: number;
  /** Messages the server rejected (kept there as dead letters). */
  rejected: number;
  retries: number;
}

/** A refusal that retrying will not fix: a wrong write key, a malformed request. */
export class SendRefusedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SendRefusedError';
  }
}

class RetryableStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`server answered ${status}`);
  }
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** Retry-After in seconds or as an HTTP date. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Groups a stream into batches lazily, so a large world never sits in memory. */
export function* batchesOf<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function postOnce(endpoint: string, authorization: string, body: string): Promise<number> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body,
  });
  const text = await response.text();
  if (response.ok) {
    const parsed = JSON.parse(text) as { rejected?: unknown[] };
    return parsed.rejected?.length ?? 0;
  }
  if (RETRYABLE_STATUSES.has(response.status)) {
    throw new RetryableStatusError(response.status, retryAfterMs(response.headers.get('retry-after')));
  }
  const detail = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  const hint =
    response.status === 401 || response.status === 403
      ? ' (check --write-key or RAPPORT_WRITE_KEY: the server does not know this write key)'
      : '';
  throw new AbortError(
    new SendRefusedError(response.status, `server refused a batch with ${response.status}${hint}: ${detail}`),
  );
}

export async function sendMessages(
  messages: Iterable<OutgoingMessage>,
  options: SendOptions,
): Promise<SendResult> {
  const endpoint = new URL('/v1/batch', options.url).toString();
  const authorization = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
  const concurrency = options.concurrency ?? 4;
  const result: SendResult = { messages: 0, requests: 0, rejected: 0, retries: 0 };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  const send = async (batch: OutgoingMessage[]) => {
    const body = JSON.stringify({ batch });
    const rejected = await pRetry(() => postOnce(endpoint, authorization, body), {
      retries: options.retries ?? 8,
      minTimeout: 250,
      maxTimeout: 15_000,
      async onFailedAttempt({ error }) {
        result.retries += 1;
        // The server said when to come back: wait that long on top of the backoff.
        const wait = error instanceof RetryableStatusError ? error.retryAfterMs : undefined;
        if (wait) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 60_000)));
      },
    });
    result.messages += batch.length;
    result.requests += 1;
    result.rejected += rejected;
    options.onSent?.(batch.length);
  };

  for (const batch of batchesOf(messages, options.batchSize ?? 250)) {
    if (failure !== undefined) break;
    const request = send(batch).catch((error: unknown) => {
      failure ??= error;
    });
    const tracked = request.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return result;
}
