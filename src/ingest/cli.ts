// `rapport log status | compact` (the admin API of a running server: GET /api/log, POST
// /api/log/compact) and `rapport log vacuum` (local: converts a log.sqlite created before
// compaction existed, with the server stopped). docs/architecture.md, "Retention and compaction".
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  AdminClient,
  type AdminOptions,
  type Body,
  CliFailure,
  cliAction,
  printBody,
  withAdminServer,
} from '../api/admin-client.ts';
import { loadConfig } from '../config/index.ts';
import { SqliteIngestLog, sqlitePathsIn } from '../store/index.ts';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** 604800000 → "7d"; the largest whole unit, as RAPPORT_LOG_RETENTION is written. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return 'forever';
  if (ms === 0) return '0';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function formatRun(run: Body): string {
  const through = run.removedThrough === null ? '' : ` (through seq ${run.removedThrough})`;
  const held = run.heldBackBy.length > 0 ? `, held back by ${run.heldBackBy.join(', ')}` : '';
  return [
    `removed ${run.removed} entries in ${run.chunks} chunks${through}, gave back ${formatBytes(run.reclaimedBytes)}`,
    `  readers had all passed seq ${run.readersAt}${held}`,
    `  retention cutoff: ${run.cutoff ?? 'none (retention is forever)'}`,
    `  ran ${run.startedAt} → ${run.finishedAt}`,
  ].join('\n');
}

export function formatStatus(body: Body): string {
  const range =
    body.oldestSeq === null
      ? 'empty'
      : `seq ${body.oldestSeq} → ${body.headSeq}, oldest received ${body.oldestReceivedAt}`;
  const free =
    body.freeBytes === null ? '' : `, ${formatBytes(body.freeBytes)} free, auto_vacuum ${body.autoVacuum}`;
  const lines = [
    `ingest log: ${body.entries} entries (${range})`,
    `  on disk: ${formatBytes(body.sizeBytes)}${free}`,
    `  retention: ${formatDuration(body.retentionMs)} (also the messageId dedupe window); compaction every ${formatDuration(body.compactionIntervalMs)}`,
    `  compacted through seq ${body.compactedThrough}: ${body.removedTotal} removed${body.lastCompactedAt ? `, last at ${body.lastCompactedAt}` : ''}`,
    'readers',
    ...(body.readers as Body[]).map((r) => `  ${String(r.name).padEnd(12)} ${r.offset}`),
    `compaction may remove up to seq ${body.readersAt}${body.heldBackBy.length > 0 ? ` (held back by ${body.heldBackBy.join(', ')})` : ''}`,
  ];
  if (body.autoVacuum === 'none') {
    lines.push(
      'this log.sqlite predates compaction: freed space is reused but the file does not shrink;',
      'stop the server and run `rapport log vacuum` once to convert it',
    );
  }
  if (body.lastRun) lines.push('last compaction in this process', ...formatRun(body.lastRun).split('\n'));
  return lines.join('\n');
}

export function registerLogCommands(program: Command): void {
  const log = program
    .command('log')
    .description('the ingest log: status, compaction now, and a one-time vacuum of older log files');

  withAdminServer(log.command('status'))
    .description('size, oldest entry kept, each reader’s offset, retention and the last compaction')
    .action(
      cliAction<AdminOptions>('log', async (options) => {
        printBody(options, await new AdminClient(options).call('GET', '/api/log'), formatStatus);
      }),
    );

  withAdminServer(log.command('compact'))
    .description('remove now what every reader has passed and the retention allows')
    .action(
      cliAction<AdminOptions>('log', async (options) => {
        printBody(options, await new AdminClient(options).call('POST', '/api/log/compact'), formatRun);
      }),
    );

  log
    .command('vacuum')
    .description(
      'embedded storage, server stopped: rewrite log.sqlite so compaction gives space back to the disk',
    )
    .option('--data-dir <dir>', 'embedded storage folder (RAPPORT_DATA_DIR, default ./data)')
    .action(
      cliAction<AdminOptions & { dataDir?: string }>('log', async (options) => {
        const config = loadConfig({ dataDir: options.dataDir });
        if (config.databaseUrl) {
          throw new CliFailure('PostgreSQL needs no vacuum from Rapport: autovacuum reuses the space');
        }
        const { logPath } = sqlitePathsIn(config.dataDir);
        if (!existsSync(logPath)) throw new CliFailure(`no log.sqlite in ${config.dataDir}`);
        const file = new SqliteIngestLog(logPath);
        try {
          const before = await file.stats();
          const saved = file.vacuum();
          const after = await file.stats();
          process.stdout.write(
            `log.sqlite: ${formatBytes(before.sizeBytes)} → ${formatBytes(after.sizeBytes)} (saved ${formatBytes(saved)}), ` +
              `auto_vacuum ${before.autoVacuum} → ${after.autoVacuum}\n`,
          );
        } finally {
          file.close();
        }
      }),
    );
}
