// The processors' clock. Production reads the wall clock; a test hands the server a
// TestClock and moves time by setting it, without waiting (no public time-travel API: the
// buffer only exists when createServer is given one in-process). A SharedArrayBuffer because
// the processors run in a worker thread.
export class TestClock {
  readonly buffer = new SharedArrayBuffer(8);
  private readonly view = new Float64Array(this.buffer);

  constructor(start: Date) {
    this.set(start);
  }

  set(at: Date): void {
    this.view[0] = at.getTime();
  }

  advance(ms: number): Date {
    this.set(new Date(this.now().getTime() + ms));
    return this.now();
  }

  now(): Date {
    return new Date(this.view[0] as number);
  }
}

export function clockFrom(buffer: SharedArrayBuffer | undefined): () => Date {
  if (!buffer) return () => new Date();
  const view = new Float64Array(buffer);
  return () => new Date(view[0] as number);
}
