// The state store's SQL that both engines run alike, written once: processor offsets read
// back, credentials, suppressions, erasure jobs and stored reports. SqliteStateStore and
// PostgresStateStore extend this class and keep in their folders what differs on purpose: the
// ingest log, the profiles processor's writes (synchronous in SQLite's one transaction, unnest
// batches on PostgreSQL), computed properties and consent history (bulk writes, unnest on
// PostgreSQL), the numeric statistics (index-shaped on SQLite, Citus-shaped on PostgreSQL),
// profile search and listing, and erasure's deletes (secure_delete and the WAL on SQLite,
// VACUUM on PostgreSQL).
import type {
  Credential,
  CredentialKind,
  ErasureJob,
  NumericPropertyPair,
  StoredReport,
  Suppression,
} from '../types.ts';
import type { SqlExecutor } from './executor.ts';
import { byDialect, join, json, raw, type Sql, sql } from './query.ts';

/** Rows per multi-row INSERT: at most five parameters each, well under SQLite's limit. */
const ROWS_PER_STATEMENT = 200;

/**
 * Runs statements in one transaction: on SQLite synchronously on the store's connection (it
 * may be inside a processor's open transaction, where it becomes a savepoint), on PostgreSQL
 * on one client of the pool.
 */
export type RunAtomically = (statements: Sql[]) => Promise<void>;

interface CredentialDbRow {
  id: string;
  kind: CredentialKind;
  name: string;
  created_at: unknown;
  revoked_at: unknown;
}

interface SuppressionDbRow {
  kind: string;
  value_hash: string;
  erased_at: unknown;
  job_id: string;
}

interface ErasureJobDbRow {
  id: string;
  status: ErasureJob['status'];
  steps: unknown;
  requested_at: unknown;
  updated_at: unknown;
  completed_at: unknown;
  suppressed_count: number | string;
  error: string | null;
  work: unknown;
}

const CREDENTIAL_COLUMNS = raw('id, kind, name, created_at, revoked_at');
const SUPPRESSION_COLUMNS = raw('kind, value_hash, erased_at, job_id');
const JOB_COLUMNS = raw(
  'id, status, steps, requested_at, updated_at, completed_at, suppressed_count, error, work',
);

export abstract class SqlStateRecords {
  private readonly t: Record<
    'offsets' | 'credentials' | 'suppressions' | 'erasureJobs' | 'reports' | 'reportPoints',
    Sql
  >;

  /** `x` runs single statements outside any transaction; `atomically`, several in one. */
  constructor(
    private readonly x: SqlExecutor,
    private readonly atomically: RunAtomically,
  ) {
    const table = (name: string) => sql`${raw(x.dialect.table(name))}`;
    this.t = {
      offsets: table('processor_offsets'),
      credentials: table('credentials'),
      suppressions: table('suppressions'),
      erasureJobs: table('erasure_jobs'),
      reports: table('reports'),
      reportPoints: table('report_points'),
    };
  }

  async getOffset(processor: string): Promise<number> {
    const row = await this.x.get<{ seq: number | string }>(
      sql`SELECT seq FROM ${this.t.offsets} WHERE processor = ${processor}`,
    );
    return row ? Number(row.seq) : 0;
  }

  async listProcessorOffsets(): Promise<Record<string, number>> {
    const rows = await this.x.all<{ processor: string; seq: number | string }>(
      sql`SELECT processor, seq FROM ${this.t.offsets}`,
    );
    return Object.fromEntries(rows.map((row) => [row.processor, Number(row.seq)]));
  }

  async addCredential(credential: Credential, secretHash: string): Promise<void> {
    await this.x.run(
      sql`INSERT INTO ${this.t.credentials} (id, kind, name, secret_hash, created_at, revoked_at)
        VALUES (${credential.id}, ${credential.kind}, ${credential.name}, ${secretHash}, ${credential.createdAt},
          ${credential.revokedAt})`,
    );
  }

