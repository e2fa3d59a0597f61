// The shared store SQL's dialects and query builder: what each engine receives for one query
// written once. No database needed; the contract suites run the same SQL on both engines.
import { describe, expect, it } from 'vitest';
import { postgresDialect, sqliteDialect } from '../../src/store/sql/dialect.ts';
import { byDialect, compile, join, json, list, oneOf, raw, sql } from '../../src/store/sql/query.ts';

const pg = postgresDialect('rapport');

describe('compile', () => {
  it('numbers PostgreSQL placeholders across nested fragments and marks SQLite ones with ?', () => {
    const where = join([sql`a = ${1}`, sql`b = ${'x'}`], ' AND ');
    const query = sql`SELECT * FROM ${raw('t')} WHERE ${where} LIMIT ${10}`;
    expect(compile(query, pg)).toEqual({
      text: 'SELECT * FROM t WHERE a = $1 AND b = $2 LIMIT $3',
      values: [1, 'x', 10],
    });
    expect(compile(query, sqliteDialect)).toEqual({
      text: 'SELECT * FROM t WHERE a = ? AND b = ? LIMIT ?',
      values: [1, 'x', 10],
    });
  });

  it('binds booleans as 1 and 0 on SQLite and as booleans on PostgreSQL; undefined as NULL', () => {
    const query = sql`UPDATE t SET active = ${true}, done = ${false}, note = ${undefined}`;
    expect(compile(query, sqliteDialect).values).toEqual([1, 0, null]);
    expect(compile(query, pg).values).toEqual([true, false, null]);
  });

  it('binds text PostgreSQL cannot hold with U+0000 replaced, and SQLite text as is', () => {
    const query = sql`INSERT INTO t (reason) VALUES (${'a\u0000b'})`;
    expect(compile(query, pg).values).toEqual(['a\uFFFDb']);
    expect(compile(query, sqliteDialect).values).toEqual(['a\u0000b']);
  });

  it('binds JSON as text, made storable for jsonb on PostgreSQL only', () => {
    const query = sql`INSERT INTO t (body) VALUES (${json({ a: 'x\u0000y' })})`;
    expect(compile(query, sqliteDialect).values).toEqual(['{"a":"x\\u0000y"}']);
    expect(compile(query, pg).values).toEqual(['{"a":"x\uFFFDy"}']);
  });

  it('writes a list membership as an IN list on SQLite and one array parameter on PostgreSQL', () => {
    const query = sql`SELECT 1 FROM t WHERE k = ${'a'} AND ${oneOf('id', ['x', 'y', 'z'])}`;
    expect(compile(query, sqliteDialect)).toEqual({
      text: 'SELECT 1 FROM t WHERE k = ? AND id IN (?, ?, ?)',
      values: ['a', 'x', 'y', 'z'],
    });
    expect(compile(query, pg)).toEqual({
      text: 'SELECT 1 FROM t WHERE k = $1 AND id = ANY($2::text[])',
      values: ['a', ['x', 'y', 'z']],
    });
  });

  it('an empty membership matches nothing on both engines', () => {
    expect(compile(sql`${oneOf('id', [])}`, sqliteDialect).text).toBe('0 = 1');
    expect(compile(sql`${oneOf('id', [])}`, pg)).toEqual({ text: 'id = ANY($1::text[])', values: [[]] });
  });

  it('lets a fragment be chosen by the dialect at compile time', () => {
    const lock = byDialect((d) => d.forUpdate('SKIP LOCKED'));
    expect(compile(sql`SELECT 1 ${lock}`, pg).text).toBe('SELECT 1 FOR UPDATE SKIP LOCKED');
    expect(compile(sql`SELECT 1 ${lock}`, sqliteDialect).text).toBe('SELECT 1 ');
  });

  it('joins nothing into nothing, and a list into comma-separated parameters', () => {
    expect(compile(sql`SELECT 1 ${join([], ' AND ')}`, pg)).toEqual({ text: 'SELECT 1 ', values: [] });
    expect(compile(sql`VALUES (${list(['a', 2])})`, pg)).toEqual({
      text: 'VALUES ($1, $2)',
      values: ['a', 2],
    });
  });

  it('never puts a value into the text', () => {
    const hostile = "x'); DROP TABLE t; --";
    const { text, values } = compile(sql`SELECT * FROM t WHERE a = ${hostile}`, sqliteDialect);
    expect(text).not.toContain('DROP');
    expect(values).toEqual([hostile]);
  });
});

