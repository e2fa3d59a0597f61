// Helpers for the profile and privacy tests: a dump of every row the stores hold (SQLite
// files, DuckDB file, or the PostgreSQL schema) as text.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import pg from 'pg';

/** Every row of every table of the embedded stores in dataDir, as JSON lines (server closed). */
export async function dumpEmbedded(dataDir: string): Promise<string> {
  const lines: string[] = [];
  for (const file of ['state.sqlite', 'log.sqlite']) {
    const db = new Database(join(dataDir, file), { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all())
        lines.push(`${file}:${name} ${JSON.stringify(row)}`);
    }
    db.close();
  }
  const instance = await DuckDBInstance.create(join(dataDir, 'events.duckdb'));
  const connection = await instance.connect();
  const tables = (await connection.runAndReadAll('SHOW TABLES')).getRowObjects();
  for (const table of tables) {
    const rows = (
      await connection.runAndReadAll(`SELECT * FROM "${String(table.name)}"`)
    ).getRowObjectsJson();
    for (const row of rows) lines.push(`duckdb:${String(table.name)} ${JSON.stringify(row)}`);
  }
  connection.closeSync();
  instance.closeSync();
  return lines.join('\n');
}

/** The raw bytes of the SQLite files (and their WAL), as latin1 text: what a disk image shows. */
export function sqliteBytes(dataDir: string): string {
  return readdirSync(dataDir)
    .filter((file) => file.includes('.sqlite'))
    .map((file) => readFileSync(join(dataDir, file)).toString('latin1'))
    .join('\n');
}

export async function dumpPostgres(url: string, schema = 'rapport'): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    const lines: string[] = [];
    for (const { table_name } of tables) {
      const { rows } = await client.query(`SELECT * FROM "${schema}"."${table_name}"`);
      for (const row of rows) lines.push(`${table_name} ${JSON.stringify(row)}`);
    }
    return lines.join('\n');
  } finally {
    await client.end();
  }
}
