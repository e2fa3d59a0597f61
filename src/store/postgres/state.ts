import type pg from 'pg';
import { numberedPlaceholders, type ProfileListDialect, profileListSql } from '../profile-list-sql.ts';
import { postgresDialect } from '../sql/dialect.ts';
import { postgresExecutor } from '../sql/executor.ts';
import { SqlStateRecords } from '../sql/state.ts';
import type {
  ComputedProperty,
  ConsentState,
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
} from '../types.ts';
import * as computedStats from './computed-stats.ts';
import {
  connectPostgres,
  inTransaction,
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
import { type ProfileDbRow, toProfile } from './rows.ts';
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

/**
 * Offsets, credentials, suppressions, erasure jobs and reports are the shared SQL's
 * (../sql/state.ts). What stays here is PostgreSQL's own: the processor's offset lock (FOR
 * UPDATE SKIP LOCKED), unnest batches for the profiles processor, computed properties and
 * consent history, the Citus-shaped statistics and erasure followed by VACUUM.
 */
export class PostgresStateStore extends SqlStateRecords implements StateStore {
  readonly engine = 'postgres' as const;
  readonly log: PostgresIngestLog;
  readonly quarantine: PostgresQuarantine;
  private readonly pool: pg.Pool;
  private readonly tables: PostgresConnection['tables'];

  private constructor(private readonly connection: PostgresConnection) {
    const dialect = postgresDialect(connection.schema);
    super(postgresExecutor(connection.pool, dialect), (statements) =>
      inTransaction(connection.pool, async (client) => {
        const x = postgresExecutor(client, dialect);
        for (const statement of statements) await x.run(statement);
      }),
    );
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
}