describe('dialects', () => {
  it('qualifies tables with the schema on PostgreSQL, quotes them on SQLite', () => {
    expect(pg.table('outbox')).toBe('"rapport"."outbox"');
    expect(sqliteDialect.table('outbox')).toBe('"outbox"');
  });

  it('reads booleans and JSON as each driver returns them', () => {
    expect([sqliteDialect.readBool(1), sqliteDialect.readBool(0), sqliteDialect.readBool(null)]).toEqual([
      true,
      false,
      false,
    ]);
    expect([pg.readBool(true), pg.readBool(false), pg.readBool(null)]).toEqual([true, false, false]);
    expect(sqliteDialect.readJson('{"a":1}')).toEqual({ a: 1 });
    expect(pg.readJson({ a: 1 })).toEqual({ a: 1 });
  });

  it('writes boolean conditions, JSON field text, code-point order and row locks per engine', () => {
    expect(sqliteDialect.isTrue('active')).toBe('active = 1');
    expect(pg.isTrue('active')).toBe('active');
    expect(sqliteDialect.anyTrue('active')).toBe('max(active)');
    expect(pg.anyTrue('active')).toBe('coalesce(bool_or(active), false)');
    expect(sqliteDialect.jsonFieldText('definition', 'name')).toBe("json_extract(definition, '$.name')");
    expect(pg.jsonFieldText('definition', 'name')).toBe("definition->>'name'");
    expect(pg.byCodePoint('id')).toBe('id COLLATE "C"');
    expect(sqliteDialect.byCodePoint('id')).toBe('id');
    expect(pg.forUpdate()).toBe('FOR UPDATE');
    expect(sqliteDialect.forUpdate('SKIP LOCKED')).toBe('');
  });

  it('reads a calendar day as YYYY-MM-DD text: as stored on SQLite, formatted (not DateStyle) on PostgreSQL', () => {
    expect(sqliteDialect.dayText('day')).toBe('day');
    expect(pg.dayText('day')).toBe("to_char(day, 'YYYY-MM-DD')");
  });

  it('tests "contains" with instr on SQLite and strpos on PostgreSQL, the needle bound (no LIKE wildcards)', () => {
    const query = sql`SELECT 1 FROM t WHERE ${byDialect((d) => d.contains('changes', '50%_off'))}`;
    expect(compile(query, sqliteDialect)).toEqual({
      text: 'SELECT 1 FROM t WHERE instr(changes, ?) > 0',
      values: ['50%_off'],
    });
    expect(compile(query, pg)).toEqual({
      text: 'SELECT 1 FROM t WHERE strpos(changes, $1) > 0',
      values: ['50%_off'],
    });
  });

  it('tests a text prefix without LIKE: substr and length on SQLite, starts_with on PostgreSQL', () => {
    const query = sql`DELETE FROM t WHERE ${byDialect((d) => d.startsWith('name', 'value.%_'))}`;
    expect(compile(query, sqliteDialect)).toEqual({
      text: 'DELETE FROM t WHERE substr(name, 1, length(?)) = ?',
      values: ['value.%_', 'value.%_'],
    });
    expect(compile(query, pg)).toEqual({
      text: 'DELETE FROM t WHERE starts_with(name, $1)',
      values: ['value.%_'],
    });
  });

  it('refuses a JSON field name that is not a plain identifier', () => {
    expect(() => pg.jsonFieldText('definition', "name'; --")).toThrow(/not a JSON field name/);
    expect(() => sqliteDialect.jsonFieldText('definition', 'a.b')).toThrow(/not a JSON field name/);
  });
});
