// Rate limits per write key (issue #12 item 8): one source that sends more than its share gets
// 429 with Retry-After and stores nothing of that request, while another write key on the same
// server is still served. A real server, real HTTP; the limit is per second, so the test only
// checks what is refused right after a burst, never how long anything took.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredential } from '../../src/auth/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { WriteKeyRateLimits } from '../../src/ingest/index.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const batchOf = (prefix: string, n: number) => ({
  batch: Array.from({ length: n }, (_, i) => ({
    type: 'track',
    userId: `${prefix}-${i}`,
    event: 'Noise',
    messageId: `${prefix}-${i}`,
  })),
});

describe('rate limits per write key', () => {
  let t: TestServer;
  let quietKey: string;
  beforeAll(async () => {
    // 1 message a second, 2,500 at once: the noisy key's burst is spent by one full batch, and
    // the next 100 messages would need 100 seconds.
    t = await startTestServer({ rateLimit: '1', rateLimitBurst: '2500' });
    quietKey = (await createCredential(t.server.state, 'write', 'quiet source')).secret;
  });
  afterAll(async () => t?.close());

  it('answers 429 with Retry-After to the key over its limit and still serves another key', async () => {
    expect((await track(t, '/v1/batch', batchOf('noisy-a', 2500))).status).toBe(200);
    const refused = await track(t, '/v1/batch', batchOf('noisy-b', 100));
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('RAPPORT_INGEST_RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const quiet = await track({ url: t.url, writeKey: quietKey }, '/v1/batch', batchOf('quiet', 50));
    expect(quiet.status).toBe(200);
    expect(quiet.body.accepted).toBe(50);

    // Nothing of a refused request is stored, not even as a dead letter: the SDK sends it again.
    await t.settle();
    const events = await t.server.pipeline.countByMessageId(['noisy-b-0', 'quiet-0', 'noisy-a-0']);
    expect(Object.fromEntries(events)).toEqual({ 'noisy-a-0': 1, 'quiet-0': 1 });
    expect((await t.admin('/api/dead-letters')).body.total).toBe(0);
  });
});

describe('the limit itself', () => {
  it('is off unless configured, and a burst holds at least one full batch', () => {
    expect(loadConfig({}, {}).rateLimit).toBeUndefined();
    expect(loadConfig({}, { RAPPORT_RATE_LIMIT: '100' }).rateLimit).toEqual({
      messagesPerSecond: 100,
      burst: 2500,
    });
    expect(loadConfig({}, { RAPPORT_RATE_LIMIT: '5000' }).rateLimit?.burst).toBe(10_000);
    expect(() => loadConfig({}, { RAPPORT_RATE_LIMIT: '100', RAPPORT_RATE_LIMIT_BURST: '10' })).toThrow(
      /RAPPORT_RATE_LIMIT_BURST: must be at least 2500/,
    );
    expect(() => loadConfig({}, { RAPPORT_RATE_LIMIT: 'lots' })).toThrow(/RAPPORT_RATE_LIMIT/);
  });

  it('keeps one bucket per write key', () => {
    const limits = new WriteKeyRateLimits({ messagesPerSecond: 1, burst: 10 });
    limits.take('a', 10);
    expect(() => limits.take('a', 1)).toThrow(/messages a second/);
    expect(() => limits.take('b', 10)).not.toThrow();
  });
});
