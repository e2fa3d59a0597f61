// The processors may lag, an acknowledgement may not: the pipeline worker thread (and DuckDB's
// threads it starts) run at a lower priority than the HTTP thread and the log writer thread
// (src/pipeline-worker.ts). A real server process; its threads' nice values read from /proc.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, startChildServer, testSecrets } from '../support/child-server.ts';

/** Nice value of each thread of a process (field 19 of /proc/PID/task/TID/stat). */
function niceByThread(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[16]));
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

describe.skipIf(process.platform !== 'linux')('thread priorities of a serving process', () => {
  const secrets = testSecrets();
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-priority-'));
  let server: ChildServer;

  beforeAll(async () => {
    server = await startChildServer({
      RAPPORT_DATA_DIR: dataDir,
      RAPPORT_WRITE_KEY: secrets.writeKey,
      RAPPORT_ADMIN_TOKEN: secrets.adminToken,
    });
  }, 180_000);

  afterAll(async () => {
    await server?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('runs the pipeline worker below the HTTP thread, and most threads (the log writer among them) at its priority', () => {
    const pid = server.process.pid as number;
    const nice = niceByThread(pid);
    const base = nice.get(pid) as number;
    const lowered = [...nice.values()].filter((value) => value === Math.min(base + 10, 19));
    const atBase = [...nice.values()].filter((value) => value === base);
    expect(lowered.length).toBeGreaterThan(0);
    // The HTTP thread, the log writer, V8's and libuv's threads stay where the process is.
    expect(atBase.length).toBeGreaterThan(1);
    expect(nice.get(pid)).toBe(base);
  });
});
