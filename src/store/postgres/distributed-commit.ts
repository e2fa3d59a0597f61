// Commits interrupted on a Citus cluster, and why a processor waits for them (docs/scaling.md).
//
// A transaction that wrote to more than one worker commits in two phases: every worker
// prepares, the coordinator commits, then it tells each worker to COMMIT PREPARED. A worker lost
// between the last two keeps its prepared transaction (it is durable) and the coordinator only
// warns: the client sees a successful COMMIT. Citus's maintenance daemon finishes the prepared
// transaction once the worker is back, within citus.recover_2pc_interval (a minute by default).
// Until then the rows it wrote read as their old values. A processor that reads a profile, adds
// a batch to it and writes it back would then overwrite the committed batch: acknowledged events
// missing from the counts. So once this process has seen trouble (a commit warning, a failed
// transaction), a processor settles the cluster before it reads: it asks Citus to finish every
// interrupted commit now, and goes on only when every worker answered.
import type pg from 'pg';
import { hasCitus } from './citus.ts';

// Process-wide: a commit interrupted on any pool may hold rows any processor reads.
let troubles = 0;
let settledUpTo = 0;
const citusPools = new WeakMap<pg.Pool, boolean>();
const watchedPools = new WeakSet<pg.Pool>();

/** Something went wrong on a connection: the next processor to start a step settles first. */
export function noteCommitTrouble(): void {
  troubles += 1;
}

export function hasUnsettledTrouble(): boolean {
  return troubles > settledUpTo;
}

/**
 * Citus reports a worker it could not reach at COMMIT time as a WARNING on the client whose
 * COMMIT succeeded; nothing else tells the caller that a write is still pending.
 */
export function watchCommitWarnings(pool: pg.Pool): void {
  if (watchedPools.has(pool)) return;
  watchedPools.add(pool);
  pool.on('connect', (client) => {
    client.on('notice', (notice) => {
      if (notice.severity === 'WARNING') noteCommitTrouble();
    });
  });
}

/** Raised while a worker cannot be reached to finish an interrupted commit: retried, never lost. */
export class InterruptedCommitPending extends Error {
  // 57P03 cannot_connect_now: the cluster cannot serve this read yet; the processors retry it.
  readonly code = '57P03';
  constructor(detail: string) {
    super(`a commit interrupted on a Citus worker is not finished yet (${detail}); retrying`);
    this.name = 'InterruptedCommitPending';
  }
}

/**
 * Before a processor step on `client` (outside any transaction): when trouble was seen since the
 * last settle and the database is a Citus coordinator, finish the interrupted commits
 * (recover_prepared_transactions) and check that every worker answers. Throws
 * InterruptedCommitPending when one does not, so the step is retried later with its offset
 * unmoved.
 */
export async function settleInterruptedCommits(pool: pg.Pool, client: pg.PoolClient): Promise<void> {
  if (!hasUnsettledTrouble()) return;
  const upTo = troubles;
  let citus = citusPools.get(pool);
  if (citus === undefined) {
    citus = await hasCitus(client);
    citusPools.set(pool, citus);
  }
  if (!citus) {
    settledUpTo = Math.max(settledUpTo, upTo);
    return;
  }
  const warnings: string[] = [];
  const onNotice = (notice: { severity?: string; message?: string }) => {
    if (notice.severity === 'WARNING') warnings.push(notice.message ?? 'warning');
  };
  client.on('notice', onNotice);
  try {
    await client.query('SELECT recover_prepared_transactions()');
    const { rows } = await client.query<{ unreachable: string }>(
      `SELECT count(*) FILTER (WHERE NOT success) AS unreachable FROM run_command_on_workers('SELECT 1')`,
    );
    const unreachable = Number(rows[0]?.unreachable ?? 0);
    if (unreachable > 0) throw new InterruptedCommitPending(`${unreachable} worker(s) unreachable`);
    if (warnings.length > 0) throw new InterruptedCommitPending(warnings[0] as string);
  } finally {
    client.off('notice', onNotice);
  }
  settledUpTo = Math.max(settledUpTo, upTo);
}
