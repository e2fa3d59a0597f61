// The channel store on PostgreSQL: tasks and channel settings in the shared schema, with their
// own migration ledger (channel_schema_migrations) so they never renumber the state store's.
import type pg from 'pg';
import type { ChannelStore, NewTask, TaskQuery, TaskRow, TaskStatus } from '../channel-types.ts';
import {
  connectPostgres,
  inTransaction,
  migratedOrClosed,
  type PostgresConnection,
  type PostgresOpenOptions,
} from './connection.ts';
import {
  ADVISORY_XACT_LOCK_SQL,
  advisoryLockParams,
  quoteIdent,
  storableText,
  toIso,
  toIsoOrNull,
} from './sql.ts';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE tasks (
     id text PRIMARY KEY,
     idempotency_key text NOT NULL UNIQUE,
     profile_id text NOT NULL,
     queue text NOT NULL,
     title text NOT NULL,
     note text,
     status text NOT NULL,
     journey_id text,
     step_id text,
     created_at timestamptz NOT NULL,
     due_at timestamptz,
     claimed_by text,
     claimed_at timestamptz,
     completed_by text,
     completed_at timestamptz,
     outcome text
   );
   CREATE INDEX tasks_by_queue ON tasks (queue, status, created_at, id);
   CREATE INDEX tasks_by_profile ON tasks (profile_id);
   CREATE TABLE channel_settings (key text PRIMARY KEY, value text NOT NULL);`,
];

interface TaskDbRow {
  id: string;
  idempotency_key: string;
  profile_id: string;
  queue: string;
  title: string;
  note: string | null;
  status: TaskStatus;
  journey_id: string | null;
  step_id: string | null;
  created_at: Date;
  due_at: Date | null;
  claimed_by: string | null;
  claimed_at: Date | null;
  completed_by: string | null;
  completed_at: Date | null;
  outcome: string | null;
}

function toTask(row: TaskDbRow): TaskRow {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    profileId: row.profile_id,
    queue: row.queue,
    title: row.title,
    note: row.note,
    status: row.status,
    journeyId: row.journey_id,
    stepId: row.step_id,
    createdAt: toIso(row.created_at),
    dueAt: toIsoOrNull(row.due_at),
    claimedBy: row.claimed_by,
    claimedAt: toIsoOrNull(row.claimed_at),
    completedBy: row.completed_by,
    completedAt: toIsoOrNull(row.completed_at),
    outcome: row.outcome,
  };
}

async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(ADVISORY_XACT_LOCK_SQL, advisoryLockParams(`${schema}:migrate`));
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS channel_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ v: number }>(
      'SELECT coalesce(max(version), 0)::int AS v FROM channel_schema_migrations',
    );
    const current = rows[0]?.v ?? 0;
    for (const [index, sql] of MIGRATIONS.entries()) {
      if (index + 1 <= current) continue;
      await client.query(sql);
      await client.query('INSERT INTO channel_schema_migrations (version) VALUES ($1)', [index + 1]);
    }
  });
}

export class PostgresChannelStore implements ChannelStore {
  readonly engine = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly tasks: string;
  private readonly settings: string;

  private constructor(private readonly connection: PostgresConnection) {
    this.pool = connection.pool;
    this.tasks = `${quoteIdent(connection.schema)}.tasks`;
    this.settings = `${quoteIdent(connection.schema)}.channel_settings`;
  }

  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresChannelStore> {
    return migratedOrClosed(new PostgresChannelStore(connectPostgres(url, options)), (store) =>
      migrate(store.pool, store.connection.schema),
    );
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  async createTask(task: NewTask): Promise<TaskRow> {
    await this.pool.query(
      `INSERT INTO ${this.tasks} (id, idempotency_key, profile_id, queue, title, note, status, journey_id, step_id, created_at, due_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10) ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        task.id,
        storableText(task.idempotencyKey),
        task.profileId,
        storableText(task.queue),
        storableText(task.title),
        task.note === null ? null : storableText(task.note),
        task.journeyId,
        task.stepId,
        task.createdAt,
        task.dueAt,
      ],
    );
    const { rows } = await this.pool.query<TaskDbRow>(
      `SELECT * FROM ${this.tasks} WHERE idempotency_key = $1`,
      [storableText(task.idempotencyKey)],
    );
    return toTask(rows[0] as TaskDbRow);
  }

  async getTask(id: string): Promise<TaskRow | undefined> {
    const { rows } = await this.pool.query<TaskDbRow>(`SELECT * FROM ${this.tasks} WHERE id = $1`, [
      storableText(id),
    ]);
    return rows[0] ? toTask(rows[0]) : undefined;
  }

  async listTasks(query: TaskQuery): Promise<TaskRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.queue !== undefined) where.push(`queue = ${param(storableText(query.queue))}`);
    if (query.status !== undefined) where.push(`status = ${param(query.status)}`);
    if (query.afterId !== undefined) {
      where.push(
        `(created_at, id) > (SELECT created_at, id FROM ${this.tasks} WHERE id = ${param(storableText(query.afterId))})`,
      );
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const sql = `SELECT * FROM ${this.tasks} ${clause} ORDER BY created_at, id LIMIT ${param(query.limit)}`;
    const { rows } = await this.pool.query<TaskDbRow>(sql, params);
    return rows.map(toTask);
  }

  async claimTask(id: string, by: string, at: string): Promise<TaskRow | undefined> {
    const { rows } = await this.pool.query<TaskDbRow>(
      `UPDATE ${this.tasks} SET status = 'claimed', claimed_by = $1, claimed_at = $2
       WHERE id = $3 AND status = 'open' RETURNING *`,
      [storableText(by), at, storableText(id)],
    );
    return rows[0] ? toTask(rows[0]) : undefined;
  }

  async completeTask(id: string, outcome: string, by: string, at: string): Promise<TaskRow | undefined> {
    const { rows } = await this.pool.query<TaskDbRow>(
      `UPDATE ${this.tasks} SET status = 'completed', outcome = $1, completed_by = $2, completed_at = $3
       WHERE id = $4 AND status IN ('open', 'claimed') RETURNING *`,
      [storableText(outcome), storableText(by), at, storableText(id)],
    );
    return rows[0] ? toTask(rows[0]) : undefined;
  }

  async deleteTasksOf(profileIds: string[]): Promise<number> {
    const result = await this.pool.query(`DELETE FROM ${this.tasks} WHERE profile_id = ANY($1::text[])`, [
      [...new Set(profileIds)],
    ]);
    return result.rowCount ?? 0;
  }

  async getSetting(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>(
      `SELECT value FROM ${this.settings} WHERE key = $1`,
      [key],
    );
    return rows[0]?.value;
  }

  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    await this.pool.query(
      `INSERT INTO ${this.settings} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
      [key, value],
    );
    return (await this.getSetting(key)) as string;
  }

  async putSetting(key: string, value: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.settings} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, value],
    );
  }
}
