// The channel store's SQL (tasks for staff, channel settings, the email sandbox's captures), written once for both engines.
// The engine folders keep the connection and migrations (sqlite/channels.ts,
// postgres/channels.ts). One contract suite (test/store/channels.test.ts).
import type {
  CapturedEmail,
  CapturedEmailQuery,
  ChannelStore,
  NewTask,
  TaskQuery,
  TaskRow,
  TaskStatus,
} from '../channel-types.ts';
import type { StoreEngine } from './engine.ts';
import { join, oneOf, raw, type Sql, sql } from './query.ts';

/** Bound parameters per IN list (SQLite caps them; PostgreSQL binds one array, any size). */
const LIST_CHUNK = 500;

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
  created_at: unknown;
  due_at: unknown;
  claimed_by: string | null;
  claimed_at: unknown;
  completed_by: string | null;
  completed_at: unknown;
  outcome: string | null;
}

interface CapturedEmailDbRow {
  id: string;
  profile_id: string;
  to_address: string;
  from_address: string;
  subject: string;
  text_part: string | null;
  html_part: string | null;
  journey_id: string | null;
  step_id: string | null;
  template_id: string | null;
  captured_at: unknown;
}

export class SqlChannelStore implements ChannelStore {
  readonly engine: 'sqlite' | 'postgres';
  private readonly tasks: ReturnType<typeof raw>;
  private readonly settings: ReturnType<typeof raw>;
  private readonly sandbox: ReturnType<typeof raw>;

