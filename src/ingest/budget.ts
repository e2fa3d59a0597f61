// The bytes of tracking requests the server holds at once: from the moment a request arrives
// (before its body is read) until its answer is sent, which covers the body being read and
// parsed and its messages waiting for the group commit. Counting messages (the group commit's
// bound) let 30 KB messages fill gigabytes; counting bytes keeps memory bounded whatever their
// size. A request that would go over the bound is answered 429 with Retry-After at once,
// without reading its body: the SDKs retry it.

export class IngestByteBudget {
  #held = 0;

  constructor(readonly maxBytes: number) {}

  get held(): number {
    return this.#held;
  }

  /** Takes `bytes` when they fit; one request is always admitted when nothing is held. */
  tryTake(bytes: number): boolean {
    if (this.#held > 0 && this.#held + bytes > this.maxBytes) return false;
    this.#held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
  }
}

/**
 * What a request may come to hold: its Content-Length when the body is sent as is; the
 * request limit (the most a body may decompress to) when it is compressed or its length is
 * not announced.
 */
export function requestBytesOf(
  headers: { 'content-length'?: string | undefined; 'content-encoding'?: string | undefined },
  requestLimit: number,
): number {
  const encoding = (headers['content-encoding'] ?? '').trim().toLowerCase();
  const length = Number(headers['content-length']);
  if ((encoding === '' || encoding === 'identity') && Number.isFinite(length) && length >= 0)
    return Math.min(length, requestLimit);
  return requestLimit;
}
