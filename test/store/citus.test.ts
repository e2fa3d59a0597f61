// Rapport on a local Citus cluster (coordinator + 2 workers), run with RAPPORT_TEST_CITUS=1 as
// .ci/run does: the migrations place every table as docs/scaling.md says, and a worker killed
// with SIGKILL under load and started again loses no acknowledged message and doubles none.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CITUS_PLACEMENTS, citusPlacements } from '../../src/store/postgres/citus.ts';
import { noteCommitTrouble } from '../../src/store/postgres/distributed-commit.ts';
import { PostgresStateStore } from '../../src/store/postgres/state.ts';
import {
  type ChildServer,
  sendBatchesUntil,
  startChildServer,
  testSecrets,
} from '../support/child-server.ts';
import { startThrowawayCitus, type ThrowawayCitus } from '../support/citus.ts';
import { runPgCtl } from '../support/postgres.ts';
import { createTestDatabase } from '../support/postgres-database.ts';

const citus = inject('citus');
const skipReason = citus ? '' : '(set RAPPORT_TEST_CITUS=1 with Citus installed; .ci/run does)';
const USERS = 40;

interface Status {
  processors: Record<string, { lag: number }>;
}

async function status(server: ChildServer, adminToken: string): Promise<Status> {
  const response = await fetch(`${server.url}/api/status`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  return (await response.json()) as Status;
}

/**
 * SIGKILL to a node's postmaster and every process it started: the machine went away. The
 * postmaster is stopped first, so it cannot start a backend between the listing and the kill.
 */
function killNode(ctlArgs: readonly string[]): void {
  const dataDir = ctlArgs[ctlArgs.indexOf('-D') + 1]!;
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(postmaster, 'SIGSTOP');
  const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  for (const pid of [...children, postmaster]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Starts a killed node again, once the dead processes have let go of its shared memory. */
async function restartNode(ctlArgs: readonly string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      runPgCtl(ctlArgs, ['-w', 'start']);
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

describe.skipIf(!citus)(`Rapport on a Citus cluster ${skipReason}`, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const secrets = testSecrets();
  const env = () => ({
    RAPPORT_DATABASE_URL: database.url,
    RAPPORT_WRITE_KEY: secrets.writeKey,
    RAPPORT_ADMIN_TOKEN: secrets.adminToken,
  });

  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresUrl'));
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('places every table: customer data distributed by profile, colocated, over both workers', async () => {
    const server = await startChildServer(env());
    await server.kill('SIGTERM');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const placements = await citusPlacements(client, 'rapport');
      expect(placements.length).toBeGreaterThan(30);
      expect(placements.filter((p) => !p.classified).map((p) => p.table)).toEqual([]);
      for (const p of placements)
        expect({ table: p.table, actual: p.actual }).toEqual({ table: p.table, actual: p.placement });
      const distributed = placements.filter((p) => p.actual === 'distributed').map((p) => p.table);
      expect(distributed).toEqual(
        expect.arrayContaining(['profiles', 'events', 'identities', 'segment_members', 'decisions']),
      );
      // Colocation: every table distributed by profile_id shares a group with others of its
      // collation (two families: default and byte order "C"); identities stand alone.
      const groups = await client.query<{ table: string; group: number }>(
        `SELECT c.relname AS table, p.colocationid AS group FROM pg_dist_partition p
           JOIN pg_class c ON c.oid = p.logicalrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'rapport' AND p.partmethod = 'h'`,
      );
      const groupOf = new Map(groups.rows.map((r) => [r.table, r.group]));
      expect(groupOf.get('events')).toBe(groupOf.get('profiles'));
      expect(groupOf.get('consent_history')).toBe(groupOf.get('profiles'));
      expect(groupOf.get('decisions')).toBe(groupOf.get('profiles'));
      expect(groupOf.get('segment_members')).toBe(groupOf.get('lifecycle_stage'));
      expect(new Set(groups.rows.map((r) => r.group)).size).toBe(3);
      // Shards of the events table sit on both workers, none on the coordinator.
      const nodes = await client.query<{ port: number }>(
        `SELECT DISTINCT s.nodeport AS port FROM citus_shards s WHERE s.table_name = 'rapport.events'::regclass`,
      );
      expect(nodes.rows.map((r) => r.port).sort()).toEqual(citus!.workers.map((w) => w.port).sort());
      // Every classified table is one Rapport creates (no stale entries).
      const created = new Set(placements.map((p) => p.table));
      expect(Object.keys(CITUS_PLACEMENTS).filter((t) => !created.has(t))).toEqual([]);
    } finally {
      await client.end();
    }
  }, 120_000);

  it('loses no acknowledged message when a worker is killed with SIGKILL under load and restarted', async () => {
    // A cluster of its own: killing a worker of the shared one would fail the other files
    // running on it at the same moment.
    const own = await startThrowawayCitus();
    try {
      await killAndRestartUnderLoad(own);
    } finally {
      own.stop();
    }
  }, 300_000);

  it('finishes a commit a lost worker left prepared before a processor reads past it', async () => {
    // What a worker killed between the two phases of a commit leaves behind, made by hand: a
    // prepared transaction on the worker that adds 100 to a profile's count, and the
    // coordinator's record that the transaction committed. Citus's own recovery would finish it
    // within a minute; until then the row reads as before, and a processor adding to it would
    // write its count over the 100. Having seen trouble, the processor finishes it first.
    const server = await startChildServer(env());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const store = await PostgresStateStore.open(database.url);
    const gid = `citus_0_${process.pid}_${Date.now() % 1_000_000}_0`;
    try {
      const sent = await fetch(`${server.url}/v1/track`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${secrets.writeKey}:`).toString('base64')}`,
        },
        body: JSON.stringify({ messageId: 'settle-1', anonymousId: 'settle-a', event: 'Tick' }),
      });
      expect(sent.status).toBe(200);
      await caughtUp(server);
      await server.kill('SIGTERM');
      const { rows } = await client.query<{ profile_id: string }>(
        "SELECT profile_id FROM rapport.identities WHERE value = 'settle-a'",
      );
      const profileId = rows[0]!.profile_id;
      await prepareOnWorker(client, profileId, gid);
      const countBefore = await store.withProcessorLock('settle-test', (tx) => tx.loadProfiles([profileId]));
      expect(countBefore?.[0]?.eventCount).toBe(1);

      noteCommitTrouble();
      const countAfter = await store.withProcessorLock('settle-test', (tx) => tx.loadProfiles([profileId]));
      expect(countAfter?.[0]?.eventCount).toBe(101);
      expect(
        await preparedOnWorkers(citus!.workers.map((w) => ({ url: inDatabase(w.url, database.url) }))),
      ).toEqual([]);
    } finally {
      await client.query(`SELECT run_command_on_workers($$ROLLBACK PREPARED '${gid}'$$)`).catch(() => {});
      await client.end();
      await store.close();
      await server.kill('SIGTERM').catch(() => {});
    }
  }, 120_000);

  /** On the worker holding the profile: a prepared +100, and the coordinator's commit record. */
  async function prepareOnWorker(client: pg.Client, profileId: string, gid: string): Promise<void> {
    const shard = await client.query<{ shardid: string; port: number; groupid: number }>(
      `SELECT s.shardid, s.nodeport AS port, n.groupid FROM citus_shards s
         JOIN pg_dist_node n ON n.nodeport = s.nodeport
        WHERE s.shardid = get_shard_id_for_distribution_column('rapport.profiles', $1::text)`,
      [profileId],
    );
    const { shardid, port, groupid } = shard.rows[0]!;
    const workerUrl = new URL(database.url);
    workerUrl.port = String(port);
    const worker = new pg.Client({ connectionString: workerUrl.toString() });
    await worker.connect();
    try {
      await worker.query('BEGIN');
      await worker.query(
        `UPDATE rapport.profiles_${shardid} SET event_count = event_count + 100 WHERE profile_id = $1`,
        [profileId],
      );
      await worker.query(`PREPARE TRANSACTION '${gid}'`);
    } finally {
      await worker.end();
    }
    await client.query('INSERT INTO pg_dist_transaction (groupid, gid) VALUES ($1, $2)', [groupid, gid]);
  }

  /** A worker's url in the test database (the cluster's urls name the default one). */
  function inDatabase(workerUrl: string, databaseUrl: string): string {
    const url = new URL(workerUrl);
    url.pathname = new URL(databaseUrl).pathname;
    return url.toString();
  }

  async function caughtUp(server: ChildServer): Promise<void> {
    for (let i = 0; i < 600; i++) {
      const { processors } = await status(server, secrets.adminToken);
      if (processors.profiles?.lag === 0 && processors.warehouse?.lag === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the processors did not catch up');
  }

  async function preparedOnWorkers(workers: readonly { url: string }[]): Promise<string[]> {
    const found: string[] = [];
    for (const worker of workers) {
      const client = new pg.Client({ connectionString: worker.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ gid: string }>('SELECT gid FROM pg_prepared_xacts');
        found.push(...rows.map((r) => r.gid));
      } finally {
        await client.end();
      }
    }
    return found;
  }

  async function killAndRestartUnderLoad(own: ThrowawayCitus) {
    const server = await startChildServer({ ...env(), RAPPORT_DATABASE_URL: own.coordinator.url });
    const stop = { now: false };
    const batchOf = (n: number) =>
      Array.from({ length: 20 }, (_, i) => {
        const k = n * 20 + i;
        const messageId = `citus-${k}`;
        return k % 5 === 0
          ? { type: 'identify', messageId, userId: `u-${k % USERS}`, anonymousId: `a-${k % USERS}` }
          : { type: 'track', messageId, anonymousId: `a-${k % USERS}`, event: 'Tick' };
      });
    const sending = sendBatchesUntil(server.url, secrets.writeKey, stop, batchOf, 300);
    await new Promise((r) => setTimeout(r, 1500));
    const worker = own.workers[1]!;
    killNode(worker.ctlArgs);
    await new Promise((r) => setTimeout(r, 1500));
    await restartNode(worker.ctlArgs);
    await new Promise((r) => setTimeout(r, 1000));
    stop.now = true;
    const acked = new Set(await sending);
    expect(acked.size).toBeGreaterThan(100);

    let caughtUp = false;
    for (let i = 0; i < 900 && !caughtUp; i++) {
      const { processors } = await status(server, secrets.adminToken);
      caughtUp = processors.profiles?.lag === 0 && processors.warehouse?.lag === 0;
      if (!caughtUp) await new Promise((r) => setTimeout(r, 100));
    }
    expect(caughtUp).toBe(true);
    await server.kill('SIGTERM');
    // A commit interrupted by the kill is finished by the processors' settle once the worker is
    // back; with the server stopped, none may be left (a 2PC in flight would be one).
    expect(await preparedOnWorkers(own.workers)).toEqual([]);

    const client = new pg.Client({ connectionString: own.coordinator.url });
    await client.connect();
    try {
      const log = await client.query<{ message_id: string }>(
        `SELECT id AS message_id FROM rapport.log_batches, json_array_elements_text(message_ids::json) AS id
         WHERE id LIKE 'citus-%'`,
      );
      const logged = new Set(log.rows.map((r) => r.message_id));
      expect([...acked].filter((id) => !logged.has(id))).toEqual([]);
      const stored = await client.query<{ message_id: string; n: string }>(
        "SELECT message_id, count(*) AS n FROM rapport.events WHERE message_id LIKE 'citus-%' GROUP BY message_id",
      );
      expect(stored.rows.length).toBe(logged.size);
      expect(stored.rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
      const quarantined = await client.query('SELECT processor, error FROM rapport.quarantine');
      expect(quarantined.rows).toEqual([]);
      const profiles = await client.query<{ total: string }>(
        'SELECT sum(event_count) AS total FROM rapport.profiles WHERE merged_into IS NULL',
      );
      expect(Number(profiles.rows[0]?.total)).toBe(logged.size);
    } finally {
      await client.end();
    }
  }
});
