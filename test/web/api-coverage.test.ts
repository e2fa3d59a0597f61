// Everything the API can do, the dashboard can do, or docs/dashboard.md says why not: every
// `/api` and `/v1` route the server's source registers is either called by the dashboard
// (a path in web/src, matched segment by segment with parameters as wildcards) or named in the
// doc's table of routes without a screen. Paths, not methods: a page that reads a path is taken
// to cover its other methods (the browser tests check the buttons themselves). A text walk, no
// server: it fails when a route lands without a screen or an explanation.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/browser.ts';

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => pattern.test(name))
    .map((name) => join(dir, name));
}

/** Segments of a path: parameters (`:id`, `${…}`, `*`) as `*`. */
function segments(path: string): string[] {
  return path
    .split('?')[0]!
    .replace(/\$\{[^}]*\}/g, '*')
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') || segment.includes('*') ? '*' : segment));
}

function matches(route: string[], call: string[], suffixOnly: boolean): boolean {
  if (suffixOnly ? call.length > route.length : call.length !== route.length) return false;
  const offset = route.length - call.length;
  // A route's parameter matches anything; a call's parameter only a parameter (so a call to
  // /api/experiments/<id> does not cover /api/experiments/compare).
  return call.every((segment, i) => route[i + offset] === '*' || segment === route[i + offset]);
}

const routes = new Set<string>();
for (const file of files(join(ROOT, 'src'), /\.ts$/)) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/app\.(?:get|post|put|delete|patch)\(\s*(['`])([^'`]+)\1/g))
    if (/^\/(api|v1)\//.test(match[2]!)) routes.add(match[2]!);
}

/** Paths the dashboard calls; a literal that starts with `${…}` (a helper's path) matches as a suffix. */
const calls: Array<{ segments: string[]; suffixOnly: boolean }> = [];
for (const file of files(join(ROOT, 'web/src'), /\.tsx?$/)) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(
    /(['`])((?:\/(?:api|v1)\/|\$\{[a-zA-Z]+\([^)]*\)\}\/)(?:\$\{[^}]*\}|[^'`\s$])*)\1/g,
  )) {
    const literal = match[2]!;
    const suffixOnly = literal.startsWith('${');
    calls.push({
      segments: segments(suffixOnly ? literal.replace(/^\$\{[^}]*\}/, '') : literal),
      suffixOnly,
    });
  }
}

const doc = readFileSync(join(ROOT, 'docs/dashboard.md'), 'utf8');
const section = doc.slice(
  doc.indexOf('## What the API can do that the dashboard cannot yet'),
  doc.indexOf('## Staying fast on a large instance'),
);
const explained = [
  ...section.matchAll(
    /`(?:(?:GET|POST|PUT|DELETE|PATCH)(?:`, `(?:GET|POST|PUT|DELETE|PATCH))* )?(\/[^`\s]+)`/g,
  ),
].map((match) => segments(match[1]!));

describe('every API route has a screen or a reason', () => {
  it('finds the routes and the calls (the walk itself works)', () => {
    expect(routes.size).toBeGreaterThan(100);
    expect(routes.has('/api/placements/preview')).toBe(true);
    expect(calls.length).toBeGreaterThan(100);
    expect(explained.length).toBeGreaterThan(5);
  });

  it('has no /api or /v1 route that the dashboard does not call and docs/dashboard.md does not explain', () => {
    const missing = [...routes].filter((route) => {
      const parts = segments(route);
      return (
        !calls.some((call) => matches(parts, call.segments, call.suffixOnly)) &&
        !explained.some((listed) => matches(parts, listed, false))
      );
    });
    expect(missing).toEqual([]);
  });
});
