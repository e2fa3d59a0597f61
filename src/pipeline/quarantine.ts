// Poison-message quarantine, the decisions (docs/quarantine.md). Pure: which errors are
// transient, how a failing slice is cut down to the entry that fails, when a run of set-aside
// entries means the failure is systemic. The I/O that follows these decisions is in
// quarantine-loop.ts.

/** How a processor retries, isolates and sets aside (RAPPORT_QUARANTINE_MAX_CONSECUTIVE). */
export interface QuarantinePolicy {
  /** Retries of a failing step, and of the single failing entry, before isolating or setting aside. */
  retries: number;
  /** First retry delay; each retry doubles it. */
  retryDelayMs: number;
  /**
   * The most entries one processor sets aside in a row. The next one is not set aside: the
   * processor stops there and retries with backoff, reporting the error, since that many bad
   * messages in a row is far likelier a bug, a full disk or a broken config than bad messages.
   */
  maxConsecutive: number;
}

export const DEFAULT_QUARANTINE_POLICY: QuarantinePolicy = {
  retries: 2,
  retryDelayMs: 100,
  maxConsecutive: 10,
};

// SQLite result codes (the extended ones start with these) for a lock held elsewhere, a full
// disk, an I/O failure or a file that cannot be opened right now.
const TRANSIENT_SQLITE = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN'];
// PostgreSQL SQLSTATE: 08 connection exceptions, 40 transaction rollback (serialization
// failure, deadlock), 53 insufficient resources (disk full, out of memory, too many
// connections), 55006 object in use, 55P03 lock not available, 57014 query canceled (a
// statement timeout), 57P01-57P05 shutdown / cannot connect now / idle session timeout, 58
// system error (an I/O error below the server).
const TRANSIENT_SQLSTATE = /^(08...|40...|53...|55006|55P03|57014|57P0[1-5]|58...)$/;
// Node's socket errors, as pg raises them when the server goes away.
const TRANSIENT_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOSPC',
  'EIO',
  'EMFILE',
  'ENFILE',
]);
const TRANSIENT_MESSAGES = [
  /database is locked/i,
  /database table is locked/i,
  // DuckDB: "IO Error: …", "Could not set lock on file …", an out-of-memory while spilling.
  /\bIO Error\b/,
  /Could not set lock on file/i,
  /Out of Memory Error/i,
  // pg, when the connection drops or the pool cannot hand one out in time.
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /\bdisk (is )?full\b/i,
  /no space left on device/i,
];

// A store refusing a message for what it holds, not for the state of the machine:
// PostgreSQL 22 data exception (a value out of range, an invalid text representation), 23
// integrity constraint violation (NOT NULL, unique, check), 54 program limit exceeded (an
// index row over the btree's size limit, too many columns); SQLite's constraint, too-big and
// datatype-mismatch results; DuckDB's conversion, constraint, out-of-range and invalid-input
// errors (DuckDB raises them with the type as the message's prefix); and an adapter's own
// refusal of a value before the driver sees it (RAPPORT_STORE_INVALID_VALUE).
const CONTENT_SQLSTATE = /^(22...|23...|54...)$/;
const CONTENT_SQLITE = [
  'SQLITE_CONSTRAINT',
  'SQLITE_TOOBIG',
  'SQLITE_MISMATCH',
  'RAPPORT_STORE_INVALID_VALUE',
];
const CONTENT_MESSAGES = [
  /^(Conversion|Constraint|Out of Range|Invalid Input) Error\b/,
  /^string or blob too big/i,
];
// Citus hands some errors of a worker's shard on as XX000 (internal error) with the worker's
// message: for that code only, PostgreSQL's own wording of the 22/23/54 refusals decides.
const CITUS_WORKER_CONTENT = [
  /violates (not-null|unique|check|exclusion|foreign key) constraint/,
  /^null value in column /,
  /^invalid input syntax for /,
  /^value too long for type /,
  /out of range/,
  /^index row (size|requires) /,
  /^invalid byte sequence for encoding/,
  /^unsupported Unicode escape sequence/,
];

function codeOf(error: object): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether a step failed for a reason outside the messages it was applying (a lock, the disk,
 * the network, the database going away): such a failure is retried for as long as it lasts and
 * never costs a message its place. Follows `cause` and AggregateError's `errors`.
 */
export function isTransientError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 5) return false;
  const code = codeOf(error);
  if (code !== undefined) {
    if (TRANSIENT_SQLITE.some((prefix) => code === prefix || code.startsWith(`${prefix}_`))) return true;
    if (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_ERRNO.has(code)) return true;
  }
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return true;
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined && isTransientError(cause, depth + 1)) return true;
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) && errors.some((inner) => isTransientError(inner, depth + 1));
}

