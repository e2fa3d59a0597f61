// The pipeline worker thread's entry. In the sources (src/, under Vitest or tsx) it registers
// tsx, since worker threads do not inherit the TypeScript loader of the thread that starts
// them, and loads the .ts beside it. The build copies it into dist/, where no .ts is beside it:
// there it loads the compiled worker, with source maps so stack traces name the .ts lines.
import { existsSync } from 'node:fs';

const source = new URL('./pipeline-worker.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  process.setSourceMapsEnabled(true);
  await import('./pipeline-worker.js');
}
