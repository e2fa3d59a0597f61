// `rapport credentials create admin|write`: a new admin token or write key made directly in the
// storage, for when the one printed on first start is lost (secrets are stored hashed, so no
// command can show an old one again). It needs no admin token, only access to the storage:
// whoever can read the data directory (or the database) owns the server anyway.
import { existsSync } from 'node:fs';
import { Argument, type Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { isRapportError } from '../errors/index.ts';
import { type CredentialKind, openStateStore, sqlitePathsIn } from '../store/index.ts';
import { createCredential } from './credentials.ts';

interface CreateFlags {
  name: string;
  dataDir?: string;
  database?: string;
}

async function createCommand(kind: CredentialKind, flags: CreateFlags): Promise<void> {
  try {
    const config = loadConfig({ dataDir: flags.dataDir, databaseUrl: flags.database });
    if (!config.databaseUrl && !existsSync(sqlitePathsIn(config.dataDir).statePath)) {
      process.stderr.write(
        `rapport credentials: no Rapport data in ${config.dataDir}: pass the --data-dir the server uses (or --database)\n`,
      );
      process.exitCode = 1;
      return;
    }
    const state = await openStateStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const { secret } = await createCredential(state, kind, flags.name);
      const label = kind === 'admin' ? 'admin token' : 'write key';
      process.stderr.write(`New ${label} "${flags.name}" (shown this once, so keep it):\n`);
      process.stdout.write(`${secret}\n`);
    } finally {
      await state.close();
    }
  } catch (error) {
    if (!isRapportError(error)) throw error;
    process.stderr.write(`rapport credentials: ${error.message}\n`);
    process.exitCode = 2;
  }
}

export function registerCredentialCommands(program: Command): void {
  const credentials = program
    .command('credentials')
    .description('Make a new admin token or write key in the storage (when the printed one is lost)');
  credentials
    .command('create')
    .description('Make a new credential and print its secret once')
    .addArgument(
      new Argument('<kind>', 'admin (an admin token) or write (a write key)').choices(['admin', 'write']),
    )
    .option('--name <name>', 'a name to recognise it by in the dashboard', 'recovered')
    .option('--data-dir <dir>', 'embedded storage folder (RAPPORT_DATA_DIR, default ./data)')
    .option('--database <url>', 'PostgreSQL URL (RAPPORT_DATABASE_URL)')
    .action(createCommand);
}
