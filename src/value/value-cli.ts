// `rapport value refresh | ranking | renewals | budget`: the value API of a running server.
// The admin token travels in the Authorization header (never in the URL); --json prints the
// server's answer as it came, for scripts.
import type { Command } from 'commander';
import { unreachable } from '../api/admin-client.ts';
import { SERVER_URL_HELP, serverUrl } from '../config/index.ts';

interface ServerOptions {
  url?: string;
  adminToken?: string;
  json?: boolean;
}

export function registerValueCommands(program: Command): void {
  const value = program
    .command('value')
    .description('customer value scores on a running server: refresh, ranking, renewals, budget');
  withServer(value.command('refresh'))
    .description('recompute CLV, churn risk, value score and lead score now')
    .action((options: ServerOptions) => run(options, 'POST', '/api/value/refresh', printRefresh));
  withServer(value.command('ranking'))
    .description('most or least valuable customers, with what their score is made of')
    .option('--limit <n>', 'how many', '20')
    .option('--bottom', 'the least valuable instead of the most')
    .action((options: ServerOptions & { limit: string; bottom?: boolean }) =>
      run(
        options,
        'GET',
        `/api/value/ranking?${query({ limit: options.limit, order: options.bottom ? 'bottom' : 'top' })}`,
        printRanking,
      ),
    );
  withServer(value.command('renewals'))
    .description('renewals and revenue up for renewal per month')
    .option('--months <n>', 'months ahead, from the current month', '12')
    .action((options: ServerOptions & { months: string }) =>
      run(options, 'GET', `/api/value/renewals?${query({ months: options.months })}`, printRenewals),
    );
  withServer(value.command('budget'))
    .description('who to make happiest with a retention budget (greedy by what can still be saved)')
    .requiredOption('--amount <money>', 'the budget')
    .requiredOption('--cost-per-customer <money>', 'what the retention action costs per customer')
    .action((options: ServerOptions & { amount: string; costPerCustomer: string }) =>
      run(
        options,
        'GET',
        `/api/value/budget?${query({ amount: options.amount, costPerCustomer: options.costPerCustomer })}`,
        printBudget,
      ),
    );
}

function withServer(command: Command): Command {
  return command
    .option('--url <url>', SERVER_URL_HELP)
    .option('--admin-token <token>', 'admin token (default: RAPPORT_ADMIN_TOKEN)')
    .option('--json', 'print the server’s JSON answer');
}

function query(values: Record<string, string>): string {
  return new URLSearchParams(values).toString();
}

type Body = Record<string, any>;

async function run(
  options: ServerOptions,
  method: 'GET' | 'POST',
  path: string,
  print: (body: Body) => string,
): Promise<void> {
  const token = options.adminToken ?? process.env.RAPPORT_ADMIN_TOKEN;
  if (!token) {
    process.stderr.write('rapport value: give --admin-token or set RAPPORT_ADMIN_TOKEN\n');
    process.exitCode = 1;
    return;
  }
  const url = serverUrl(options.url);
  let response: Response;
  try {
    response = await fetch(new URL(path, url), {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (error) {
    process.stderr.write(`rapport value: ${unreachable(url, error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const body = (await response.json().catch(() => ({}))) as Body;
  if (!response.ok) {
    process.stderr.write(
      `rapport value: ${body.message ?? response.statusText} (${body.error ?? response.status})\n`,
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write(options.json ? `${JSON.stringify(body, null, 2)}\n` : `${print(body)}\n`);
}

const fixed = (value: unknown, digits: number) => (typeof value === 'number' ? value.toFixed(digits) : 'n/a');

export function printRefresh(body: Body): string {
  const lines = [
    `value scores computed at ${body.computedAt} for ${body.customers} customers (${body.buyers} buyers, ${body.subscribers} subscribers)`,
  ];
  if (body.clv?.params) {
    const params = Object.entries(body.clv.params as Record<string, number>).map(
      ([k, v]) => `${k} ${v.toFixed(3)}`,
    );
    lines.push(`CLV over ${body.clv.horizon} ${body.clv.unit}: BG/NBD ${params.join(', ')}`);
  }
  lines.push(
    `churn: ${body.churn.examples} subscribers in history, held-out AUC ${fixed(body.churn.heldOutAuc, 3)} (training ${fixed(body.churn.trainingAuc, 3)}, ${body.churn.heldOut} held out)`,
  );
  lines.push(`lead score: ${body.leadActions.length} sales tasks asked for`);
  for (const warning of body.warnings as string[]) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

export function printRanking(body: Body): string {
  const lines = [`${body.customers} customers, scores computed at ${body.computedAt}`];
  for (const item of body.items as Body[]) {
    lines.push(
      `${String(item.rank).padStart(6)}  ${fixed(item.score, 3)}  ${item.profileId}  ${item.explanation}`,
    );
  }
  return lines.join('\n');
}

export function printRenewals(body: Body): string {
  const lines = ['month      renewals     revenue     at risk'];
  for (const month of body.months as Body[]) {
    lines.push(
      `${month.month}  ${String(month.renewals).padStart(10)}  ${fixed(month.revenue, 2).padStart(10)}  ${fixed(month.revenueAtRisk, 2).padStart(10)}`,
    );
  }
  lines.push(
    `total      ${''.padStart(10)}  ${fixed(body.totalRevenue, 2).padStart(10)}  ${fixed(body.totalAtRisk, 2).padStart(10)}`,
  );
  return lines.join('\n');
}

export function printBudget(body: Body): string {
  const lines = [
    `${body.chosen.length} customers chosen of ${body.candidates} with value that can still be saved; spent ${fixed(body.spent, 2)} of ${fixed(body.amount, 2)}`,
  ];
  for (const choice of body.chosen as Body[]) {
    lines.push(
      `  ${choice.profileId}  value ${fixed(choice.value, 3)} × P(alive) ${fixed(choice.pAlive, 3)} × risk ${fixed(choice.churnRisk, 3)} × effect = ${fixed(choice.savable, 4)}`,
    );
  }
  return lines.join('\n');
}
