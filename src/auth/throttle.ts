// Sign-in attempts, counted per name (`name:` keys) and per client address (`ip:` keys): after
// the limit of failures within `windowMs`, further attempts for that name or from that address
// are refused (429 with Retry-After) until the oldest failure leaves the window. Per name stops
// guessing one person's password from many addresses; per address (a higher limit, since an
// office shares one) stops trying many names from one. Kept in this process's memory: with
// several API processes each counts its own.
export interface ThrottleOptions {
  /** Failures allowed per name. */
  limit: number;
  /** Failures allowed per address. */
  addressLimit: number;
  windowMs: number;
  now?: () => number;
}

export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly options: ThrottleOptions = { limit: 10, addressLimit: 100, windowMs: 15 * 60_000 },
  ) {}

  /** Seconds until an attempt with these keys may be made again, or undefined: go ahead. */
  retryAfter(keys: string[]): number | undefined {
    const now = this.now();
    let wait = 0;
    for (const key of keys) {
      const recent = this.recent(key, now);
      const limit = key.startsWith('ip:') ? this.options.addressLimit : this.options.limit;
      if (recent.length >= limit) {
        wait = Math.max(wait, (recent[0] as number) + this.options.windowMs - now);
      }
    }
    return wait > 0 ? Math.ceil(wait / 1000) : undefined;
  }

  failed(keys: string[]): void {
    const now = this.now();
    for (const key of keys) this.failures.set(key, [...this.recent(key, now), now]);
    // Bounded memory: a flood of made-up names cannot grow the map without end.
    if (this.failures.size > 50_000) this.failures.clear();
  }

  /** A success clears the name's count (not the address's: one right password proves little). */
  succeeded(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > now - this.options.windowMs);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
