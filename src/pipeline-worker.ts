// The pipeline worker thread's composition root, as server.ts is the HTTP thread's: the
// pipeline (a low module) runs the processors' loops, and this names the realtime processor
// of the segments capability, which the pipeline may not import.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { runPipelineWorker } from './pipeline/worker.ts';
import { segmentsProcessor } from './segments/index.ts';

/**
 * The processors may lag; a request's answer may not (it waits for its commit, and the HTTP
 * thread and the log writer thread are what it waits on). So this thread, and DuckDB's threads
 * it starts (a new thread inherits its creator's nice value on Linux), run at a lower priority:
 * on a busy machine they take the CPU the acknowledgements leave, and all of it when idle.
 */
const PROCESSORS_NICE = 10;

function lowerThisThreadsPriority(): void {
  try {
    // Linux: /proc/thread-self is this thread's task directory, named by its thread id.
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId)) setPriority(threadId, PROCESSORS_NICE);
  } catch {
    // Elsewhere the processors run at the process's priority.
  }
}

lowerThisThreadsPriority();
runPipelineWorker(segmentsProcessor);
