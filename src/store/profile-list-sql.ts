// The people explorer's list written once for both state engines: live profiles filtered by a
// set of ids (a rule's members) and a search, ordered by a column or a trait's value with the
// people who lack it last, paged by offset, and counted. Only the handful of fragments where
// SQLite and PostgreSQL spell things differently come from the engine's ProfileListDialect.
// `?` placeholders throughout; PostgreSQL numbers them before running.
import type { ProfileListQuery } from './types.ts';

export interface ProfileListDialect {
  /** The profiles relation, quoted. */
  profiles: string;
  /** A condition: profile_id is one of the ids bound as the next parameter (see `ids`). */
  idIn: string;
  /** The id list as that one parameter. */
  ids(ids: string[]): unknown;
  /** A trait's value, ordered sensibly (numbers as numbers); the key is bound as the next parameter. */
  traitValue: string;
  /** The trait key as that parameter. */
  traitKey(key: string): unknown;
  /**
   * A condition: some trait's value contains the text, case aside; with the one parameter it
   * binds (the text as the engine's index wants it).
   */
  anyTraitContains(text: string): { sql: string; param: unknown };
  /** The id column ordered bytewise, as SQLite compares text. */
  idOrder: string;
}

export interface ProfileListSql {
  list: { text: string; params: unknown[] };
  count: { text: string; params: unknown[] };
}

const COLUMNS = { last_seen: 'last_seen', first_seen: 'first_seen', event_count: 'event_count' } as const;

export function profileListSql(query: ProfileListQuery, dialect: ProfileListDialect): ProfileListSql {
  const whereParams: unknown[] = [];
  const where = ['merged_into IS NULL'];
  if (query.profileIds) {
    where.push(dialect.idIn);
    whereParams.push(dialect.ids(query.profileIds));
  }
  if (query.search) {
    const contains = dialect.anyTraitContains(query.search.text);
    where.push(`(${dialect.idIn} OR ${contains.sql})`);
    whereParams.push(dialect.ids(query.search.ids), contains.param);
  }
  if (query.afterId !== undefined) {
    where.push(`${dialect.idOrder} > ?`);
    whereParams.push(query.afterId);
  }
  const whereSql = where.join(' AND ');
  const direction = query.descending ? 'DESC' : 'ASC';
  const orderParams: unknown[] = [];
  let order = `${dialect.idOrder} ${direction}`;
  if ('trait' in query.order) {
    const key = dialect.traitKey(query.order.trait);
    order = `(${dialect.traitValue}) IS NULL, ${dialect.traitValue} ${direction}, ${order}`;
    orderParams.push(key, key);
  } else if (query.order.column !== 'profile_id') {
    const column = COLUMNS[query.order.column];
    order = `${column} ${direction}, ${order}`;
  }
  const selectParams: unknown[] = [];
  let columns = '*';
  if (query.search) {
    // Whom the search names exactly (an identifier, a profile id, a name) come first. Ranked in
    // the select list: Citus merged the workers' rows without the CASE when it stood only in the
    // ORDER BY.
    columns = `*, CASE WHEN ${dialect.idIn} THEN 0 ELSE 1 END AS named_first`;
    order = `named_first, ${order}`;
    selectParams.push(dialect.ids(query.search.ids));
  }
  return {
    list: {
      text: `SELECT ${columns} FROM ${dialect.profiles} WHERE ${whereSql} ORDER BY ${order} LIMIT ? OFFSET ?`,
      params: [
        ...selectParams,
        ...whereParams,
        ...orderParams,
        Math.max(1, Math.floor(query.limit)),
        Math.max(0, Math.floor(query.offset)),
      ],
    },
    count: { text: `SELECT count(*) AS n FROM ${dialect.profiles} WHERE ${whereSql}`, params: whereParams },
  };
}

/** `?` placeholders to `$1…` (the list SQL has no `?` inside a literal). */
export function numberedPlaceholders(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}
