// `rapport clv fit | predict | validate FILE.csv`: the models straight from a transactions
// file. Each command reads the file (streaming), reports rejected rows on stderr, fits, and
// prints its result on stdout (text or, with --json, JSON for scripts).
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { type Command, Option } from 'commander';
import { isRapportError, RapportError } from '../errors/index.ts';
import { type CustomerPrediction, predictCustomers } from './clv.ts';
import { type CsvReadResult, csvField, DEFAULT_COLUMNS, readTransactionsCsv, rejectsAsCsv } from './csv.ts';
import { DAYS_PER_UNIT, formatDay, parseDay, TIME_UNITS, type TimeUnit } from './dates.ts';
import { fitValueModels, type ValueModels } from './fit.ts';
import { type HoldoutReport, holdoutReport, POOR_FIT_THRESHOLD } from './holdout.ts';
import { SummaryBuilder, type SummaryResult } from './summary.ts';

interface DataOptions {
  calibrationEnd: string;
  unit: TimeUnit;
  customerColumn: string;
  dateColumn: string;
  amountColumn: string;
  rejects?: string;
  json?: boolean;
}

interface PredictOptions extends DataOptions {
  horizon: string;
  discountRate: string;
  output?: string;
}

interface ValidateOptions extends DataOptions {
  holdoutEnd: string;
}

export function registerClvCommands(program: Command): void {
  const clv = program
    .command('clv')
    .description(
      'customer lifetime value: BG/NBD purchases and Gamma-Gamma spend fitted on a transactions CSV',
    );
  withDataOptions(clv.command('fit'))
    .description('fit the models and print parameters, standard errors and log-likelihood')
    .action((file: string, options: DataOptions) => run(() => fitCommand(file, options)));
  withDataOptions(clv.command('predict'))
    .description(
      'per customer: x, t_x, T, P(alive), expected purchases, expected spend per purchase, CLV (CSV)',
    )
    .requiredOption('--horizon <n>', 'horizon in units (0 gives CLV 0)')
    .option('--discount-rate <rate>', 'annual discount rate, 0.1 = 10% a year', '0')
    .option('--output <file>', 'write to this file instead of stdout')
    .action((file: string, options: PredictOptions) => run(() => predictCommand(file, options)));
  withDataOptions(clv.command('validate'))
    .description(
      'fit up to the calibration end and compare predicted with actual purchases up to the holdout end',
    )
    .requiredOption('--holdout-end <date>', 'last day of the holdout period')
    .action((file: string, options: ValidateOptions) => run(() => validateCommand(file, options)));
}

function withDataOptions(command: Command): Command {
  return command
    .argument('<file>', 'transactions CSV with a header row')
    .requiredOption('--calibration-end <date>', 'last day of the calibration period (YYYY-MM-DD or YYYYMMDD)')
    .addOption(new Option('--unit <unit>', 'time unit').choices(TIME_UNITS).default('weeks'))
    .option('--customer-column <name>', 'customer id column', DEFAULT_COLUMNS.customer)
    .option('--date-column <name>', 'purchase date column', DEFAULT_COLUMNS.date)
    .option('--amount-column <name>', 'purchase amount column', DEFAULT_COLUMNS.amount)
    .option('--rejects <file>', 'write rejected rows (line, reason, values) to this CSV')
    .option('--json', 'machine-readable output');
}

async function run(command: () => Promise<void>): Promise<void> {
  try {
    await command();
  } catch (error) {
    if (!isRapportError(error)) throw error;
    process.stderr.write(`rapport clv: ${error.message} (${error.code})\n`);
    process.exitCode = 1;
  }
}

function dayOption(value: string, option: string): number {
  const day = parseDay(value);
  if (day === undefined) {
    throw new RapportError(
      'RAPPORT_VALUE_INVALID_INPUT',
      `${option} "${value}" is not a date (expected YYYY-MM-DD or YYYYMMDD)`,
    );
  }
  return day;
}

function numberOption(value: string, option: string, minimum: number): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < minimum) {
    throw new RapportError(
      'RAPPORT_VALUE_INVALID_INPUT',
      `${option} "${value}" must be a number ≥ ${minimum}`,
    );
  }
  return number;
}

interface LoadedData {
  summary: SummaryResult;
  csv: CsvReadResult;
  calibrationEnd: number;
}

/** Steps 1-2 of every command: read the file into summaries; report and keep rejected rows. */
async function loadData(file: string, options: DataOptions, holdoutEnd?: number): Promise<LoadedData> {
  const calibrationEnd = dayOption(options.calibrationEnd, '--calibration-end');
  const builder = new SummaryBuilder({
    calibrationEnd,
    unit: options.unit,
    ...(holdoutEnd === undefined ? {} : { holdoutEnd }),
  });
  const columns = {
    customer: options.customerColumn,
    date: options.dateColumn,
    amount: options.amountColumn,
  };
  const csv = await readTransactionsCsv(file, columns, (transaction) => builder.add(transaction));
  await reportRejects(csv, options.rejects);
  const summary = builder.finish();
  if (summary.customers.length === 0) {
    throw new RapportError(
      'RAPPORT_VALUE_INVALID_INPUT',
      csv.accepted === 0
        ? `${file} has no valid purchase rows (${csv.rows} rows read, ${csv.rejected.length} rejected)`
        : `no customer made a purchase on or before the calibration end ${formatDay(calibrationEnd)}`,
    );
  }
  return { summary, csv, calibrationEnd };
}

