// `npm run test:citus`: the PostgreSQL half of the suite on a throwaway Citus cluster (a
// coordinator and two workers, test/support/citus.ts), as .ci/run runs it after `npm test`.
// The files are those that reach PostgreSQL; within them only the PostgreSQL cases run (their
// names say PostgreSQL), and test/store/citus.test.ts adds the cluster's own checks.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = testFiles('test').filter((file) => {
  const text = readFileSync(file, 'utf8');
  return text.includes("inject('postgresUrl')") || text.includes('ENGINES') || text.includes("inject('citus')");
});
const result = spawnSync(
  'npx',
  ['vitest', 'run', ...files, '-t', '[Pp]ostgre|Citus', ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, RAPPORT_TEST_CITUS: '1' } },
);
process.exit(result.status ?? 1);
