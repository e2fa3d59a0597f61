// Per write key rate limits, so one noisy source (a runaway import, a client in a retry loop)
// cannot take the ingest capacity every other source shares. A token bucket per write key
// (limiter's TokenBucket): a message costs a token, a batch as many as it holds; a request the
// bucket cannot pay for gets 429 with Retry-After, and stores nothing (the SDKs retry it whole).
import { TokenBucket } from 'limiter';
import { RapportError } from '../errors/index.ts';

export interface RateLimit {
  /** Messages per second each write key may send on average. */
  messagesPerSecond: number;
  /** Messages one write key may send at once (the bucket); at least one full batch. */
  burst: number;
}

export class WriteKeyRateLimits {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly limit: RateLimit) {}

  /** Takes `messages` tokens from the key's bucket, or throws 429 saying when to come back. */
  take(writeKeyId: string, messages: number): void {
    const bucket = this.bucketOf(writeKeyId);
    const cost = Math.min(Math.max(messages, 1), bucket.bucketSize);
    if (bucket.tryRemoveTokens(cost)) return;
    const waitMs = Math.max(bucket.getWaitTime(cost), 1);
    throw new RapportError(
      'RAPPORT_INGEST_RATE_LIMITED',
      `this write key may send ${this.limit.messagesPerSecond} messages a second (${this.limit.burst} at once); retry after the time in Retry-After`,
      { retryAfterSeconds: Math.ceil(waitMs / 1000), limit: this.limit.messagesPerSecond },
    );
  }

  private bucketOf(writeKeyId: string): TokenBucket {
    let bucket = this.buckets.get(writeKeyId);
    if (!bucket) {
      bucket = new TokenBucket({
        bucketSize: this.limit.burst,
        tokensPerInterval: this.limit.messagesPerSecond,
        interval: 'second',
      });
      // A new bucket starts full: a source's first burst is allowed.
      bucket.content = this.limit.burst;
      this.buckets.set(writeKeyId, bucket);
    }
    return bucket;
  }
}

/** How many messages a tracking request body holds (a batch's length, else one). */
export function messageCount(body: unknown): number {
  const batch = (body as { batch?: unknown } | null)?.batch;
  return Array.isArray(batch) ? batch.length : 1;
}
