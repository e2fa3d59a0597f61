// `rapport spend import | add | list`, run as child processes against a real server (embedded
// engine), and the demo's planted spend imported through the same API.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DAILY_SPEND, demoSpendRows, plantDemoSpend, runDemo } from '../../src/simulate/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const ROOT = join(import.meta.dirname, '../..');
let server: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'spend-cli-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function rapport(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        ...args,
        '--url',
        server.url,
        '--admin-token',
        server.adminToken,
      ],
      { cwd: ROOT, env: { ...process.env, RAPPORT_ADMIN_TOKEN: '' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  server = await startTestServer();
}, 120_000);

afterAll(async () => server?.close());

describe('rapport spend', () => {
  it('imports a CSV: the good rows land, each bad one is named by its line and field; again changes nothing', async () => {
    const file = join(dir, 'spend.csv');
    writeFileSync(
      file,
      [
        'day,channel,campaign,amount,currency',
        '2026-03-01,Paid Search,spring,40,EUR',
        '2026-03-01,display,,25.5,EUR',
        '2026-03-02,paid search,spring,-3,EUR',
        '2026-03-31,display,,10,USD',
        '2026-02-30,display,,10,EUR',
        '2026-03-02,display,,4.5,',
      ].join('\n'),
    );
    const first = await rapport(['spend', 'import', file, '--currency', 'EUR']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('imported 3 of 6 rows (EUR)');
    expect(first.stderr).toContain('line 4, amount: amount -3 is negative');
    expect(first.stderr).toContain('line 5, currency: display on 2026-03-31 is in USD');
    expect(first.stderr).toContain('line 6, day: day "2026-02-30" is not a date');

    const again = await rapport(['spend', 'import', file, '--currency', 'EUR', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ read: 6, imported: 3, currency: 'EUR' });

    const list = await rapport(['spend', 'list', '--from', '2026-03-01', '--to', '2026-03-31', '--json']);
    const body = JSON.parse(list.stdout);
    expect(body.total).toBeCloseTo(70);
    expect(body.rows).toEqual([
      { day: '2026-03-01', channel: 'display', campaign: '', amount: 25.5, currency: 'EUR' },
      { day: '2026-03-01', channel: 'paid search', campaign: 'spring', amount: 40, currency: 'EUR' },
      { day: '2026-03-02', channel: 'display', campaign: '', amount: 4.5, currency: 'EUR' },
    ]);
    const text = await rapport(['spend', 'list', '--from', '2026-03-01', '--to', '2026-03-31']);
    expect(text.stdout).toContain('2026-03-01  paid search  spring');
    expect(text.stdout).toContain('total 70.00 EUR from 2026-03-01 to 2026-03-31');
  }, 60_000);

  it('refuses a UTF-16 file and one without an amount column as a whole', async () => {
    const utf16 = join(dir, 'utf16.csv');
    writeFileSync(utf16, Buffer.from('\ufeffday,channel,amount\n2026-03-01,display,1\n', 'utf16le'));
    const refused = await rapport(['spend', 'import', utf16]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/rapport spend: .*UTF-16/);
    const noAmount = join(dir, 'no-amount.csv');
    writeFileSync(noAmount, 'day,channel\n2026-03-01,display\n');
    const missing = await rapport(['spend', 'import', noAmount]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('has no "amount" column');
  }, 60_000);

  it('adds one day (replacing it when sent again) and refuses a negative amount naming the option', async () => {
    const added = await rapport([
      'spend',
      'add',
      '--day',
      '2026-04-01',
      '--channel',
      'Email',
      '--amount',
      '7',
    ]);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('2026-04-01 email: 7 EUR');
    await rapport(['spend', 'add', '--day', '2026-04-01', '--channel', 'email', '--amount', '9']);
    const negative = await rapport([
      'spend',
      'add',
      '--day',
      '2026-04-01',
      '--channel',
      'email',
      '--amount',
      '-1',
    ]);
    expect(negative.code).toBe(1);
    expect(negative.stderr).toContain('--amount: amount -1 is negative');
    const list = JSON.parse(
      (await rapport(['spend', 'list', '--from', '2026-04-01', '--to', '2026-04-01', '--json'])).stdout,
    );
    expect(list.rows).toEqual([
      { day: '2026-04-01', channel: 'email', campaign: '', amount: 9, currency: 'EUR' },
    ]);
  }, 60_000);
});

describe("the demo's planted spend", () => {
  it('imports one row per channel and day of the window, summing to the planted daily amounts', async () => {
    const start = new Date('2026-05-01T00:00:00Z');
    expect(demoSpendRows(start, 10)).toHaveLength(10 * Object.keys(DEMO_DAILY_SPEND).length);
    expect(await plantDemoSpend(server.url, server.adminToken, start, 10)).toBe(20);
    const { body } = await server.admin('/api/attribution/spend?from=2026-05-01&to=2026-05-31');
    const perChannel: Record<string, number> = {};
    for (const row of body.rows) perChannel[row.channel] = (perChannel[row.channel] ?? 0) + row.amount;
    expect(perChannel).toEqual({ email: DEMO_DAILY_SPEND.email! * 10, sms: DEMO_DAILY_SPEND.sms! * 10 });
    expect(body.rows.at(-1).day).toBe('2026-05-10');
  });

  it('rapport demo with an admin token fills the ROI table: its email and sms rows carry the planted spend', async () => {
    const days = 60;
    const summary = await runDemo({
      kind: 'store',
      seed: 5,
      people: 80,
      days,
      url: server.url,
      writeKey: server.writeKey,
      adminToken: server.adminToken,
    });
    expect(summary.spendRows).toBe(days * Object.keys(DEMO_DAILY_SPEND).length);
    await server.settle();
    // The page's default range: the 30 days ending today; the world ends at today's midnight.
    const { body } = await server.admin('/api/attribution/roi');
    const rows = Object.fromEntries(body.rows.map((row: { channel: string }) => [row.channel, row]));
    expect(rows.email?.spend).toBe(DEMO_DAILY_SPEND.email! * 29);
    expect(rows.sms?.spend).toBe(DEMO_DAILY_SPEND.sms! * 29);
    expect(rows.email.roas).not.toBeNull();
    expect(body.unmatchedSpend).toEqual([]);
  }, 300_000);
});
