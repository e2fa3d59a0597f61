// A request refused before its body was read (413: too large) is read to its end, discarding
// it, before the answer goes out. Answering first and closing makes the kernel reset a
// connection that still has unread bytes, and a client still sending then sees "connection
// reset" instead of the 413. Bounded, so a client cannot make the server read without end.
import type { IncomingMessage } from 'node:http';

export const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
const DRAIN_LIMIT_MS = 30_000;

/** Resolves once the request's body has been read to its end, or the limits are passed. */
export function drainRequest(request: IncomingMessage, limitBytes = DRAIN_LIMIT_BYTES): Promise<void> {
  if (request.complete || request.readableEnded || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const done = () => {
      clearTimeout(timer);
      request.off('data', count);
      request.off('end', done);
      request.off('close', done);
      request.off('error', done);
      resolve();
    };
    const count = (chunk: Buffer) => {
      read += chunk.length;
      if (read > limitBytes) done();
    };
    const timer = setTimeout(done, DRAIN_LIMIT_MS);
    request.on('data', count);
    request.once('end', done);
    request.once('close', done);
    request.once('error', done);
    request.resume();
  });
}
