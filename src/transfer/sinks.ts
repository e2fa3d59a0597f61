// Where imported messages go. Local: parsePayload (the tracking API's own validation) and one
// large transaction on the ingest log, which the running server's processors (or the next
// start) apply. Remote: /v1/batch requests, several in flight, retried on 429/5xx honouring
// Retry-After, stopped with a clear message on any other refusal.
import pRetry, { AbortError } from 'p-retry';
import { parsePayload, SEGMENT_LIMITS } from '../events/index.ts';
import type { DeadLetter, IngestLogStore, LogEntry } from '../store/index.ts';

/** A rejection of one message of a batch, as the tracking API reports it. */
export interface BatchRejection {
  index: number;
  code: string;
  field: string;
  reason: string;
}

export interface SinkResult {
  imported: number;
  duplicates: number;
  rejected: BatchRejection[];
}

export interface ImportSink {
  readonly mode: 'local' | 'remote';
  /** Messages per send; the runner waits for each send before checkpointing. */
  readonly batchSize: number;
  send(messages: Record<string, unknown>[]): Promise<SinkResult>;
  close(): Promise<void>;
}

/** A refusal that retrying will not fix (wrong write key, a request the server will never take). */
export class ImportRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportRefusedError';
  }
}

const DEAD_LETTER_BODY_LIMIT = 64 * 1024;

function deadLetter(rejection: BatchRejection, raw: unknown, receivedAt: string, source: string): DeadLetter {
  let body: string;
  try {
    body = JSON.stringify(raw) ?? 'undefined';
  } catch {
    body = '"[too deeply nested to keep]"';
  }
  if (body.length > DEAD_LETTER_BODY_LIMIT) body = `${body.slice(0, DEAD_LETTER_BODY_LIMIT)}…[truncated]`;
  const { code, field, reason } = rejection;
  return { receivedAt, source, code, field, reason, body };
}

export class LocalSink implements ImportSink {
  readonly mode = 'local' as const;

