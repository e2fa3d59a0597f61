// `rapport quarantine list | get | replay | discard`: the log entries a running server's
// processors set aside (docs/quarantine.md), through its admin API.
import type { Command } from 'commander';
import {
  AdminClient,
  type AdminOptions,
  type Body,
  cliAction,
  printBody,
  table,
  withAdminServer,
} from '../api/admin-client.ts';

function action<T extends AdminOptions>(work: (options: T, ...args: string[]) => Promise<void>) {
  return cliAction<T>('quarantine', work);
}

const oneLine = (text: string, width = 80) => {
  const line = text.replace(/\s+/g, ' ');
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
};

export function formatQuarantineList(body: Body): string {
  const items = body.items as Body[];
  if (items.length === 0) return 'nothing in quarantine';
  const lines = [
    table(
      ['id', 'processor', 'seq', 'message', 'attempts', 'last failed', 'error'],
      items.map((e) => [
        String(e.id),
        e.processor,
        String(e.seq),
        e.messageId,
        String(e.attempts),
        e.lastFailedAt,
        oneLine(e.error),
      ]),
    ),
    `${body.total} in quarantine`,
  ];
  if (body.nextCursor) lines.push(`more: --after ${body.nextCursor}`);
  return lines.join('\n');
}

export function formatQuarantineEntry(e: Body): string {
  return [
    `quarantined ${e.id}: ${e.processor} could not apply log entry ${e.seq} (message ${e.messageId})`,
    `  source ${e.source}, received ${e.receivedAt}`,
    `  failed ${e.attempts} time(s), first ${e.firstFailedAt}, last ${e.lastFailedAt}`,
    `  error: ${e.error}`,
    ...(e.stack
      ? [
          '  stack:',
          ...String(e.stack)
            .split('\n')
            .map((line) => `    ${line}`),
        ]
      : []),
    `  message: ${e.body}`,
  ].join('\n');
}

export function registerQuarantineCommands(program: Command): void {
  const quarantine = program
    .command('quarantine')
    .description('log entries processors set aside because applying them failed: list, get, replay, discard');

  withAdminServer(quarantine.command('list'))
    .description('what is in quarantine, oldest first')
    .option('--processor <name>', 'only this processor’s (profiles, warehouse, segments, journeys)')
    .option('--limit <n>', 'page size', '50')
    .option('--after <id>', 'the next page, as printed by the previous one')
    .action(
      action(async (options: AdminOptions & { processor?: string; limit: string; after?: string }) => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.processor) query.set('processor', options.processor);
        if (options.after) query.set('after', options.after);
        printBody(
          options,
          await new AdminClient(options).call('GET', `/api/quarantine?${query}`),
          formatQuarantineList,
        );
      }),
    );

  withAdminServer(quarantine.command('get <id>'))
    .description('one quarantined entry: the message, the failure and its stack')
    .action(
      action(async (options: AdminOptions, id: string) => {
        printBody(
          options,
          await new AdminClient(options).call('GET', `/api/quarantine/${encodeURIComponent(id)}`),
          formatQuarantineEntry,
        );
      }),
    );

  withAdminServer(quarantine.command('replay <id>'))
    .description('apply the message through its processor now, once the cause is fixed')
    .action(
      action(async (options: AdminOptions, id: string) => {
        const body = await new AdminClient(options).call(
          'POST',
          `/api/quarantine/${encodeURIComponent(id)}/replay`,
        );
        printBody(
          options,
          body,
          (b) => `replayed ${b.entry.id}: ${b.entry.processor} applied message ${b.entry.messageId}`,
        );
      }),
    );

  withAdminServer(quarantine.command('discard <id>'))
    .description('drop the entry from quarantine: its processor will never apply it')
    .action(
      action(async (options: AdminOptions, id: string) => {
        await new AdminClient(options).call('DELETE', `/api/quarantine/${encodeURIComponent(id)}`);
        printBody(options, { discarded: Number(id) }, () => `discarded ${id}`);
      }),
    );
}
