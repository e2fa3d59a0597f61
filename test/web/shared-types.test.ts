// The dashboard's answer types come from the server's schema files (src/*/schema.ts), imported as
// types: a copy by hand drifts from what the server sends. Two checks, on the source text:
// - no file of web/src declares an interface or type under the name of a server schema (it
//   imports that schema's type instead);
// - nothing of the server reaches the built bundle (TypeBox's marks, a schema's own text), when
//   web/dist is built.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = join(ROOT, 'web/dist/assets');

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