  constructor(
    private readonly log: IngestLogStore,
    /** The source name traits record, as a write key's name does over HTTP. */
    private readonly source: string,
    readonly batchSize = 5000,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  async send(messages: Record<string, unknown>[]): Promise<SinkResult> {
    const receivedAt = new Date();
    const received = receivedAt.toISOString();
    const entries: LogEntry[] = [];
    const deadLetters: DeadLetter[] = [];
    const rejected: BatchRejection[] = [];
    // parsePayload checks the batch length against Segment's 2,500; slice to stay under it.
    for (let start = 0; start < messages.length; start += SEGMENT_LIMITS.batchMessages) {
      const slice = messages.slice(start, start + SEGMENT_LIMITS.batchMessages);
      const parsed = parsePayload({ batch: slice }, 'batch', { receivedAt });
      for (const { message, json } of parsed.accepted) {
        entries.push({ messageId: message.messageId, source: this.source, receivedAt: received, json });
      }
      for (const rejection of parsed.rejected) {
        const item = {
          index: start + rejection.index,
          code: rejection.code,
          field: rejection.field,
          reason: rejection.reason,
        };
        rejected.push(item);
        deadLetters.push(deadLetter(item, rejection.message, received, this.source));
      }
    }
    const result = await this.log.append(entries, deadLetters);
    return { imported: result.appended, duplicates: result.duplicates, rejected };
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}

export interface RemoteSinkOptions {
  url: string;
  writeKey: string;
  /** Messages per request (the server takes up to 2,500 and 500 KB). */
  requestMessages?: number;
  requestBytes?: number;
  concurrency?: number;
  retries?: number;
  /** Called when a request is retried, with why. */
  onRetry?: (reason: string) => void;
}

class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
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

interface Request {
  start: number;
  count: number;
  body: string;
}

export class RemoteSink implements ImportSink {
  readonly mode = 'remote' as const;
  readonly batchSize: number;
  private readonly endpoint: string;
  private readonly authorization: string;

  constructor(private readonly options: RemoteSinkOptions) {
    this.endpoint = new URL('/v1/batch', options.url).toString();
    this.authorization = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
    this.batchSize = (options.requestMessages ?? 500) * (options.concurrency ?? 4);
  }

  /** Splits into requests under the server's limits, sends them several at a time. */
  async send(messages: Record<string, unknown>[]): Promise<SinkResult> {
    const requests = this.requestsOf(messages);
    const result: SinkResult = { imported: 0, duplicates: 0, rejected: [] };
    const concurrency = this.options.concurrency ?? 4;
    for (let i = 0; i < requests.length; i += concurrency) {
      const answers = await Promise.all(requests.slice(i, i + concurrency).map((r) => this.post(r)));
      for (const answer of answers) {
        result.imported += answer.imported;
        result.rejected.push(...answer.rejected);
      }
    }
    result.rejected.sort((a, b) => a.index - b.index);
    return result;
  }

  private requestsOf(messages: Record<string, unknown>[]): Request[] {
    const maxMessages = this.options.requestMessages ?? 500;
    // Leave room under the server's 500 KB for the envelope.
    const maxBytes = this.options.requestBytes ?? 450 * 1024;
    const requests: Request[] = [];
    let parts: string[] = [];
    let bytes = 0;
    let start = 0;
    const flush = (next: number) => {
      if (parts.length > 0)
        requests.push({ start, count: parts.length, body: `{"batch":[${parts.join(',')}]}` });
      parts = [];
      bytes = 0;
      start = next;
    };
    messages.forEach((message, index) => {
      const json = JSON.stringify(message);
      const size = Buffer.byteLength(json) + 1;
      if (parts.length >= maxMessages || (parts.length > 0 && bytes + size > maxBytes)) flush(index);
      parts.push(json);
      bytes += size;
    });
    flush(messages.length);
    return requests;
  }

  private async post(request: Request): Promise<SinkResult> {
    return pRetry(() => this.postOnce(request), {
      retries: this.options.retries ?? 10,
      minTimeout: 250,
      maxTimeout: 15_000,
      onFailedAttempt: async ({ error }) => {
        this.options.onRetry?.(error.message);
        // The server said when to come back: wait that long on top of the backoff.
        const wait = error instanceof RetryableError ? error.retryAfterMs : undefined;
        if (wait) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 60_000)));
      },
    });
  }

  private async postOnce(request: Request): Promise<SinkResult> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: this.authorization },
        body: request.body,
      });
    } catch (error) {
      throw new RetryableError(`cannot reach ${this.endpoint}: ${(error as Error).message}`, undefined);
    }
    const text = await response.text();
    const answer = safeJson(text) as { accepted?: number; rejected?: BatchRejection[] } | undefined;
    const rejected = (answer?.rejected ?? []).map((r) => ({ ...r, index: request.start + r.index }));
    if (response.ok)
      return { imported: answer?.accepted ?? request.count - rejected.length, duplicates: 0, rejected };
    // Every message of the request was rejected: the API answers 400/413 and lists them.
    if ((response.status === 400 || response.status === 413) && rejected.length === request.count) {
      return { imported: 0, duplicates: 0, rejected };
    }
    if (RETRYABLE_STATUSES.has(response.status)) {
      throw new RetryableError(
        `server answered ${response.status}`,
        retryAfterMs(response.headers.get('retry-after')),
      );
    }
    throw new AbortError(new ImportRefusedError(refusalMessage(response.status, text)));
  }

  async close(): Promise<void> {}
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function refusalMessage(status: number, text: string): string {
  const detail = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  const hint =
    status === 401 || status === 403
      ? ' (check --write-key or RAPPORT_WRITE_KEY: the server does not know this write key)'
      : '';
  return `the server refused a batch with ${status}${hint}: ${detail}`;
}
