// A fresh database on the test cluster, so a server under test has the default schema to
// itself.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { dropCitusDatabase, prepareCitusDatabase } from './citus.ts';

export async function createTestDatabase(
  clusterUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rapport_test_${randomBytes(6).toString('hex')}`;
  const citus = inject('citus');
  if (citus) {
    // On Citus the database is made on every node and the workers registered in it.
    await prepareCitusDatabase(citus.coordinator, citus.workers, name);
    const url = new URL(clusterUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      drop: () => dropCitusDatabase([citus.coordinator, ...citus.workers], name),
    };
  }
  const admin = new pg.Client({ connectionString: clusterUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: clusterUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
