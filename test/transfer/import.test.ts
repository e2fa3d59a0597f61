// `rapport import` as a child process against real servers and real files: local mode into a
// running server's data dir, remote mode over /v1/batch, both giving the same log; rejects,
// resume after SIGKILL without duplicates, and bad files refused before anything is imported.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteIngestLog } from '../../src/store/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { orderLines, runCli, startCli, writeLines } from './helpers.ts';

let dir: string;
let local: TestServer;
let remote: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-import-'));
  local = await startTestServer();
  remote = await startTestServer();
});

afterAll(async () => {
  await local.close();
  await remote.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the import put in the log (processors also append Rapport's own events, source rapport-*). */
async function logMessages(server: TestServer): Promise<Record<string, any>[]> {
  const records = await server.server.state.log.read(0, 1_000_000);
  return records
    .filter((record) => !record.source.startsWith('rapport-'))
    .map((record) => JSON.parse(record.json));
}

function rejectsOf(path: string): Record<string, any>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('import events from JSON lines', () => {
  const good = orderLines(300);
  const lines = [...good.slice(0, 100), 'not json', ...good.slice(100, 200)];
  lines.push(JSON.stringify({ type: 'track', event: 'No Id' }));
  lines.push(
    JSON.stringify({ type: 'track', userId: 'u', event: 'Big', properties: { blob: 'x'.repeat(70_000) } }),
  );
  lines.push(...good.slice(200));

  it('local and remote mode store the same messages and reject the same rows', async () => {
    const localFile = join(dir, 'local', 'orders.jsonl');
    const remoteFile = join(dir, 'remote', 'orders.jsonl');
    for (const file of [localFile, remoteFile]) {
      rmSync(join(file, '..'), { recursive: true, force: true });
      await import('node:fs').then((fs) => fs.mkdirSync(join(file, '..'), { recursive: true }));
      writeLines(file, lines);
    }
    const viaLog = await runCli(['import', 'events', localFile, '--data-dir', local.dataDir, '--json']);
    const viaHttp = await runCli([
      'import',
      'events',
      remoteFile,
      '--url',
      remote.url,
      '--write-key',
      remote.writeKey,
      '--json',
    ]);
    expect(viaLog.code, viaLog.stderr).toBe(0);
    expect(viaHttp.code, viaHttp.stderr).toBe(0);
    const localSummary = JSON.parse(viaLog.stdout);
    const remoteSummary = JSON.parse(viaHttp.stdout);
    expect(localSummary.counts).toEqual({ read: 303, imported: 300, duplicates: 0, rejected: 3 });
    expect(remoteSummary.counts).toMatchObject({ read: 303, imported: 300, rejected: 3 });

    const rejects = rejectsOf(`${localFile}.rejects.jsonl`);
    expect(rejects.map((r) => [r.line, r.code, r.field])).toEqual([
      [101, 'RAPPORT_IMPORT_INVALID_ROW', ''],
      [202, 'RAPPORT_INGEST_INVALID_MESSAGE', 'userId'],
      [203, 'RAPPORT_INGEST_MESSAGE_TOO_LARGE', ''],
    ]);
    expect(readFileSync(`${remoteFile}.rejects.jsonl`, 'utf8')).toBe(
      readFileSync(`${localFile}.rejects.jsonl`, 'utf8'),
    );

    const localMessages = await logMessages(local);
    const remoteMessages = await logMessages(remote);
    const strip = (m: Record<string, any>) => ({ ...m, receivedAt: undefined });
    expect(localMessages.map(strip)).toEqual(remoteMessages.map(strip));
    expect(localMessages).toHaveLength(300);
    expect(new Set(localMessages.map((m) => m.messageId)).size).toBe(300);

    // The running server's processors apply what the local import appended.
    await local.settle();
    const stored = await local.server.pipeline.countByMessageId(localMessages.map((m) => m.messageId));
    expect([...stored.values()].filter((n) => n === 1)).toHaveLength(300);
    const deadLetters = await local.admin('/api/dead-letters');
    expect(deadLetters.body.items.map((d: any) => d.field)).toEqual(['userId']);
  });

  it('a wrong write key stops at the first batch with a clear message', async () => {
    const file = join(dir, 'wrong-key.jsonl');
    writeLines(file, orderLines(10));
    const result = await runCli([
      'import',
      'events',
      file,
      '--url',
      remote.url,
      '--write-key',
      'rk_not_a_real_key_123',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refused a batch with 401 \(check --write-key/);
  });
});

describe('resume after the import is killed', () => {
  it('SIGKILL mid-file, rerun: every row in the log exactly once, every bad row rejected once', async () => {
    const dataDir = join(dir, 'kill-data');
    await import('node:fs').then((fs) => fs.mkdirSync(dataDir, { recursive: true }));
    new SqliteIngestLog(join(dataDir, 'log.sqlite')).close();
    const total = 200_000;
    const lines = orderLines(total, 'k');
    for (let i = 999; i < total; i += 1000) lines[i] = `{broken ${i}`;
    const file = join(dir, 'big.jsonl');
    writeLines(file, lines);
    const checkpoint = `${file}.rapport-import.json`;

    const child = startCli([
      'import',
      'events',
      file,
      '--data-dir',
      dataDir,
      '--batch-size',
      '1000',
      '--quiet',
    ]);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let position = 0;
    while (position === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (!existsSync(checkpoint)) continue;
      try {
        const state = JSON.parse(readFileSync(checkpoint, 'utf8'));
        if (state.completed) throw new Error('the import finished before it could be killed');
        position = state.position;
      } catch (error) {
        if ((error as Error).message.includes('finished')) throw error;
      }
    }
    child.kill('SIGKILL');
    await exited;
    const killedAt = JSON.parse(readFileSync(checkpoint, 'utf8'));
    expect(killedAt.completed).toBe(false);

    const rerun = await runCli(['import', 'events', file, '--data-dir', dataDir, '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = JSON.parse(rerun.stdout);
    expect(summary.resumedAfterRow).toBeGreaterThan(0);
    expect(summary.counts.read).toBe(total);
    expect(summary.counts.rejected).toBe(200);

    const log = new SqliteIngestLog(join(dataDir, 'log.sqlite'));
    try {
      const records = await log.read(0, total * 2);
      const orderIds = records.map((r) => JSON.parse(r.json).properties.order_id as string);
      expect(orderIds).toHaveLength(total - 200);
      expect(new Set(orderIds).size).toBe(total - 200);
    } finally {
      log.close();
    }
    const rejectedLines = rejectsOf(`${file}.rejects.jsonl`).map((r) => r.line);
    expect(rejectedLines).toEqual(Array.from({ length: 200 }, (_, k) => (k + 1) * 1000));
  });
});

describe('import profiles from CSV', () => {
  it('--id email with a typed --map; bad rows rejected with row, line and reason', async () => {
    const file = join(dir, 'customers.csv');
    writeFileSync(
      file,
      '\uFEFFemail,first_name,plan,lifetime_value\n' +
        'ana@example.com,Ana,pro,120.5\n' +
        'ben@example.com,"Ben, Jr.",free,abc\n' +
        ',Nobody,free,1\n' +
        'chloe@example.com,Chloé,pro\n' +
        'dmitri@example.com,Dmitri,,9\n',
    );
    const result = await runCli([
      'import',
      'profiles',
      file,
      '--id',
      'email',
      '--map',
      'lifetime_value=traits.ltv:number',
      '--data-dir',
      local.dataDir,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).counts).toMatchObject({ read: 5, imported: 2, rejected: 3 });
    expect(rejectsOf(`${file}.rejects.jsonl`).map((r) => [r.row, r.field, r.reason])).toEqual([
      [2, 'traits.ltv', 'column "lifetime_value": "abc" is not a number'],
      [3, 'email', 'the id column "email" is empty'],
      [4, '', 'the row has 3 fields; the header has 4'],
    ]);
    await local.settle();
    const ana = await local.admin('/api/profiles/lookup?email=ana@example.com');
    expect(ana.status).toBe(200);
    expect(ana.body.traits).toMatchObject({
      email: 'ana@example.com',
      first_name: 'Ana',
      plan: 'pro',
      ltv: 120.5,
    });
    const dmitri = await local.admin('/api/profiles/lookup?email=dmitri@example.com');
    expect(Object.keys(dmitri.body.traits).sort()).toEqual(['email', 'first_name', 'ltv']);
  });
});

describe('bad files are refused before anything is imported', () => {
  async function refused(name: string, content: string | Buffer, args: string[]) {
    const file = join(dir, name);
    writeFileSync(file, content);
    const before = await local.server.state.log.countEntries();
    const result = await runCli([
      'import',
      ...args.map((a) => (a === 'FILE' ? file : a)),
      '--data-dir',
      local.dataDir,
    ]);
    expect(result.code).toBe(2);
    expect(await local.server.state.log.countEntries()).toBe(before);
    expect(existsSync(`${file}.rapport-import.json`)).toBe(false);
    return result.stderr;
  }

  it('a missing id column, listing the columns found', async () => {
    const stderr = await refused('no-id.csv', 'mail,name\na@b.c,A\n', ['profiles', 'FILE', '--id', 'email']);
    expect(stderr).toContain('--id email: the file has no column "email"; its columns are "mail", "name"');
  });

  it('a CSV with a million columns, with the limit', async () => {
    const header = Array.from({ length: 1_000_000 }, (_, i) => `c${i}`).join(',');
    const stderr = await refused('wide.csv', `${header}\n`, ['profiles', 'FILE', '--id', 'c0']);
    expect(stderr).toMatch(/the CSV header is longer than 1 MB; an import takes at most 10000 columns/);
    const narrowEnough = Array.from({ length: 20_000 }, (_, i) => `c${i}`).join(',');
    const stderr2 = await refused('wide2.csv', `${narrowEnough}\n`, ['profiles', 'FILE', '--id', 'c0']);
    expect(stderr2).toMatch(/has 20000 columns; an import takes at most 10000/);
  });

  it('Latin-1 bytes, naming the line; UTF-16 by its byte order mark', async () => {
    const latin1 = Buffer.concat([
      Buffer.from('email,name\na@b.c,Ana\n'),
      Buffer.from('c@d.e,Chlo'),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    expect(await refused('latin1.csv', latin1, ['profiles', 'FILE', '--id', 'email'])).toMatch(
      /line 3 is not valid UTF-8/,
    );
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('email,name\n', 'utf16le')]);
    expect(await refused('utf16.csv', utf16, ['profiles', 'FILE', '--id', 'email'])).toMatch(
      /looks like UTF-16/,
    );
  });

  it('an unclosed quote, with the line', async () => {
    const stderr = await refused('quote.csv', 'email,name\na@b.c,"Ana\nb@c.d,Ben\n', [
      'profiles',
      'FILE',
      '--id',
      'email',
    ]);
    expect(stderr).toMatch(/the CSV cannot be read at line \d+: .*Quote Not Closed/);
  });
});
