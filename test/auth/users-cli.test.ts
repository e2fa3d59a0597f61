// `rapport users add | list` on the storage (the first owner, before anyone can sign in): the
// real bin/rapport.js in a child process, the password from RAPPORT_NEW_PASSWORD (never an
// argument), refusals as one line with exit code 1; then a server on that data directory lets
// the user sign in.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'rapport-users-cli-'));
let server: TestServer | undefined;
afterAll(async () => server?.close());

function users(args: string[], password?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // The embedded storage in dataDir, whatever the environment running the tests says.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.RAPPORT_DATABASE_URL;
  if (password === undefined) delete env.RAPPORT_NEW_PASSWORD;
  else env.RAPPORT_NEW_PASSWORD = password;
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/rapport.js'), 'users', ...args, '--data-dir', dataDir],
      { cwd: ROOT, env },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('rapport users', () => {
  it('adds the first owner from the storage, and refuses a bad role or a weak password', async () => {
    const made = await users(['add', 'Ada', '--role', 'owner'], 'first-owner-password');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('created ada (owner)');
    expect(made.stdout + made.stderr).not.toContain('first-owner-password');

    const badRole = await users(['add', 'bob', '--role', 'admin'], 'another-password-1');
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('--role: one of owner, marketer, analyst, privacy');
    const weak = await users(['add', 'bob', '--role', 'analyst'], 'short');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('password: at least 10 characters');
    const again = await users(['add', 'ADA', '--role', 'analyst'], 'another-password-1');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists already');

    const list = await users(['list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ada\s+owner\s/m);
    expect(list.stdout).not.toContain('bob');
    // Five child processes, each starting Node and the CLI: slow on a busy machine, not a wait.
  }, 300_000);

  it('lets the user it made sign in to a server on that data directory', async () => {
    server = await startTestServer({ dataDir });
    const response = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ada', password: 'first-owner-password' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: 'ada', role: 'owner', kind: 'user' });
  });
});
