// `rapport serve` (what `npm start` runs): validated configuration, first-start credentials,
// and a welcome that shows how to send the first event.
import type { Command } from 'commander';
import { createCredential, ensureCredential } from '../auth/index.ts';
import { type ConfigInput, loadConfig, type RapportConfig } from '../config/index.ts';
import { isRapportError } from '../errors/index.ts';
import { createServer } from '../server.ts';
import { DataDirLockedError, lockDataDir, type StateStore } from '../store/index.ts';

interface Welcome {
  writeKey?: string;
  adminToken?: string;
  /** Credentials were made on an earlier start and none is configured: say how to get new ones. */
  existing: boolean;
}

/** The command that makes a new credential when the one printed on first start is lost. */
export function recoveryCommand(config: RapportConfig, kind: 'admin' | 'write'): string {
  const where = config.databaseUrl ? `--database '<RAPPORT_DATABASE_URL>'` : `--data-dir ${config.dataDir}`;
  return `npx rapport credentials create ${kind} ${where}`;
}

async function prepareCredentials(state: StateStore, config: RapportConfig): Promise<Welcome> {
  const welcome: Welcome = { existing: false };
  if (config.writeKey) await ensureCredential(state, 'write', 'default', config.writeKey);
  if (config.adminToken) await ensureCredential(state, 'admin', 'default', config.adminToken);
  if ((await state.listCredentials('write')).length === 0) {
    welcome.writeKey = (await createCredential(state, 'write', 'default')).secret;
  }
  if ((await state.listCredentials('admin')).length === 0) {
    welcome.adminToken = (await createCredential(state, 'admin', 'default')).secret;
  }
  welcome.existing = !welcome.writeKey && !welcome.adminToken && !config.writeKey && !config.adminToken;
  return welcome;
}

function printWelcome(url: string, config: RapportConfig, welcome: Welcome): void {
  const storage = config.databaseUrl ? 'PostgreSQL' : `embedded storage in ${config.dataDir}`;
  const lines = [``, `Rapport is running at ${url} (${storage})`];
  const writeKey = welcome.writeKey ?? (config.writeKey ? '<your RAPPORT_WRITE_KEY>' : undefined);
  if (welcome.writeKey || welcome.adminToken) {
    lines.push(``, `Created on first start; shown this once, so keep them:`);
    if (welcome.writeKey) lines.push(`  write key:   ${welcome.writeKey}`);
    if (welcome.adminToken) lines.push(`  admin token: ${welcome.adminToken}`);
  }
  if (welcome.existing) {
    lines.push(
      ``,
      `The write key and admin token were made and shown on an earlier start. Lost one? Make a new one`,
      `(this works while the server runs):`,
      `  ${recoveryCommand(config, 'admin')}`,
      `  ${recoveryCommand(config, 'write')}`,
    );
  }
  const key = writeKey ?? '<a write key>';
  lines.push(
    ``,
    `Send an event:`,
    `  curl -u '${key}:' -H 'Content-Type: application/json' \\`,
    `    -d '{"userId":"user-1","event":"Signed Up","properties":{"plan":"pro"}}' ${url}/v1/track`,
    ``,
    `Then look the person up:`,
    `  curl -H 'Authorization: Bearer ${welcome.adminToken ?? '<admin token>'}' '${url}/api/profiles/lookup?userId=user-1'`,
    ``,
    `API document: ${url}/api/openapi.json`,
    ``,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function serve(input: ConfigInput): Promise<void> {
  let config: RapportConfig;
  try {
    config = loadConfig(input);
  } catch (error) {
    if (isRapportError(error)) {
      process.stderr.write(`rapport: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  let unlock = () => {};
  try {
    if (!config.databaseUrl) unlock = lockDataDir(config.dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    process.stderr.write(`rapport serve: ${error.message}\n`);
    process.exit(1);
  }
  const server = await createServer(config);
  let listening: string;
  try {
    listening = await server.listen();
  } catch (error) {
    const refusal = listenRefusal(error, config);
    if (!refusal) throw error;
    await server.close();
    unlock();
    process.stderr.write(`rapport serve: ${refusal}\n`);
    process.exit(1);
  }
  // Made only once the server listens, so they are printed the moment they exist: a start that
  // fails earlier (a busy port) leaves none unseen, and the next start makes them.
  const welcome = await prepareCredentials(server.state, config);
  printWelcome(listening.replace('127.0.0.1', 'localhost'), config, welcome);
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await server.close();
    unlock();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/** One line for why the server could not listen, or undefined when the cause is not the address. */
export function listenRefusal(
  error: unknown,
  config: Pick<RapportConfig, 'host' | 'port'>,
): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  const address = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE')
    return `port ${config.port} is already in use (${address}): stop what runs there, or choose another port with --port or RAPPORT_PORT`;
  if (code === 'EACCES')
    return `not allowed to listen on ${address}: choose a port above 1023 with --port or RAPPORT_PORT`;
  if (code === 'EADDRNOTAVAIL')
    return `${config.host} is not an address of this machine: choose another with --host or RAPPORT_HOST`;
  return undefined;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the Rapport server (embedded storage in ./data unless --database is given)')
    .option('--port <port>', 'port to listen on (RAPPORT_PORT, default 8787)')
    .option('--host <host>', 'address to listen on (RAPPORT_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'embedded storage folder (RAPPORT_DATA_DIR, default ./data)')
    .option('--database <url>', 'PostgreSQL URL for both storage roles (RAPPORT_DATABASE_URL)')
    .option('--no-processors', 'serve the API only; another process runs the processors')
    .option(
      '--log-retention <duration>',
      'keep consumed ingest log entries this long: 7d, 24h, 90m, 0 or forever (RAPPORT_LOG_RETENTION, default 7d)',
    )
    .action(
      async (options: {
        port?: string;
        host?: string;
        dataDir?: string;
        database?: string;
        processors: boolean;
        logRetention?: string;
      }) => {
        await serve({
          port: options.port,
          host: options.host,
          dataDir: options.dataDir,
          databaseUrl: options.database,
          processors: options.processors === false ? false : undefined,
          logRetention: options.logRetention,
        });
      },
    );
}
