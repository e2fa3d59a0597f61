// Webhooks: a JSON POST signed with HMAC-SHA256 over `<timestamp>.<body>` (X-Rapport-Signature,
// X-Rapport-Timestamp: a receiver refuses a timestamp more than five minutes old, which stops
// replays), an idempotency key header (a receiver dedupes retries by it), a per-attempt
// timeout (a hanging receiver never holds the worker), a few quick retries with backoff
// (p-retry), and a token bucket per destination (limiter). 5xx, 429, timeouts and network
// errors are temporary: after the quick retries the outbox is told to retry later. Any other
// 4xx is final. SMS and push providers plug in as webhook-shaped channels: a fixed provider
// URL, `to` carrying the phone number or device token (docs/channels.md).

import { RateLimiter } from 'limiter';
import pRetry, { AbortError } from 'p-retry';
import { DELIVERY_EVENTS, type DeliveryEventLog, deliveryMessageId } from './delivery-events.ts';
import { sendProperties } from './email.ts';
import { type Signer, webhookSignature } from './signing.ts';
import { surveyAskedEvents, surveysIn, withSurveyLinks } from './survey-links.ts';
import type { Channel, ChannelDescription, DeliveryResult, OutgoingMessage } from './types.ts';

export interface WebhookChannelOptions {
  /** Channel name: 'webhook', or 'sms' / 'push' for a provider behind a webhook. */
  name?: string;
  /** Consent purpose checked by the outbox before a send (default: the name, or 'personalization' for 'webhook'). */
  purpose?: string;
  /** A fixed destination (a provider); otherwise each message's `to.url`. */
  url?: string;
  /** The HMAC key (Signer.webhookKey). */
  signingKey: string;
  events: DeliveryEventLog;
  /** Per attempt (default 5 s). */
  timeoutMs?: number;
  /** Quick retries inside one delivery (default 2, so three attempts). */
  retries?: number;
  /** First backoff (default 500 ms, then ×4). */
  minBackoffMs?: number;
  /** Requests per second per destination origin (default 10), unless `to.ratePerSecond` says less. */
  ratePerSecond?: number;
  /** Longer than this waiting for the rate limit: hand back to the outbox as `retry` (default 2 s). */
  maxRateWaitMs?: number;
  /** When the quick retries are spent, how long the outbox waits (default 60 s, or the receiver's Retry-After). */
  retryAfterMs?: number;
  /** With it, `rapport:survey/<id>` in the content's text becomes the recipient's signed survey link (an SMS can carry one). */
  surveyLinks?: { signer: Signer; publicUrl: () => string };
}

class TemporaryFailure extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