/**
 * Whether a store refused the message for its content (a constraint, a value it cannot
 * represent, a key too long for its index): such a message is set aside however many arrive in
 * a row, since any sender can send them, and a run of them says nothing about the processor.
 * A transient error never counts as one. Follows `cause` like isTransientError.
 */
export function isContentRefusal(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 5) return false;
  if (depth === 0 && isTransientError(error)) return false;
  const code = codeOf(error);
  if (code !== undefined) {
    if (CONTENT_SQLITE.some((prefix) => code === prefix || code.startsWith(`${prefix}_`))) return true;
    if (CONTENT_SQLSTATE.test(code)) return true;
  }
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && CONTENT_MESSAGES.some((pattern) => pattern.test(message))) return true;
  if (code === 'XX000' && typeof message === 'string' && CITUS_WORKER_CONTENT.some((p) => p.test(message))) {
    return true;
  }
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && isContentRefusal(cause, depth + 1);
}

const STACK_LINES = 8;
const STACK_CHARS = 2000;
const MESSAGE_CHARS = 2000;

/** The error's message and the first lines of its stack, bounded, for the quarantine row. */
export function describeFailure(error: unknown): { error: string; stack: string | null } {
  if (!(error instanceof Error)) return { error: String(error).slice(0, MESSAGE_CHARS), stack: null };
  const code = codeOf(error);
  const message = `${code && !error.message.includes(code) ? `${code}: ` : ''}${error.message}`;
  const stack = error.stack
    ? error.stack.split('\n').slice(0, STACK_LINES).join('\n').slice(0, STACK_CHARS)
    : null;
  return { error: message.slice(0, MESSAGE_CHARS), stack };
}

/**
 * Isolating the entry that fails. A step over the next `window` entries failed; the state is
 * that window. Each probe runs the step over the first half of it (at least one entry):
 *  - the probe applies (the good entries before the bad one land): the window shrinks by what
 *    it applied, and the next probe starts after them;
 *  - the probe fails: the failure is in that half, which becomes the window;
 *  - a probe of one entry fails: that entry is the one to set aside;
 *  - the window empties, or a probe finds nothing to apply: the failure did not come back on
 *    smaller pieces, so there is nothing to set aside (the caller reports the first error).
 * About 2·log2(window) probes for a slice with one bad entry.
 */
export type ProbeOutcome = { ok: true; applied: number } | { ok: false };

export type IsolationStep =
  | { next: 'probe'; window: number; limit: number }
  | { next: 'quarantine' }
  | { next: 'gone' };

export function firstProbe(window: number): IsolationStep {
  if (window < 1) return { next: 'gone' };
  return { next: 'probe', window, limit: probeLimit(window) };
}

export function probeLimit(window: number): number {
  return Math.max(1, Math.floor(window / 2));
}

export function afterProbe(window: number, limit: number, outcome: ProbeOutcome): IsolationStep {
  if (!outcome.ok) {
    if (limit <= 1) return { next: 'quarantine' };
    return { next: 'probe', window: limit, limit: probeLimit(limit) };
  }
  if (outcome.applied <= 0) return { next: 'gone' };
  const rest = window - outcome.applied;
  if (rest < 1) return { next: 'gone' };
  return { next: 'probe', window: rest, limit: probeLimit(rest) };
}

/**
 * Whether an entry may be set aside when the entry just before it (the processor's offset)
 * was itself set aside as the `previousRun`-th of a run, and the run it makes: a content
 * refusal is always set aside and neither counts nor ends the run; any other failure (a bug)
 * counts, and is not set aside once the run reached the limit.
 */
export function quarantineRun(
  previousRun: number,
  contentRefusal: boolean,
  policy: Pick<QuarantinePolicy, 'maxConsecutive'>,
): { allowed: boolean; run: number } {
  if (policy.maxConsecutive <= 0) return { allowed: false, run: previousRun };
  if (contentRefusal) return { allowed: true, run: previousRun };
  return { allowed: previousRun < policy.maxConsecutive, run: previousRun + 1 };
}

/** The error a processor reports when the guard stops it from setting another entry aside. */
export class SystemicFailure extends Error {
  constructor(
    readonly processor: string,
    readonly run: number,
    readonly underlying: unknown,
  ) {
    super(
      `${processor}: ${run} log entries in a row failed and were set aside; not setting aside more ` +
        `(RAPPORT_QUARANTINE_MAX_CONSECUTIVE) and retrying, since this looks like a failure of the ` +
        `processor rather than of the messages: ${describeFailure(underlying).error}`,
    );
    this.name = 'SystemicFailure';
  }
}
