// `rapport profiles` as a person at a terminal runs it: the real bin/rapport.js in a child
// process against a real server. Text and --json answers, search by trait, consent shown and
// recorded, the export streamed to a file, erasure followed to the end, and refusals printed
// as one line with exit code 1, the token never on the command's output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { rapport, tempDir } from '../value/fixtures.ts';

let t: TestServer;
const dir = tempDir();

const cli = (...args: string[]) =>
  rapport('profiles', ...args, '--url', t.url, '--admin-token', t.adminToken);

beforeAll(async () => {
  t = await startTestServer();
  const batch = [
    { type: 'identify', userId: 'cli-ada', traits: { email: 'ada@example.com', city: 'Lyon', name: 'Ada' } },
    { type: 'track', userId: 'cli-ada', event: 'Order Completed', properties: { revenue: 30 } },
    { type: 'identify', userId: 'cli-bob', traits: { email: 'bob@example.com', city: 'Nantes' } },
  ];
  expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  await t.settle();
}, 60_000);

afterAll(async () => t?.close());

describe('rapport profiles', () => {
  it('gets a profile by userId as text and as JSON', async () => {
    const text = await cli('get', '--user-id', 'cli-ada');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^profile \S+/);
    expect(text.stdout).toContain('user_id        cli-ada');
    expect(text.stdout).toContain('Lyon');
    const json = await cli('get', '--email', 'ada@example.com', '--json');
    const body = JSON.parse(json.stdout);
    expect(body.traits).toMatchObject({ city: 'Lyon', name: 'Ada' });
    expect(body.eventCount).toBe(2);
  });

  it('searches by trait', async () => {
    const result = await cli('search', '--trait', 'city=Nantes', '--json');
    expect(result.code, result.stderr).toBe(0);
    const ids = JSON.parse(result.stdout).items.map((p: { profileId: string }) => p.profileId);
    const bob = (await t.admin('/api/profiles/lookup?userId=cli-bob')).body.profileId;
    expect(ids).toEqual([bob]);
  });

  it('records consent and shows it', async () => {
    const ada = (await t.admin('/api/profiles/lookup?userId=cli-ada')).body.profileId as string;
    const set = await cli('consent', ada, 'email=denied');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^recorded/);
    await t.settle();
    const shown = await cli('consent', ada);
    expect(shown.stdout).toMatch(/^email\s+denied/m);
  });

  it('streams the export to a file', async () => {
    const ada = (await t.admin('/api/profiles/lookup?userId=cli-ada')).body.profileId as string;
    const out = join(dir, 'ada.json');
    const result = await cli('export', ada, '--out', out);
    expect(result.code, result.stderr).toBe(0);
    const exported = JSON.parse(readFileSync(out, 'utf8'));
    expect(exported.profile.profileId).toBe(ada);
  });

  it('erases a person and follows the job to the end', async () => {
    const bob = (await t.admin('/api/profiles/lookup?userId=cli-bob')).body.profileId as string;
    const result = await cli('erase', bob, '--wait', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).status).toBe('complete');
    expect((await t.admin(`/api/profiles/${bob}`)).status).toBe(410);
  });

  it('prints a refusal as one line with exit code 1, without the token', async () => {
    const result = await cli('get', 'no-such-profile');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rapport profiles: .*\(RAPPORT_API_NOT_FOUND\)\n$/);
    expect(result.stderr + result.stdout).not.toContain(t.adminToken);
    const wrong = await rapport('profiles', 'get', 'x', '--url', t.url, '--admin-token', 'rk_admin_wrong');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^rapport profiles: .*\(RAPPORT_API_UNAUTHORIZED\)\n$/);
  });
});
