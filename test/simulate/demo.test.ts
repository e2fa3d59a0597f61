import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PersonTruth,
  runDemo,
  SendRefusedError,
  sendMessages,
  simulateWorld,
} from '../../src/simulate/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const run = promisify(execFile);
const START = new Date('2024-03-01T00:00:00Z');

/** Identified people are one profile each (all their devices merge); the others, one per device. */
function expectedProfiles(truths: PersonTruth[]): number {
  return truths.reduce((sum, truth) => sum + (truth.userId !== null ? 1 : truth.anonymousIds.length), 0);
}

describe('rapport demo against a real server', () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'rapport-demo-'));

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runDemo sends a store world; profiles match the truth and nothing is rejected', async () => {
    const truthFile = join(dir, 'store.jsonl');
    const options = { kind: 'store' as const, seed: 5, people: 60, days: 90, start: START };
    const summary = await runDemo({
      ...options,
      url: server.url,
      writeKey: server.writeKey,
      truthFile,
      batchSize: 100,
    });
    const truths = readFileSync(truthFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as PersonTruth);
    expect(truths).toHaveLength(60);
    expect(truths.some((truth) => truth.userId === null)).toBe(true);
    expect(truths.some((truth) => truth.anonymousIds.length > 1)).toBe(true);
    expect(summary.messages).toBe([...simulateWorld(options).messages()].length);
    expect(summary.rejected).toBe(0);
    await server.settle();
    const status = await server.admin('/api/status');
    expect(status.body.deadLetters).toBe(0);
    expect(status.body.profiles).toBe(expectedProfiles(truths));
  });

  it('the CLI sends a city world to the same server; sending it again adds nothing', async () => {
    const before = (await server.admin('/api/status')).body.profiles as number;
    const truthFile = join(dir, 'city.jsonl');
    const args = ['tsx', 'src/cli/main.ts', 'demo', '--kind', 'city', '--people', '40', '--days', '60'];
    args.push(
      '--start',
      '2024-03-01',
      '--seed',
      '9',
      '--url',
      server.url,
      '--truth',
      truthFile,
      '--no-progress',
    );
    const { stdout } = await run('npx', args, {
      env: { ...process.env, RAPPORT_WRITE_KEY: server.writeKey },
    });
    expect(stdout).toMatch(/Sent \d+ messages/);
    const truths = readFileSync(truthFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as PersonTruth);
    await server.settle();
    const afterFirst = (await server.admin('/api/status')).body;
    expect(afterFirst.profiles).toBe(before + expectedProfiles(truths));
    // Same seed, same messageIds: the server deduplicates, so a demo can be rerun safely.
    await runDemo({
      kind: 'city',
      seed: 9,
      people: 40,
      days: 60,
      start: START,
      url: server.url,
      writeKey: server.writeKey,
    });
    await server.settle();
    expect((await server.admin('/api/status')).body.profiles).toBe(afterFirst.profiles);
  });

  it('stops with a clear error on a wrong write key, from the library and from the CLI', async () => {
    const demo = runDemo({
      kind: 'store',
      seed: 1,
      people: 5,
      days: 30,
      start: START,
      url: server.url,
      writeKey: 'nope',
    });
    await expect(demo).rejects.toBeInstanceOf(SendRefusedError);
    await expect(demo).rejects.toThrow(/401.*write key/);
    const args = [
      'tsx',
      'src/cli/main.ts',
      'demo',
      '--size',
      'tiny',
      '--url',
      server.url,
      '--write-key',
      'nope',
    ];
    const failure = await run('npx', args).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/rapport demo: server refused a batch with 401/);
  });
});

describe('sendMessages', () => {
  it('retries 429 and 503 answers after Retry-After, and every batch lands once', async () => {
    const seen: number[] = [];
    let calls = 0;
    const fake = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        calls += 1;
        if (calls % 3 === 1) {
          response.writeHead(calls % 2 === 1 ? 429 : 503, { 'retry-after': '0' }).end('{}');
          return;
        }
        seen.push(...(JSON.parse(body) as { batch: { messageId: string }[] }).batch.map((_, i) => i));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true,"rejected":[]}');
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const { port } = fake.address() as AddressInfo;
    const messages = [
      ...simulateWorld({ kind: 'store', seed: 2, people: 10, start: START, days: 30 }).messages(),
    ];
    const result = await sendMessages(messages, {
      url: `http://127.0.0.1:${port}`,
      writeKey: 'k',
      batchSize: 20,
      concurrency: 2,
    });
    fake.close();
    expect(result.messages).toBe(messages.length);
    expect(seen).toHaveLength(messages.length);
    expect(result.retries).toBeGreaterThan(0);
    expect(result.requests).toBe(Math.ceil(messages.length / 20));
  });
});
