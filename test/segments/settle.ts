// Waiting for the segments processor in tests that drive a real server with a test clock.
import type { TestClock } from '../../src/pipeline/index.ts';
import type { SegmentStore } from '../../src/store/index.ts';
import type { TestServer } from '../support/server.ts';

/**
 * Until the processors have applied the whole log, built every segment and funnel and run the
 * re-checks due at the clock's time, with nothing appended meanwhile (a re-check can append).
 */
export async function settleSegments(
  server: TestServer,
  store: SegmentStore,
  clock: TestClock,
): Promise<void> {
  const { pipeline, state } = server.server;
  for (let round = 0; round < 400; round++) {
    const head = await state.log.headSeq();
    await pipeline.waitFor(head);
    await pipeline.waitForSegments(head).catch((e) => {
      throw new Error(`${e.message}: ${pipeline.status().lastError}`);
    });
    const quiet =
      (await store.listSegments()).every((s) => s.status === 'live') &&
      (await store.listFunnels()).every((f) => f.status === 'live') &&
      (await store.outbox(1)).length === 0 &&
      (await store.dueRechecks(clock.now().getTime(), 1)).length === 0 &&
      (await state.log.headSeq()) === head &&
      (await store.getOffset()) === head;
    if (quiet) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('segments did not settle');
}