async function reportRejects(csv: CsvReadResult, rejectsFile: string | undefined): Promise<void> {
  if (rejectsFile) await writeFile(rejectsFile, rejectsAsCsv(csv.rejected));
  if (csv.rejected.length === 0) return;
  const shown = csv.rejected.slice(0, 10).map((row) => `  line ${row.line}: ${row.reason}`);
  const more =
    csv.rejected.length > shown.length ? [`  … and ${csv.rejected.length - shown.length} more`] : [];
  const hint = rejectsFile ? `written to ${rejectsFile}` : 'write them all with --rejects FILE';
  process.stderr.write(
    `rejected ${csv.rejected.length} of ${csv.rows} rows (${hint}):\n${[...shown, ...more].join('\n')}\n`,
  );
}

function fitSummary(data: LoadedData, models: ValueModels, options: DataOptions) {
  const { bgNbd, gammaGamma } = models;
  return {
    unit: options.unit,
    calibrationEnd: formatDay(data.calibrationEnd),
    rows: { read: data.csv.rows, accepted: data.csv.accepted, rejected: data.csv.rejected.length },
    customers: data.summary.customers.length,
    customersFirstSeenAfterCalibration: data.summary.customersFirstSeenAfterCalibration,
    bgNbd: {
      params: bgNbd.params,
      standardErrors: bgNbd.standardErrors,
      logLikelihood: bgNbd.logLikelihood,
      customers: bgNbd.customers,
      repeatBuyers: bgNbd.repeatBuyers,
      converged: bgNbd.converged,
    },
    gammaGamma: gammaGamma && {
      params: gammaGamma.params,
      standardErrors: gammaGamma.standardErrors,
      logLikelihood: gammaGamma.logLikelihood,
      customers: gammaGamma.customers,
      frequencySpendCorrelation: gammaGamma.frequencySpendCorrelation,
      converged: gammaGamma.converged,
    },
    warnings: [
      ...bgNbd.warnings,
      ...(models.spendNote ? [models.spendNote] : []),
      ...(gammaGamma?.warnings ?? []),
    ],
  };
}

async function fitCommand(file: string, options: DataOptions): Promise<void> {
  const data = await loadData(file, options);
  const report = fitSummary(data, fitValueModels(data.summary.customers), options);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const lines = [
    `${report.customers} customers, calibration period ending ${report.calibrationEnd}, times in ${report.unit}`,
    '',
    `BG/NBD purchase model (${report.bgNbd.repeatBuyers} repeat buyers)`,
    ...parameterTable(report.bgNbd.params, report.bgNbd.standardErrors),
    `  log-likelihood ${report.bgNbd.logLikelihood.toFixed(2)}`,
    '',
  ];
  if (report.gammaGamma) {
    lines.push(
      `Gamma-Gamma spend model (fitted on the ${report.gammaGamma.customers} repeat buyers only)`,
      ...parameterTable(report.gammaGamma.params, report.gammaGamma.standardErrors),
      `  log-likelihood ${report.gammaGamma.logLikelihood.toFixed(2)}`,
      '',
    );
  }
  lines.push(...report.warnings.map((warning) => `warning: ${warning}`));
  process.stdout.write(`${lines.join('\n').trimEnd()}\n`);
}

function parameterTable(params: object, errors: object): string[] {
  const errorOf = errors as Record<string, number | null>;
  return [
    `  ${'parameter'.padEnd(10)}${'estimate'.padStart(12)}${'std. error'.padStart(12)}`,
    ...Object.entries(params as Record<string, number>).map(
      ([name, value]) =>
        `  ${name.padEnd(10)}${significant(value).padStart(12)}${(errorOf[name] == null ? 'n/a' : significant(errorOf[name]!)).padStart(12)}`,
    ),
  ];
}

function significant(value: number): string {
  return Math.abs(value) >= 1e6 || (value !== 0 && Math.abs(value) < 1e-4)
    ? value.toExponential(3)
    : value.toFixed(4);
}

