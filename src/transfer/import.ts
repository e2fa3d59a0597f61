// The import runner, in numbered steps: (1) check the file (encoding, CSV header and structure)
// and the options before anything is sent; (2) find the resume point; (3) read rows into
// batches, send each batch to the sink, write its rejections, then the checkpoint; (4) mark the
// checkpoint complete and return the summary.
import { createHash } from 'node:crypto';
import {
  type Checkpoint,
  checkpointPathFor,
  type ImportCounts,
  RejectsFile,
  readCheckpoint,
  resumeProblem,
  writeCheckpoint,
} from './checkpoint.ts';
import { type CsvPlan, eventsPlan, ImportUsageError, profilesPlan } from './mapping.ts';
import { checkCsvStructure, csvRows, jsonLineRows, type RowItem, type RowStart } from './rows.ts';
import type { ImportSink } from './sinks.ts';
import { checkUtf8, type FileIdentity, identifyFile, readCsvHeader } from './source.ts';

export type ImportFormat = 'jsonl' | 'csv';

export interface CsvImportOptions {
  maps: string[];
  ignore: string[];
  event?: string;
  type?: string;
  /** profiles: the identifier column. */
  id?: string;
}

export interface ImportOptions {
  kind: 'events' | 'profiles';
  input: string;
  format: ImportFormat;
  csv: CsvImportOptions;
  sink: ImportSink;
  rejectsPath?: string;
  checkpointPath?: string;
  /** Ignore an existing checkpoint and import from the first row. */
  restart?: boolean;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  /** Bytes (JSON lines) or rows (CSV) done and in total. */
  done: number;
  total: number;
  unit: 'bytes' | 'rows';
  counts: ImportCounts;
}

export interface ImportSummary {
  input: string;
  mode: 'local' | 'remote';
  counts: ImportCounts;
  elapsedMs: number;
  rowsPerSecond: number;
  /** Rows skipped because a checkpoint said they were done. */
  resumedAfterRow: number;
  rejectsFile: string | undefined;
  checkpointFile: string;
  alreadyComplete: boolean;
}

export function formatOf(input: string, explicit?: string): ImportFormat {
  if (explicit === 'csv' || explicit === 'jsonl') return explicit;
  if (explicit !== undefined) throw new ImportUsageError(`--format ${explicit}: use csv or jsonl`);
  if (/\.csv$/i.test(input)) return 'csv';
  if (/\.(jsonl|ndjson|json)$/i.test(input)) return 'jsonl';
  throw new ImportUsageError(
    `cannot tell the format of ${input} from its name; pass --format csv or --format jsonl`,
  );
}

interface Prepared {
  file: FileIdentity;
  optionsKey: string;
  header: string[];
  plan: CsvPlan | undefined;
  csvRecords: number;
}

/** Step 1: everything that can refuse the import, before a single row is sent. */
async function prepare(options: ImportOptions): Promise<Prepared> {
  if (options.kind === 'profiles' && options.format !== 'csv') {
    throw new ImportUsageError(
      'import profiles reads CSV (--id COLUMN); send identify messages with import events',
    );
  }
  const file = await identifyFile(options.input);
  await checkUtf8(options.input);
  const optionsKey = createHash('sha256')
    .update(JSON.stringify({ kind: options.kind, format: options.format, csv: options.csv }))
    .digest('hex')
    .slice(0, 16);
  if (options.format === 'jsonl') return { file, optionsKey, header: [], plan: undefined, csvRecords: 0 };
  const header = await readCsvHeader(options.input);
  const plan = planFor(options, header);
  const csvRecords = await checkCsvStructure(options.input);
  return { file, optionsKey, header, plan, csvRecords };
}

function planFor(options: ImportOptions, header: string[]): CsvPlan {
  const { maps, ignore, event, type, id } = options.csv;
  if (options.kind === 'events') {
    return eventsPlan(header, {
      maps,
      ignore,
      ...(event !== undefined ? { event } : {}),
      ...(type ? { type } : {}),
    });
  }
  if (!id)
    throw new ImportUsageError('import profiles needs --id COLUMN: the column that identifies each person');
  return profilesPlan(header, { maps, ignore, id });
}

function emptyCounts(): ImportCounts {
  return { read: 0, imported: 0, duplicates: 0, rejected: 0 };
}

/** Step 2: a checkpoint to resume from, nothing, or a refusal. */
function startingPoint(
  options: ImportOptions,
  prepared: Prepared,
  checkpointPath: string,
): Checkpoint | undefined {
  if (options.restart) return undefined;
  const checkpoint = readCheckpoint(checkpointPath);
  if (!checkpoint) return undefined;
  const problem = resumeProblem(checkpoint, prepared.file, prepared.optionsKey);
  if (problem) {
    throw new ImportUsageError(
      `${checkpointPath} exists but ${problem}; pass --restart to import from the first row ` +
        '(rows already imported are skipped by messageId if the file and options are unchanged)',
    );
  }
  return checkpoint;
}

