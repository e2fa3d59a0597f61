// Small things a hostile or careless world finds (issue #12 item 7), each through a real server:
// trait names that are also Object.prototype's, the log head after an erasure, write keys in
// dead letters, a bad click link, a 5 MB body sent slowly, and CORS on the admin API.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const RESERVED_TRAITS =
  '{"constructor":"a","toString":"b","valueOf":"c","hasOwnProperty":"d","__proto__":"e","plain":"f"}';

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`on ${engine.name}`, () => {
    let t: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        t = await startTestServer({ databaseUrl: database.url });
      } else {
        t = await startTestServer();
      }
    });
    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    it('stores traits named like Object.prototype members like any other name', async () => {
      // Raw JSON: in an object literal __proto__ would set the prototype, not a key.
      const sent = await track(t, '/v1/identify', `{"userId":"proto-1","traits":${RESERVED_TRAITS}}`);
      expect(sent.status).toBe(200);
      await t.settle();
      const profile = await t.admin('/api/profiles/lookup?userId=proto-1');
      expect(profile.status).toBe(200);
      expect(profile.body.traits).toEqual(JSON.parse(RESERVED_TRAITS));
      expect(Object.hasOwn(profile.body.traits, '__proto__')).toBe(true);
    });

    it('keeps the log head where it was after erasing whoever sent the last message', async () => {
      await track(t, '/v1/identify', { userId: 'last-sender', traits: { email: 'last@example.org' } });
      await t.settle();
      const before = (await t.admin('/api/status')).body.logHead as number;
      const profile = await t.admin('/api/profiles/lookup?userId=last-sender');
      const erase = await t.adminRequest('DELETE', `/api/profiles/${profile.body.profileId}`);
      expect(erase.status).toBe(202);
      await t.server.erasure.settled(erase.body.id);
      expect((await t.admin(`/api/erasure-jobs/${erase.body.id}`)).body.status).toBe('complete');
      expect((await t.admin('/api/status')).body.logHead).toBe(before);
      expect(await t.server.state.log.headSeq()).toBe(before);
    });

    it('never keeps a write key from a refused request in the dead letters', async () => {
      const secret = 'rk_write_in_the_body_0123456789';
      const malformed = await track(
        t,
        '/v1/track',
        `{"userId":"dl-1","event":"X","writeKey":"${secret}","bad": [}`,
      );
      expect(malformed.status).toBe(400);
      const rejected = await track(t, '/v1/batch', {
        writeKey: secret,
        batch: [{ type: 'track', userId: 'dl-2', writeKey: secret }],
      });
      expect(rejected.body.rejected).toHaveLength(1);
      const letters = await t.admin('/api/dead-letters?limit=50');
      const text = JSON.stringify(letters.body);
      expect(letters.body.items.length).toBeGreaterThanOrEqual(2);
      expect(text).not.toContain(secret);
      expect(text).toContain('[redacted]');
    });
  });

describe('engine-independent', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ adminCorsOrigins: 'https://admin.example.org' });
  });
  afterAll(async () => t?.close());

  it('answers a click link with a bad token with the HTML page, never "[object Object]"', async () => {
    for (const path of ['/t/c/garbage', '/t/c/garbage?u=https://x.example', `/t/c/x?u=${'y'.repeat(9000)}`]) {
      const response = await fetch(`${t.url}${path}`, { redirect: 'manual' });
      const body = await response.text();
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(body).toContain('This link is not valid');
      expect(body).not.toContain('[object Object]');
    }
  });

  it('answers a 5 MB body sent in pieces with 413, never a reset connection', async () => {
    const big = Buffer.from(
      JSON.stringify({ batch: [{ userId: 'u', event: 'x', pad: 'x'.repeat(5 << 20) }] }),
    );
    const url = new URL(t.url);
    const post = (path: string, authorization: string) =>
      new Promise<string>((resolve) => {
        const request = http.request(
          {
            host: url.hostname,
            port: url.port,
            path,
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json', 'content-length': big.length },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(String(response.statusCode)));
          },
        );
        request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        // A piece per turn of the event loop: the server answers while the client still sends.
        let offset = 0;
        const next = () => {
          if (offset >= big.length) return request.end();
          request.write(big.subarray(offset, offset + 256 * 1024));
          offset += 256 * 1024;
          setImmediate(next);
        };
        next();
      });
    const writeKey = `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}`;
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) {
      answers.push(`/v1/batch ${await post('/v1/batch', writeKey)}`);
      answers.push(`/api/segments ${await post('/api/segments', `Bearer ${t.adminToken}`)}`);
    }
    expect(answers.filter((answer) => !answer.endsWith(' 413'))).toEqual([]);
  });

  it('lets any site call the tracking API but only the listed origins the admin API', async () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${t.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    const tracking = await preflight('/v1/batch', 'https://shop.example');
    expect(tracking.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const stranger = await preflight('/api/profiles', 'https://evil.example');
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const listed = await preflight('/api/profiles', 'https://admin.example.org');
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://admin.example.org');
    const read = await fetch(`${t.url}/api/profiles`, {
      headers: { origin: 'https://evil.example', authorization: `Bearer ${t.adminToken}` },
    });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });
});
