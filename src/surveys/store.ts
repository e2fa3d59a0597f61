// Survey definitions and answers, on SQLite (its own file, surveys.sqlite) or PostgreSQL (tables
// in the shared schema, their own migration component), like the loyalty ledger. An answer is
// keyed by (profile, response key): the survey's id when one answer per person counts, so a
// second answer inserts nothing. The SQL is written once with `?` placeholders; the two small
// adapters differ only in driver calls.
import { join } from 'node:path';
import type pg from 'pg';
import type { StorageLocation } from '../store/index.ts';
import { migrateSqlite, openSqlite, type SqliteDatabase } from '../store/sqlite/connection.ts';
import type { Answers, Survey } from './definition.ts';

export interface StoredResponse {
  profileId: string;
  surveyId: string;
  responseKey: string;
  answers: Answers;
  channel: string | null;
  sendKey: string | null;
  answeredAt: string;
  /** The version of the survey the answer was given to (null: answered before versions were kept). */
  surveyVersion?: number | null;
}

interface Db {
  all(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  run(sql: string, params?: unknown[]): Promise<number>;
  truncateLog(): Promise<void>;
  close(): Promise<void>;
}

const TABLES = (text: string) => `CREATE TABLE survey_definitions (
     id ${text} PRIMARY KEY,
     body ${text} NOT NULL,
     created_at ${text} NOT NULL,
     updated_at ${text} NOT NULL
   );
   CREATE TABLE survey_responses (
     profile_id ${text} NOT NULL,
     response_key ${text} NOT NULL,
     survey_id ${text} NOT NULL,
     answers ${text} NOT NULL,
     channel ${text},
     send_key ${text},
     answered_at ${text} NOT NULL,
     PRIMARY KEY (profile_id, response_key)
   );
   CREATE INDEX survey_responses_by_survey ON survey_responses (survey_id, answered_at);`;
/** Each answer keeps the version of the survey it answered. */
const VERSIONS = 'ALTER TABLE survey_responses ADD COLUMN survey_version integer';

class SqliteDb implements Db {
  constructor(private readonly db: SqliteDatabase) {
    migrateSqlite(db, [TABLES('TEXT'), VERSIONS], 'survey_schema_migrations');
  }

  async all(sql: string, params: unknown[] = []) {
    return this.db.prepare(sql).all(...params) as Record<string, unknown>[];
  }

  async run(sql: string, params: unknown[] = []) {
    return this.db.prepare(sql).run(...params).changes;
  }

  async truncateLog() {
    // secure_delete zeroes freed pages in the file; the WAL keeps the old pages until a checkpoint.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async close() {
    this.db.close();
  }
}

class PostgresDb implements Db {
  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly end: () => Promise<void>,
  ) {}

  private sql(text: string): string {
    let n = 0;
    const quoted = `"${this.schema.replaceAll('"', '""')}"`;
    return text
      .replace(/\bsurvey_(definitions|responses)\b/g, `${quoted}.survey_$1`)
      .replace(/\?/g, () => `$${++n}`);
  }

  async all(sql: string, params: unknown[] = []) {
    return (await this.pool.query(this.sql(sql), params)).rows;
  }

  async run(sql: string, params: unknown[] = []) {
    return (await this.pool.query(this.sql(sql), params)).rowCount ?? 0;
  }

  async truncateLog() {
    // PostgreSQL: dead rows go with VACUUM (docs/privacy.md).
  }

  close() {
    return this.end();
  }
}

const RESPONSE_COLUMNS =
  'profile_id, survey_id, response_key, answers, channel, send_key, answered_at, survey_version';

function toResponse(row: Record<string, unknown>): StoredResponse {
  return {
    profileId: String(row.profile_id),
    surveyId: String(row.survey_id),
    responseKey: String(row.response_key),
    answers: JSON.parse(String(row.answers)) as Answers,
    channel: (row.channel as string | null) ?? null,
    sendKey: (row.send_key as string | null) ?? null,
    answeredAt: String(row.answered_at),
    surveyVersion:
      row.survey_version === null || row.survey_version === undefined ? null : Number(row.survey_version),
  };
}

export class SurveyStore {
  private constructor(private readonly db: Db) {}

