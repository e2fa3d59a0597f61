// `rapport recommend rules --baskets FILE`, run as a child process.
import { describe, expect, it } from 'vitest';
import { rapport, tempDir, writeFile } from '../value/fixtures.ts';
import { GROCERIES, groceriesSkipReason } from './groceries.ts';

const dir = tempDir();

describe.skipIf(groceriesSkipReason() !== undefined)('rapport recommend rules on the groceries file', () => {
  it('--json prints baskets, items, count and the rules sorted by lift (arules: 410 rules)', async () => {
    const result = await rapport(
      'recommend',
      'rules',
      '--baskets',
      GROCERIES!,
      '--min-support',
      '0.001',
      '--min-confidence',
      '0.8',
      '--json',
    );
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report)).toEqual(['baskets', 'items', 'count', 'rules', 'warnings']);
    expect(report).toMatchObject({ baskets: 9835, items: 169, count: 410, warnings: [] });
    expect(report.rules).toHaveLength(410);
    expect(report.rules[0]).toMatchObject({ lhs: ['liquor', 'red/blush wine'], rhs: ['bottled beer'] });
    expect(report.rules[0].lift.toFixed(6)).toBe('11.235269');
  });

  it('prints a table without --json', async () => {
    const result = await rapport(
      'recommend',
      'rules',
      '--baskets',
      GROCERIES!,
      '--min-support',
      '0.006',
      '--min-confidence',
      '0.25',
      '--limit',
      '1',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('463 rules from 9835 baskets of 169 items');
    expect(result.stdout).toMatch(/\{herbs\} => \{root vegetables\}\s+0\.007016\s+0\.4313\s+3\.9565/);
  });
});

describe('rapport recommend rules: bad input', () => {
  it('reports repaired lines on stderr and in the JSON', async () => {
    const file = writeFile(dir, 'bad.csv', 'ink,printer,ink\n\nink,printer\npaper\n');
    const result = await rapport(
      'recommend',
      'rules',
      '--baskets',
      file,
      '--min-support',
      '0.5',
      '--min-confidence',
      '0.5',
      '--json',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('skipped 1 empty line(s): 2');
    expect(result.stderr).toContain('line 1: "ink"');
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ baskets: 3, items: 3, count: 2 });
    expect(report.warnings).toHaveLength(2);
  });

  it('refuses a missing file, an empty one and a support out of range, with exit code 1', async () => {
    const empty = writeFile(dir, 'empty.csv', '\n\n');
    const common = ['--min-confidence', '0.5'];
    // Three child processes at once: each pays the CLI's start-up.
    const [missing, none, range] = await Promise.all([
      rapport('recommend', 'rules', '--baskets', `${dir}/nope.csv`, '--min-support', '0.1', ...common),
      rapport('recommend', 'rules', '--baskets', empty, '--min-support', '0.1', ...common),
      rapport('recommend', 'rules', '--baskets', empty, '--min-support', '2', ...common),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/rapport recommend: cannot read .*nope\.csv/);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('holds no basket');
    expect(range.code).toBe(1);
    expect(range.stderr).toContain('minimum support must be in (0, 1], got 2');
  }, 180_000);
});
