// `npm start` runs this first: builds the dashboard into web/dist when it is not there yet,
// so `npm ci && npm start` on a fresh clone serves the dashboard at `/`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(web, 'dist', 'index.html'))) {
  console.log('Building the dashboard (web/dist is missing)…');
  const result = spawnSync('npx', ['vite', 'build', web], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('The dashboard did not build; the server starts anyway and says so at /.');
  }
}
