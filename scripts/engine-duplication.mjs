// Lines written twice between the storage engines (issue #18's measure): runs jscpd over the
// engine folders and the shared SQL, then sums the lines of the clones whose two halves sit in
// different engine folders (sqlite/ and postgres/). Clones inside one folder are boilerplate of
// that engine, not storage written per engine, so they are reported apart.
// Usage: node scripts/engine-duplication.mjs   (jscpd 4 is fetched by npx)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = mkdtempSync(join(tmpdir(), 'engine-duplication-'));
const folders = ['src/store/sqlite', 'src/store/postgres', 'src/store/sql'];
execFileSync(
  'npx',
  ['--yes', 'jscpd@4', '--silent', '--min-tokens', '25', '--min-lines', '4', '--reporters', 'json', '--output', out, ...folders],
  { stdio: 'ignore' },
);
const report = JSON.parse(readFileSync(join(out, 'jscpd-report.json'), 'utf8'));
rmSync(out, { recursive: true, force: true });
const engineOf = (file) => (/\/store\/(sqlite|postgres)\//.exec(file)?.[1] ?? 'shared');
let between = 0;
let clones = 0;
for (const clone of report.duplicates) {
  const engines = new Set([engineOf(clone.firstFile.name), engineOf(clone.secondFile.name)]);
  if (engines.has('sqlite') && engines.has('postgres')) {
    between += clone.lines;
    clones += 1;
  }
}
const total = report.statistics.total;
console.log(`duplicated lines (jscpd): ${total.duplicatedLines} of ${total.lines}`);
console.log(`between the engines: ${between} lines in ${clones} clones`);
