// `npm run bench -- NAME [options]`: imports bench/NAME.ts and awaits its `run(args)`.
import { readdirSync } from 'node:fs';

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
  const [name, ...args] = process.argv.slice(2);
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