function rejectLine(item: RowItem, problem: { code: string; field: string; reason: string }): string {
  return `${JSON.stringify({ row: item.row, line: item.line, code: problem.code, field: problem.field, reason: problem.reason, raw: item.raw })}\n`;
}

export async function runImport(options: ImportOptions): Promise<ImportSummary> {
  const startedAt = Date.now();
  const prepared = await prepare(options);
  const checkpointPath = options.checkpointPath ?? checkpointPathFor(options.input);
  const rejectsPath = options.rejectsPath ?? `${options.input}.rejects.jsonl`;
  const resumed = startingPoint(options, prepared, checkpointPath);
  const summaryOf = (counts: ImportCounts, elapsedMs: number, alreadyComplete: boolean): ImportSummary => ({
    input: options.input,
    mode: options.sink.mode,
    counts,
    elapsedMs,
    rowsPerSecond: elapsedMs > 0 ? Math.round((counts.read / elapsedMs) * 1000) : 0,
    resumedAfterRow: resumed?.position ?? 0,
    rejectsFile: counts.rejected > 0 ? rejectsPath : undefined,
    checkpointFile: checkpointPath,
    alreadyComplete,
  });
  if (resumed?.completed) return summaryOf(resumed.counts, resumed.elapsedMs, true);

  const counts = resumed ? { ...resumed.counts } : emptyCounts();
  const rejects = new RejectsFile(rejectsPath, resumed?.rejectsBytes ?? 0);
  const priorMs = resumed?.elapsedMs ?? 0;
  const fileKey = `${prepared.file.headHash}:${prepared.optionsKey}`;
  const start: RowStart = { offset: resumed?.offset ?? 0, position: resumed?.position ?? 0 };
  const rows =
    options.format === 'jsonl'
      ? jsonLineRows(options.input, fileKey, start)
      : csvRows(options.input, prepared.plan as CsvPlan, prepared.header, fileKey, start);
  let checkpoint: Checkpoint = {
    version: 1,
    file: prepared.file,
    optionsKey: prepared.optionsKey,
    offset: start.offset,
    position: start.position,
    rejectsBytes: rejects.size,
    counts,
    elapsedMs: priorMs,
    completed: false,
    updatedAt: new Date().toISOString(),
  };
  const progress = (offset: number, position: number) =>
    options.onProgress?.(
      options.format === 'jsonl'
        ? { done: offset, total: prepared.file.size, unit: 'bytes', counts }
        : { done: position, total: prepared.csvRecords, unit: 'rows', counts },
    );

  // Step 3: batches in file order; a checkpoint only after the log acknowledged the batch.
  const commit = async (batch: RowItem[]) => {
    const last = batch[batch.length - 1];
    if (!last) return;
    const sendable = batch.filter((item) => item.message !== undefined);
    const result = await options.sink.send(sendable.map((item) => item.message as Record<string, unknown>));
    const sinkProblems = new Map(result.rejected.map((r) => [sendable[r.index] as RowItem, r]));
    const lines: string[] = [];
    for (const item of batch) {
      const problem = item.problem ?? sinkProblems.get(item);
      if (problem) lines.push(rejectLine(item, problem));
    }
    rejects.write(lines);
    counts.read += batch.length;
    counts.imported += result.imported;
    counts.duplicates += result.duplicates;
    counts.rejected += lines.length;
    checkpoint = {
      ...checkpoint,
      offset: last.offset,
      position: last.position,
      rejectsBytes: rejects.size,
      counts,
      elapsedMs: priorMs + Date.now() - startedAt,
      updatedAt: new Date().toISOString(),
    };
    writeCheckpoint(checkpointPath, checkpoint);
    progress(last.offset, last.position);
  };

  try {
    let batch: RowItem[] = [];
    let messages = 0;
    for await (const items of rows) {
      for (const item of items) {
        batch.push(item);
        if (item.message) messages++;
        // Rejected rows count too, so a file of nothing but bad rows still moves in batches.
        if (messages >= options.sink.batchSize || batch.length >= 2 * options.sink.batchSize) {
          await commit(batch);
          batch = [];
          messages = 0;
        }
      }
    }
    await commit(batch);
  } finally {
    rejects.close();
  }
  // Step 4.
  const elapsedMs = priorMs + Date.now() - startedAt;
  writeCheckpoint(checkpointPath, { ...checkpoint, counts, elapsedMs, completed: true });
  return summaryOf(counts, elapsedMs, false);
}
