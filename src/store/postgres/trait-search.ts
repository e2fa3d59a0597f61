// "Some trait value contains this text, case aside" on PostgreSQL, through the trigram index
// of state migration 7 (pg_trgm's GIN index on profile_trait_text(traits)), as a condition on
// the profiles table. `traitText` is the schema-qualified function.
import { storableText } from './sql.ts';

/** Text for LIKE that matches itself only (\ is PostgreSQL's default LIKE escape). */
export const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export function traitTextContains(traitText: string, text: string): { sql: string; param: unknown } {
  // A text spanning lines (the value separator of the trait text) reads each value on its own,
  // so a match stays inside one value.
  if (text.includes('\n'))
    return {
      sql: `EXISTS (SELECT 1 FROM jsonb_each(traits) t WHERE strpos(lower(t.value ->> 'value'), ?) > 0)`,
      param: storableText(text.toLowerCase()),
    };
  return { sql: `${traitText}(traits) LIKE ?`, param: storableText(`%${likeLiteral(text.toLowerCase())}%`) };
}
