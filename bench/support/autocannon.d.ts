// The slice of autocannon's programmatic API the benchmarks use (it ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Percentiles {
    average: number;
    p50: number;
    p99: number;
    max: number;
  }
  interface Result {
    latency: Percentiles;
    requests: Percentiles & { total: number };
    non2xx: number;
    errors: number;
  }
  interface Options {
    url: string;
    connections?: number;
    overallRate?: number;
    duration?: number;
    headers?: Record<string, string>;
    requests?: Array<{ method?: string; setupRequest?: (request: Record<string, unknown>) => unknown }>;
  }
  /** With a callback: the running instance, which emits `response` (client, status, bytes, ms) per answer. */
  export default function autocannon(
    options: Options,
    done: (error: Error | null, result: Result) => void,
  ): EventEmitter;
  export default function autocannon(options: Options): Promise<Result>;
}
