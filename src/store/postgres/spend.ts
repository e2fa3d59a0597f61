// The spend store on PostgreSQL: its SQL is shared (../sql/spend.ts), its tables in the shared
// schema with their own migration component.
import { SqlSpendStore } from '../sql/spend.ts';
import {
  connectPostgres,
  migratedOrClosed,
  migratePostgres,
  type PostgresOpenOptions,
} from './connection.ts';
import { postgresStoreEngine } from './engine.ts';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE attribution_spend (
     day date NOT NULL,
     channel text NOT NULL,
     campaign text NOT NULL,
     amount double precision NOT NULL,
     currency text NOT NULL,
     PRIMARY KEY (day, channel, campaign)
   );
   CREATE TABLE attribution_send_costs (channel text PRIMARY KEY, cost double precision NOT NULL);`,
];

export class PostgresSpendStore extends SqlSpendStore {
  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresSpendStore> {
    const connection = connectPostgres(url, options);
    return migratedOrClosed(new PostgresSpendStore(postgresStoreEngine(connection)), () =>
      migratePostgres(connection.pool, connection.schema, {
        component: 'attribution',
        migrations: MIGRATIONS,
      }),
    );
  }
}
