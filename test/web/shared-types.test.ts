// The dashboard's answer types come from the server's schema files (src/*/schema.ts), imported as
// types: a copy by hand drifts from what the server sends. Two checks, on the source text:
// - no file of web/src declares an interface or type under the name of a server schema (it
//   imports that schema's type instead);
// - nothing of the server reaches the built bundle (TypeBox's marks, a schema's own text), when
//   web/dist is built;
// - the shapes still written by hand in the API clients (web/src/api.ts, web/src/*-api.ts) can only
//   fall in number: each is an answer with no TypeBox source yet (docs/architecture.md lists them).
//   When a route gains one, import its type and lower HAND_WRITTEN_CEILING. Only the API clients
//   are counted: a page's own form (the Measure page's MeasureQuery) lives with its page, since
//   it is no answer of the server's.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = join(ROOT, 'web/dist/assets');
/** Shapes written by hand in the API clients today; it may fall, never rise. */
const HAND_WRITTEN_CEILING = 0;

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => pattern.test(file))
    .map((file) => join(dir, file));
}

/** Names a server schema file exports in PascalCase: its schemas (constants are in CAPITALS). */
function schemaNames(source: string): string[] {
  return [...source.matchAll(/^export const ([A-Z][a-z]\w*)\s*=/gm)].map((match) => match[1]!);
}

/** Interfaces and type aliases a dashboard file declares itself (not re-exports). */
function declaredTypes(source: string): string[] {
  return [...source.matchAll(/^(?:export\s+)?(?:interface|type)\s+([A-Z]\w*)\b(?!\s*,)/gm)].map(
    (match) => match[1]!,
  );
}

/**
 * Shapes a dashboard file writes out itself: interfaces, and type aliases spelled as an object, a
 * union or a literal. An alias derived from an imported type (`Badge['challenge']`) is not one.
 */
function handWrittenShapes(source: string): string[] {
  const declared =
    /^(?:export\s+)?(?:interface\s+([A-Z]\w*)|type\s+([A-Z]\w*)(?:<[^=]*>)?\s*=\s*(?:$|[{|'"]))/gm;
  return [...source.matchAll(declared)].map((match) => (match[1] ?? match[2])!);
}

describe('the dashboard takes the server schemas’ types', () => {
  it('reads the names it checks (the readers themselves)', () => {
    expect(
      schemaNames('export const Task = Type.Object({});\nexport const MAX = 3;\nconst Inner = 1;'),
    ).toEqual(['Task']);
    expect(
      declaredTypes(
        'export interface Task {\n}\ninterface Row {}\nexport type { Task, Paths };\ntype Metric = 1;',
      ),
    ).toEqual(['Task', 'Row', 'Metric']);
    expect(
      handWrittenShapes(
        "export interface Run {\n}\nexport type Kind = 'a' | 'b';\nexport type Metric =\n  | { a: 1 };\n" +
          "export type Page<T> = { items: T[] };\nexport type Challenge = Badge['challenge'];\n" +
          'export type Model = (typeof MODELS)[number];\nexport type { Task };',
      ),
    ).toEqual(['Run', 'Kind', 'Metric', 'Page']);
  });

  it('writes no more answer shapes by hand than it did (HAND_WRITTEN_CEILING)', () => {
    const clients = filesUnder(join(ROOT, 'web/src'), /^(api|[\w-]+-api)\.ts$/);
    expect(clients.map((file) => relative(ROOT, file))).toContain('web/src/api.ts');
    const found = clients.flatMap((file) =>
      handWrittenShapes(readFileSync(file, 'utf8')).map((name) => `${relative(ROOT, file)}: ${name}`),
    );
    // Above the ceiling: a new copy of an answer; import the server schema's type instead.
    expect(found.length, found.join('\n')).toBeLessThanOrEqual(HAND_WRITTEN_CEILING);
  });

  it('declares no interface or type named like a server schema in web/src', () => {
    const schemas = new Map<string, string>();
    for (const file of filesUnder(join(ROOT, 'src'), /(^|\/)schema\.ts$/)) {
      for (const name of schemaNames(readFileSync(file, 'utf8'))) schemas.set(name, relative(ROOT, file));
    }
    // The stats, channels and paths schemas at least; a reader that finds nothing checks nothing.
    expect(schemas.get('EventsPerDay')).toBe('src/stats/schema.ts');
    expect(schemas.get('Task')).toBe('src/channels/schema.ts');
    const shadows: string[] = [];
    for (const file of filesUnder(join(ROOT, 'web/src'), /\.tsx?$/)) {
      for (const name of declaredTypes(readFileSync(file, 'utf8'))) {
        const schema = schemas.get(name);
        if (schema) shadows.push(`${relative(ROOT, file)} declares ${name}: import it from ${schema}`);
      }
    }
    expect(shadows).toEqual([]);
  });

  it.skipIf(!existsSync(DIST))('keeps the server out of the built bundle', () => {
    const bundle = filesUnder(DIST, /\.js$/).map((file) => readFileSync(file, 'utf8'));
    expect(bundle.length).toBeGreaterThan(0);
    for (const code of bundle) {
      expect(code).not.toContain('TypeBox.Kind');
      expect(code).not.toContain('the best consented channel; absent when none is consented');
    }
  });
});
