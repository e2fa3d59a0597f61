// The demo's admin calls against a real HTTP peer that resets connections, as a loaded server
// does: idempotent calls are retried until answered, a plain POST is sent once, and a create
// asks whether its earlier attempt landed before posting again.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { demoFetch, isRepeatable } from '../../src/simulate/admin-fetch.ts';

interface Peer {
  url: string;
  server: Server;
  seen: Array<{ method: string; path: string }>;
}

/** Resets the first `resets` requests (the socket destroyed before any answer), then answers. */
async function peer(
  resets: number,
  answer: (request: IncomingMessage) => [number, string] | 'reset',
): Promise<Peer> {
  const seen: Peer['seen'] = [];
  let remaining = resets;
  const server = createServer((request, response) => {
    seen.push({ method: request.method ?? '', path: request.url ?? '' });
    request.resume();
    request.on('end', () => {
      if (remaining > 0) {
        remaining -= 1;
        request.socket.destroy();
        return;
      }
      const answered = answer(request);
      if (answered === 'reset') {
        request.socket.destroy();
        return;
      }
      const [status, body] = answered;
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, seen };
}

let open: Server | undefined;
afterEach(async () => {
  const server = open;
  open = undefined;
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('demoFetch', () => {
  it('retries a GET through two connection resets and returns the answer', async () => {
    const p = await peer(2, () => [200, '{"ok":true}']);
    open = p.server;
    const response = await demoFetch(new URL('/api/segments', p.url), {}, { minTimeoutMs: 10 });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(p.seen).toHaveLength(3);
  });

  it('retries a 503 and hands back the last answer when the retries run out', async () => {
    const p = await peer(0, () => [503, '{"error":"busy"}']);
    open = p.server;
    const response = await demoFetch(
      new URL('/api/funnels/lifecycle', p.url),
      { method: 'PUT', body: '{}' },
      { retries: 2, minTimeoutMs: 10 },
    );
    expect(response.status).toBe(503);
    expect(p.seen).toHaveLength(3);
  });

  it('sends a plain POST once: a reset is the caller’s to report', async () => {
    const p = await peer(1, () => [201, '{}']);
    open = p.server;
    await expect(
      demoFetch(new URL('/api/beliefs', p.url), { method: 'POST', body: '{}' }, { minTimeoutMs: 10 }),
    ).rejects.toThrow(/fetch failed/);
    expect(p.seen).toHaveLength(1);
  });

  it('retries a POST marked idempotent', async () => {
    const p = await peer(1, () => [200, '{"people":3}']);
    open = p.server;
    const response = await demoFetch(
      new URL('/api/value/refresh', p.url),
      { method: 'POST' },
      { idempotent: true, minTimeoutMs: 10 },
    );
    expect(await response.json()).toEqual({ people: 3 });
    expect(p.seen.map((s) => s.method)).toEqual(['POST', 'POST']);
  });

  it('does not post a create again when the earlier attempt landed', async () => {
    // The reset comes after the server read the request: it stored the segment, the client never heard.
    let stored = false;
    const p = await peer(0, (request) => {
      if (request.method === 'GET') return stored ? [200, '{"id":"s"}'] : [404, '{}'];
      if (stored) return [409, '{"error":"exists"}'];
      stored = true;
      return 'reset';
    });
    open = p.server;
    const landed = async () => {
      const made = await demoFetch(new URL('/api/segments/s', p.url));
      return made.status === 200 ? made : undefined;
    };
    const response = await demoFetch(
      new URL('/api/segments', p.url),
      { method: 'POST', body: '{"id":"s"}' },
      { landed, minTimeoutMs: 10 },
    );
    expect(response.status).toBe(200);
    expect(p.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /api/segments', 'GET /api/segments/s']);
  });

  it('posts a create again when the earlier attempt did not land', async () => {
    const p = await peer(1, (request) => (request.method === 'GET' ? [404, '{}'] : [201, '{"id":"s"}']));
    open = p.server;
    const landed = async () => {
      const made = await demoFetch(new URL('/api/segments/s', p.url));
      return made.status === 200 ? made : undefined;
    };
    const response = await demoFetch(
      new URL('/api/segments', p.url),
      { method: 'POST', body: '{"id":"s"}' },
      { landed, minTimeoutMs: 10 },
    );
    expect(response.status).toBe(201);
    expect(p.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /api/segments',
      'GET /api/segments/s',
      'POST /api/segments',
    ]);
  });

  it('names which calls are repeatable', () => {
    expect(isRepeatable('GET')).toBe(true);
    expect(isRepeatable('put')).toBe(true);
    expect(isRepeatable('POST')).toBe(false);
    expect(isRepeatable('POST', { idempotent: true })).toBe(true);
  });
});
