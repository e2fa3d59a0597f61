// The quarantine table on PostgreSQL (docs/quarantine.md): its SQL is shared
// (../sql/quarantine.ts). In the schema beside the processors' offsets, so the profiles,
// segments and journeys processors set an entry aside in the same transaction that moves their
// offset past it. The functions take any client: a store's pool, or the client of a
// processor's open transaction.
import { postgresExecutor } from '../sql/executor.ts';
import { quarantineWrites, removeQuarantineSql, SqlQuarantine } from '../sql/quarantine.ts';
import type { StoreDialect } from '../sql/query.ts';
import type { QuarantineWrites } from '../types.ts';
import type { PgQueryable } from './sql.ts';

/**
 * Shipped inside the state, segments and conductor migration lists (IF NOT EXISTS: whichever
 * store migrates a fresh schema first creates it). Never edit it: a change is a new migration.
 */
export const QUARANTINE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS quarantine (
     id bigserial PRIMARY KEY,
     processor text NOT NULL,
     seq bigint NOT NULL,
     message_id text NOT NULL,
     source text NOT NULL,
     received_at text NOT NULL,
     body text NOT NULL,
     error text NOT NULL,
     stack text,
     first_failed_at timestamptz NOT NULL,
     last_failed_at timestamptz NOT NULL,
     attempts integer NOT NULL,
     consecutive integer NOT NULL,
     UNIQUE (processor, seq)
   );`;

/** Quarantine reads and writes through `db` (a transaction's client: they join it). */
export function postgresQuarantineWrites(db: PgQueryable, dialect: StoreDialect): QuarantineWrites {
  return quarantineWrites(postgresExecutor(db, dialect));
}

export class PostgresQuarantine extends SqlQuarantine {
  constructor(db: PgQueryable, dialect: StoreDialect) {
    const x = postgresExecutor(db, dialect);
    super(x, async (ids) => {
      let removed = 0;
      for (const query of removeQuarantineSql(x.dialect, ids)) removed += await x.run(query);
      return removed;
    });
  }
}
