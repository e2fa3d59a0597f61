// "Some trait value contains this text, case aside" on SQLite, through the trigram index of
// state migration 8 (profile_search and its FTS5 table), as a condition on `profiles`.
export function traitTextContains(text: string): { sql: string; param: unknown } {
  // A text spanning lines (the value separator in profile_search) reads each value on its own,
  // so a match stays inside one value.
  if (text.includes('\n'))
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(profiles.traits) t
        WHERE instr(lower(CAST(json_extract(t.value, '$.value') AS TEXT)), ?) > 0)`,
      param: text.toLowerCase(),
    };
  // The trigram index needs three characters; a shorter text reads every profile's trait text.
  if ([...text].length < 3)
    return {
      sql: 'profile_id IN (SELECT profile_id FROM profile_search WHERE instr(lower(text), ?) > 0)',
      param: text.toLowerCase(),
    };
  // A quoted phrase: with the trigram tokenizer, a substring, case folded.
  return {
    sql: `profile_id IN (SELECT s.profile_id FROM profile_search s WHERE s.id IN
      (SELECT rowid FROM profile_search_fts WHERE profile_search_fts MATCH ?))`,
    param: `"${text.replaceAll('"', '""')}"`,
  };
}
