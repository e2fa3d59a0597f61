// The first minutes with the CLI, run as a user would (child processes, real ports, a real data
// directory): credentials are made only when they can be shown, a lost one can be replaced with a
// documented command, and a busy port, a locked data directory or an unreachable server is one
// clear line rather than a stack trace.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/store/index.ts';
import { freePort } from '../support/child-server.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !['RAPPORT_URL', 'RAPPORT_PORT', 'RAPPORT_WRITE_KEY', 'RAPPORT_ADMIN_TOKEN'].includes(name),
  ),
);

function cli(args: string[], env: Record<string, string> = {}): ChildProcess & { done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...cleanEnv, RAPPORT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return Object.assign(child, { done, output: () => stdout + stderr });
}

const run = (args: string[], env: Record<string, string> = {}) => cli(args, env).done;

/** Starts `rapport serve` and waits for its welcome; the child and what it printed. */
async function serve(dataDir: string, port: number) {
  const child = cli(['serve', '--data-dir', dataDir, '--port', String(port)]);
  let printed = '';
  child.stdout?.on('data', (chunk) => {
    printed += chunk;
  });
  const deadline = Date.now() + 90_000;
  while (!printed.includes('API document:')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`serve did not start: ${JSON.stringify(await child.done)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, printed };
}

async function stop(child: ChildProcess & { done: Promise<Run> }) {
  child.kill('SIGTERM');
  await child.done;
}

/** One line on stderr, no stack frames. */
function expectOneLine(stderr: string): void {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-first-start-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('rapport --version', () => {
  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const answer = await run(['--version']);
    expect(answer.stdout.trim()).toBe(version);
    expect(answer.code).toBe(0);
  });
});

describe('rapport serve: credentials', () => {
  let holder: Server | undefined;
  afterAll(() => holder?.close());

  it('on a busy port says so in one line and makes no credential nobody saw', async () => {
    const dir = dataDir();
    const port = await freePort();
    holder = createServer();
    await new Promise<void>((resolve) => holder?.listen(port, '127.0.0.1', resolve));
    const answer = await run(['serve', '--data-dir', dir, '--port', String(port)]);
    expect(answer.code).toBe(1);
    expectOneLine(answer.stderr);
    expect(answer.stderr).toContain(`port ${port} is already in use`);
    expect(answer.stdout).not.toContain('rk_');
    const state = await openStateStore({ dataDir: dir });
    try {
      expect(await state.listCredentials('write')).toEqual([]);
      expect(await state.listCredentials('admin')).toEqual([]);
    } finally {
      await state.close();
    }
    holder.close();
    holder = undefined;

    // The next start, on a free port, makes and shows both.
    const first = await serve(dir, port);
    try {
      expect(first.printed).toMatch(/write key: {3}rk_write_\S+/);
      expect(first.printed).toMatch(/admin token: rk_admin_\S+/);
    } finally {
      await stop(first.child);
    }
  }, 180_000);

  it('one server per data directory; a lost admin token is replaced while it runs', async () => {
    const dir = dataDir();
    const first = await serve(dir, await freePort());
    try {
      const url = /running at (\S+)/.exec(first.printed)?.[1];
      const second = await run(['serve', '--data-dir', dir, '--port', String(await freePort())]);
      expect(second.code).toBe(1);
      expectOneLine(second.stderr);
      expect(second.stderr).toContain(`the data directory ${dir} is in use by another Rapport server`);

      const made = await run(['credentials', 'create', 'admin', '--data-dir', dir]);
      expect(made.code).toBe(0);
      const token = made.stdout.trim();
      expect(token).toMatch(/^rk_admin_/);
      const answer = await fetch(`${url}/api/segments`, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(200);
    } finally {
      await stop(first.child);
    }
    // A later start says the keys exist and how to make new ones.
    const later = await serve(dir, await freePort());
    try {
      expect(later.printed).not.toMatch(/rk_(write|admin)_/);
      expect(later.printed).toContain(`npx rapport credentials create admin --data-dir ${dir}`);
    } finally {
      await stop(later.child);
    }
  }, 240_000);
});

describe('commands that talk to a server', () => {
  it('read RAPPORT_URL, or localhost on RAPPORT_PORT, and say in one line when nothing answers', async () => {
    const port = await freePort();
    const viaUrl = await run(['segments', 'list', '--admin-token', 'x'], {
      RAPPORT_URL: `http://127.0.0.1:${port}`,
    });
    const viaPort = await run(['value', 'ranking', '--admin-token', 'x'], { RAPPORT_PORT: String(port) });
    const demo = await run(['demo', '--write-key', 'x'], { RAPPORT_PORT: String(port) });
    const flag = await run(['quarantine', 'list', '--admin-token', 'x', '--url', `http://127.0.0.1:${port}`]);
    for (const [answer, where] of [
      [viaUrl, `http://127.0.0.1:${port}`],
      [viaPort, `http://localhost:${port}`],
      [demo, `http://localhost:${port}`],
      [flag, `http://127.0.0.1:${port}`],
    ] as const) {
      expect(answer.code).toBe(1);
      expectOneLine(answer.stderr);
      expect(answer.stderr).toContain(
        `cannot reach the Rapport server at ${where} (nothing is listening there)`,
      );
    }
  }, 120_000);
});
