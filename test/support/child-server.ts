// Runs `rapport serve` as a child process, as an operator would, so tests can kill it with
// SIGKILL and start it again on the same storage.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

export interface ChildServer {
  url: string;
  process: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function testSecrets() {
  return {
    writeKey: `rk_write_child_${randomBytes(8).toString('hex')}`,
    adminToken: `rk_admin_child_${randomBytes(8).toString('hex')}`,
  };
}

/**
 * `source` runs src/ through tsx (the tests' default: what they test is the TypeScript);
 * `compiled` runs bin/rapport.js, the compiled build in dist/ that `npm start` runs (build it
 * first: `npm run build:server`).
 */
export async function startChildServer(
  env: Record<string, string>,
  args: string[] = [],
  { from = 'source' }: { from?: 'source' | 'compiled' } = {},
): Promise<ChildServer> {
  const port = await freePort();
  const command = from === 'compiled' ? ['bin/rapport.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
  const child = spawn(process.execPath, [...command, 'serve', ...args], {
    env: { ...process.env, RAPPORT_PORT: String(port), RAPPORT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  // A first start compiles the sources (tsx) and, on Citus, distributes every table: minutes when loaded.
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${output}`);
    const healthy = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (Date.now() >= deadline) throw new Error(`server did not become healthy:\n${output}`);
  return {
    url,
    process: child,
    output: () => output,
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    },
  };
}

/**
 * Posts the batches `batchOf(0)`, `batchOf(1)`, … to `/v1/batch` until `stop.now` or
 * `maxBatches`; returns the messageIds the server answered 200 for. A request the server died
 * during is unacknowledged, and ends the sending (the crash tests' load).
 */
export async function sendBatchesUntil(
  url: string,
  writeKey: string,
  stop: { now: boolean },
  batchOf: (n: number) => Array<{ messageId: string }>,
  maxBatches = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  const authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const acked: string[] = [];
  for (let n = 0; !stop.now && n < maxBatches; n++) {
    const batch = batchOf(n);
    try {
      const response = await fetch(`${url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ batch }),
      });
      if (response.status === 200) acked.push(...batch.map((m) => m.messageId));
      else await response.arrayBuffer();
    } catch {
      return acked;
    }
  }
  return acked;
}
