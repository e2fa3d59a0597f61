// `rapport import events|profiles` and `rapport export events|profiles`: flags → options,
// the sink (local log or remote server), a progress bar on stderr, and one clear line when
// something is refused. Exit codes: 0 done, 1 stopped by a fault (rerun to resume), 2 refused.
import { existsSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig, SERVER_URL_HELP, serverUrl } from '../config/index.ts';
import { openStateStore, SqliteIngestLog, sqlitePathsIn } from '../store/index.ts';
import { type ExportOptions, ExportRefusedError, runExport } from './export.ts';
import {
  formatOf,
  type ImportOptions,
  type ImportProgress,
  type ImportSummary,
  runImport,
} from './import.ts';
import { ImportUsageError } from './mapping.ts';
import { ImportRefusedError, type ImportSink, LocalSink, RemoteSink } from './sinks.ts';

interface ImportFlags {
  format?: string;
  map: string[];
  ignore: string[];
  event?: string;
  type?: string;
  id?: string;
  url?: string;
  writeKey?: string;
  dataDir?: string;
  database?: string;
  source: string;
  rejects?: string;
  restart?: boolean;
  quiet?: boolean;
  json?: boolean;
  batchSize?: number;
  concurrency?: number;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const collectList = (value: string, previous: string[]) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return number;
}

async function openSink(flags: ImportFlags): Promise<ImportSink> {
  if (flags.url) {
    const writeKey = flags.writeKey ?? process.env.RAPPORT_WRITE_KEY;
    if (!writeKey)
      throw new ImportUsageError('--url needs a write key: --write-key KEY or RAPPORT_WRITE_KEY');
    return new RemoteSink({
      url: flags.url,
      writeKey,
      ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
    });
  }
  const config = loadConfig({ dataDir: flags.dataDir, databaseUrl: flags.database });
  const batchSize = flags.batchSize ?? 5000;
  if (config.databaseUrl) {
    const state = await openStateStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    return new LocalSink(state.log, flags.source, batchSize, () => state.close());
  }
  const { logPath } = sqlitePathsIn(config.dataDir);
  if (!existsSync(logPath)) {
    throw new ImportUsageError(
      `no Rapport data in ${config.dataDir} (no log.sqlite): start the server there once, pass --data-dir, ` +
        'or import into a running server with --url and --write-key',
    );
  }
  const log = new SqliteIngestLog(logPath);
  return new LocalSink(log, flags.source, batchSize, async () => log.close());
}

