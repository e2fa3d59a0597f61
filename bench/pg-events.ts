// `npm run bench -- pg-events [--events N]`: the PostgreSQL event store's insert alone, against
// a throwaway PostgreSQL 15. The warehouse's events (the ingest bench's messages, 1,000 per
// statement as the store writes them) go in as the store sends them (one JSON document read by
// jsonb_to_recordset, each message the log's own text); the baseline in the same process is
// the shape it replaced: one array per column through `unnest`, each message and its
// properties serialised again. CPU is counted in this process and in PostgreSQL's processes.
import { loadavg } from 'node:os';
import pg from 'pg';
import { EVENT_INSERT_ROWS, eventRecordset, insertEventsSql } from '../src/store/postgres/events.ts';
import { PostgresEventStore } from '../src/store/postgres/index.ts';
import { storableJson, storableText } from '../src/store/postgres/sql.ts';
import type { StoredEvent } from '../src/store/types.ts';
import { startThrowawayPostgres } from '../test/support/postgres.ts';
import { messages } from './pipeline.ts';
import { machine, postgresCpuMs } from './support/process-stats.ts';

const UNNEST_SQL = (table: string) => `INSERT INTO ${table}
  (seq, message_id, profile_id, type, name, user_id, anonymous_id, timestamp, received_at, properties, message)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::timestamptz[], $9::timestamptz[], $10::jsonb[], $11::jsonb[])`;

function columnArrays(events: readonly StoredEvent[]): unknown[] {
  return [
    events.map((e) => e.seq),
    events.map((e) => storableText(e.messageId)),
    events.map((e) => storableText(e.profileId)),
    events.map((e) => storableText(e.type)),
    events.map((e) => storableText(e.name)),
    events.map((e) => storableText(e.userId)),
    events.map((e) => storableText(e.anonymousId)),
    events.map((e) => e.timestamp),
    events.map((e) => e.receivedAt),
    events.map((e) => storableJson(e.properties)),
    events.map((e) => storableJson(e.message)),
  ];
}

/** The events the warehouse step makes of the bench messages (properties: the message's own). */
function storedEvents(count: number): StoredEvent[] {
  return messages(count).map((record, i) => {
    const message = JSON.parse(record.json);
    return {
      seq: i + 1,
      messageId: message.messageId,
      profileId: `profile-${i % 5000}`,
      type: message.type,
      name: message.event ?? message.name ?? null,
      userId: message.userId ?? null,
      anonymousId: message.anonymousId ?? null,
      timestamp: message.timestamp,
      receivedAt: message.receivedAt,
      properties: message.properties ?? {},
      message,
      messageJson: record.json,
    };
  });
}

export async function run(args: string[]): Promise<void> {
  const at = args.indexOf('--events');
  const count = at === -1 ? 20_000 : Number(args[at + 1]);
  const host = machine();
  console.log(
    `machine: ${host.cpus} × ${host.model}, node ${host.node}; load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}; ${count} events, ${EVENT_INSERT_ROWS} a statement`,
  );
  const events = storedEvents(count);
  const cluster = await startThrowawayPostgres();
  const pgCpu = () => postgresCpuMs(cluster.ctlArgs[1] as string);
  const pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
  try {
    const store = await PostgresEventStore.open(cluster.url, { schema: 'rapport', pool });
    const table = 'rapport.events';
    const shapes: Array<[string, (part: StoredEvent[]) => unknown[], string]> = [
      ['baseline: an array per column (unnest)', columnArrays, UNNEST_SQL(table)],
      [
        'Rapport: one JSON document (jsonb_to_recordset)',
        (part) => [eventRecordset(part)],
        insertEventsSql(table),
      ],
    ];
    const cpu: number[][] = [[], []];
    for (let round = 0; round < 3; round++) {
      for (const [index, [label, params, sql]] of shapes.entries()) {
        await pool.query(`TRUNCATE ${table}`);
        const pgBefore = pgCpu();
        const before = process.cpuUsage();
        for (let n = 0; n < count; n += EVENT_INSERT_ROWS) {
          await pool.query(sql, params(events.slice(n, n + EVENT_INSERT_ROWS)));
        }
        const used = process.cpuUsage(before);
        const here = (used.user + used.system) / count;
        const there = ((pgCpu() - pgBefore) * 1000) / count;
        cpu[index]?.push(here + there);
        console.log(
          `${label.padEnd(50)} ${here.toFixed(1).padStart(6)} µs CPU/event here  ${there.toFixed(1).padStart(6)} µs PostgreSQL`,
        );
      }
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    console.log(
      `ratio Rapport / baseline, CPU here + PostgreSQL, medians: ${(median(cpu[1] ?? []) / median(cpu[0] ?? [])).toFixed(2)}`,
    );
    await store.close();
  } finally {
    await pool.end();
    cluster.stop();
  }
}
