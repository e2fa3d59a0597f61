// Shared and exclusive use of the DuckDB instance: every operation runs shared (many at once,
// as before); a file rewrite (after an erasure) runs exclusive, once the operations in flight
// have finished, and operations that arrive meanwhile wait for it. Without it a query could run
// on a connection the rewrite has closed.

export class OperationGate {
  #active = 0;
  #exclusive: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  async shared<T>(work: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive;
    this.#active += 1;
    try {
      return await work();
    } finally {
      this.#active -= 1;
      if (this.#active === 0) this.#drained?.();
    }
  }

  /** Runs `work` alone: after the shared operations in flight, before any that arrive later. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive;
    let release = () => {};
    this.#exclusive = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      if (this.#active > 0)
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      this.#drained = undefined;
      return await work();
    } finally {
      this.#exclusive = undefined;
      release();
    }
  }
}