  constructor(private readonly db: StoreEngine) {
    this.engine = db.engine;
    this.tasks = raw(db.dialect.table('tasks'));
    this.settings = raw(db.dialect.table('channel_settings'));
    this.sandbox = raw(db.dialect.table('sandbox_emails'));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  createTask(task: NewTask): Promise<TaskRow> {
    return this.db.writes(async (x) => {
      await x.run(
        sql`INSERT INTO ${this.tasks} (id, idempotency_key, profile_id, queue, title, note, status, journey_id, step_id, created_at, due_at)
         VALUES (${task.id}, ${task.idempotencyKey}, ${task.profileId}, ${task.queue}, ${task.title}, ${task.note}, 'open',
           ${task.journeyId}, ${task.stepId}, ${task.createdAt}, ${task.dueAt})
         ON CONFLICT (idempotency_key) DO NOTHING`,
      );
      const row = await x.get<TaskDbRow>(
        sql`SELECT * FROM ${this.tasks} WHERE idempotency_key = ${task.idempotencyKey}`,
      );
      return this.toTask(row as TaskDbRow);
    });
  }

  async getTask(id: string): Promise<TaskRow | undefined> {
    const row = await this.db.reads.get<TaskDbRow>(sql`SELECT * FROM ${this.tasks} WHERE id = ${id}`);
    return row && this.toTask(row);
  }

  async listTasks(query: TaskQuery): Promise<TaskRow[]> {
    const where: Sql[] = [];
    if (query.queue !== undefined) where.push(sql`queue = ${query.queue}`);
    if (query.status !== undefined) where.push(sql`status = ${query.status}`);
    if (query.profileId !== undefined) where.push(sql`profile_id = ${query.profileId}`);
    if (query.afterId !== undefined)
      where.push(
        sql`(created_at, id) > (SELECT created_at, id FROM ${this.tasks} WHERE id = ${query.afterId})`,
      );
    const clause = where.length > 0 ? sql`WHERE ${join(where, ' AND ')}` : sql``;
    const rows = await this.db.reads.all<TaskDbRow>(
      sql`SELECT * FROM ${this.tasks} ${clause} ORDER BY created_at, id LIMIT ${query.limit}`,
    );
    return rows.map((row) => this.toTask(row));
  }

  async claimTask(id: string, by: string, at: string): Promise<TaskRow | undefined> {
    const row = await this.db.writes((x) =>
      x.get<TaskDbRow>(
        sql`UPDATE ${this.tasks} SET status = 'claimed', claimed_by = ${by}, claimed_at = ${at}
         WHERE id = ${id} AND status = 'open' RETURNING *`,
      ),
    );
    return row && this.toTask(row);
  }

  async completeTask(id: string, outcome: string, by: string, at: string): Promise<TaskRow | undefined> {
    const row = await this.db.writes((x) =>
      x.get<TaskDbRow>(
        sql`UPDATE ${this.tasks} SET status = 'completed', outcome = ${outcome}, completed_by = ${by}, completed_at = ${at}
         WHERE id = ${id} AND status IN ('open', 'claimed') RETURNING *`,
      ),
    );
    return row && this.toTask(row);
  }

  deleteTasksOf(profileIds: string[]): Promise<number> {
    const ids = [...new Set(profileIds)];
    return this.db.writes(async (x) => {
      let removed = 0;
      for (let i = 0; i < ids.length; i += LIST_CHUNK)
        removed += await x.run(
          sql`DELETE FROM ${this.tasks} WHERE ${oneOf('profile_id', ids.slice(i, i + LIST_CHUNK))}`,
        );
      return removed;
    });
  }

  async captureEmail(email: CapturedEmail): Promise<void> {
    await this.db.writes((x) =>
      x.run(
        sql`INSERT INTO ${this.sandbox} (id, profile_id, to_address, from_address, subject, text_part, html_part,
           journey_id, step_id, template_id, captured_at)
         VALUES (${email.id}, ${email.profileId}, ${email.to}, ${email.from}, ${email.subject}, ${email.text},
           ${email.html}, ${email.journeyId}, ${email.stepId}, ${email.templateId}, ${email.capturedAt})
         ON CONFLICT (id) DO NOTHING`,
      ),
    );
  }

  async listCapturedEmails(query: CapturedEmailQuery): Promise<CapturedEmail[]> {
    const where: Sql[] = [];
    if (query.profileId !== undefined) where.push(sql`profile_id = ${query.profileId}`);
    if (query.journeyId !== undefined) where.push(sql`journey_id = ${query.journeyId}`);
    if (query.beforeId !== undefined)
      where.push(
        sql`(captured_at, id) < (SELECT captured_at, id FROM ${this.sandbox} WHERE id = ${query.beforeId})`,
      );
    const clause = where.length > 0 ? sql`WHERE ${join(where, ' AND ')}` : sql``;
    const rows = await this.db.reads.all<CapturedEmailDbRow>(
      sql`SELECT * FROM ${this.sandbox} ${clause} ORDER BY captured_at DESC, id DESC LIMIT ${query.limit}`,
    );
    return rows.map((row) => this.toCapturedEmail(row));
  }

  async getCapturedEmail(id: string): Promise<CapturedEmail | undefined> {
    const row = await this.db.reads.get<CapturedEmailDbRow>(
      sql`SELECT * FROM ${this.sandbox} WHERE id = ${id}`,
    );
    return row && this.toCapturedEmail(row);
  }

  deleteCapturedEmailsOf(profileIds: string[]): Promise<number> {
    const ids = [...new Set(profileIds)];
    return this.db.writes(async (x) => {
      let removed = 0;
      for (let i = 0; i < ids.length; i += LIST_CHUNK)
        removed += await x.run(
          sql`DELETE FROM ${this.sandbox} WHERE ${oneOf('profile_id', ids.slice(i, i + LIST_CHUNK))}`,
        );
      return removed;
    });
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = await this.db.reads.get<{ value: string }>(
      sql`SELECT value FROM ${this.settings} WHERE key = ${key}`,
    );
    return row?.value;
  }

  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    await this.db.writes((x) =>
      x.run(
        sql`INSERT INTO ${this.settings} (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO NOTHING`,
      ),
    );
    return (await this.getSetting(key)) as string;
  }

  async putSetting(key: string, value: string): Promise<void> {
    await this.db.writes((x) =>
      x.run(
        sql`INSERT INTO ${this.settings} (key, value) VALUES (${key}, ${value})
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ),
    );
  }

  private toCapturedEmail(row: CapturedEmailDbRow): CapturedEmail {
    return {
      id: row.id,
      profileId: row.profile_id,
      to: row.to_address,
      from: row.from_address,
      subject: row.subject,
      text: row.text_part,
      html: row.html_part,
      journeyId: row.journey_id,
      stepId: row.step_id,
      templateId: row.template_id,
      capturedAt: this.db.dialect.readInstant(row.captured_at) as string,
    };
  }

  private toTask(row: TaskDbRow): TaskRow {
    const instant = (value: unknown) => this.db.dialect.readInstant(value);
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
      createdAt: instant(row.created_at) as string,
      dueAt: instant(row.due_at),
      claimedBy: row.claimed_by,
      claimedAt: instant(row.claimed_at),
      completedBy: row.completed_by,
      completedAt: instant(row.completed_at),
      outcome: row.outcome,
    };
  }
}
