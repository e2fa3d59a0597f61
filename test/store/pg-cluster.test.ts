import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';

const url = inject('postgresUrl');

describe.skipIf(!url)('throwaway PostgreSQL cluster', () => {
  it('answers a query', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('select 1 + 1 as two');
    await client.end();
    expect(rows[0].two).toBe(2);
  });
});
