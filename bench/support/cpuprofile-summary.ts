// Sums a V8 .cpuprofile's self time by function and by file, the way the per-step tables of
// docs/performance.md are read: `node --import tsx bench/support/cpuprofile-summary.ts FILE
// [--top N] [--by function|file] [--skip SECONDS]` (--skip leaves out the start: the imports). Each profile is one thread's (node --cpu-prof writes one per
// thread); "(idle)" samples are left out of the busy total, and "(program)" and
// "(garbage collector)" are V8's own work outside JS.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  key: string;
  micros: number;
  share: number;
}

export interface ProfileSummary {
  /** Wall time the profile covers, µs. */
  spanMicros: number;
  /** Sampled time outside "(idle)", µs. */
  busyMicros: number;
  rows: SelfTimeRow[];
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') ? path : fromHere;
}

function keyOf(node: ProfileNode, by: 'function' | 'file'): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = shortUrl(url);
  if (by === 'file') return file || functionName || '(anonymous)';
  const name = functionName || '(anonymous)';
  return file ? `${name} ${file}:${lineNumber + 1}` : name;
}

/** Self time per key: each sample's delta is charged to the node it landed in. */
export function summarise(profile: CpuProfile, by: 'function' | 'file', skipMicros = 0): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let busy = 0;
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < skipMicros) continue;
    const node = nodes.get(profile.samples[i] as number);
    if (!node) continue;
    // V8 records the delta before a sample; the next one is the time this sample stood for.
    const micros = profile.timeDeltas[i + 1] ?? 0;
    if (node.callFrame.functionName === '(idle)') continue;
    busy += micros;
    const key = keyOf(node, by);
    totals.set(key, (totals.get(key) ?? 0) + micros);
  }
  const rows = [...totals.entries()]
    .map(([key, micros]) => ({ key, micros, share: busy > 0 ? micros / busy : 0 }))
    .sort((a, b) => b.micros - a.micros);
  return { spanMicros: profile.endTime - profile.startTime, busyMicros: busy, rows };
}

function main(args: string[]): void {
  const files: string[] = [];
  let top = 30;
  let by: 'function' | 'file' = 'function';
  let skipSeconds = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--top') top = Number(args[++i]);
    else if (arg === '--skip') skipSeconds = Number(args[++i]);
    else if (arg === '--by') by = args[++i] === 'file' ? 'file' : 'function';
    else files.push(arg);
  }
  if (files.length === 0)
    throw new Error('usage: cpuprofile-summary.ts FILE… [--top N] [--by function|file] [--skip SECONDS]');
  for (const file of files) {
    const summary = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, by, skipSeconds * 1e6);
    console.log(
      `${file}: ${(summary.spanMicros / 1e6).toFixed(1)} s profiled, ${(summary.busyMicros / 1e6).toFixed(2)} s busy`,
    );
    for (const row of summary.rows.slice(0, top)) {
      console.log(
        `${(row.share * 100).toFixed(1).padStart(5)}%  ${(row.micros / 1000).toFixed(0).padStart(6)} ms  ${row.key}`,
      );
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
