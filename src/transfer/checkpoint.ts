// The resume point of an import, `<input>.rapport-import.json`: where the acknowledged prefix
// of the file ends, the counts so far and how long the rejects file was then. It is written
// (write-then-rename, so a kill never leaves half a file) only after the log acknowledged
// everything before that point, so a resume may redo a batch (deduped by messageId) but never
// skips one.
import {
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import type { FileIdentity } from './source.ts';

export interface ImportCounts {
  /** Rows read (lines for JSON lines, records for CSV), acknowledged or rejected. */
  read: number;
  imported: number;
  /** Known in local mode only (the log says which messageIds it already had). */
  duplicates: number;
  rejected: number;
}

export interface Checkpoint {
  version: 1;
  /** What the file was: a resume on another file (or other options) is refused. */
  file: FileIdentity;
  optionsKey: string;
  /** JSON lines: the byte offset after the last acknowledged line. */
  offset: number;
  /** Lines (JSON lines) or records (CSV) consumed so far. */
  position: number;
  rejectsBytes: number;
  counts: ImportCounts;
  elapsedMs: number;
  completed: boolean;
  updatedAt: string;
}

export function checkpointPathFor(input: string): string {
  return `${input}.rapport-import.json`;
}

export function readCheckpoint(path: string): Checkpoint | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
    return parsed.version === 1 ? parsed : undefined;
  } catch {
    // A checkpoint is rewritten by rename, so a broken one was edited by hand: start over.
    return undefined;
  }
}

export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`);
  renameSync(temporary, path);
}

/** Why a checkpoint cannot be resumed on this file, or undefined when it can. */
export function resumeProblem(
  checkpoint: Checkpoint,
  file: FileIdentity,
  optionsKey: string,
): string | undefined {
  if (checkpoint.file.headHash !== file.headHash || file.size < checkpoint.offset) {
    return 'the file is not the one the checkpoint was made from';
  }
  if (checkpoint.optionsKey !== optionsKey) return 'the checkpoint was made with other import options';
  return undefined;
}

/**
 * Rejected rows as JSON lines (line number, code, field, reason, the row). Written in file
 * order, just before the checkpoint that covers them, and cut back to the checkpoint's length
 * on resume, so each rejected row is listed once however often the import is interrupted.
 */
export class RejectsFile {
  private fd: number | undefined;
  private bytes: number;

  constructor(
    readonly path: string,
    keepBytes: number,
  ) {
    this.bytes = keepBytes;
    if (!existsSync(path)) return;
    if (keepBytes === 0) {
      writeFileSync(path, '');
      return;
    }
    const fd = openSync(path, 'r+');
    try {
      if (statSync(path).size > keepBytes) ftruncateSync(fd, keepBytes);
    } finally {
      closeSync(fd);
    }
  }

  get size(): number {
    return this.bytes;
  }

  write(lines: string[]): void {
    if (lines.length === 0) return;
    this.fd ??= openSync(this.path, 'a');
    const text = lines.join('');
    writeFileSync(this.fd, text);
    this.bytes += Buffer.byteLength(text);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
