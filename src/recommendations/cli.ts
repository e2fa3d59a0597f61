// `rapport recommend rules`: association rules from a basket file (--baskets FILE, one basket a
// line, items comma-separated) or, without it, from a running server's orders
// (GET /api/recommendations/rules). Prints a table, or with --json
// {"baskets","items","count","rules":[{lhs,rhs,support,confidence,lift,count,llr}],"warnings"}.
import { access } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import {
  AdminClient,
  type AdminOptions,
  CliFailure,
  cliAction,
  printBody,
  table,
  withAdminServer,
} from '../api/admin-client.ts';
import { describeIssues, readBasketFile } from './baskets.ts';
import { checkMiningOptions, type MiningResult, mineRules } from './mine.ts';

interface RulesOptions extends AdminOptions {
  baskets?: string;
  minSupport: string;
  minConfidence: string;
  minLength: string;
  maxLength: string;
  basket: 'order' | 'person';
  days?: string;
  limit?: string;
}

type RulesReport = MiningResult & { warnings: string[] };

export function registerRecommendCommands(program: Command): void {
  const recommend = program
    .command('recommend')
    .description('recommendations: what goes with what (association rules) and next best products');
  withAdminServer(recommend.command('rules'))
    .description(
      'association rules (support, confidence, lift, log-likelihood ratio) from a basket file or the store’s orders',
    )
    .option('--baskets <file>', 'one basket a line, items comma-separated; without it: the server’s orders')
    .requiredOption('--min-support <share>', 'an itemset counts when at least this share of baskets hold it')
    .requiredOption('--min-confidence <share>', 'P(rhs | lhs) at least this')
    .option('--min-length <n>', 'items in a rule, both sides (1 allows {} => {item})', '2')
    .option('--max-length <n>', 'at most this many items in a rule', '10')
    .addOption(
      new Option('--basket <kind>', 'server orders: one basket per order, or per person')
        .choices(['order', 'person'])
        .default('order'),
    )
    .option('--days <n>', 'server orders: only the last N days')
    .option('--limit <n>', 'print only the first N rules (by lift)')
    .action(cliAction<RulesOptions>('recommend', (options) => rulesCommand(options)));
}

function numberOption(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number))
    throw new CliFailure(`${flag} "${value}" is not a number`);
  return number;
}

function miningOptions(options: RulesOptions) {
  const mining = {
    minSupport: numberOption(options.minSupport, '--min-support'),
    minConfidence: numberOption(options.minConfidence, '--min-confidence'),
    minLength: numberOption(options.minLength, '--min-length'),
    maxLength: numberOption(options.maxLength, '--max-length'),
  };
  try {
    return checkMiningOptions(mining);
  } catch (error) {
    throw new CliFailure((error as Error).message);
  }
}

async function fromFile(file: string, options: RulesOptions): Promise<RulesReport> {
  const mining = miningOptions(options);
  await access(file).catch((error: Error) => {
    throw new CliFailure(`cannot read ${file}: ${error.message}`);
  });
  const read = await readBasketFile(file);
  const warnings = describeIssues(read.issues);
  for (const warning of warnings) process.stderr.write(`rapport recommend: ${file}: ${warning}\n`);
  if (read.baskets.length === 0) throw new CliFailure(`${file} holds no basket`);
  return { ...mineRules(read.baskets, mining), warnings };
}

async function fromServer(options: RulesOptions): Promise<RulesReport> {
  const mining = miningOptions(options);
  const query = new URLSearchParams({
    minSupport: String(mining.minSupport),
    minConfidence: String(mining.minConfidence),
    minLength: String(mining.minLength),
    maxLength: String(mining.maxLength),
    basket: options.basket,
    ...(options.days === undefined ? {} : { days: String(numberOption(options.days, '--days')) }),
  });
  return (await new AdminClient(options).call('GET', `/api/recommendations/rules?${query}`)) as RulesReport;
}

function formatRules(report: RulesReport): string {
  const header = `${report.count} rules from ${report.baskets} baskets of ${report.items} items`;
  if (report.rules.length === 0) return header;
  const rows = report.rules.map((rule) => [
    `{${rule.lhs.join(', ')}} => {${rule.rhs.join(', ')}}`,
    rule.support.toFixed(6),
    rule.confidence.toFixed(4),
    rule.lift.toFixed(4),
    String(rule.count),
    rule.llr.toFixed(2),
  ]);
  return `${header}\n${table(['rule', 'support', 'confidence', 'lift', 'count', 'llr'], rows)}`;
}

async function rulesCommand(options: RulesOptions): Promise<void> {
  const report = options.baskets ? await fromFile(options.baskets, options) : await fromServer(options);
  if (options.limit !== undefined) {
    report.rules = report.rules.slice(0, Math.max(0, numberOption(options.limit, '--limit')));
  }
  printBody(options, report, formatRules);
}
