// `rapport segments …` and `rapport apply DIR`, run as child processes against a real server.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const ROOT = join(import.meta.dirname, '../..');
let server: TestServer;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in a child process (async: the server answering it runs in this process). */
function rapport(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env: { ...process.env, RAPPORT_ADMIN_TOKEN: '', ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const withServer = (...args: string[]) => [...args, '--url', server.url, '--admin-token', server.adminToken];

async function profileIdOf(userId: string): Promise<string> {
  const { body } = await server.admin(`/api/profiles/lookup?userId=${userId}`);
  return body.profileId;
}

/** Until every segment and funnel is built and the log is applied. */
async function settleSegments(): Promise<void> {
  for (let round = 0; round < 600; round++) {
    await server.settle();
    const segments = (await server.admin('/api/segments')).body.segments as Array<{ status: string }>;
    const funnels = (await server.admin('/api/funnels')).body.funnels as Array<{ status: string }>;
    if ([...segments, ...funnels].every((s) => s.status === 'live')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('segments were not built');
}

beforeAll(async () => {
  server = await startTestServer();
  const now = Date.now();
  const batch = [
    ['u1', 'Order Completed', 50],
    ['u2', 'Order Completed', 250],
    ['u3', 'Product Viewed', 0],
  ].map(([userId, event, revenue], i) => ({
    type: 'track',
    userId,
    event,
    properties: { revenue },
    messageId: `cli-${i}`,
    timestamp: new Date(now - 86_400_000).toISOString(),
  }));
  expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
  await server.settle();
}, 120_000);

afterAll(async () => server?.close());

describe('rapport segments', () => {
  it('creates a segment from text, then lists it, its members and why', async () => {
    const created = await rapport(
      withServer(
        'segments',
        'create',
        '--id',
        'buyers',
        '--name',
        'Buyers',
        '--rule',
        'performed "Order Completed" in last 30 days',
        '--json',
      ),
    );
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({ id: 'buyers', version: 1 });
    await settleSegments();

    const list = await rapport(withServer('segments', 'list'));
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^id\s+name\s+status\s+version\s+size\s+rule/);
    expect(list.stdout).toMatch(
      /buyers\s+Buyers\s+live\s+1\s+2\s+performed "Order Completed" in last 30 days/,
    );

    const members = await rapport(withServer('segments', 'members', 'buyers', '--json'));
    const ids = JSON.parse(members.stdout)
      .members.map((m: { profileId: string }) => m.profileId)
      .sort();
    expect(ids).toEqual([await profileIdOf('u1'), await profileIdOf('u2')].sort());

    const why = await rapport(withServer('segments', 'why', 'buyers', await profileIdOf('u2')));
    expect(why.code).toBe(0);
    expect(why.stdout).toContain('is a member since');
    expect(why.stdout).toContain('yes performed "Order Completed" in last 30 days');

    const notWhy = await rapport(withServer('segments', 'why', 'buyers', await profileIdOf('u3'), '--json'));
    expect(JSON.parse(notWhy.stdout).member).toBe(false);

    // A computed property written after the person's last event (as a value refresh does):
    // `why` reads today's value (issue #11: it saw no CLV for people who had one).
    const u2 = await profileIdOf('u2');
    await server.server.state.setComputedProperties([
      { profileId: u2, name: 'clv', value: 250, computedAt: new Date().toISOString() },
    ]);
    expect(
      (
        await server.adminRequest('POST', '/api/segments', {
          id: 'high-clv',
          name: 'High CLV',
          text: 'computed clv > 100',
        })
      ).status,
    ).toBe(201);
    const clvWhy = await rapport(withServer('segments', 'why', 'high-clv', u2, '--json'));
    expect(JSON.parse(clvWhy.stdout).explanation).toMatchObject({ holds: true, observed: { value: 250 } });
  }, 180_000);

  it('previews a rule from a JSON file without saving it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-cli-'));
    const file = join(dir, 'big.json');
    writeFileSync(
      file,
      JSON.stringify({
        kind: 'aggregate',
        fn: 'sum',
        property: 'revenue',
        event: 'Order Completed',
        where: [],
        window: { kind: 'last', amount: 90, unit: 'days' },
        op: 'gt',
        value: 200,
      }),
    );
    const preview = await rapport(withServer('segments', 'preview', '--file', file, '--json'));
    expect(preview.stderr).toBe('');
    expect(JSON.parse(preview.stdout)).toMatchObject({ size: 1, sample: [await profileIdOf('u2')] });
    const text = await rapport(withServer('segments', 'preview', '--file', file));
    expect(text.stdout).toContain(
      '1 profiles match: sum of revenue in "Order Completed" in last 90 days > 200',
    );
  }, 120_000);

  it('prints a refused rule with its line, column and caret, and exits 1', async () => {
    const run = await rapport(
      withServer(
        'segments',
        'create',
        '--name',
        'bad',
        '--rule',
        'performed "Order Completed" in last -3 days',
      ),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('RAPPORT_SEGMENT_INVALID_RULE');
    expect(run.stderr).toContain('line 1, column 37: a window is a positive whole number of days; got -3');
    expect(run.stderr).toContain('1 | performed "Order Completed" in last -3 days\n');
    expect(run.stderr).toMatch(/\n {40}\^/);
    expect((await server.admin('/api/segments/bad')).status).toBe(404);
  }, 120_000);

  it('reads the token from RAPPORT_ADMIN_TOKEN and asks for one when there is none', async () => {
    const fromEnv = await rapport(['segments', 'list', '--url', server.url, '--json'], {
      RAPPORT_ADMIN_TOKEN: server.adminToken,
    });
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout).segments.length).toBeGreaterThan(0);
    const none = await rapport(['segments', 'list', '--url', server.url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('give --admin-token or set RAPPORT_ADMIN_TOKEN');
  }, 120_000);
});

describe('rapport apply', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-apply-'));
  const journey = JSON.parse(readFileSync(join(ROOT, 'examples/journeys/mortgage-cross-sell.json'), 'utf8'));
  const placements = {
    kind: 'placements',
    placements: [{ id: 'receipt', defaultOfferId: 'thanks' }],
    offers: [
      { id: 'thanks', placement: 'receipt', priority: 1, expectedValue: 0, requiresPersonalization: false },
    ],
  };

  function writeDefinitions(bigSpenderThreshold: number) {
    writeFileSync(
      join(dir, 'big-spenders.yaml'),
      [
        'kind: segment',
        'id: big-spenders',
        'name: Big spenders',
        `text: sum of revenue in "Order Completed" in last 90 days > ${bigSpenderThreshold}`,
      ].join('\n'),
    );
    // Refers to big-spenders: applied after it although its file sorts first.
    writeFileSync(
      join(dir, 'a-vip.json'),
      JSON.stringify({ kind: 'segment', id: 'vip', name: 'VIP', text: 'in segment "big-spenders"' }),
    );
    writeFileSync(
      join(dir, 'funnel.json'),
      JSON.stringify({ kind: 'funnel', id: 'lifecycle', preset: 'ecommerce' }),
    );
    writeFileSync(join(dir, 'journey.json'), JSON.stringify({ kind: 'journey', ...journey }));
    writeFileSync(join(dir, 'placements.json'), JSON.stringify(placements));
  }

  const resultsOf = (run: Run) =>
    Object.fromEntries(
      (JSON.parse(run.stdout) as Array<{ kind: string; id: string; result: string }>).map((line) => [
        `${line.kind}:${line.id}`,
        line.result,
      ]),
    );

  it('creates, leaves unchanged, then updates by id', async () => {
    writeDefinitions(200);
    const first = await rapport(withServer('apply', dir, '--json'));
    expect(first.stderr).toBe('');
    const lines = JSON.parse(first.stdout) as Array<{ id: string }>;
    expect(lines.findIndex((l) => l.id === 'big-spenders')).toBeLessThan(
      lines.findIndex((l) => l.id === 'vip'),
    );
    expect(resultsOf(first)).toEqual({
      'segment:big-spenders': 'created',
      'segment:vip': 'created',
      'funnel:lifecycle': 'created',
      'journey:mortgage-cross-sell': 'created',
      'placements:placements': 'created',
    });
    expect((await server.admin('/api/journeys/mortgage-cross-sell')).body.version).toBe(1);
    expect((await server.admin('/api/placements')).body.offers[0].id).toBe('thanks');

    const second = await rapport(withServer('apply', dir));
    expect(second.code).toBe(0);
    expect(second.stdout.trim().split('\n')).toHaveLength(5);
    for (const line of second.stdout.trim().split('\n')) expect(line).toMatch(/^unchanged /);

    writeDefinitions(300);
    const third = await rapport(withServer('apply', dir, '--json'));
    expect(resultsOf(third)).toMatchObject({ 'segment:big-spenders': 'updated', 'segment:vip': 'unchanged' });
    const segment = await server.admin('/api/segments/big-spenders');
    expect(segment.body).toMatchObject({
      version: 2,
      text: 'sum of revenue in "Order Completed" in last 90 days > 300',
    });
  }, 240_000);

  it('names each invalid file and applies nothing', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'rapport-apply-bad-'));
    writeFileSync(
      join(bad, 'ok.json'),
      JSON.stringify({ kind: 'segment', id: 'never', text: 'trait plan = "pro"' }),
    );
    writeFileSync(join(bad, 'rule.yml'), 'kind: segment\nid: broken\ntext: performed "X" in last 0 days\n');
    writeFileSync(join(bad, 'kind.json'), JSON.stringify({ kind: 'segmnet', id: 'x' }));
    writeFileSync(join(bad, 'syntax.json'), '{ "kind": ');
    const run = await rapport(withServer('apply', bad));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('nothing applied');
    expect(run.stderr).toMatch(
      /kind\.json: "kind" is one of segment, funnel, journey, placements, policy; got "segmnet"/,
    );
    expect(run.stderr).toMatch(
      /rule\.yml: the rule was refused:\nline 1, column 23: a window is a positive whole number of days; got 0\n1 \| performed "X" in last 0 days\n {26}\^/,
    );
    expect(run.stderr).toMatch(/syntax\.json: not JSON/);
    expect((await server.admin('/api/segments/never')).status).toBe(404);
  }, 120_000);

  it('applies the worked examples as shipped (examples/journeys: two journeys and the policy)', async () => {
    const run = await rapport(withServer('apply', join(ROOT, 'examples/journeys'), '--json'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // The mortgage journey is the one the first test applied, unchanged.
    expect(resultsOf(run)).toEqual({
      'journey:city-new-resident': 'created',
      'journey:mortgage-cross-sell': 'unchanged',
      'policy:policy': 'created',
    });
    const policy = (await server.admin('/api/arbitration-policy')).body;
    expect(policy).toMatchObject({ source: 'stored', policy: { defaultTimeZone: 'Europe/Amsterdam' } });
    const again = await rapport(withServer('apply', join(ROOT, 'examples/journeys')));
    for (const line of again.stdout.trim().split('\n')) expect(line).toMatch(/^unchanged /);
  }, 120_000);

  it('reports a definition the server refuses and still applies the others', async () => {
    const mixed = mkdtempSync(join(tmpdir(), 'rapport-apply-mixed-'));
    writeFileSync(
      join(mixed, 'dangling.json'),
      JSON.stringify({ kind: 'segment', id: 'dangling', text: 'in segment "no-such-segment"' }),
    );
    writeFileSync(
      join(mixed, 'fine.json'),
      JSON.stringify({ kind: 'segment', id: 'fine', text: 'trait plan = "pro"' }),
    );
    const run = await rapport(withServer('apply', mixed));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /failed\s+segment dangling \(.*dangling\.json\): .*there is no segment "no-such-segment"/,
    );
    expect(run.stdout).toMatch(/created\s+segment fine/);
  }, 120_000);
});
