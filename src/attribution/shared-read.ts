// One computation for callers asking the same thing at the same time. Nothing is kept once it
// settles (a later call starts afresh), so an answer is never older than the call that got it:
// sharing cannot change a number, only save doing the same work twice at once.

/** `share(key, start)`: the running promise for `key`, or `start()`'s, shared until it settles. */
export function sharedWhileRunning<V>(): (key: string, start: () => Promise<V>) => Promise<V> {
  const running = new Map<string, Promise<V>>();
  return (key, start) => {
    const current = running.get(key);
    if (current) return current;
    const started = start().finally(() => running.delete(key));
    running.set(key, started);
    return started;
  };
}