async function predictCommand(file: string, options: PredictOptions): Promise<void> {
  const horizon = numberOption(options.horizon, '--horizon', 0);
  const annualDiscountRate = numberOption(options.discountRate, '--discount-rate', 0);
  const data = await loadData(file, options);
  const models = fitValueModels(data.summary.customers);
  for (const warning of fitSummary(data, models, options).warnings)
    process.stderr.write(`warning: ${warning}\n`);
  const predictions = predictCustomers(models.bgNbd.params, models.spend, data.summary.customers, {
    horizon,
    annualDiscountRate,
    unit: options.unit,
  });
  const output = options.output ? createWriteStream(options.output) : process.stdout;
  // `rapport clv predict … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  if (!options.json) await write(output, `${PREDICTION_HEADER}\n`);
  for (let start = 0; start < predictions.length; start += 5000) {
    const chunk = predictions.slice(start, start + 5000);
    await write(
      output,
      chunk.map((row) => `${options.json ? predictionJson(row) : predictionCsv(row)}\n`).join(''),
    );
  }
  if (options.output)
    await new Promise<void>((resolve, reject) =>
      (output as Writable).end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
}

const PREDICTION_HEADER = 'customer_id,x,t_x,T,p_alive,expected_purchases,expected_average_spend,clv';

/** Six decimals are more than any decision needs and keep files small. */
function decimal(value: number): string {
  return String(Number(value.toFixed(6)));
}

function predictionCsv(row: CustomerPrediction): string {
  return [
    csvField(row.customerId),
    ...[
      row.frequency,
      row.recency,
      row.age,
      row.probabilityAlive,
      row.expectedPurchases,
      row.expectedAverageSpend,
      row.clv,
    ].map(decimal),
  ].join(',');
}

function predictionJson(row: CustomerPrediction): string {
  return JSON.stringify({
    customer_id: row.customerId,
    x: row.frequency,
    t_x: Number(decimal(row.recency)),
    T: Number(decimal(row.age)),
    p_alive: Number(decimal(row.probabilityAlive)),
    expected_purchases: Number(decimal(row.expectedPurchases)),
    expected_average_spend: Number(decimal(row.expectedAverageSpend)),
    clv: Number(decimal(row.clv)),
  });
}

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

async function validateCommand(file: string, options: ValidateOptions): Promise<void> {
  const holdoutEnd = dayOption(options.holdoutEnd, '--holdout-end');
  const calibrationEnd = dayOption(options.calibrationEnd, '--calibration-end');
  if (holdoutEnd <= calibrationEnd) {
    throw new RapportError(
      'RAPPORT_VALUE_INVALID_INPUT',
      `--holdout-end ${options.holdoutEnd} must be after --calibration-end ${options.calibrationEnd}`,
    );
  }
  const data = await loadData(file, options, holdoutEnd);
  const models = fitValueModels(data.summary.customers);
  const holdoutLength = (holdoutEnd - calibrationEnd) / DAYS_PER_UNIT[options.unit];
  const report = holdoutReport(models.bgNbd.params, data.summary.customers, holdoutLength);
  const fitWarnings = fitSummary(data, models, options).warnings;
  if (options.json) {
    const json = {
      calibrationEnd: formatDay(calibrationEnd),
      holdoutEnd: formatDay(holdoutEnd),
      unit: options.unit,
      ...report,
      warnings: [...report.warnings, ...fitWarnings],
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  process.stdout.write(holdoutText(report, options, calibrationEnd, holdoutEnd, fitWarnings));
}

function holdoutText(
  report: HoldoutReport,
  options: ValidateOptions,
  calibrationEnd: number,
  holdoutEnd: number,
  fitWarnings: string[],
): string {
  const header = [
    'repeat purchases',
    'customers',
    'actual',
    'predicted',
    'actual/cust',
    'predicted/cust',
    'difference',
  ];
  const widths = [18, 11, 10, 11, 13, 16, 12];
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (index === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[index]!)))
      .join('');
  const rowCells = (row: HoldoutReport['total']) => [
    row.bucket,
    String(row.customers),
    String(row.actual),
    row.predicted.toFixed(1),
    row.actualPerCustomer.toFixed(3),
    row.predictedPerCustomer.toFixed(3),
    row.relativeError === null
      ? 'n/a'
      : `${row.relativeError >= 0 ? '+' : ''}${(row.relativeError * 100).toFixed(1)}%`,
  ];
  const verdict = {
    good: `Verdict: good. Predicted and actual holdout purchases agree within ${POOR_FIT_THRESHOLD * 100}% in total; the predictions can be used.`,
    poor: 'Verdict: poor fit. See the warnings below before using the predictions.',
    'too little data': 'Verdict: too little data to judge. See the warnings below.',
  }[report.verdict];
  return `${[
    `Holdout check: fitted on purchases up to ${formatDay(calibrationEnd)}, compared on ${formatDay(calibrationEnd + 1)} to ${formatDay(holdoutEnd)} (${report.holdoutLength.toFixed(1)} ${options.unit})`,
    'Rows group customers by the repeat purchases they made in the calibration period.',
    '',
    line(header),
    ...report.rows.map((row) => line(rowCells(row))),
    line(rowCells(report.total)),
    '',
    verdict,
    ...[...report.warnings, ...fitWarnings].map((warning) => `warning: ${warning}`),
  ].join('\n')}\n`;
}
