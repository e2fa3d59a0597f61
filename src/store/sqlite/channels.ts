// The channel store on the embedded engine: its own connection to state.sqlite and its own
// migration track (channel_schema_migrations), so its tables never renumber the state store's.
import type { ChannelStore, NewTask, TaskQuery, TaskRow, TaskStatus } from '../channel-types.ts';
import {
  type AsyncWriter,
  asyncWriter,
  chunk,
  migrateSqlite,
  openSqlite,
  type SqliteDatabase,
} from './connection.ts';

const MIGRATIONS: string[] = [
  `CREATE TABLE tasks (
     id TEXT PRIMARY KEY,
     idempotency_key TEXT NOT NULL UNIQUE,
     profile_id TEXT NOT NULL,
     queue TEXT NOT NULL,
     title TEXT NOT NULL,
     note TEXT,
     status TEXT NOT NULL,
     journey_id TEXT,
     step_id TEXT,
     created_at TEXT NOT NULL,
     due_at TEXT,
     claimed_by TEXT,
     claimed_at TEXT,
     completed_by TEXT,
     completed_at TEXT,
     outcome TEXT
   );
   CREATE INDEX tasks_by_queue ON tasks (queue, status, created_at, id);
   CREATE INDEX tasks_by_profile ON tasks (profile_id);
   CREATE TABLE channel_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
];

function migrate(db: SqliteDatabase): void {
  migrateSqlite(db, MIGRATIONS, 'channel_schema_migrations');
}

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
  created_at: string;
  due_at: string | null;
  claimed_by: string | null;
  claimed_at: string | null;
  completed_by: string | null;
  completed_at: string | null;
  outcome: string | null;
}

export function toTask(row: TaskDbRow): TaskRow {
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
    createdAt: row.created_at,
    dueAt: row.due_at,
    claimedBy: row.claimed_by,
    claimedAt: row.claimed_at,
    completedBy: row.completed_by,
    completedAt: row.completed_at,
    outcome: row.outcome,
  };
}

export class SqliteChannelStore implements ChannelStore {
  readonly engine = 'sqlite' as const;
  private readonly db: SqliteDatabase;
  /** Tasks are written on the HTTP thread (the outbox, the task API): never sleep on a lock. */
  private readonly write: AsyncWriter;

  constructor(statePath: string) {
    this.db = openSqlite(statePath, { synchronous: 'NORMAL' });
    migrate(this.db);
    this.write = asyncWriter(this.db);
  }

  async close(): Promise<void> {
    await this.write.idle();
    this.db.close();
  }

  async createTask(task: NewTask): Promise<TaskRow> {
    return this.write(() => this.insertTask(task));
  }

  private insertTask(task: NewTask): TaskRow {
    this.db
      .prepare(
        `INSERT INTO tasks (id, idempotency_key, profile_id, queue, title, note, status, journey_id, step_id, created_at, due_at)
         VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`,
      )
      .run(
        task.id,
        task.idempotencyKey,
        task.profileId,
        task.queue,
        task.title,
        task.note,
        task.journeyId,
        task.stepId,
        task.createdAt,
        task.dueAt,
      );
    const row = this.db
      .prepare('SELECT * FROM tasks WHERE idempotency_key = ?')
      .get(task.idempotencyKey) as TaskDbRow;
    return toTask(row);
  }

  async getTask(id: string): Promise<TaskRow | undefined> {
    const row = this.db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as TaskDbRow | undefined;
    return row ? toTask(row) : undefined;
  }

  async listTasks(query: TaskQuery): Promise<TaskRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.queue !== undefined) {
      where.push('queue = ?');
      params.push(query.queue);
    }
    if (query.status !== undefined) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.afterId !== undefined) {
      where.push('(created_at, id) > (SELECT created_at, id FROM tasks WHERE id = ?)');
      params.push(query.afterId);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const sql = `SELECT * FROM tasks ${clause} ORDER BY created_at, id LIMIT ?`;
    return (this.db.prepare(sql).all(...params, query.limit) as TaskDbRow[]).map(toTask);
  }

  async claimTask(id: string, by: string, at: string): Promise<TaskRow | undefined> {
    const row = await this.write(
      () =>
        this.db
          .prepare(
            `UPDATE tasks SET status = 'claimed', claimed_by = ?, claimed_at = ? WHERE id = ? AND status = 'open' RETURNING *`,
          )
          .get(by, at, id) as TaskDbRow | undefined,
    );
    return row ? toTask(row) : undefined;
  }

  async completeTask(id: string, outcome: string, by: string, at: string): Promise<TaskRow | undefined> {
    const row = await this.write(
      () =>
        this.db
          .prepare(
            `UPDATE tasks SET status = 'completed', outcome = ?, completed_by = ?, completed_at = ?
         WHERE id = ? AND status IN ('open', 'claimed') RETURNING *`,
          )
          .get(outcome, by, at, id) as TaskDbRow | undefined,
    );
    return row ? toTask(row) : undefined;
  }

  async deleteTasksOf(profileIds: string[]): Promise<number> {
    return this.write(() => {
      let removed = 0;
      for (const part of chunk([...new Set(profileIds)])) {
        const marks = part.map(() => '?').join(',');
        removed += this.db.prepare(`DELETE FROM tasks WHERE profile_id IN (${marks})`).run(...part).changes;
      }
      return removed;
    });
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT value FROM channel_settings WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    await this.write(() =>
      this.db
        .prepare('INSERT INTO channel_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING')
        .run(key, value),
    );
    return (await this.getSetting(key)) as string;
  }

  async putSetting(key: string, value: string): Promise<void> {
    await this.write(() =>
      this.db
        .prepare(
          'INSERT INTO channel_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        )
        .run(key, value),
    );
  }
}
