// The quarantine's decisions, without I/O: which failures are transient, how isolation cuts a
// failing slice down to the bad entry (simulated over random slices against a model step),
// the consecutive guard, and what a quarantine row keeps of an error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  afterProbe,
  DEFAULT_QUARANTINE_POLICY,
  describeFailure,
  firstProbe,
  type IsolationStep,
  isContentRefusal,
  isTransientError,
  quarantineRun,
  SystemicFailure,
} from '../../src/pipeline/quarantine.ts';

const coded = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isTransientError', () => {
  it.each([
    ['SQLite busy', coded('SQLITE_BUSY', 'database is locked')],
    ['SQLite busy, extended code', coded('SQLITE_BUSY_SNAPSHOT')],
    ['SQLite locked', coded('SQLITE_LOCKED_SHAREDCACHE')],
    ['SQLite full disk', coded('SQLITE_FULL', 'database or disk is full')],
    ['SQLite I/O error', coded('SQLITE_IOERR_WRITE', 'disk I/O error')],
    ['a plain "database is locked"', new Error('database is locked')],
    ['PostgreSQL connection failure', coded('08006')],
    ['PostgreSQL serialization failure', coded('40001')],
    ['PostgreSQL deadlock', coded('40P01')],
    ['PostgreSQL disk full', coded('53100')],
    ['PostgreSQL too many connections', coded('53300')],
    ['PostgreSQL admin shutdown', coded('57P01')],
    ['a refused socket', coded('ECONNREFUSED')],
    ['pg losing its connection', new Error('Connection terminated unexpectedly')],
    [
      'a DuckDB I/O error',
      new Error('IO Error: Could not write file "events.duckdb.wal": No space left on device'),
    ],
    ['a cause that is transient', new Error('step failed', { cause: coded('SQLITE_BUSY') })],
    ['an AggregateError holding one', new AggregateError([new Error('x'), coded('ECONNRESET')], 'several')],
  ])('%s is transient', (_name, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    [
      'a NOT NULL refusal',
      coded('SQLITE_CONSTRAINT_NOTNULL', 'NOT NULL constraint failed: profiles.first_seen'),
    ],
    [
      'PostgreSQL not-null violation',
      coded('23502', 'null value in column "first_seen" violates not-null constraint'),
    ],
    ['PostgreSQL invalid text', coded('22P02')],
    ['a TypeError from a bug', new TypeError("Cannot read properties of null (reading 'userId')")],
    ['bad JSON', new SyntaxError("Expected property name or '}' in JSON at position 1")],
    [
      'a DuckDB constraint error',
      new Error('Constraint Error: NOT NULL constraint failed: events.timestamp'),
    ],
    ['not an error at all', 'oops'],
    ['null', null],
  ])('%s is not transient', (_name, error) => {
    expect(isTransientError(error)).toBe(false);
  });
});

/**
 * Runs isolation against a model processor: entries 0..size-1 after the offset, the one at
 * `bad` fails whenever a probe includes it. Returns what was applied and what was set aside.
 */
function isolateInModel(size: number, bad: number | undefined) {
  let offset = 0;
  let probes = 0;
  let step: IsolationStep = firstProbe(size);
  while (step.next === 'probe') {
    probes += 1;
    const limit = Math.min(step.limit, size - offset);
    const fails = bad !== undefined && bad >= offset && bad < offset + limit;
    const outcome = fails ? { ok: false as const } : { ok: true as const, applied: limit };
    if (!fails) offset += limit;
    step = afterProbe(step.window, step.limit, outcome);
  }
  return { applied: offset, quarantined: step.next === 'quarantine' ? offset : undefined, probes };
}

describe('isolation', () => {
  it('lands every entry before the bad one and sets aside exactly that one', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 2000 })
          .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))),
        ([size, bad]) => {
          const result = isolateInModel(size, bad);
          expect(result.applied).toBe(bad);
          expect(result.quarantined).toBe(bad);
          // Halving: about two probes per level, never a scan of the slice one entry at a time.
          expect(result.probes).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size + 1)) + 1);
        },
      ),
    );
  });

  it('sets nothing aside when the failure does not come back on smaller pieces', () => {
    const result = isolateInModel(37, undefined);
    expect(result.quarantined).toBeUndefined();
    expect(result.applied).toBe(37);
  });

  it('stops when a probe finds nothing to apply (another process moved on)', () => {
    expect(afterProbe(10, 5, { ok: true, applied: 0 })).toEqual({ next: 'gone' });
    expect(firstProbe(0)).toEqual({ next: 'gone' });
  });

  it('a single failing entry goes straight to quarantine', () => {
    expect(firstProbe(1)).toEqual({ next: 'probe', window: 1, limit: 1 });
    expect(afterProbe(1, 1, { ok: false })).toEqual({ next: 'quarantine' });
  });
});