function progressBar(enabled: boolean) {
  if (!enabled || !process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted} | {rejected} rejected',
      stream: process.stderr,
      etaBuffer: 20,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const startedAt = Date.now();
  return {
    update(progress: ImportProgress) {
      if (!started) bar.start(Math.max(1, progress.total), 0, { rows: 0, rate: 0, rejected: 0 });
      started = true;
      const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
      bar.update(progress.done, {
        rows: progress.counts.read,
        rate: Math.round(progress.counts.read / seconds),
        rejected: progress.counts.rejected,
      });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function summaryLines(summary: ImportSummary): string[] {
  const { counts } = summary;
  if (summary.alreadyComplete) {
    return [
      `${summary.input} was already imported (${counts.imported} imported, ${counts.rejected} rejected).`,
      `Pass --restart to import it again (rows already in the log are skipped by messageId).`,
    ];
  }
  const seconds = (summary.elapsedMs / 1000).toFixed(1);
  const lines = [
    `Read ${counts.read} rows in ${seconds} s (${summary.rowsPerSecond} rows/s, ${summary.mode}): ` +
      `${counts.imported} imported, ${counts.rejected} rejected` +
      (summary.mode === 'local' ? `, ${counts.duplicates} already in the log.` : '.'),
  ];
  if (summary.resumedAfterRow > 0)
    lines.push(`Resumed after row ${summary.resumedAfterRow} (checkpoint ${summary.checkpointFile}).`);
  if (summary.rejectsFile) lines.push(`Rejected rows, with line and reason: ${summary.rejectsFile}`);
  return lines;
}

function fail(command: string, error: unknown): void {
  if (
    error instanceof ImportUsageError ||
    error instanceof ImportRefusedError ||
    error instanceof ExportRefusedError
  ) {
    process.stderr.write(`rapport ${command}: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`rapport ${command}: stopped: ${message}\n`);
  if (command.startsWith('import')) {
    process.stderr.write('Everything acknowledged so far is kept; run the same command again to resume.\n');
  }
  process.exitCode = 1;
}

async function importCommand(kind: 'events' | 'profiles', input: string, flags: ImportFlags): Promise<void> {
  const command = `import ${kind}`;
  let sink: ImportSink | undefined;
  const bar = progressBar(!flags.quiet && !flags.json);
  try {
    if (!existsSync(input)) throw new ImportUsageError(`no file ${input}`);
    const format = formatOf(input, flags.format);
    sink = await openSink(flags);
    const options: ImportOptions = {
      kind,
      input,
      format,
      csv: {
        maps: flags.map,
        ignore: flags.ignore,
        ...(flags.event !== undefined ? { event: flags.event } : {}),
        ...(flags.type !== undefined ? { type: flags.type } : {}),
        ...(flags.id !== undefined ? { id: flags.id } : {}),
      },
      sink,
      restart: Boolean(flags.restart),
      ...(flags.rejects ? { rejectsPath: flags.rejects } : {}),
      ...(bar ? { onProgress: (progress: ImportProgress) => bar.update(progress) } : {}),
    };
    const summary = await runImport(options);
    bar?.stop();
    if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else if (!flags.quiet) process.stderr.write(`${summaryLines(summary).join('\n')}\n`);
  } catch (error) {
    bar?.stop();
    fail(command, error);
  } finally {
    await sink?.close();
  }
}

function importOptions(command: Command): Command {
  return command
    .option('--format <format>', 'csv or jsonl (default: from the file name)')
    .option(
      '--map <column=field>',
      'where a CSV column goes, e.g. total=properties.revenue:number (repeatable)',
      collect,
      [],
    )
    .option('--ignore <columns>', 'CSV columns to leave out (comma-separated, repeatable)', collectList, [])
    .option('--url <url>', 'import into a running server over HTTP (/v1/batch) instead of the local data')
    .option('--write-key <key>', 'write key for --url (RAPPORT_WRITE_KEY)')
    .option('--data-dir <dir>', 'local mode: embedded storage folder (RAPPORT_DATA_DIR, default ./data)')
    .option('--database <url>', 'local mode: PostgreSQL URL (RAPPORT_DATABASE_URL)')
    .option(
      '--source <name>',
      'local mode: the source name traits record (a write key name over HTTP)',
      'import',
    )
    .option('--rejects <file>', 'where rejected rows go (default FILE.rejects.jsonl)')
    .option('--restart', 'ignore the checkpoint and start from the first row')
    .option('--batch-size <n>', 'local mode: messages per transaction (default 5000)', positiveInteger)
    .option('--concurrency <n>', 'remote mode: requests in flight (default 4)', positiveInteger)
    .option('--quiet', 'no progress bar or summary')
    .option('--json', 'print the summary as JSON on stdout');
}

interface ExportFlags {
  format: string;
  output?: string;
  url?: string;
  adminToken?: string;
  from?: string;
  to?: string;
  name?: string;
  type?: string;
  segment?: string;
  columns: string[];
  quiet?: boolean;
}

async function exportCommand(kind: 'events' | 'profiles', flags: ExportFlags): Promise<void> {
  try {
    if (flags.format !== 'jsonl' && flags.format !== 'csv')
      throw new ExportRefusedError(`--format ${flags.format}: use jsonl or csv`);
    const adminToken = flags.adminToken ?? process.env.RAPPORT_ADMIN_TOKEN;
    if (!adminToken)
      throw new ExportRefusedError('an admin token is needed: --admin-token TOKEN or RAPPORT_ADMIN_TOKEN');
    const url = serverUrl(flags.url);
    const filters = Object.fromEntries(
      Object.entries({
        from: flags.from,
        to: flags.to,
        name: flags.name,
        type: flags.type,
        segment: flags.segment,
      }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
    const options: ExportOptions = {
      kind,
      url,
      adminToken,
      format: flags.format,
      filters,
      columns: flags.columns,
      ...(flags.output ? { output: flags.output } : {}),
    };
    const summary = await runExport(options);
    if (!flags.quiet && flags.output) {
      process.stderr.write(`Exported ${summary.rows} ${kind} to ${flags.output}.\n`);
      if (summary.droppedColumns.length > 0) {
        process.stderr.write(
          `Some rows had fields not in the CSV columns (first seen after the sample): ${summary.droppedColumns.slice(0, 10).join(', ')}; pass --columns to choose them.\n`,
        );
      }
    }
  } catch (error) {
    fail(`export ${kind}`, error);
  }
}

function exportOptions(command: Command): Command {
  return command
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('--output <file>', 'write here instead of stdout')
    .option(
      '--columns <names>',
      'CSV columns (comma-separated, repeatable; default: discovered from the first rows)',
      collectList,
      [],
    )
    .option('--url <url>', SERVER_URL_HELP)
    .option('--admin-token <token>', 'admin token (RAPPORT_ADMIN_TOKEN)')
    .option('--quiet', 'no summary line');
}

export function registerTransferCommands(program: Command): void {
  const importCommandGroup = program
    .command('import')
    .description('Import events or profiles from a file (resumable)');
  importOptions(
    importCommandGroup
      .command('events <file>')
      .description('Import Segment messages from JSON lines, or rows of a CSV with a column map')
      .option('--event <name>', 'CSV: the event name of every row (track)')
      .option('--type <type>', 'CSV: the message type of every row (default track)'),
  ).action((file: string, flags: ImportFlags) => importCommand('events', file, flags));
  importOptions(
    importCommandGroup
      .command('profiles <file>')
      .description('Import people from a CSV as identify messages; other columns become traits')
      .requiredOption('--id <column>', 'the column that identifies each person (email, user_id, …)'),
  ).action((file: string, flags: ImportFlags) => importCommand('profiles', file, flags));

  const exportGroup = program
    .command('export')
    .description('Export events or profiles from a server, streaming');
  exportOptions(
    exportGroup
      .command('events')
      .description('Events in log order as JSON lines (Segment messages) or CSV')
      .option('--from <date>', 'events at or after this time')
      .option('--to <date>', 'events before this time')
      .option('--name <event>', 'only this event (track) or page/screen name')
      .option('--type <type>', 'only this message type'),
  ).action((flags: ExportFlags) => exportCommand('events', flags));
  exportOptions(
    exportGroup
      .command('profiles')
      .description('Profiles with identities and traits as JSON lines or CSV')
      .option('--segment <id>', 'only the members of this segment'),
  ).action((flags: ExportFlags) => exportCommand('profiles', flags));
}
