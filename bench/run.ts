// `npm run bench -- NAME [options] [--compiled]`: imports bench/NAME.ts and awaits its `run(args)`.
// --compiled: the modules of src/ the benchmark imports come from the compiled build in dist/
// (built first when older than src/), the code `npm start` runs, instead of the TypeScript
// through tsx (bench/support/compiled-hooks.mjs).
import { readdirSync } from 'node:fs';
import { register } from 'node:module';
import { ensureServerBuild } from '../scripts/build-server.mjs';

interface Benchmark {
  run(args: string[]): Promise<void>;
}

const here = new URL('./', import.meta.url);

function available(): string[] {
  return readdirSync(here)
    .filter((file) => file.endsWith('.ts') && file !== 'run.ts' && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

async function main(): Promise<void> {
  const [name, ...given] = process.argv.slice(2);
  const args = given.filter((arg) => arg !== '--compiled');
  if (args.length < given.length) {
    ensureServerBuild();
    register('./support/compiled-hooks.mjs', {
      parentURL: import.meta.url,
      data: { src: new URL('../src/', here).href, dist: new URL('../dist/', here).href },
    });
    console.log('src/ modules from the compiled build (dist/)');
  }
  const names = available();
  if (!name || !names.includes(name)) {
    if (name) console.error(`unknown benchmark: ${name}`);
    console.error(`usage: npm run bench -- NAME [options]\navailable: ${names.join(', ')}`);
    process.exitCode = 1;
    return;
  }
  const module = (await import(new URL(`./${name}.ts`, here).href)) as Partial<Benchmark> & {
    default?: Partial<Benchmark> | Benchmark['run'];
  };
  const entry = typeof module.default === 'function' ? module.default : (module.default?.run ?? module.run);
  if (typeof entry !== 'function') throw new Error(`bench/${name}.ts exports no run(args)`);
  await entry(args);
}

main().then(
  () => {
    // Worker threads or open handles of a benchmark must not keep the process alive.
    process.exit(process.exitCode ?? 0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
