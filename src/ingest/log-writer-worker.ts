// The log writer thread: owns the write connection to the embedded ingest log and does the
// group commit itself. The HTTP thread posts each request's append as soon as it is validated;
// here every append posted while the previous commit (and its fsync) ran is taken off the port
// at once and committed in one transaction. A commit therefore starts the moment the last one
// ends, without waiting for the HTTP thread to notice the reply and send the next group, and
// the fsync blocks this thread, never the one parsing the next requests.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { SqliteIngestLog } from '../store/index.ts';
import {
  type LogWriterData,
  type LogWriterReply,
  type LogWriterRequest,
  unflattenEntries,
} from './log-writer.ts';

const port = parentPort;
if (!port) throw new Error('the log writer must run in a worker thread');
const { logPath, maxGroupMessages } = workerData as LogWriterData;
const log = new SqliteIngestLog(logPath);

type Append = Extract<LogWriterRequest, { kind: 'append' }>;
const waiting: LogWriterRequest[] = [];
let writing = false;

port.on('message', (request: LogWriterRequest) => {
  waiting.push(request);
  if (!writing) writeWaiting();
});

/** Commits until nothing is waiting; synchronous, so appends posted meanwhile stay on the port. */
function writeWaiting(): void {
  writing = true;
  try {
    for (;;) {
      for (let next = receiveMessageOnPort(port as never); next; next = receiveMessageOnPort(port as never))
        waiting.push(next.message as LogWriterRequest);
      const first = waiting[0];
      if (!first) return;
      if (first.kind === 'close') {
        waiting.length = 0;
        log.close();
        port?.postMessage({ kind: 'closed' } satisfies LogWriterReply);
        return;
      }
      commit(takeGroup());
    }
  } finally {
    writing = false;
  }
}

/** The appends at the front of the queue, up to a close or maxGroupMessages (at least one). */
function takeGroup(): Append[] {
  const group: Append[] = [];
  let messages = 0;
  while (waiting.length > 0) {
    const next = waiting[0] as LogWriterRequest;
    if (next.kind !== 'append') break;
    const size = next.entries.length / 4;
    if (group.length > 0 && messages + size > maxGroupMessages) break;
    group.push(next);
    messages += size;
    waiting.shift();
  }
  return group;
}

function commit(group: Append[]): void {
  const ids = group.map((request) => request.id);
  try {
    const results = log.appendGroups(
      group.map((request) => ({
        entries: unflattenEntries(request.entries),
        deadLetters: request.deadLetters,
      })),
    );
    port?.postMessage({ kind: 'appended', ids, results } satisfies LogWriterReply);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    port?.postMessage({ kind: 'failed', ids, error: message } satisfies LogWriterReply);
  }
}

// Before ready: the server starts taking requests once the newest messageIds (those not yet in
// the log's index, at most about 8,192) are read.
log.loadDedupeWindow();
port.postMessage({ kind: 'ready' } satisfies LogWriterReply);