describe('the consecutive guard', () => {
  it('allows up to maxConsecutive failures in a row, not one more', () => {
    const policy = { maxConsecutive: 3 };
    expect([0, 1, 2, 3, 4].map((previous) => quarantineRun(previous, false, policy))).toEqual([
      { allowed: true, run: 1 },
      { allowed: true, run: 2 },
      { allowed: true, run: 3 },
      { allowed: false, run: 4 },
      { allowed: false, run: 5 },
    ]);
    expect(quarantineRun(0, false, { maxConsecutive: 0 }).allowed).toBe(false);
    expect(DEFAULT_QUARANTINE_POLICY.maxConsecutive).toBe(10);
  });

  it('always sets aside a content refusal, which neither counts nor ends the run', () => {
    const policy = { maxConsecutive: 3 };
    expect([0, 2, 3, 50].map((previous) => quarantineRun(previous, true, policy))).toEqual([
      { allowed: true, run: 0 },
      { allowed: true, run: 2 },
      { allowed: true, run: 3 },
      { allowed: true, run: 50 },
    ]);
    // The quarantine turned off stops on every failure.
    expect(quarantineRun(0, true, { maxConsecutive: 0 }).allowed).toBe(false);
  });

  it('says what it refused and names the setting', () => {
    const error = new SystemicFailure('profiles', 10, new Error('NOT NULL constraint failed'));
    expect(error.message).toContain('profiles: 10 log entries in a row');
    expect(error.message).toContain('RAPPORT_QUARANTINE_MAX_CONSECUTIVE');
    expect(error.message).toContain('NOT NULL constraint failed');
  });
});

describe('isContentRefusal', () => {
  it.each([
    [
      'PostgreSQL index row too large',
      coded('54000', 'index row size 4016 exceeds btree version 4 maximum 2704'),
    ],
    ['PostgreSQL not null', coded('23502')],
    ['PostgreSQL unique', coded('23505')],
    ['PostgreSQL numeric out of range', coded('22003')],
    ['PostgreSQL invalid text representation', coded('22P02')],
    ['SQLite not null', coded('SQLITE_CONSTRAINT_NOTNULL')],
    ['SQLite too big', coded('SQLITE_TOOBIG')],
    ['SQLite mismatch', coded('SQLITE_MISMATCH')],
    ['DuckDB conversion', new Error('Conversion Error: Could not convert string "x" to INT64')],
    ['DuckDB constraint', new Error('Constraint Error: NOT NULL constraint failed: events.timestamp')],
    ['DuckDB out of range', new Error('Out of Range Error: Overflow in multiplication')],
    ['wrapped', Object.assign(new Error('outer'), { cause: coded('23505') })],
    [
      "a Citus worker's not-null refusal, passed on as XX000",
      coded(
        'XX000',
        'null value in column "timestamp" of relation "events_103068" violates not-null constraint',
      ),
    ],
    [
      "a Citus worker's index row limit, passed on as XX000",
      coded(
        'XX000',
        'index row size 4016 exceeds btree version 4 maximum 2704 for index "identities_pkey_102010"',
      ),
    ],
  ])('%s is a content refusal', (_name, error) => {
    expect(isContentRefusal(error)).toBe(true);
    expect(isTransientError(error)).toBe(false);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['PostgreSQL internal error', coded('XX000')],
    ['an internal error of another wording', coded('XX000', 'could not find block containing chunk 0x55')],
    ['PostgreSQL undefined column (a migration missing)', coded('42703')],
    ['SQLite busy', coded('SQLITE_BUSY')],
    ['PostgreSQL deadlock', coded('40P01')],
    ['PostgreSQL disk full', coded('53100')],
    ['DuckDB I/O', new Error('IO Error: could not write file')],
    ['not an error', 'text'],
  ])('%s is not', (_name, error) => {
    expect(isContentRefusal(error)).toBe(false);
  });
});

describe('describeFailure', () => {
  it('keeps the message with its code and a short stack', () => {
    const error = coded('SQLITE_CONSTRAINT_NOTNULL', 'NOT NULL constraint failed: profiles.first_seen');
    error.stack = ['Error: x', ...Array.from({ length: 40 }, (_, i) => `    at frame${i}`)].join('\n');
    const described = describeFailure(error);
    expect(described.error).toBe(
      'SQLITE_CONSTRAINT_NOTNULL: NOT NULL constraint failed: profiles.first_seen',
    );
    expect(described.stack?.split('\n')).toHaveLength(8);
    expect(describeFailure('text').stack).toBeNull();
    expect(describeFailure(new Error('x'.repeat(5000))).error).toHaveLength(2000);
  });
});