function retryAfterOf(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export class WebhookChannel implements Channel {
  readonly name: string;
  readonly purpose: string;
  private readonly limiters = new Map<string, RateLimiter>();

  constructor(private readonly options: WebhookChannelOptions) {
    this.name = options.name ?? 'webhook';
    this.purpose = options.purpose ?? (this.name === 'webhook' ? 'personalization' : this.name);
  }

  describe(): ChannelDescription {
    if (!this.options.url) return { transport: 'webhook', destination: 'to.url of each message' };
    const url = new URL(this.options.url);
    return {
      transport: 'webhook',
      host: url.host,
      secure: url.protocol === 'https:',
      destination: `the provider at ${url.protocol}//${url.host}/… (path and query not shown)`,
    };
  }

  async deliver(message: OutgoingMessage): Promise<DeliveryResult> {
    const url = this.destinationOf(message);
    if (!url) return { status: 'failed', error: 'to.url is missing or not an http(s) URL' };
    const body = JSON.stringify(this.bodyOf(message));
    const limiter = this.limiterFor(url, message.to.ratePerSecond);
    let lastStatus = 0;
    try {
      await pRetry(
        async () => {
          const wait = limiter.getWaitTime(1);
          if (wait > (this.options.maxRateWaitMs ?? 2000))
            throw new AbortError(new TemporaryFailure('rate limited', wait));
          await limiter.removeTokens(1);
          lastStatus = await this.post(url, body, message.idempotencyKey);
        },
        {
          retries: this.options.retries ?? 2,
          minTimeout: this.options.minBackoffMs ?? 500,
          factor: 4,
          randomize: true,
          shouldRetry: ({ error }) => error instanceof TemporaryFailure,
        },
      );
    } catch (error) {
      // p-retry rejects with the last error, or with what an AbortError wrapped.
      return this.failure(message, url, error as Error);
    }
    await this.options.events.append([
      this.event(message, DELIVERY_EVENTS.webhookDelivered, 'delivered', {
        status: lastStatus,
        host: url.host,
      }),
      ...(this.options.surveyLinks
        ? surveyAskedEvents(
            message,
            surveysIn(...Object.values(message.content).filter((v): v is string => typeof v === 'string')),
          )
        : []),
    ]);
    return { status: 'sent' };
  }

  private async failure(message: OutgoingMessage, url: URL, error: Error): Promise<DeliveryResult> {
    if (error instanceof TemporaryFailure) {
      return {
        status: 'retry',
        error: `webhook: ${error.message}`,
        retryAfterMs: error.retryAfterMs ?? this.options.retryAfterMs ?? 60_000,
      };
    }
    await this.options.events.append([
      this.event(message, DELIVERY_EVENTS.webhookFailed, 'failed', { reason: error.message, host: url.host }),
    ]);
    return { status: 'failed', error: `webhook: ${error.message}` };
  }

  /** One attempt: the status on 2xx; throws TemporaryFailure (retry) or a plain Error (final). */
  private async post(url: URL, body: string, idempotencyKey: string): Promise<number> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Rapport-Webhook/1',
          'x-rapport-timestamp': timestamp,
          'x-rapport-signature': webhookSignature(this.options.signingKey, timestamp, body),
          'x-rapport-idempotency-key': idempotencyKey,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
      const name = (error as Error).name;
      const reason =
        name === 'TimeoutError'
          ? `no answer within ${this.options.timeoutMs ?? 5000} ms`
          : (error as Error).message;
      throw new TemporaryFailure(reason);
    }
    if (response.status >= 200 && response.status < 300) return response.status;
    if (response.status === 429 || response.status >= 500) {
      throw new TemporaryFailure(`HTTP ${response.status}`, retryAfterOf(response));
    }
    throw new AbortError(`HTTP ${response.status}`);
  }

  private destinationOf(message: OutgoingMessage): URL | undefined {
    const raw = this.options.url ?? message.to.url;
    if (typeof raw !== 'string') return undefined;
    try {
      const url = new URL(raw);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
    } catch {
      return undefined;
    }
  }

  private limiterFor(url: URL, requested: unknown): RateLimiter {
    const known = this.limiters.get(url.origin);
    if (known) return known;
    const fallback = this.options.ratePerSecond ?? 10;
    const rate = typeof requested === 'number' && requested > 0 ? Math.min(requested, fallback) : fallback;
    const limiter = new RateLimiter({ tokensPerInterval: rate, interval: 'second' });
    this.limiters.set(url.origin, limiter);
    return limiter;
  }

  private contentOf(message: OutgoingMessage): OutgoingMessage['content'] {
    const links = this.options.surveyLinks;
    if (!links) return message.content;
    const base = links.publicUrl();
    return Object.fromEntries(
      Object.entries(message.content).map(([key, value]) => [
        key,
        typeof value === 'string' ? withSurveyLinks(value, message, base, links.signer) : value,
      ]),
    ) as OutgoingMessage['content'];
  }

  private bodyOf(message: OutgoingMessage): Record<string, unknown> {
    return {
      id: message.idempotencyKey,
      channel: this.name,
      profileId: message.profileId,
      ...(message.journeyId !== undefined ? { journeyId: message.journeyId } : {}),
      ...(message.stepId !== undefined ? { stepId: message.stepId } : {}),
      ...(message.offerId !== undefined ? { offerId: message.offerId } : {}),
      to: Object.fromEntries(
        Object.entries(message.to).filter(([key]) => key !== 'url' && key !== 'ratePerSecond'),
      ),
      content: this.contentOf(message),
      sentAt: new Date().toISOString(),
    };
  }

  private event(message: OutgoingMessage, event: string, kind: string, extra: Record<string, unknown>) {
    return {
      profileId: message.profileId,
      event,
      messageId: deliveryMessageId(`${this.name}-${kind}`, message.idempotencyKey),
      properties: { ...sendProperties({ ...message, channel: this.name }), ...extra },
    };
  }
}
