// openSqlite keeps statements prepared per SQL text: the hot paths call db.prepare on every
// lookup, and preparing costs more than the lookup. The cache must hand back the same
// statement, stay bounded, and keep working across a schema change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../src/store/sqlite/connection.ts';

describe('openSqlite prepared statements', () => {
  let dir: string;
  let db: SqliteDatabase;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rapport-prepared-'));
    db = openSqlite(join(dir, 'x.sqlite'), { synchronous: 'NORMAL' });
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the statement already prepared for the same SQL text', () => {
    const first = db.prepare('SELECT v FROM t WHERE k = ?');
    expect(db.prepare('SELECT v FROM t WHERE k = ?')).toBe(first);
    expect(db.prepare('SELECT k FROM t WHERE k = ?')).not.toBe(first);
    db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('a', 1);
    db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('b', 2);
    expect(db.prepare('SELECT v FROM t WHERE k = ?').get('b')).toEqual({ v: 2 });
  });

  it('keeps a bounded number, dropping the oldest first', () => {
    const oldest = db.prepare('SELECT 0 AS n');
    for (let n = 1; n <= 600; n++) db.prepare(`SELECT ${n} AS n`);
    expect(db.prepare('SELECT 600 AS n')).toBe(db.prepare('SELECT 600 AS n'));
    expect(db.prepare('SELECT 0 AS n')).not.toBe(oldest);
  });

  it('still answers after the schema changes under a kept statement', () => {
    db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('a', 1);
    const select = db.prepare('SELECT * FROM t WHERE k = ?');
    expect(select.get('a')).toEqual({ k: 'a', v: 1 });
    db.exec('ALTER TABLE t ADD COLUMN w TEXT');
    expect(db.prepare('SELECT * FROM t WHERE k = ?').get('a')).toEqual({ k: 'a', v: 1, w: null });
  });
});
