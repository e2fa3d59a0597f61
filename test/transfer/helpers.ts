// The rapport CLI as a child process, and small file builders for import tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = startCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** `count` track messages without messageIds (the import gives them deterministic ones). */
export function orderLines(count: number, prefix = 'o'): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      type: 'track',
      userId: `customer-${i % 50}`,
      event: 'Order Completed',
      properties: { order_id: `${prefix}-${i}`, revenue: i % 100 },
      timestamp: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    }),
  );
}

export function writeLines(path: string, lines: string[]): void {
  writeFileSync(path, `${lines.join('\n')}\n`);
}
