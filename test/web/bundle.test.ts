// The first load of the dashboard stays under 300 KB of gzipped JavaScript: the entry chunk
// with its static imports, plus the Overview page (where a login lands) with everything it
// loads, charts included. Measured on the built files (gzip level 9), not timed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');
const BUILT = existsSync(join(DIST, 'index.html'));
if (!BUILT) console.warn('dashboard bundle size test skipped: web/dist is missing (npm run build)');

const LIMIT = 300 * 1024;

function importsOf(file: string, dynamic: boolean): string[] {
  const code = readFileSync(join(DIST, 'assets', file), 'utf8');
  const found = new Set<string>();
  const statics = /(?:import|export)\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+\.js)["']/g;
  for (const match of code.matchAll(statics)) found.add(match[1]!);
  if (dynamic)
    for (const match of code.matchAll(/import\(\s*["'`]\.\/([^"'`]+\.js)["'`]\s*\)/g)) found.add(match[1]!);
  return [...found];
}

/** Every chunk a file needs: static imports always, dynamic ones too when `dynamic`. */
function closure(start: string[], dynamic: boolean, into = new Set<string>()): Set<string> {
  for (const file of start) {
    if (into.has(file)) continue;
    into.add(file);
    closure(importsOf(file, dynamic), dynamic, into);
  }
  return into;
}

describe.skipIf(!BUILT)('dashboard bundle size', () => {
  it('loads under 300 KB of gzipped JavaScript up to a drawn Overview', () => {
    const html = readFileSync(join(DIST, 'index.html'), 'utf8');
    const entry = /<script type="module"[^>]*src="\/assets\/([^"]+\.js)"/.exec(html)?.[1];
    expect(entry).toBeDefined();
    const first = closure([entry!], false);
    const overview = readdirSync(join(DIST, 'assets')).find((f) => /^Overview-.*\.js$/.test(f));
    expect(overview).toBeDefined();
    closure([overview!], true, first);
    // The chart code is part of it: the Overview draws the funnel.
    expect([...first].some((f) => f.startsWith('Chart-'))).toBe(true);
    let gzipped = 0;
    for (const file of first)
      gzipped += gzipSync(readFileSync(join(DIST, 'assets', file)), { level: 9 }).length;
    console.log(`first load: ${[...first].join(', ')} = ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    expect(gzipped).toBeLessThan(LIMIT);
  });
});
