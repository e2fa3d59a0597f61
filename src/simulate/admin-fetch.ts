// The demo's admin calls through one door that survives a loaded server: a connection reset
// (a keep-alive socket the server closed as the request left), a refused connection or a 429,
// 502, 503 or 504 is retried with exponential backoff (p-retry), but only when repeating the
// call cannot do twice what it did once:
//   - GET, HEAD, PUT and DELETE are idempotent by HTTP;
//   - a POST the caller marks `idempotent` (a refresh that recomputes, a batch keyed by
//     messageId, spend rows that replace their days);
//   - a create (POST) that names how to tell whether an earlier attempt landed (`landed`): after
//     a failed attempt the helper asks, and answers the confirmation instead of posting again.
// Any other POST is sent once. Answers other than those retried are returned as they are.
import pRetry from 'p-retry';

export interface DemoFetchOptions {
  /** A POST that the server applies once however often it is sent. */
  idempotent?: boolean;
  /** For a create: whether a previous attempt already made it (then no second attempt is sent). */
  landed?: () => Promise<Response | undefined>;
  /** Retries after the first attempt (default 6: about 30 s of backoff in all). */
  retries?: number;
  /** Backoff of the first retry in ms (default 250, doubling up to 8 s). */
  minTimeoutMs?: number;
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

class RetryableAnswer extends Error {
  constructor(readonly response: Response) {
    super(`server answered ${response.status}`);
  }
}

/** True when repeating the request is safe without asking the server first. */
export function isRepeatable(method: string | undefined, options: DemoFetchOptions = {}): boolean {
  return SAFE_METHODS.has((method ?? 'GET').toUpperCase()) || options.idempotent === true;
}

export async function demoFetch(
  url: URL | string,
  init: RequestInit = {},
  options: DemoFetchOptions = {},
): Promise<Response> {
  const repeatable = isRepeatable(init.method, options);
  if (!repeatable && !options.landed) return fetch(url, init);
  let attempts = 0;
  try {
    return await pRetry(
      async () => {
        attempts += 1;
        if (attempts > 1 && !repeatable) {
          const made = await options.landed?.();
          if (made) return made;
        }
        // p-retry retries a network failure (fetch's TypeError) and rethrows any other TypeError.
        const response = await fetch(url, init);
        if (RETRYABLE_STATUSES.has(response.status)) throw new RetryableAnswer(response);
        return response;
      },
      {
        retries: options.retries ?? 6,
        minTimeout: options.minTimeoutMs ?? 250,
        maxTimeout: 8_000,
      },
    );
  } catch (error) {
    // Out of retries on a status: hand the last answer back so the caller reports it.
    if (error instanceof RetryableAnswer) return error.response;
    throw error;
  }
}
