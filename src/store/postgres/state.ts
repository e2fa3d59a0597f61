import type pg from 'pg';
import { numberedPlaceholders, type ProfileListDialect, profileListSql } from '../profile-list-sql.ts';
import { postgresDialect } from '../sql/dialect.ts';
import type {
  ComputedProperty,
  ConsentState,
  Credential,
  CredentialKind,
  ErasureJob,
  IdentityKey,
  IdentityRow,
  NumericPropertyPair,
  NumericPropertySummary,
  ProfileListPage,
  ProfileListQuery,
  ProfileRow,
  ProfileSearch,
  ProfileTransaction,
  StateStore,
  StoredConsentRecord,
  StoredMergeRecord,
  StoredReport,
  Suppression,
} from '../types.ts';
import * as computedStats from './computed-stats.ts';
import {
  connectPostgres,
  migratedOrClosed,
  migratePostgres,
  type PostgresConnection,
  type PostgresOpenOptions,
} from './connection.ts';
import { PostgresIngestLog } from './log.ts';
import { LOG_MIGRATIONS, STATE_MIGRATIONS } from './migrations.ts';
import { withProcessorOffset } from './offsets.ts';
import * as privacy from './privacy.ts';
import * as profiles from './profiles.ts';
import { PostgresQuarantine, postgresQuarantineWrites } from './quarantine.ts';
import { type CredentialDbRow, type ProfileDbRow, toCredential, toProfile } from './rows.ts';
import { storableText, toNumber } from './sql.ts';
import { traitTextContains } from './trait-search.ts';

function postgresProfileList(profiles: string, traitText: string): ProfileListDialect {
  return {
    profiles,
    idIn: 'profile_id = ANY(?::text[])',
    ids: (ids) => ids.map(storableText),
    traitValue: "traits -> ?::text -> 'value'",
    traitKey: (key) => storableText(key),
    anyTraitContains: (text) => traitTextContains(traitText, text),
    idOrder: 'profile_id COLLATE "C"',
  };
}

export class PostgresStateStore implements StateStore {
  readonly engine = 'postgres' as const;
  readonly log: PostgresIngestLog;
  readonly quarantine: PostgresQuarantine;
  private readonly pool: pg.Pool;
  private readonly tables: PostgresConnection['tables'];

  private constructor(private readonly connection: PostgresConnection) {
    this.pool = connection.pool;
    this.tables = connection.tables;
    this.log = new PostgresIngestLog(connection.pool, connection.tables, connection.schema);
    this.quarantine = new PostgresQuarantine(connection.pool, postgresDialect(connection.schema));
  }

  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresStateStore> {
    return migratedOrClosed(new PostgresStateStore(connectPostgres(url, options)), (store) =>
      store.migrate(),
    );
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.pool, this.connection.schema, {
      component: 'state',
      migrations: STATE_MIGRATIONS,
    });
    // After the state list: its first migration created the log's first table.
    await migratePostgres(this.pool, this.connection.schema, {
      component: 'log',
      migrations: LOG_MIGRATIONS,
    });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  async getOffset(processor: string): Promise<number> {
    return profiles.getOffset(this.pool, this.tables.processorOffsets, processor);
  }

  async withProcessorLock<T>(
    processor: string,
    work: (tx: ProfileTransaction, offset: number) => Promise<T>,
  ): Promise<T | undefined> {
    return withProcessorOffset(this.pool, this.tables.processorOffsets, processor, (client, offset) =>
      work(this.transaction(client, processor), offset),
    );
  }

  private transaction(client: pg.PoolClient, processor: string): ProfileTransaction {
    return {
      findIdentities: (keys) => profiles.findIdentities(client, this.tables, keys),
      identitiesOfProfiles: (ids) => profiles.identitiesOfProfiles(client, this.tables, ids),
      loadProfiles: (ids) => profiles.loadProfiles(client, this.tables, ids),
      write: (changes) => profiles.writeChanges(client, this.tables, changes),
      quarantine: postgresQuarantineWrites(client, postgresDialect(this.connection.schema)),
      setOffset: (seq) => profiles.setOffset(client, this.tables.processorOffsets, processor, seq),
    };
  }

  async getProfile(profileId: string): Promise<ProfileRow | undefined> {
    const { rows } = await this.pool.query<ProfileDbRow>(
      `SELECT ${profiles.PROFILE_COLUMNS} FROM ${this.tables.profiles} WHERE profile_id = $1`,
      [storableText(profileId)],
    );
    return rows[0] ? toProfile(rows[0]) : undefined;
  }

  async findIdentities(keys: IdentityKey[]): Promise<IdentityRow[]> {
    return profiles.findIdentities(this.pool, this.tables, keys);
  }

  async identitiesOfProfiles(profileIds: string[]): Promise<IdentityRow[]> {
    return profiles.identitiesOfProfiles(this.pool, this.tables, profileIds);
  }

  async mergesOf(profileIds: string[]): Promise<StoredMergeRecord[]> {
    return profiles.mergesOf(this.pool, this.tables, profileIds);
  }

