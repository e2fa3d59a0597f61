// `rapport users add | list`: dashboard users, straight on the storage (the configured data
// directory or RAPPORT_DATABASE_URL), so the first owner can be made before anyone can sign in.
// The password comes from RAPPORT_NEW_PASSWORD or the first line of standard input, never from
// an argument (arguments show in `ps` and shell history).
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { type AdminOptions, CliFailure, cliAction, table } from '../api/admin-client.ts';
import { loadConfig } from '../config/index.ts';
import { isRapportError } from '../errors/index.ts';
import { type AccessStore, openAccessStore } from '../store/index.ts';
import { isRole, ROLES } from './access.ts';
import { createUser } from './users.ts';

async function passwordFromInput(): Promise<string> {
  const given = process.env.RAPPORT_NEW_PASSWORD;
  if (given) return given;
  if (process.stdin.isTTY)
    process.stderr.write('password (the line is not hidden; or set RAPPORT_NEW_PASSWORD): ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new CliFailure('no password: set RAPPORT_NEW_PASSWORD or write it on standard input');
}

async function withStore<T>(
  dataDir: string | undefined,
  work: (store: AccessStore) => Promise<T>,
): Promise<T> {
  const config = loadConfig(dataDir ? { dataDir } : {});
  const store = await openAccessStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

type Options = AdminOptions & { role: string; dataDir?: string };

export function registerUsersCommands(program: Command): void {
  const users = program.command('users').description('dashboard users and their roles (docs/access.md)');

  users
    .command('add <name>')
    .description('create a user: the first owner, or anyone when you have the server’s storage at hand')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--data-dir <dir>', 'embedded storage folder (RAPPORT_DATA_DIR, default ./data)')
    .action(
      cliAction<Options>('users', async (options, name) => {
        if (!isRole(options.role)) throw new CliFailure(`--role: one of ${ROLES.join(', ')}`);
        const role = options.role;
        const password = await passwordFromInput();
        const user = await withStore(options.dataDir, (store) =>
          createUser(store, { name: name ?? '', role, password }).catch((error) => {
            throw isRapportError(error) ? new CliFailure(error.message) : error;
          }),
        );
        process.stdout.write(`created ${user.name} (${user.role}); they can sign in to the dashboard now\n`);
      }),
    );

  users
    .command('list')
    .description('users, their roles and whether they are disabled')
    .option('--data-dir <dir>', 'embedded storage folder (RAPPORT_DATA_DIR, default ./data)')
    .action(
      cliAction<Options>('users', async (options) => {
        const rows = await withStore(options.dataDir, (store) => store.listUsers());
        process.stdout.write(
          `${table(
            ['name', 'role', 'created', 'disabled'],
            rows.map((user) => [user.name, user.role, user.createdAt, user.disabledAt ?? '']),
          )}\n`,
        );
      }),
    );
}
