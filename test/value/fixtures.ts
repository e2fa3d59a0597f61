// Transactions files for the CLI tests, written into a temp dir: simulated customers turned
// into dated purchases, and a runner for the real `rapport` command.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDay, parseDay } from '../../src/value/dates.ts';
import { simulateBgNbdCustomers } from '../../src/value/simulate.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'rapport-clv-'));
}

export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function rapport(...args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/rapport.js'), ...args],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * Simulated customers (weekly BG/NBD) who join during 2024 and are observed until `end`;
 * purchase days are rounded to whole days. Rows: customer_id, date (YYYYMMDD or ISO), amount.
 */
export function simulatedPurchaseRows(
  n: number,
  seed: number,
  end = '2024-12-31',
  compactDates = false,
): string[] {
  const endDay = parseDay(end)!;
  const customers = simulateBgNbdCustomers(
    { bgNbd: { r: 0.5, alpha: 5, a: 0.7, b: 3 }, gammaGamma: { p: 5, q: 4, gamma: 20 } },
    n,
    seed,
    { minAge: 8, maxAge: 52 },
  );
  const rows: string[] = [];
  for (const customer of customers) {
    const firstDay = endDay - Math.floor(customer.age * 7);
    customer.purchaseTimes.forEach((time, index) => {
      const date = formatDay(firstDay + Math.floor(time * 7));
      const written = compactDates ? date.replaceAll('-', '') : date;
      rows.push(`c${customer.customerId},${written},${customer.amounts[index]!.toFixed(2)}`);
    });
  }
  return rows;
}
