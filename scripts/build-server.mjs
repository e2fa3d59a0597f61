#!/usr/bin/env node
// Compiles the server (src/) to JavaScript in dist/, which `npm start` and bin/rapport.js run:
// no TypeScript loader in any thread, no esbuild name-keeping wrappers, source maps beside
// each file so stack traces name the .ts lines. dist/ mirrors src/ (dist/cli/main.js for
// src/cli/main.ts), so every path a module builds from its own location (package.json,
// web/dist, the worker threads' entry files) resolves the same from both.
//
// A build is stale when any file under src/ or the build's configuration differs from what it
// was built from (paths, sizes and modification times: a checkout, an edit, a deleted file), and
// a stale build never runs: `ensureServerBuild` rebuilds it first (about 2 s of CPU).
//   node scripts/build-server.mjs            build when stale
//   node scripts/build-server.mjs --force    build anyway
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FINGERPRINT_FILE = '.build-fingerprint';
/** Files besides src/ whose change changes the output. */
const CONFIGURATION = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build-server.mjs'];

function filesUnder(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** One line per source file: path, size, modification time; any change gives another text. */
export function sourceFingerprint(root = ROOT) {
  const files = [...filesUnder(join(root, 'src')), ...CONFIGURATION.map((file) => join(root, file))];
  return files
    .filter((file) => existsSync(file))
    .map((file) => {
      const stat = statSync(file);
      return `${relative(root, file)}\t${stat.size}\t${stat.mtimeMs}`;
    })
    .sort()
    .join('\n');
}

export function serverBuildIsFresh(root = ROOT) {
  const recorded = join(root, 'dist', FINGERPRINT_FILE);
  return existsSync(recorded) && readFileSync(recorded, 'utf8') === sourceFingerprint(root);
}

/**
 * Builds into a fresh directory and swaps it in (under the build lock: ensureServerBuild), so a build never leaves files of deleted
 * sources behind and a half-written dist/ never runs. Throws when the compiler fails.
 */
export function buildServer(root = ROOT) {
  const fingerprint = sourceFingerprint(root);
  const out = join(root, `dist.building-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  let tsc;
  try {
    tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  } catch {
    throw new Error(
      'dist/ is missing or older than src/, and building it needs TypeScript, a development dependency: ' +
        'run npm ci with development dependencies (or npm run build:server where they are, and copy dist/)',
    );
  }
  // Type errors are the typecheck's to report (`npm run typecheck`, CI); the build only emits.
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--noCheck', '--outDir', out],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new Error(`the server build failed (tsc exited with ${result.status ?? result.signal})`);
  }
  // The worker threads' entry files are JavaScript already: copied beside the compiled workers.
  for (const file of filesUnder(join(root, 'src')).filter((path) => path.endsWith('.mjs'))) {
    cpSync(file, join(out, relative(join(root, 'src'), file)));
  }
  writeFileSync(join(out, FINGERPRINT_FILE), fingerprint);
  const dist = join(root, 'dist');
  const old = join(root, `dist.old-${process.pid}`);
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(out, dist);
  rmSync(old, { recursive: true, force: true });
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * Runs `work` holding dist.lock, so two processes starting at once (tests running the CLI side by
 * side, two servers) build once, and none swaps dist/ away under another that is loading it.
 * A lock left by a process that died is taken over.
 */
function withBuildLock(root, work) {
  const lock = join(root, 'dist.lock');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(existsSync(lock) ? readFileSync(lock, 'utf8') : 0);
      if (holder > 0 && !isAlive(holder)) rmSync(lock, { force: true });
      else Atomics.wait(pause, 0, 0, 100);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Builds dist/ when it is missing or older than src/; true when it built. Says so on a terminal
 * only: the CLI's own output stays what it is when a script or a test reads it.
 */
export function ensureServerBuild(root = ROOT, { force = false } = {}) {
  if (!force && serverBuildIsFresh(root)) return false;
  return withBuildLock(root, () => {
    if (!force && serverBuildIsFresh(root)) return false;
    const started = Date.now();
    const say = (line) => process.stderr.isTTY && process.stderr.write(`${line}\n`);
    say('Building the server (dist/ is missing or older than src/)…');
    buildServer(root);
    say(`Built the server into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return true;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    ensureServerBuild(ROOT, { force: process.argv.includes('--force') });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
