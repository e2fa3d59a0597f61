#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by scripts/build-server.mjs), building it first when it
// is missing or older than src/, so a clone works without a build step and a stale build never
// runs. Source maps are on, so stack traces name the .ts lines.
import { ensureServerBuild } from '../scripts/build-server.mjs';

ensureServerBuild();
process.setSourceMapsEnabled(true);
await import('../dist/cli/main.js');
