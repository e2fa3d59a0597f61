// Seeded randomness for the simulated world. Every person draws from their own stream, derived
// from the world's seed and the person's index, so one person can be generated (or generated
// again, for the ground truth) without generating the others, and a seed always gives the same
// world. sfc32 (Chris Doty-Humphrey's small fast counter) seeded through splitmix32: small,
// fast, and good enough for simulation. Gamma variates are drawn here (Marsaglia & Tsang)
// rather than by @stdlib/random-base-gamma as src/value does: stdlib's sampler hides an
// mt19937 of its own (~20 kB, seeded once per factory), so one per person costs memory for
// every active person, and one shared would make a person's draws depend on who came before.
/** splitmix32's output step: spreads nearby seeds (0, 1, 2…) over unrelated states. */
function mix(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** stream separates independent uses of one (seed, index), e.g. arrival times from lives. */
  constructor(seed: number, index: number, stream = 0) {
    const base = mix(mix(mix(seed >>> 0) ^ index) ^ Math.imul(stream + 1, 0x85ebca6b));
    this.a = mix(base);
    this.b = mix(base ^ 0x6a09e667);
    this.c = mix(base ^ 0xbb67ae85);
    this.d = 1;
    // Warm up so the first outputs do not echo the seeding.
    for (let i = 0; i < 12; i++) this.uniform();
  }

  /** Uniform on [0, 1). */
  uniform(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  chance(probability: number): boolean {
    return this.uniform() < probability;
  }

  /** Integer in [min, max]. */
  integer(min: number, max: number): number {
    return min + Math.floor(this.uniform() * (max - min + 1));
  }

  between(min: number, max: number): number {
    return min + (max - min) * this.uniform();
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.uniform() * items.length)] as T;
  }

  /** items with weights (need not sum to 1). */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0);
    let left = this.uniform() * total;
    for (const [item, weight] of items) {
      left -= weight;
      if (left < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  /** Waiting time of a Poisson process with this rate (same unit as 1/rate). */
  exponential(rate: number): number {
    return -Math.log(1 - this.uniform()) / rate;
  }

  /** Gamma with shape and rate (mean shape/rate), as in the BG/NBD papers. */
  gamma(shape: number, rate: number): number {
    if (shape < 1) {
      // Boost: Gamma(k) = Gamma(k + 1) · U^(1/k), Marsaglia & Tsang's note for k < 1.
      const boost = this.uniform() ** (1 / shape);
      return (this.gamma(shape + 1, 1) * boost) / rate;
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const v0 = 1 + c * x;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v)))
        return (d * v) / rate;
    }
  }

  /** Standard normal by Box-Muller (one of the pair; simplicity over speed). */
  normal(): number {
    const u = 1 - this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  beta(a: number, b: number): number {
    const x = this.gamma(a, 1);
    return x / (x + this.gamma(b, 1));
  }

  /** 8-4-4-4-12 hex, shaped like the UUIDs analytics.js puts in anonymousId. */
  uuid(): string {
    let hex = '';
    for (let i = 0; i < 4; i++) hex += ((this.uniform() * 4294967296) >>> 0).toString(16).padStart(8, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}
