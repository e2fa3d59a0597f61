// The processors' loop: run a step until it finds nothing, then sleep until woken by a new
// commit or a short poll (other processes may append to a shared PostgreSQL log). Errors
// back off and retry; they never lose a message because the offset did not move.
// Between two steps the loop yields to the event loop (setImmediate): the SQLite drivers are
// synchronous, so a step's awaits resolve as microtasks, and a loop catching up on a backlog
// would otherwise keep the thread from ever reading a socket. On the main thread that is the
// HTTP server's latency (see docs/performance.md, "decide").
import { setImmediate as nextTurn } from 'node:timers/promises';
export interface LoopHandle {
  wake(): void;
  stop(): Promise<void>;
  /**
   * Runs `work` between two steps, never during one, and resolves with its result (a replay
   * must not interleave with the processor's own transaction on the same connection). After
   * stop it runs at once.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

export interface LoopOptions {
  pollMs: number;
  onError: (error: unknown) => void;
  onProgress?: () => void;
}

export function startLoop(step: () => Promise<number>, options: LoopOptions): LoopHandle {
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  let failures = 0;
  const queued: Array<() => Promise<void>> = [];
  const runQueued = async () => {
    while (queued.length > 0) await (queued.shift() as () => Promise<void>)();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });
  const running = (async () => {
    while (!stopped) {
      await runQueued();
      try {
        const applied = await step();
        failures = 0;
        if (applied > 0) {
          options.onProgress?.();
          await nextTurn();
          continue;
        }
        await sleep(options.pollMs);
      } catch (error) {
        options.onError(error);
        failures += 1;
        await sleep(Math.min(5000, 50 * 2 ** Math.min(failures, 7)));
      }
    }
    await runQueued();
  })();
  return {
    wake: () => wakeUp?.(),
    stop: async () => {
      stopped = true;
      wakeUp?.();
      await running;
    },
    exclusive<T>(work: () => Promise<T>): Promise<T> {
      if (stopped) return work();
      return new Promise<T>((resolve, reject) => {
        queued.push(() => work().then(resolve, reject));
        wakeUp?.();
      });
    },
  };
}
