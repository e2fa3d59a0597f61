// The compiled build that `npm start` and bin/rapport.js run (dist/, scripts/build-server.mjs),
// started as an operator would: a broken build, a worker entry that cannot find its compiled
// worker, or a path that resolves differently from dist/ than from src/ fails here rather than
// in production, since the rest of the suite runs the TypeScript.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServerBuild, serverBuildIsFresh, sourceFingerprint } from '../../scripts/build-server.mjs';
import { type ChildServer, startChildServer, testSecrets } from '../support/child-server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-compiled-'));
const secrets = testSecrets();
let server: ChildServer | undefined;

afterAll(async () => {
  await server?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the compiled server (npm start)', () => {
  beforeAll(() => {
    ensureServerBuild();
  }, 300_000);

  it('takes a batch over HTTP and the profile appears', async () => {
    server = await startChildServer(
      {
        RAPPORT_DATA_DIR: dataDir,
        RAPPORT_WRITE_KEY: secrets.writeKey,
        RAPPORT_ADMIN_TOKEN: secrets.adminToken,
      },
      [],
      { from: 'compiled' },
    );
    const userId = `compiled-${Date.now()}`;
    const response = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${secrets.writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({
        batch: [
          { type: 'identify', messageId: `${userId}-1`, userId, traits: { plan: 'pro' } },
          {
            type: 'track',
            messageId: `${userId}-2`,
            userId,
            event: 'Order Completed',
            properties: { total: 12 },
          },
        ],
      }),
    });
    expect(response.status).toBe(200);

    // The pipeline worker thread (its compiled entry) turns the log into the profile.
    let profile: { status: number; body: { traits?: Record<string, unknown>; eventCount?: number } } = {
      status: 0,
      body: {},
    };
    for (let i = 0; i < 600 && !(profile.status === 200 && profile.body.eventCount === 2); i++) {
      const reply = await fetch(`${server.url}/api/profiles/lookup?userId=${userId}`, {
        headers: { authorization: `Bearer ${secrets.adminToken}` },
      });
      profile = { status: reply.status, body: (await reply.json()) as typeof profile.body };
      if (profile.body.eventCount !== 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(profile.status).toBe(200);
    expect(profile.body.eventCount).toBe(2);
    expect(profile.body.traits?.plan).toBe('pro');
  }, 300_000);

  it('names the TypeScript lines in stack traces (source maps beside dist/)', () => {
    const script = [
      'process.setSourceMapsEnabled(true);',
      "const { loadConfig } = await import('./dist/config/index.js');",
      "try { loadConfig({ writeKey: 'short' }, {}); } catch (error) { console.log(error.stack); }",
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/RAPPORT_WRITE_KEY/);
    expect(run.stdout).toMatch(/src\/config\/index\.ts:\d+:\d+/);
    expect(run.stdout).not.toMatch(/dist\/config\/index\.js/);
  });
});

describe('a stale build never runs', () => {
  const root = mkdtempSync(join(tmpdir(), 'rapport-fingerprint-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const recordBuild = () => {
    mkdirSync(join(root, 'dist'), { recursive: true });
    writeFileSync(join(root, 'dist', '.build-fingerprint'), sourceFingerprint(root));
  };

  it('is stale when missing, fresh after a build, and stale after any change under src/', () => {
    mkdirSync(join(root, 'src', 'cli'), { recursive: true });
    writeFileSync(join(root, 'src', 'cli', 'main.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'src', 'other.ts'), 'export const b = 2;\n');
    writeFileSync(join(root, 'tsconfig.json'), '{}\n');
    expect(serverBuildIsFresh(root)).toBe(false);

    recordBuild();
    expect(serverBuildIsFresh(root)).toBe(true);

    writeFileSync(join(root, 'src', 'cli', 'main.ts'), 'export const a = 10;\n');
    expect(serverBuildIsFresh(root)).toBe(false);
    recordBuild();

    // A file put back with an older time (a checkout of an older version, a copy keeping times).
    utimesSync(join(root, 'src', 'other.ts'), new Date(2000, 0, 1), new Date(2000, 0, 1));
    expect(serverBuildIsFresh(root)).toBe(false);
    recordBuild();

    unlinkSync(join(root, 'src', 'other.ts'));
    expect(serverBuildIsFresh(root)).toBe(false);
    recordBuild();

    writeFileSync(join(root, 'tsconfig.json'), '{"compilerOptions":{}}\n');
    expect(serverBuildIsFresh(root)).toBe(false);
  });
});
