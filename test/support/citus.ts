// A throwaway Citus cluster for the PostgreSQL tests run on it (RAPPORT_TEST_CITUS=1): a
// coordinator and two workers, each its own initdb directory and port with citus preloaded, as
// docs/scaling.md describes. Citus keeps its node list per database, so every database the tests
// create is made on every node and given the workers (prepareCitusDatabase).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { POSTGRES_BIN, startThrowawayPostgres, type ThrowawayPostgres } from './postgres.ts';

/** Four shards a table (two per worker) keep a fan-out query cheap on two cores. */
const SETTINGS = ['shared_preload_libraries=citus', 'citus.shard_count=4', 'max_prepared_transactions=100'];

export function citusUnavailableReason(): string | undefined {
  const lib = join(POSTGRES_BIN, '..', 'lib', 'citus.so');
  if (!existsSync(lib)) return `Citus is not installed (no ${lib}; ../shared/citus/build.sh installs it)`;
  return undefined;
}

export interface CitusNodeInfo {
  url: string;
  port: number;
  /** For runPgCtl: a test may stop a node and start it again. */
  ctlArgs: string[];
}

export interface ThrowawayCitus {
  coordinator: CitusNodeInfo;
  workers: CitusNodeInfo[];
  stop(): void;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function inDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Makes `database` on every node (the workers first, as Citus needs the extension there before
 * it is given them), creates the extension and registers the workers on the coordinator.
 */
export async function prepareCitusDatabase(
  coordinator: CitusNodeInfo,
  workers: readonly CitusNodeInfo[],
  database: string,
  create = true,
): Promise<void> {
  for (const node of [...workers, coordinator]) {
    if (create) await withClient(node.url, (client) => client.query(`CREATE DATABASE ${database}`));
    await withClient(inDatabase(node.url, database), (client) =>
      client.query('CREATE EXTENSION IF NOT EXISTS citus'),
    );
  }
  await withClient(inDatabase(coordinator.url, database), async (client) => {
    await client.query('SELECT citus_set_coordinator_host($1, $2)', ['127.0.0.1', coordinator.port]);
    for (const worker of workers)
      await client.query('SELECT citus_add_node($1, $2)', ['127.0.0.1', worker.port]);
  });
}

export async function dropCitusDatabase(nodes: readonly CitusNodeInfo[], database: string): Promise<void> {
  for (const node of nodes) {
    await withClient(node.url, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  }
}

export async function startThrowawayCitus(): Promise<ThrowawayCitus> {
  const reason = citusUnavailableReason();
  if (reason) throw new Error(`cannot start Citus: ${reason}`);
  const coordinator = await startThrowawayPostgres({ settings: SETTINGS });
  const workers = [
    await startThrowawayPostgres({ settings: SETTINGS }),
    await startThrowawayPostgres({ settings: SETTINGS }),
  ];
  const info = (node: ThrowawayPostgres): CitusNodeInfo => ({
    url: node.url,
    port: node.port,
    ctlArgs: node.ctlArgs,
  });
  await prepareCitusDatabase(info(coordinator), workers.map(info), 'postgres', false);
  return {
    coordinator: info(coordinator),
    workers: workers.map(info),
    stop() {
      for (const node of [coordinator, ...workers]) node.stop();
    },
  };
}
