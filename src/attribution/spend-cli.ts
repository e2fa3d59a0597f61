// `rapport spend add | list | import FILE.csv`: marketing spend on a running server
// (docs/attribution.md, "Costs"). The file is read here with the same reader the API uses
// (csv-parse), so a rejected row names its line in the file; the rows go to the server in
// chunks, and a (day, channel, campaign) sent again replaces the earlier amount.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  AdminClient,
  type AdminOptions,
  type Body,
  CliFailure,
  cliAction,
  printBody,
  table,
  withAdminServer,
} from '../api/admin-client.ts';
import { isRapportError } from '../errors/index.ts';
import type { SpendRow } from '../store/index.ts';
import { checkSpend, parseSpendCsv, type RejectedSpendRow } from './spend-csv.ts';

/** Rows per request: well under the API's 100,000. */
export const SPEND_CHUNK = 10_000;

interface ImportOptions extends AdminOptions {
  currency?: string;
}

interface AddOptions extends AdminOptions {
  day: string;
  channel: string;
  campaign?: string;
  amount: string;
  currency?: string;
}

interface ListOptions extends AdminOptions {
  from?: string;
  to?: string;
}

export interface SpendImportSummary {
  read: number;
  imported: number;
  currency: string | null;
  rejected: RejectedSpendRow[];
}

const action = <T extends AdminOptions>(work: (options: T, ...args: string[]) => Promise<void>) =>
  cliAction('spend', work);

export function registerSpendCommands(program: Command): void {
  const spend = program
    .command('spend')
    .description('marketing spend per channel, campaign and day on a running server: add, list, import');

  withAdminServer(spend.command('import <file>'))
    .description(
      'import a CSV of day,channel,campaign,amount[,currency]; the same day, channel and campaign replaces',
    )
    .option('--currency <code>', 'ISO 4217 code for rows without a currency column')
    .action(
      action(async (options: ImportOptions, file: string) => {
        const summary = await importSpendFile(new AdminClient(options), file, options.currency);
        reportRejected(summary.rejected);
        printBody(
          options,
          summary,
          (s) => `imported ${s.imported} of ${s.read} rows${s.currency ? ` (${s.currency})` : ''}`,
        );
        if (summary.imported === 0 && summary.rejected.length > 0) process.exitCode = 1;
      }),
    );

  withAdminServer(spend.command('add'))
    .description('add (or replace) one day of spend on a channel')
    .requiredOption('--day <YYYY-MM-DD>', 'the day (UTC)')
    .requiredOption('--channel <name>', 'the channel, as attribution names it (paid search, display, email…)')
    .option('--campaign <name>', 'the campaign (default: the channel as a whole)')
    .requiredOption('--amount <number>', 'the amount spent')
    .option('--currency <code>', 'ISO 4217 code (default: the currency already stored)')
    .action(
      action(async (options: AddOptions) => {
        const client = new AdminClient(options);
        const currency = options.currency ?? (await client.call('GET', '/api/attribution/spend')).currency;
        const checked = checkSpend(
          {
            day: options.day,
            channel: options.channel,
            campaign: options.campaign ?? '',
            amount: options.amount,
          },
          currency ?? undefined,
          0,
        );
        if ('reason' in checked) throw new CliFailure(`--${checked.field}: ${checked.reason}`);
        const answer = await client.call('POST', '/api/attribution/spend', { rows: [checked] });
        const rejected = answer.rejected as RejectedSpendRow[];
        if (rejected.length > 0) {
          throw new CliFailure(rejected.map((row) => `--${row.field}: ${row.reason}`).join('; '));
        }
        printBody(
          options,
          answer,
          () =>
            `${checked.day} ${checked.channel}${checked.campaign ? ` / ${checked.campaign}` : ''}: ${checked.amount} ${checked.currency}`,
        );
      }),
    );

  withAdminServer(spend.command('list'))
    .description('the spend per day, channel and campaign over a range')
    .option('--from <YYYY-MM-DD>', 'first day (default: 29 days before --to)')
    .option('--to <YYYY-MM-DD>', 'last day (default: today)')
    .action(
      action(async (options: ListOptions) => {
        const query = new URLSearchParams();
        if (options.from) query.set('from', options.from);
        if (options.to) query.set('to', options.to);
        const body = await new AdminClient(options).call('GET', `/api/attribution/spend?${query}`);
        printBody(options, body, formatSpend);
      }),
    );
}

function formatSpend(body: Body): string {
  const rows = body.rows as SpendRow[];
  if (rows.length === 0) return `no spend from ${body.from} to ${body.to}`;
  const lines = rows.map((row) => [row.day, row.channel, row.campaign, row.amount.toFixed(2), row.currency]);
  return `${table(['day', 'channel', 'campaign', 'amount', 'currency'], lines)}\ntotal ${Number(body.total).toFixed(2)} ${body.currency ?? ''} from ${body.from} to ${body.to}`.trimEnd();
}

function reportRejected(rejected: readonly RejectedSpendRow[]): void {
  if (rejected.length === 0) return;
  const shown = rejected.slice(0, 20).map((row) => `  line ${row.line}, ${row.field}: ${row.reason}`);
  const more = rejected.length > shown.length ? [`  … and ${rejected.length - shown.length} more`] : [];
  process.stderr.write(
    `rejected ${rejected.length} rows (the others are imported):\n${[...shown, ...more].join('\n')}\n`,
  );
}

/** Reads, checks and sends a spend file; every rejection carries its line in the file. */
export async function importSpendFile(
  client: AdminClient,
  file: string,
  currency: string | undefined,
): Promise<SpendImportSummary> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new CliFailure(`cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  let parsed: ReturnType<typeof parseSpendCsv>;
  try {
    parsed = parseSpendCsv(bytes, currency, file);
  } catch (error) {
    if (isRapportError(error)) throw new CliFailure(error.message);
    throw error;
  }
  const summary: SpendImportSummary = {
    read: parsed.read,
    imported: 0,
    currency: null,
    rejected: [...parsed.rejected],
  };
  for (let start = 0; start < parsed.rows.length; start += SPEND_CHUNK) {
    const rows = parsed.rows.slice(start, start + SPEND_CHUNK);
    const answer = await client.call('POST', '/api/attribution/spend', { rows });
    summary.imported += Number(answer.imported);
    summary.currency = answer.currency ?? summary.currency;
    for (const row of answer.rejected as RejectedSpendRow[]) {
      // The server numbers rows within the request: back to the file's lines.
      summary.rejected.push({ ...row, line: parsed.lines[start + row.line] ?? row.line });
    }
  }
  summary.rejected.sort((a, b) => a.line - b.line);
  return summary;
}
