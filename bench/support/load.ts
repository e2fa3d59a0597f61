// The load generator, run as a child process (`node --import tsx bench/support/load.ts`) so
// that it never shares the server's event loop. It generates the body pool once, then takes
// `run` commands over IPC: N connections (undici Pool) posting bodies for a fixed duration,
// either as fast as the server answers (closed loop) or paced to a request rate (open loop,
// latency measured from the scheduled send time, so a stalled server is not hidden by the
// generator waiting for it: no coordinated omission).
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { type BodyTemplate, DEFAULT_GENERATOR, generateBodies, instantiate } from './messages.ts';

export interface LoadCommand {
  kind: 'run';
  url: string;
  path: string;
  headers: Record<string, string>;
  connections: number;
  durationMs: number;
  /** Requests per second for an open-loop run; absent: as fast as answered. */
  rate?: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  errors: string[];
  /** Messages in requests answered 200. */
  messages: number;
  bytes: number;
  /** Wall-clock (epoch ms) of the first send and the last answer. */
  firstSendAt: number;
  lastAnswerAt: number;
  elapsedMs: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** CPU the generator itself used during the run, in ms (user + system). */
  cpuMs: number;
}

export type LoadMessage =
  | { kind: 'ready'; bodies: number; meanBytes: number; messagesPerBody: number }
  | { kind: 'result'; result: LoadResult }
  | { kind: 'memory'; heapUsedMb: number };

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

let sequence = 0;

async function runLoad(command: LoadCommand, bodies: BodyTemplate[]): Promise<LoadResult> {
  const pool = new Pool(command.url, {
    connections: command.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
  });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errors: string[] = [];
  let requests = 0;
  let ok = 0;
  let messages = 0;
  let bytes = 0;
  let scheduled = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + command.durationMs;
  let lastAnswer = start;
  const interval = command.rate ? 1000 / command.rate : 0;

  async function connection(): Promise<void> {
    for (;;) {
      let sendAt: number;
      if (interval > 0) {
        sendAt = start + scheduled * interval;
        scheduled += 1;
        if (sendAt >= end) return;
        const wait = sendAt - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      } else {
        sendAt = performance.now();
        if (sendAt >= end) return;
      }
      const template = bodies[sequence % bodies.length] as BodyTemplate;
      const body = instantiate(template, sequence);
      sequence += 1;
      requests += 1;
      try {
        const response = await pool.request({
          path: command.path,
          method: 'POST',
          headers: command.headers,
          body,
        });
        await response.body.dump();
        const done = performance.now();
        lastAnswer = done;
        latencies.push(done - sendAt);
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        if (response.statusCode === 200) {
          ok += 1;
          messages += template.messages;
          bytes += body.length;
        }
      } catch (error) {
        if (errors.length < 10) errors.push(String(error));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }

  await Promise.all(Array.from({ length: command.connections }, () => connection()));
  const used = process.cpuUsage(cpu);
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  const mean = latencies.reduce((sum, v) => sum + v, 0) / Math.max(1, latencies.length);
  return {
    requests,
    ok,
    failed: requests - ok,
    statuses,
    errors,
    messages,
    bytes,
    firstSendAt: performance.timeOrigin + start,
    lastAnswerAt: performance.timeOrigin + lastAnswer,
    elapsedMs: lastAnswer - start,
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: percentile(sorted, 100),
      mean,
    },
    cpuMs: (used.user + used.system) / 1000,
  };
}

function main(): void {
  const send = (message: LoadMessage) => process.send?.(message);
  const bodies = generateBodies(DEFAULT_GENERATOR);
  const meanBytes = bodies.reduce((sum, b) => sum + b.bytes.length, 0) / bodies.length;
  // The benchmark process went away (killed, crashed): stop loading a server nobody measures.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (command: LoadCommand | { kind: 'exit' } | { kind: 'memory' }) => {
    if (command.kind === 'exit') process.exit(0);
    // The soak bench samples this process beside the server's: a baseline of what flat looks like.
    if (command.kind === 'memory') {
      send({ kind: 'memory', heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20 });
      return;
    }
    runLoad(command, bodies).then(
      (result) => send({ kind: 'result', result }),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
  send({
    kind: 'ready',
    bodies: bodies.length,
    meanBytes,
    messagesPerBody: DEFAULT_GENERATOR.messagesPerBody,
  });
}

if (process.send) main();