  static async open(location: StorageLocation, options: { schema?: string } = {}): Promise<SurveyStore> {
    if (location.databaseUrl) {
      const { connectPostgres, migratePostgres } = await import('../store/postgres/connection.ts');
      const connection = connectPostgres(
        location.databaseUrl,
        options.schema ? { schema: options.schema } : {},
      );
      await migratePostgres(connection.pool, connection.schema, {
        component: 'surveys',
        migrations: [TABLES('text'), VERSIONS],
      });
      return new SurveyStore(new PostgresDb(connection.pool, connection.schema, connection.close));
    }
    return new SurveyStore(
      new SqliteDb(openSqlite(join(location.dataDir, 'surveys.sqlite'), { synchronous: 'FULL' })),
    );
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async save(survey: Survey): Promise<void> {
    await this.db.run(
      `INSERT INTO survey_definitions (id, body, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
      [survey.id, JSON.stringify(survey), survey.createdAt, survey.updatedAt],
    );
  }

  async get(id: string): Promise<Survey | undefined> {
    const [row] = await this.db.all('SELECT body, created_at FROM survey_definitions WHERE id = ?', [id]);
    return row
      ? { ...(JSON.parse(String(row.body)) as Survey), createdAt: String(row.created_at) }
      : undefined;
  }

  async list(): Promise<(Survey & { responses: number })[]> {
    // Two queries, not a subquery in the select list: Citus cannot plan that one.
    const rows = await this.db.all('SELECT body, created_at FROM survey_definitions ORDER BY created_at, id');
    const counts = await this.db.all(
      'SELECT survey_id, count(*) AS n FROM survey_responses GROUP BY survey_id',
    );
    const countOf = new Map(counts.map((row) => [String(row.survey_id), Number(row.n)]));
    return rows.map((row) => {
      const survey = { ...(JSON.parse(String(row.body)) as Survey), createdAt: String(row.created_at) };
      return { ...survey, responses: countOf.get(survey.id) ?? 0 };
    });
  }

  /** Stores the answer unless the person's response key is taken; answers the row now stored. */
  async insert(response: StoredResponse): Promise<{ inserted: boolean; stored: StoredResponse }> {
    const inserted =
      (await this.db.run(
        `INSERT INTO survey_responses (${RESPONSE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (profile_id, response_key) DO NOTHING`,
        [
          response.profileId,
          response.surveyId,
          response.responseKey,
          JSON.stringify(response.answers),
          response.channel,
          response.sendKey,
          response.answeredAt,
          response.surveyVersion ?? null,
        ],
      )) > 0;
    if (inserted) return { inserted, stored: response };
    const [row] = await this.db.all(
      `SELECT ${RESPONSE_COLUMNS} FROM survey_responses WHERE profile_id = ? AND response_key = ?`,
      [response.profileId, response.responseKey],
    );
    return { inserted, stored: row ? toResponse(row) : response };
  }

  /** Has this person answered the survey (its one-per-person answer)? */
  async hasAnswered(profileId: string, surveyId: string): Promise<boolean> {
    const rows = await this.db.all(
      'SELECT 1 AS found FROM survey_responses WHERE profile_id = ? AND survey_id = ? LIMIT 1',
      [profileId, surveyId],
    );
    return rows.length > 0;
  }

  async responsesTo(surveyId: string): Promise<StoredResponse[]> {
    const rows = await this.db.all(
      `SELECT ${RESPONSE_COLUMNS} FROM survey_responses WHERE survey_id = ? ORDER BY answered_at, profile_id`,
      [surveyId],
    );
    return rows.map(toResponse);
  }

  /** Erasure: every answer of these profiles; returns how many rows went. */
  async eraseProfiles(profileIds: string[]): Promise<number> {
    let removed = 0;
    for (const id of profileIds)
      removed += await this.db.run('DELETE FROM survey_responses WHERE profile_id = ?', [id]);
    await this.db.truncateLog();
    return removed;
  }

  /** The profile export's section: every answer these profiles gave. */
  /** The answers these profiles gave, each profile's oldest first (the export, a person's 360). */
  async responsesOf(profileIds: string[]): Promise<StoredResponse[]> {
    const responses: StoredResponse[] = [];
    for (const id of profileIds) {
      const rows = await this.db.all(
        `SELECT ${RESPONSE_COLUMNS} FROM survey_responses WHERE profile_id = ? ORDER BY answered_at`,
        [id],
      );
      responses.push(...rows.map(toResponse));
    }
    return responses;
  }

  async exportOf(profileIds: string[]): Promise<Record<string, unknown>> {
    return { surveys: { responses: await this.responsesOf(profileIds) } };
  }
}
