// A throwaway PostgreSQL cluster for tests: initdb into a temp folder, pg_ctl start on a free
// port with its socket in the same folder, and rm -rf on stop. Runs as the `postgres` user
// when we are root, because initdb refuses to run as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const POSTGRES_BIN = process.env.RAPPORT_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface ThrowawayPostgres {
  url: string;
  port: number;
  /** pg_ctl's arguments naming this node (data directory, server options, log): see runPgCtl. */
  ctlArgs: string[];
  stop(): void;
}

export interface ThrowawayOptions {
  /** More `-c name=value` server settings, e.g. shared_preload_libraries=citus. */
  settings?: string[];
}

export function postgresUnavailableReason(): string | undefined {
  if (!existsSync(join(POSTGRES_BIN, 'initdb'))) return `no initdb under ${POSTGRES_BIN}`;
  if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0) {
    return 'running as root and there is no postgres user to run initdb as';
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function runAsOwner(command: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  execFileSync(file, argv, { stdio: 'pipe' });
}

/** pg_ctl on a node started here, e.g. `['stop', '-m', 'immediate']` or `['-w', 'start']`. */
export function runPgCtl(ctlArgs: readonly string[], args: readonly string[]): void {
  runAsOwner(join(POSTGRES_BIN, 'pg_ctl'), [...ctlArgs, ...args]);
}

export async function startThrowawayPostgres(options: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const reason = postgresUnavailableReason();
  if (reason) throw new Error(`cannot start PostgreSQL: ${reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'rapport-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  runAsOwner(join(POSTGRES_BIN, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'rapport',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const settings = (options.settings ?? []).map((setting) => ` -c ${setting}`).join('');
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200${settings}`;
  const ctlArgs = ['-D', dataDir, '-o', serverOptions, '-l', join(dir, 'log')];
  runPgCtl(ctlArgs, ['-w', 'start']);
  return {
    url: `postgres://rapport@127.0.0.1:${port}/postgres`,
    port,
    ctlArgs,
    stop() {
      try {
        runAsOwner(join(POSTGRES_BIN, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
