// The processors' loop: run a step until it finds nothing, then sleep until woken by a new
// commit or a short poll (other processes may append to a shared PostgreSQL log). Errors
// back off and retry; they never lose a message because the offset did not move.
// Between two steps the loop yields to the event loop (setImmediate): the SQLite drivers are
// synchronous, so a step's awaits resolve as microtasks, and a loop catching up on a backlog
// would otherwise keep the thread from ever reading a socket. On the main thread that is the
// HTTP server's latency (see docs/performance.md, "decide").
// Gathering: a step costs a fixed part (its transaction and commit, the offset, the queries
// and appender every slice opens) beside its entries. Woken on every commit, a processor at a
// steady load below its capacity took a request's worth of entries a step, and spent twice
// the CPU an event it spends at full load. With `gatherMs`, a step that found fewer entries
// than `gatherEntries` is followed by no other step for that long (a wake in between is kept
// for the end of it), so a step takes what arrived meanwhile; a full step is followed at once.
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
  /**
   * The least time between the starts of two steps when the first applied fewer than
   * `gatherEntries` (ms; 0 or absent: none). Bounds what it adds to an entry's latency.
   */
  gatherMs?: number;
  /** A step that applied this many entries or more is followed at once (absent: any number). */
  gatherEntries?: number;
}

export function startLoop(step: () => Promise<number>, options: LoopOptions): LoopHandle {
  let stopped = false;
  // Interrupts the current sleep: a wake only when the sleep is wakeable, stop and exclusive always.
  let interrupt: ((byWake: boolean) => void) | undefined;
  let woken = false;
  let failures = 0;
  const queued: Array<() => Promise<void>> = [];
  const runQueued = async () => {
    while (queued.length > 0) await (queued.shift() as () => Promise<void>)();
  };
  const sleep = (ms: number, wakeable: boolean) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        interrupt = undefined;
        resolve();
      }
      interrupt = (byWake) => {
        if (!byWake || wakeable) done();
      };
    });
  const gatherMs = options.gatherMs ?? 0;
  const gatherEntries = options.gatherEntries ?? 1;
  const running = (async () => {
    while (!stopped) {
      await runQueued();
      const startedAt = performance.now();
      woken = false;
      try {
        const applied = await step();
        failures = 0;
        if (applied > 0) options.onProgress?.();
        if (applied >= gatherEntries) {
          await nextTurn();
          continue;
        }
        // Gather: what arrives until then is the next step's, whoever wakes this loop meanwhile.
        const rest = gatherMs - (performance.now() - startedAt);
        if (rest > 0 && !stopped) await sleep(rest, false);
        if (applied > 0 || woken || stopped || queued.length > 0) continue;
        await sleep(options.pollMs, true);
      } catch (error) {
        options.onError(error);
        failures += 1;
        await sleep(Math.min(5000, 50 * 2 ** Math.min(failures, 7)), true);
      }
    }
    await runQueued();
  })();
  return {
    wake: () => {
      woken = true;
      interrupt?.(true);
    },
    stop: async () => {
      stopped = true;
      interrupt?.(false);
      await running;
    },
    exclusive<T>(work: () => Promise<T>): Promise<T> {
      if (stopped) return work();
      return new Promise<T>((resolve, reject) => {
        queued.push(() => work().then(resolve, reject));
        interrupt?.(false);
      });
    },
  };
}
