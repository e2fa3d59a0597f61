// `rapport attribution --paths FILE --model NAME [--order N] [--with-nulls] [--json]`: any
// model over a paths file. Rejected rows go to stderr with their line and field; the good rows
// are still attributed.
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { isRapportError, RapportError } from '../errors/index.ts';
import { MAX_MARKOV_ORDER } from './markov.ts';
import { runModel } from './models.ts';
import { type PathsFile, parsePathsCsv } from './paths-csv.ts';
import type { ShapleyResult } from './shapley.ts';
import { registerSpendCommands } from './spend-cli.ts';
import { type Attribution, MODEL_NAMES, type ModelName } from './types.ts';

export interface AttributionOptions {
  paths: string;
  model: ModelName;
  order?: string;
  withNulls?: boolean;
  halfLife?: string;
  permutations?: string;
  seed?: string;
  json?: boolean;
}

export function registerAttributionCommands(program: Command): void {
  program
    .command('attribution')
    .description('which channel earned the conversions: attribution models over a paths file')
    .requiredOption(
      '--paths <file>',
      'CSV with columns path ("a > b > c"), conversions, nulls and optionally value',
    )
    .addOption(new Option('--model <name>', 'attribution model').choices(MODEL_NAMES).makeOptionMandatory())
    .option('--order <n>', `Markov order, 1 to ${MAX_MARKOV_ORDER}`, '1')
    .option('--with-nulls', 'Markov and Shapley: count the paths that did not convert (the nulls column)')
    .option('--half-life <steps>', 'time decay: a touch counts half as much this many steps earlier', '7')
    .option('--permutations <n>', 'Shapley beyond the exact channel count: random orders drawn')
    .option('--seed <n>', 'Shapley sampling seed')
    .option('--json', 'print {"model", "channels": {name: {"conversions", "value"}}}')
    .action((options: AttributionOptions) => run(() => attributionCommand(options)));
  registerSpendCommands(program);
}

async function run(command: () => Promise<void>): Promise<void> {
  try {
    await command();
  } catch (error) {
    if (!isRapportError(error) && !(error instanceof RangeError)) throw error;
    const code = isRapportError(error) ? error.code : 'RAPPORT_ATTRIBUTION_INVALID_INPUT';
    process.stderr.write(`rapport attribution: ${error.message} (${code})\n`);
    process.exitCode = 1;
  }
}

function integerOption(text: string | undefined, option: string, minimum: number): number | undefined {
  if (text === undefined) return undefined;
  const number = Number(text);
  if (!Number.isInteger(number) || number < minimum) {
    throw new RapportError(
      'RAPPORT_ATTRIBUTION_INVALID_INPUT',
      `${option} "${text}" must be an integer ≥ ${minimum}`,
    );
  }
  return number;
}

async function readPaths(file: string): Promise<PathsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RapportError('RAPPORT_ATTRIBUTION_INVALID_INPUT', `cannot read ${file}: no such file`);
    }
    throw error;
  }
  return parsePathsCsv(bytes, file);
}

function reportRejects(paths: PathsFile): void {
  if (paths.rejected.length === 0) return;
  const shown = paths.rejected.slice(0, 10).map((row) => `  line ${row.line}, ${row.field}: ${row.reason}`);
  const more =
    paths.rejected.length > shown.length ? [`  … and ${paths.rejected.length - shown.length} more`] : [];
  process.stderr.write(
    `rejected ${paths.rejected.length} of ${paths.rows} rows (the others are attributed):\n${[...shown, ...more].join('\n')}\n`,
  );
}

async function attributionCommand(options: AttributionOptions): Promise<void> {
  const { result, file } = await attributePathsFile(options);
  reportRejects(file);
  process.stdout.write(options.json ? `${JSON.stringify(asJson(result))}\n` : asTable(result));
}

/** Steps of the command: check the options, read the file, run the model. */
export async function attributePathsFile(
  options: AttributionOptions,
): Promise<{ result: Attribution; file: PathsFile }> {
  const order = integerOption(options.order, '--order', 1);
  const halfLife = Number(options.halfLife ?? '7');
  if (!(halfLife > 0)) {
    throw new RapportError(
      'RAPPORT_ATTRIBUTION_INVALID_INPUT',
      `--half-life "${options.halfLife}" must be a positive number`,
    );
  }
  const permutations = integerOption(options.permutations, '--permutations', 1);
  const seed = integerOption(options.seed, '--seed', 0);
  const file = await readPaths(options.paths);
  if (options.withNulls && !file.hasNulls) {
    throw new RapportError(
      'RAPPORT_ATTRIBUTION_INVALID_INPUT',
      `--with-nulls needs a "nulls" column in ${options.paths} (people who met the path and did not convert)`,
    );
  }
  if (file.paths.length === 0) {
    throw new RapportError(
      'RAPPORT_ATTRIBUTION_INVALID_INPUT',
      `${options.paths} has no valid path rows (${file.rows} rows read, ${file.rejected.length} rejected)`,
    );
  }
  const result = runModel(options.model, file.paths, {
    ...(order === undefined ? {} : { order }),
    withNulls: options.withNulls ?? false,
    halfLife,
    ...(permutations === undefined ? {} : { permutations }),
    ...(seed === undefined ? {} : { seed }),
  });
  return { result, file };
}

/** The shape, plus the sampling's standard errors when Shapley had to sample. */
function asJson(result: Attribution): Record<string, unknown> {
  const json: Record<string, unknown> = { model: result.model, channels: result.channels };
  const sampled = result as ShapleyResult;
  if (sampled.standardErrors)
    json.sampling = { permutations: sampled.permutations, standardErrors: sampled.standardErrors };
  return json;
}

function asTable(result: Attribution): string {
  const rows = Object.entries(result.channels).sort((a, b) => b[1].conversions - a[1].conversions);
  const width = Math.max(7, ...rows.map(([name]) => name.length));
  const lines = rows.map(
    ([name, credit]) =>
      `${name.padEnd(width)}  ${credit.conversions.toFixed(2).padStart(12)}  ${credit.value.toFixed(2).padStart(14)}`,
  );
  return `model ${result.model}\n${'channel'.padEnd(width)}  ${'conversions'.padStart(12)}  ${'value'.padStart(14)}\n${lines.join('\n')}\n`;
}