  async findCredentialByHash(secretHash: string): Promise<Credential | undefined> {
    const row = await this.x.get<CredentialDbRow>(
      sql`SELECT ${CREDENTIAL_COLUMNS} FROM ${this.t.credentials} WHERE secret_hash = ${secretHash}`,
    );
    return row && this.toCredential(row);
  }

  async listCredentials(kind?: CredentialKind): Promise<Credential[]> {
    const ofKind = kind ? sql`WHERE kind = ${kind}` : sql``;
    const rows = await this.x.all<CredentialDbRow>(
      sql`SELECT ${CREDENTIAL_COLUMNS} FROM ${this.t.credentials} ${ofKind} ORDER BY created_at`,
    );
    return rows.map((row) => this.toCredential(row));
  }

  async revokeCredential(id: string, at: string): Promise<boolean> {
    const changed = await this.x.run(
      sql`UPDATE ${this.t.credentials} SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL`,
    );
    return changed > 0;
  }

  async addSuppressions(rows: Suppression[]): Promise<void> {
    if (rows.length === 0) return;
    await this.atomically(
      inserts(rows, (part) => {
        const values = part.map((r) => sql`(${r.kind}, ${r.valueHash}, ${r.erasedAt}, ${r.jobId})`);
        return sql`INSERT INTO ${this.t.suppressions} (kind, value_hash, erased_at, job_id)
          VALUES ${join(values, ', ')} ON CONFLICT (kind, value_hash) DO NOTHING`;
      }),
    );
  }

  async listSuppressions(): Promise<Suppression[]> {
    const order = byDialect((d) => `${d.byCodePoint('kind')}, ${d.byCodePoint('value_hash')}`);
    const rows = await this.x.all<SuppressionDbRow>(
      sql`SELECT ${SUPPRESSION_COLUMNS} FROM ${this.t.suppressions} ORDER BY ${order}`,
    );
    return rows.map((row) => this.toSuppression(row));
  }

  async findSuppression(kind: string, valueHash: string): Promise<Suppression | undefined> {
    const row = await this.x.get<SuppressionDbRow>(
      sql`SELECT ${SUPPRESSION_COLUMNS} FROM ${this.t.suppressions} WHERE kind = ${kind} AND value_hash = ${valueHash}`,
    );
    return row && this.toSuppression(row);
  }

  async addSuppressedCount(jobId: string, count: number): Promise<void> {
    await this.x.run(
      sql`UPDATE ${this.t.erasureJobs} SET suppressed_count = suppressed_count + ${count} WHERE id = ${jobId}`,
    );
  }

  async saveErasureJob(job: ErasureJob): Promise<void> {
    const work = job.work === null ? null : json(job.work);
    await this.x.run(
      sql`INSERT INTO ${this.t.erasureJobs} (id, status, steps, requested_at, updated_at, completed_at, error, work)
        VALUES (${job.id}, ${job.status}, ${json(job.steps)}, ${job.requestedAt}, ${job.updatedAt}, ${job.completedAt},
          ${job.error}, ${work})
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, steps = excluded.steps,
          updated_at = excluded.updated_at, completed_at = excluded.completed_at, error = excluded.error,
          work = excluded.work`,
    );
  }

  async getErasureJob(id: string): Promise<ErasureJob | undefined> {
    const row = await this.x.get<ErasureJobDbRow>(
      sql`SELECT ${JOB_COLUMNS} FROM ${this.t.erasureJobs} WHERE id = ${id}`,
    );
    return row && this.toErasureJob(row);
  }

  async listUnfinishedErasureJobs(): Promise<ErasureJob[]> {
    const rows = await this.x.all<ErasureJobDbRow>(
      sql`SELECT ${JOB_COLUMNS} FROM ${this.t.erasureJobs} WHERE status <> 'complete' ORDER BY requested_at, id`,
    );
    return rows.map((row) => this.toErasureJob(row));
  }

