// Memory stays bounded under more large messages than the server can take (issue 12, item 4).
// A real server process (embedded storage, processors off so its memory is ingest's: the HTTP
// thread and the log writer) with a byte budget of 1 MB (RAPPORT_INGEST_MAX_MB=1) gets batches
// of 28 KB messages from 60 real SDK clients at once: up to 25 MB of requests in flight, far
// more than it holds. It must answer the excess 429 with Retry-After before reading it (the
// proxy sees them), its resident memory must stay under the ceiling docs/performance.md states
// (start + 200 MB), and the SDKs' retries must land every message exactly once. Loopback only;
// the load is bounded in count (1,800 messages). Without the budget no 429 comes at all.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, startChildServer, testSecrets } from '../support/child-server.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';

const CLIENTS = 60;
const MESSAGES_PER_CLIENT = 30;
const FILLER = 'x'.repeat(28 * 1024);
/** The ceiling docs/performance.md states: resident memory at start plus this. */
const CEILING_ABOVE_START = 200 * 1024 * 1024;

function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kilobytes * 1024;
}

describe.skipIf(process.platform !== 'linux')('ingest backpressure by bytes', () => {
  const secrets = testSecrets();
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-backpressure-'));
  let server: ChildServer;
  let proxy: RecordingProxy;

  beforeAll(async () => {
    server = await startChildServer({
      RAPPORT_DATA_DIR: dataDir,
      RAPPORT_WRITE_KEY: secrets.writeKey,
      RAPPORT_ADMIN_TOKEN: secrets.adminToken,
      RAPPORT_INGEST_MAX_MB: '1',
      RAPPORT_PROCESSORS: 'off',
    });
    proxy = await startRecordingProxy(server.url);
  }, 90_000);
  afterAll(async () => {
    await proxy?.close();
    await server?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 429 before memory grows, and the SDKs land every message exactly once', async () => {
    const pid = server.process.pid as number;
    const atStart = residentBytes(pid);
    let peak = atStart;
    const sampler = setInterval(() => {
      peak = Math.max(peak, residentBytes(pid));
    }, 20);
    const sent: string[] = [];
    const errors: unknown[] = [];
    const clients = Array.from({ length: CLIENTS }, () => {
      const analytics = new Analytics({
        writeKey: secrets.writeKey,
        host: proxy.url,
        flushAt: 15,
        flushInterval: 60_000,
        maxRetries: 10,
        httpRequestTimeout: 120_000,
      });
      analytics.on('error', (error) => errors.push(error));
      return analytics;
    });
    for (const [client, analytics] of clients.entries())
      for (let n = 0; n < MESSAGES_PER_CLIENT; n++) {
        const messageId = randomUUID();
        sent.push(messageId);
        analytics.track({
          messageId,
          userId: `client-${client}`,
          event: 'Large',
          properties: { n, filler: FILLER },
        });
      }
    await Promise.all(clients.map((analytics) => analytics.closeAndFlush({ timeout: 300_000 })));
    clearInterval(sampler);
    peak = Math.max(peak, residentBytes(pid));

    expect(errors).toEqual([]);
    const statuses = proxy.requests.map((r) => r.status);
    const overloaded = proxy.requests.filter((r) => r.status === 429);
    expect(overloaded.length, `statuses ${JSON.stringify(statuses.slice(0, 50))}`).toBeGreaterThan(0);
    expect(new Set(statuses.filter((s) => s !== 429 && s !== 200))).toEqual(new Set());
    expect(peak - atStart, `peak ${peak} start ${atStart}`).toBeLessThan(CEILING_ABOVE_START);

    // Every message is in the log once: the head counts appended entries, and none was lost.
    const status = await fetch(`${server.url}/api/status`, {
      headers: { authorization: `Bearer ${secrets.adminToken}` },
    }).then((r) => r.json() as Promise<{ logHead: number }>);
    expect(status.logHead).toBe(sent.length);
    console.log(
      `backpressure: ${overloaded.length} 429s of ${statuses.length} requests; RSS ${Math.round(atStart / 1048576)} MB at start, peak ${Math.round(peak / 1048576)} MB`,
    );
  }, 600_000);
});
