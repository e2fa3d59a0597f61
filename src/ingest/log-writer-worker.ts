// The log writer thread: owns the write connection to the embedded ingest log and commits
// each append it is sent, one transaction each. The fsync of a commit then blocks this
// thread, not the one parsing the next requests.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteIngestLog } from '../store/index.ts';
import { type LogWriterReply, type LogWriterRequest, unflattenEntries } from './log-writer.ts';

const port = parentPort;
if (!port) throw new Error('the log writer must run in a worker thread');
const log = new SqliteIngestLog((workerData as { logPath: string }).logPath);

port.on('message', async (request: LogWriterRequest) => {
  if (request.kind === 'close') {
    log.close();
    port.postMessage({ kind: 'closed' } satisfies LogWriterReply);
    return;
  }
  try {
    const result = await log.append(unflattenEntries(request.entries), request.deadLetters);
    port.postMessage({ kind: 'appended', id: request.id, result } satisfies LogWriterReply);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    port.postMessage({ kind: 'failed', id: request.id, error: message } satisfies LogWriterReply);
  }
});
// Before ready: the server starts taking requests once the messageId window is read.
log.loadDedupeWindow();
port.postMessage({ kind: 'ready' } satisfies LogWriterReply);
