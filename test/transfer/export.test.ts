// `rapport export` as a child process against a real server, and the streaming endpoints:
// filters, CSV columns, refusals, and proof that pages are read as the client consumes them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { orderLines, runCli, writeLines } from './helpers.ts';

let dir: string;
let server: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-export-'));
  server = await startTestServer();
  const orders = orderLines(40);
  const identifies = ['ana', 'ben'].map((name, i) =>
    JSON.stringify({
      type: 'identify',
      userId: `customer-${i}`,
      traits: { email: `${name}@example.com`, name },
    }),
  );
  const pages = [JSON.stringify({ type: 'page', userId: 'customer-1', name: 'Home' })];
  writeLines(join(dir, 'seed.jsonl'), [...orders, ...identifies, ...pages]);
  const seeded = await runCli([
    'import',
    'events',
    join(dir, 'seed.jsonl'),
    '--data-dir',
    server.dataDir,
    '--quiet',
  ]);
  expect(seeded.code, seeded.stderr).toBe(0);
  await server.settle();
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = () => ['--url', server.url, '--admin-token', server.adminToken];

/** The exported events, without those Rapport's processors add (messageId rapport-…). */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((event) => !String(event.messageId ?? '').startsWith('rapport-'));
}

describe('export events', () => {
  it('JSON lines: every event as a Segment message with its profile, in log order', async () => {
    const result = await runCli(['export', 'events', ...auth()]);
    expect(result.code, result.stderr).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events).toHaveLength(43);
    expect(events.slice(0, 40).map((e) => (e.properties as { order_id: string }).order_id)).toEqual(
      Array.from({ length: 40 }, (_, i) => `o-${i}`),
    );
    const profileIds = events.map((e) => (e.context as { rapport: { profileId: string } }).rapport.profileId);
    expect(profileIds.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
  });

  it('filters by name, type and time', async () => {
    const byName = await runCli(['export', 'events', ...auth(), '--name', 'Home']);
    expect(jsonLines(byName.stdout).map((e) => e.type)).toEqual(['page']);
    const byType = await runCli(['export', 'events', ...auth(), '--type', 'identify']);
    expect(jsonLines(byType.stdout)).toHaveLength(2);
    // orderLines puts order i at 2024-01-01 + i minutes.
    const window = await runCli([
      'export',
      'events',
      ...auth(),
      '--name',
      'Order Completed',
      '--from',
      '2024-01-01T00:10:00Z',
      '--to',
      '2024-01-01T00:20:00Z',
    ]);
    expect(jsonLines(window.stdout).map((e) => (e.properties as { order_id: string }).order_id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `o-${i + 10}`),
    );
  });

  it('CSV: fixed columns, then properties discovered from the rows', async () => {
    const output = join(dir, 'orders.csv');
    const result = await runCli([
      'export',
      'events',
      ...auth(),
      '--type',
      'track',
      '--format',
      'csv',
      '--output',
      output,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const [header, first, ...rest] = readFileSync(output, 'utf8').trim().split('\n');
    const fixed = 'messageId,type,event,name,userId,anonymousId,profileId,timestamp,receivedAt';
    expect(header?.split(','), header).toEqual([
      ...fixed.split(','),
      'properties.order_id',
      'properties.revenue',
    ]);
    expect(first).toMatch(
      /^import-[0-9a-f-]+,track,Order Completed,,customer-0,,[^,]+,2024-01-01T00:00:00.000Z,[^,]+,o-0,0$/,
    );
    expect(rest).toHaveLength(39);
  });

  it('refuses a bad date and a wrong token with the server’s reason', async () => {
    const badDate = await runCli(['export', 'events', ...auth(), '--from', 'yesterday-ish']);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/400: from: expected a date/);
    const badToken = await runCli([
      'export',
      'events',
      '--url',
      server.url,
      '--admin-token',
      'rk_admin_nope_nope',
    ]);
    expect(badToken.code).toBe(2);
    expect(badToken.stderr).toMatch(/401: unknown or revoked admin token/);
  });
});

describe('export profiles', () => {
  it('JSON lines and CSV with identities and traits', async () => {
    const lines = jsonLines((await runCli(['export', 'profiles', ...auth()])).stdout);
    const ana = lines.find((p) => (p.traits as { name?: string }).name === 'ana');
    expect(ana).toMatchObject({ identities: { user_id: ['customer-0'], email: ['ana@example.com'] } });
    expect(lines).toHaveLength(40);

    const csv = await runCli([
      'export',
      'profiles',
      ...auth(),
      '--format',
      'csv',
      '--columns',
      'profileId,identities.email,traits.name',
    ]);
    const rows = csv.stdout.trim().split('\n');
    expect(rows[0]).toBe('profileId,identities.email,traits.name');
    expect(rows.filter((row) => row.endsWith(',ana@example.com,ana'))).toHaveLength(1);
    expect(rows).toHaveLength(41);
  });

  it('only the members of a segment with --segment, and a clear refusal for an unknown one', async () => {
    const saved = await server.adminRequest('POST', '/api/segments', {
      id: 'named-ana',
      text: 'trait name = "ana"',
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    for (let i = 0; (await server.admin('/api/segments/named-ana')).body.status !== 'live'; i++) {
      if (i > 400) throw new Error('segment never went live');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const members = jsonLines(
      (await runCli(['export', 'profiles', ...auth(), '--segment', 'named-ana'])).stdout,
    );
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ identities: { email: ['ana@example.com'] }, traits: { name: 'ana' } });

    const unknown = await runCli(['export', 'profiles', ...auth(), '--segment', 'no-such-segment']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/404: no segment no-such-segment/);
  });
});

describe('streaming', () => {
  it('reads later pages only as the client consumes: events added after the first chunk still arrive', async () => {
    const big = join(dir, 'many.jsonl');
    writeLines(big, orderLines(30_000, 'many'));
    const imported = await runCli(['import', 'events', big, '--data-dir', server.dataDir, '--quiet']);
    expect(imported.code, imported.stderr).toBe(0);
    await server.settle();

    const response = await fetch(
      `${server.url}/api/export/events?type=track&name=${encodeURIComponent('Order Completed')}`,
      {
        headers: { authorization: `Bearer ${server.adminToken}` },
      },
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);

    // Sent after the export began: a response built whole before sending could not hold it.
    const late = await track(server, '/v1/track', { userId: 'late', event: 'Order Completed' });
    expect(late.status).toBe(200);
    await server.settle();

    const decoder = new TextDecoder();
    let text = decoder.decode(first.value, { stream: true });
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += decoder.decode(chunk.value, { stream: true });
    }
    const events = jsonLines(text);
    expect(events).toHaveLength(40 + 30_000 + 1);
    expect(events[events.length - 1]?.userId).toBe('late');
  });
});
