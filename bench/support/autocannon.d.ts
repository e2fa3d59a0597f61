// The slice of autocannon's programmatic API the benchmarks use (it ships no types).
declare module 'autocannon' {
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
  export default function autocannon(options: Options): Promise<Result>;
}
