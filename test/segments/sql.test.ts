// The SQL compiler's text, without running it: user values stay in parameters, relation
// names are checked, and each dialect asks for what its engine needs.
import { describe, expect, it } from 'vitest';
import {
  compileRuleToSql,
  duckDbDialect,
  formatIssues,
  parseRuleText,
  postgresDialect,
  type SegmentRule,
} from '../../src/segments/index.ts';
import { openDuckDbEngine } from './sql-engines.ts';

function rule(text: string): SegmentRule {
  const result = parseRuleText(text);
  if (!result.ok) throw new Error(formatIssues(result.issues));
  return result.value.rule;
}

const HOSTILE = `x'); DROP TABLE events; --`;

describe('SQL compiler', () => {
  it('never puts a user value in the text', () => {
    const hostile = rule(
      `trait ${JSON.stringify(HOSTILE)} = ${JSON.stringify(HOSTILE)} and performed ${JSON.stringify(HOSTILE)} where ${JSON.stringify(HOSTILE)} contains ${JSON.stringify(HOSTILE)} and consent ${JSON.stringify(HOSTILE)} = granted and stage = ${JSON.stringify(HOSTILE)}`,
    );
    for (const dialect of [duckDbDialect, postgresDialect]) {
      const compiled = compileRuleToSql(hostile, { dialect });
      expect(compiled.text).not.toContain('DROP');
      expect(compiled.valuesAt(new Date(0))).toContain(HOSTILE);
      expect(compiled.readsFacts).toBe(true);
    }
  });

  it('computes window starts from now when bound', () => {
    const compiled = compileRuleToSql(rule('performed "A" in last 2 hours'), { dialect: postgresDialect });
    expect(compiled.valuesAt(new Date('2026-03-01T12:00:00Z'))).toEqual([
      '2026-03-01T12:00:00.000Z',
      'A',
      '2026-03-01T10:00:00.000Z',
      1,
    ]);
    expect(compiled.text).toContain('timestamp > $3::timestamptz');
    expect(compiled.readsFacts).toBe(false);
    expect(compiled.text).not.toContain('profile_facts');
  });

  it('refuses relation names that are not plain or schema-qualified identifiers', () => {
    const any = rule('trait a exists');
    expect(() => compileRuleToSql(any, { dialect: duckDbDialect, events: 'events; DROP TABLE x' })).toThrow(
      /not a relation name/,
    );
    expect(compileRuleToSql(any, { dialect: duckDbDialect, events: 'rapport.events' }).text).toContain(
      '"rapport"."events"',
    );
  });

  it('runs on DuckDB with names that would read as JSON paths', async () => {
    const engine = await openDuckDbEngine();
    try {
      await engine.append([
        {
          seq: 1,
          messageId: 'm1',
          profileId: 'p1',
          type: 'identify',
          name: null,
          userId: null,
          anonymousId: null,
          timestamp: '2026-03-01T00:00:00.000Z',
          receivedAt: '2026-03-01T00:00:00.000Z',
          properties: {},
          message: { traits: { $x: 1, 'a/b~c': 'yes', [HOSTILE]: true } },
        },
      ]);
      const compiled = engine.compile(
        rule(`trait "$x" = 1 and trait "a/b~c" = "yes" and trait ${JSON.stringify(HOSTILE)} = true`),
      );
      expect(await engine.members(compiled, new Date('2026-03-02T00:00:00Z'))).toEqual(['p1']);
      expect(await engine.members(compiled, new Date('2026-02-28T00:00:00Z'))).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