  async countProfiles(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.tables.profiles} WHERE merged_into IS NULL`,
    );
    return toNumber(rows[0]?.n ?? 0);
  }

  async addCredential(credential: Credential, secretHash: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.tables.credentials} (id, kind, name, secret_hash, created_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        storableText(credential.id),
        credential.kind,
        storableText(credential.name),
        secretHash,
        credential.createdAt,
        credential.revokedAt,
      ],
    );
  }

  async findCredentialByHash(secretHash: string): Promise<Credential | undefined> {
    const { rows } = await this.pool.query<CredentialDbRow>(
      `SELECT id, kind, name, created_at, revoked_at FROM ${this.tables.credentials} WHERE secret_hash = $1`,
      [storableText(secretHash)],
    );
    return rows[0] ? toCredential(rows[0]) : undefined;
  }

  async listCredentials(kind?: CredentialKind): Promise<Credential[]> {
    const columns = 'id, kind, name, created_at, revoked_at';
    const { rows } = kind
      ? await this.pool.query<CredentialDbRow>(
          `SELECT ${columns} FROM ${this.tables.credentials} WHERE kind = $1 ORDER BY created_at`,
          [kind],
        )
      : await this.pool.query<CredentialDbRow>(
          `SELECT ${columns} FROM ${this.tables.credentials} ORDER BY created_at`,
        );
    return rows.map(toCredential);
  }

  async revokeCredential(id: string, at: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE ${this.tables.credentials} SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
      [at, storableText(id)],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async consentHistoryOf(profileIds: string[]): Promise<StoredConsentRecord[]> {
    return privacy.consentHistoryOf(this.pool, this.tables, profileIds);
  }

  async profilesByConsent(purpose: string, state: ConsentState): Promise<string[]> {
    return privacy.profilesByConsent(this.pool, this.tables, purpose, state);
  }

  async setComputedProperties(rows: ComputedProperty[]): Promise<void> {
    await privacy.setComputedProperties(this.pool, this.tables, rows);
  }

  async computedPropertiesOf(profileIds: string[]): Promise<ComputedProperty[]> {
    return privacy.computedPropertiesOf(this.pool, this.tables, profileIds);
  }

  async numericPropertySummary(name: string): Promise<NumericPropertySummary> {
    return computedStats.numericPropertySummary(this.pool, this.tables, name);
  }

  async numericPropertyAtPositions(name: string, positions: number[]): Promise<Map<number, number>> {
    return computedStats.numericPropertyAtPositions(this.pool, this.tables, name, positions);
  }

  async numericPropertyHistogram(name: string, edges: number[]): Promise<number[]> {
    return computedStats.numericPropertyHistogram(this.pool, this.tables, name, edges);
  }

  async numericPropertyPairSample(
    xName: string,
    yName: string,
    limit: number,
  ): Promise<{ total: number; points: NumericPropertyPair[] }> {
    return computedStats.numericPropertyPairSample(this.pool, this.tables, xName, yName, limit);
  }

  async numericPropertyCountsBelow(name: string, thresholds: number[]): Promise<number[]> {
    return computedStats.numericPropertyCountsBelow(this.pool, this.tables, name, thresholds);
  }

  async saveReport(report: StoredReport): Promise<void> {
    await computedStats.saveReport(this.pool, this.tables, report);
  }

  async loadReport(name: string): Promise<StoredReport | undefined> {
    return computedStats.loadReport(this.pool, this.tables, name);
  }

  async saveReportPoints(name: string, points: NumericPropertyPair[]): Promise<void> {
    await computedStats.saveReportPoints(this.pool, this.tables, name, points);
  }

  async loadReportPoints(name: string): Promise<NumericPropertyPair[]> {
    return computedStats.loadReportPoints(this.pool, this.tables, name);
  }

  async deleteReports(namePrefix: string): Promise<void> {
    await computedStats.deleteReports(this.pool, this.tables, namePrefix);
  }

  async searchProfiles(search: ProfileSearch): Promise<ProfileRow[]> {
    return privacy.searchProfiles(this.pool, this.tables, search);
  }

  async listProfiles(query: ProfileListQuery): Promise<ProfileListPage> {
    const sql = profileListSql(
      query,
      postgresProfileList(this.tables.profiles, this.tables.profileTraitText),
    );
    const { rows } = await this.pool.query<ProfileDbRow>(
      numberedPlaceholders(sql.list.text),
      sql.list.params,
    );
    if (!query.withTotal) return { rows: rows.map(toProfile) };
    const counted = await this.pool.query<{ n: string }>(
      numberedPlaceholders(sql.count.text),
      sql.count.params,
    );
    return { rows: rows.map(toProfile), total: Number(counted.rows[0]?.n ?? 0) };
  }

  async addSuppressions(rows: Suppression[]): Promise<void> {
    await privacy.addSuppressions(this.pool, this.tables, rows);
  }

  async listSuppressions(): Promise<Suppression[]> {
    return privacy.listSuppressions(this.pool, this.tables);
  }

  async findSuppression(kind: string, valueHash: string): Promise<Suppression | undefined> {
    return privacy.findSuppression(this.pool, this.tables, kind, valueHash);
  }

  async addSuppressedCount(jobId: string, count: number): Promise<void> {
    await privacy.addSuppressedCount(this.pool, this.tables, jobId, count);
  }

  async saveErasureJob(job: ErasureJob): Promise<void> {
    await privacy.saveErasureJob(this.pool, this.tables, job);
  }

  async getErasureJob(id: string): Promise<ErasureJob | undefined> {
    return privacy.getErasureJob(this.pool, this.tables, id);
  }

  async listUnfinishedErasureJobs(): Promise<ErasureJob[]> {
    return privacy.listUnfinishedErasureJobs(this.pool, this.tables);
  }

  async eraseProfiles(profileIds: string[]): Promise<number> {
    return privacy.eraseProfiles(this.pool, this.tables, this.connection.schema, profileIds);
  }

  async scrubFreedSpace(): Promise<void> {
    await privacy.vacuumSchema(this.pool, this.connection.schema, [
      'log_batches',
      'log_message_ids',
      'events',
    ]);
  }

  async listProcessorOffsets(): Promise<Record<string, number>> {
    return privacy.listProcessorOffsets(this.pool, this.tables);
  }
}
