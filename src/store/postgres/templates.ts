// The template library on PostgreSQL: its SQL is shared (../sql/templates.ts), its migrations
// on their own component of the schema ledger. On Citus both stay on the coordinator (citus.ts):
// configuration, few rows, never joined with a person's rows.
import { SqlTemplateStore } from '../sql/templates.ts';
import {
  connectPostgres,
  migratedOrClosed,
  migratePostgres,
  type PostgresOpenOptions,
} from './connection.ts';
import { postgresStoreEngine } from './engine.ts';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE message_templates (
     id text PRIMARY KEY,
     name text NOT NULL,
     description text,
     channel text NOT NULL,
     status text NOT NULL,
     latest_version integer NOT NULL,
     created_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL,
     updated_by text
   );
   CREATE TABLE message_template_versions (
     template_id text NOT NULL,
     version integer NOT NULL,
     content jsonb NOT NULL,
     created_at timestamptz NOT NULL,
     created_by text,
     note text,
     PRIMARY KEY (template_id, version)
   );`,
];

export class PostgresTemplateStore extends SqlTemplateStore {
  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresTemplateStore> {
    const connection = connectPostgres(url, options);
    return migratedOrClosed(new PostgresTemplateStore(postgresStoreEngine(connection)), () =>
      migratePostgres(connection.pool, connection.schema, { component: 'templates', migrations: MIGRATIONS }),
    );
  }
}
