// `rapport attribution --paths FILE`: the real command as a child process for its output
// and its report of bad rows; the other cases through the command's own steps in-process
// (each child process costs seconds here).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributePathsFile, type ModelName } from '../../src/attribution/index.ts';
import { rapport, tempDir, writeFile } from '../value/fixtures.ts';

const dir = tempDir();
const bryl = writeFile(
  dir,
  'bryl.csv',
  'path,conversions,nulls,value\nC1 > C2 > C3,1,0,1000\nC1,0,1,0\nC2 > C3,0,1,0\n',
);

describe('rapport attribution --paths', () => {
  it("prints the issue's JSON for the Markov model with nulls (the published example)", async () => {
    const result = await rapport(
      'attribution',
      '--paths',
      bryl,
      '--model',
      'markov',
      '--with-nulls',
      '--json',
    );
    expect(result.stderr).toBe('');
    const output = JSON.parse(result.stdout);
    expect(Object.keys(output)).toEqual(['model', 'channels']);
    expect(output.model).toBe('markov');
    expect(output.channels.C1.conversions).toBeCloseTo(0.2, 9);
    expect(output.channels.C2.value).toBeCloseTo(400, 9);
  }, 120_000);

  it('reports bad rows with line and field on stderr and attributes the good ones', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(
          'path,conversions,nulls,value\na > b,2,1,20\n,1,0,3\na > > b,1,0,1\nb,-1,0,0\nb,1,x,4\nb,3,0,\n',
        ),
        Buffer.from('caf\xe9 > a,1,0,5\n', 'latin1'),
        Buffer.from('b > a,1,2,10\n'),
      ]),
    );
    const result = await rapport('attribution', '--paths', file, '--model', 'last', '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('rejected 6 of 8 rows');
    expect(result.stderr).toContain('line 3, path: path is empty');
    expect(result.stderr).toContain('line 4, path: path "a > > b" has an empty channel at step 2');
    expect(result.stderr).toContain('line 5, conversions: conversions -1 is negative');
    expect(result.stderr).toContain('line 6, nulls: nulls "x" is not a number');
    expect(result.stderr).toContain('line 7, value: value is empty for 3 conversions');
    expect(result.stderr).toContain('line 8, line: the line is not valid UTF-8');
    const output = JSON.parse(result.stdout);
    expect(output.channels).toEqual({ a: { conversions: 1, value: 10 }, b: { conversions: 2, value: 20 } });
    expect(result.stdout).not.toMatch(/NaN|null/);
  }, 120_000);

  it('runs every model; credit adds up to the conversions', async () => {
    const models: ModelName[] = ['first', 'last', 'linear', 'position', 'time-decay', 'shapley', 'markov'];
    for (const model of models) {
      const { result } = await attributePathsFile({ paths: bryl, model, order: '3' });
      expect(result.model).toBe(model);
      const total = Object.values(result.channels).reduce((sum, credit) => sum + credit.conversions, 0);
      expect(total).toBeCloseTo(1, 9);
    }
  });

  it('refuses what it cannot read, saying why', async () => {
    const utf16 = join(dir, 'utf16.csv');
    writeFileSync(
      utf16,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('path,conversions\na,1\n', 'utf16le')]),
    );
    const refused = (paths: string, more: Record<string, unknown> = {}) =>
      attributePathsFile({ paths, model: 'last', ...more });
    await expect(refused(utf16)).rejects.toThrow('is UTF-16; save it as UTF-8');
    await expect(refused(writeFile(dir, 'nocolumn.csv', 'journey,conversions\na,1\n'))).rejects.toThrow(
      'has no "path" column',
    );
    await expect(
      refused(writeFile(dir, 'nonulls.csv', 'path,conversions\na,1\n'), { model: 'markov', withNulls: true }),
    ).rejects.toThrow('--with-nulls needs a "nulls" column');
    await expect(refused(bryl, { model: 'markov', order: '5' })).rejects.toThrow(
      'order must be an integer from 1 to 4',
    );
    await expect(refused(bryl, { order: 'two' })).rejects.toThrow('--order "two" must be an integer');
    await expect(refused(writeFile(dir, 'allbad.csv', 'path,conversions\n,1\n'))).rejects.toThrow(
      'has no valid path rows',
    );
    await expect(refused(writeFile(dir, 'empty.csv', ''))).rejects.toThrow('is empty');
    await expect(refused(join(dir, 'missing.csv'))).rejects.toThrow('no such file');
  });
});