  async saveReport(report: StoredReport): Promise<void> {
    await this.x.run(
      sql`INSERT INTO ${this.t.reports} (name, body, saved_at) VALUES (${report.name}, ${json(report.body ?? null)}, ${report.savedAt})
        ON CONFLICT (name) DO UPDATE SET body = excluded.body, saved_at = excluded.saved_at`,
    );
  }

  async loadReport(name: string): Promise<StoredReport | undefined> {
    const row = await this.x.get<{ name: string; body: unknown; saved_at: unknown }>(
      sql`SELECT name, body, saved_at FROM ${this.t.reports} WHERE name = ${name}`,
    );
    const { dialect } = this.x;
    return (
      row && {
        name: row.name,
        body: dialect.readJson(row.body),
        savedAt: dialect.readInstant(row.saved_at) ?? '',
      }
    );
  }

  async saveReportPoints(name: string, points: NumericPropertyPair[]): Promise<void> {
    const numbered = points.map((point, position) => ({ ...point, position }));
    await this.atomically([
      sql`DELETE FROM ${this.t.reportPoints} WHERE report = ${name}`,
      ...inserts(numbered, (part) => {
        const values = part.map((p) => sql`(${name}, ${p.position}, ${p.profileId}, ${p.x}, ${p.y})`);
        return sql`INSERT INTO ${this.t.reportPoints} (report, position, profile_id, x, y) VALUES ${join(values, ', ')}`;
      }),
    ]);
  }

  async loadReportPoints(name: string): Promise<NumericPropertyPair[]> {
    const rows = await this.x.all<{ profile_id: string; x: number | string; y: number | string }>(
      sql`SELECT profile_id, x, y FROM ${this.t.reportPoints} WHERE report = ${name} ORDER BY position`,
    );
    return rows.map((row) => ({ profileId: row.profile_id, x: Number(row.x), y: Number(row.y) }));
  }

  async deleteReports(namePrefix: string): Promise<void> {
    // Not LIKE: a prefix may hold % or _.
    const startsWith = (column: string) => byDialect((d) => d.startsWith(column, namePrefix));
    await this.atomically([
      sql`DELETE FROM ${this.t.reportPoints} WHERE ${startsWith('report')}`,
      sql`DELETE FROM ${this.t.reports} WHERE ${startsWith('name')}`,
    ]);
  }

  private toCredential(row: CredentialDbRow): Credential {
    const { dialect } = this.x;
    return {
      id: row.id,
      kind: row.kind,
      name: row.name,
      createdAt: dialect.readInstant(row.created_at) ?? '',
      revokedAt: dialect.readInstant(row.revoked_at),
    };
  }

  private toSuppression(row: SuppressionDbRow): Suppression {
    return {
      kind: row.kind,
      valueHash: row.value_hash,
      erasedAt: this.x.dialect.readInstant(row.erased_at) ?? '',
      jobId: row.job_id,
    };
  }

  private toErasureJob(row: ErasureJobDbRow): ErasureJob {
    const { dialect } = this.x;
    return {
      id: row.id,
      status: row.status,
      steps: dialect.readJson(row.steps) as ErasureJob['steps'],
      requestedAt: dialect.readInstant(row.requested_at) ?? '',
      updatedAt: dialect.readInstant(row.updated_at) ?? '',
      completedAt: dialect.readInstant(row.completed_at),
      suppressedCount: Number(row.suppressed_count),
      error: row.error,
      work: row.work === null ? null : (dialect.readJson(row.work) as ErasureJob['work']),
    };
  }
}

/** One multi-row INSERT per ROWS_PER_STATEMENT rows. */
function inserts<T>(rows: readonly T[], insert: (part: readonly T[]) => Sql): Sql[] {
  const statements: Sql[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT)
    statements.push(insert(rows.slice(i, i + ROWS_PER_STATEMENT)));
  return statements;
}
