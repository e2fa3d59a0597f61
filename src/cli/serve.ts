// `rapport serve` (what `npm start` runs): validated configuration, first-start credentials,
// and a welcome that shows how to send the first event.
import type { Command } from 'commander';
import { createCredential, ensureCredential } from '../auth/index.ts';
import { type ConfigInput, loadConfig, type RapportConfig } from '../config/index.ts';
import { isRapportError } from '../errors/index.ts';
import { createServer } from '../server.ts';
import type { StateStore } from '../store/index.ts';

interface Welcome {
  writeKey?: string;
  adminToken?: string;
}

async function prepareCredentials(state: StateStore, config: RapportConfig): Promise<Welcome> {
  const welcome: Welcome = {};
  if (config.writeKey) await ensureCredential(state, 'write', 'default', config.writeKey);
  if (config.adminToken) await ensureCredential(state, 'admin', 'default', config.adminToken);
  if ((await state.listCredentials('write')).length === 0) {
    welcome.writeKey = (await createCredential(state, 'write', 'default')).secret;
  }
  if ((await state.listCredentials('admin')).length === 0) {
    welcome.adminToken = (await createCredential(state, 'admin', 'default')).secret;
  }
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
  const server = await createServer(config);
  const welcome = await prepareCredentials(server.state, config);
  const url = (await server.listen()).replace('127.0.0.1', 'localhost');
  printWelcome(url, config, welcome);
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
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
