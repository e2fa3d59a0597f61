// A fixed-rate GET load from a child process (so it does not share the server's event loop),
// started once and driven over IPC (`FixedRateLoad`): each `run` sends `started` when the load
// begins and then autocannon's summary with every answer's latency in ms, so that several runs
// can be pooled into one distribution. Paths rotate through the given list (e.g. many people).
// autocannon paces `connections` closed-loop connections to the rate: when answers take longer
// than connections / rate, the rate reached falls below the rate asked (reported, never hidden).
import { type ChildProcess, fork } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import autocannon, { type Result } from 'autocannon';

export interface FixedRateRun {
  url: string;
  paths: string[];
  rate: number;
  seconds: number;
  connections: number;
  headers: Record<string, string>;
}

export interface FixedRateResult {
  latency: Result['latency'];
  non2xx: number;
  errors: number;
  /** Every answer's latency, ms. */
  latencies: number[];
}

type ToChild = ({ kind: 'run' } & FixedRateRun) | { kind: 'exit' };
type FromChild = { kind: 'ready' } | { kind: 'started' } | { kind: 'result'; result: FixedRateResult };

export class FixedRateLoad {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<FixedRateLoad> {
    const child = fork(new URL(import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', (message: FromChild) => {
        if (message.kind === 'ready') resolve();
      });
      child.once('exit', (code) => reject(new Error(`fixed-rate load exited (${code})`)));
    });
    return new FixedRateLoad(child);
  }

  /** One run; `onStarted` is called as the child starts sending (to open a measurement window). */
  run(command: FixedRateRun, onStarted: () => void = () => undefined): Promise<FixedRateResult> {
    return new Promise((resolve) => {
      const onMessage = (message: FromChild) => {
        if (message.kind === 'started') onStarted();
        if (message.kind !== 'result') return;
        this.child.off('message', onMessage);
        resolve(message.result);
      };
      this.child.on('message', onMessage);
      this.child.send({ kind: 'run', ...command } satisfies ToChild);
    });
  }

  stop(): void {
    this.child.send({ kind: 'exit' } satisfies ToChild);
  }
}

function runLoad(command: FixedRateRun): Promise<FixedRateResult> {
  let next = 0;
  const latencies: number[] = [];
  return new Promise<FixedRateResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: command.url,
        connections: command.connections,
        overallRate: command.rate,
        duration: command.seconds,
        headers: command.headers,
        requests: [
          {
            method: 'GET',
            setupRequest: (request: Record<string, unknown>) => {
              request.path = command.paths[next++ % command.paths.length];
              return request;
            },
          },
        ],
      },
      (error, result) =>
        error
          ? reject(error)
          : resolve({ latency: result.latency, non2xx: result.non2xx, errors: result.errors, latencies }),
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      latencies.push(Math.round(ms * 100) / 100);
    });
  });
}

function child(): void {
  const send = (message: FromChild) => process.send?.(message);
  // The benchmark process went away: stop loading a server nobody measures.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (command: ToChild) => {
    if (command.kind === 'exit') process.exit(0);
    send({ kind: 'started' });
    runLoad(command).then(
      (result) => send({ kind: 'result', result }),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
  send({ kind: 'ready' });
}

// Run as the child (forked with this file as its script), not when imported.
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) child();
