// Reports that read a whole table (the funnel report at 1M profiles takes seconds even in
// SQL) kept per key and served stale-while-revalidate: an answer computed less than
// `freshMs` ago is served as is; one less than `maxAgeMs` old is served at once while one
// recompute runs in the background; anything older (or absent) is computed while the caller
// waits. Callers asking at the same time share one computation. No I/O of its own: the
// caller gives the computation and the clock.

export interface CachedReport<V> {
  value: V;
  /** When the computation that gave `value` started (epoch ms): its numbers are as of then. */
  computedAtMs: number;
}

export interface ReportCacheOptions {
  freshMs: number;
  maxAgeMs: number;
  /** Keys kept at most; the least recently computed go first. */
  maxEntries: number;
  now: () => number;
  /** A background recompute failed: the stale answer stays until maxAgeMs. */
  onBackgroundError?: (error: unknown) => void;
}

export class ReportCache<V> {
  private readonly entries = new Map<string, CachedReport<V>>();
  private readonly running = new Map<string, Promise<CachedReport<V>>>();
  /** Bumped by clear(): a computation started before it must not refill the cache. */
  private generation = 0;

  constructor(private readonly options: ReportCacheOptions) {}

  async get(key: string, compute: () => Promise<V>): Promise<CachedReport<V>> {
    const entry = this.entries.get(key);
    const age = entry ? this.options.now() - entry.computedAtMs : Number.POSITIVE_INFINITY;
    if (entry && age < this.options.maxAgeMs) {
      if (age >= this.options.freshMs && !this.running.has(key))
        this.start(key, compute).catch((error) => this.options.onBackgroundError?.(error));
      return entry;
    }
    return this.running.get(key) ?? this.start(key, compute);
  }

  /** Forgets every answer (a funnel or segment changed): the next call computes afresh. */
  clear(): void {
    this.entries.clear();
    this.running.clear();
    this.generation++;
  }

  private start(key: string, compute: () => Promise<V>): Promise<CachedReport<V>> {
    const generation = this.generation;
    const computedAtMs = this.options.now();
    const work = compute()
      .then((value) => {
        const result = { value, computedAtMs };
        if (generation === this.generation) {
          this.entries.delete(key);
          this.entries.set(key, result);
          while (this.entries.size > this.options.maxEntries) {
            const oldest = this.entries.keys().next().value as string;
            this.entries.delete(oldest);
          }
        }
        return result;
      })
      .finally(() => {
        if (this.running.get(key) === work) this.running.delete(key);
      });
    this.running.set(key, work);
    return work;
  }
}
