// `npm ci` warns EBADENGINE when an installed package wants a newer Node than the one running.
// The README promises Node 20 (package.json's engines), so every package the lock installs must
// accept the oldest Node 20 that package.json admits; an override in package.json pins one that
// does when a parent pulls in a release for a newer Node only.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

const root = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; version?: string }>;
};

describe('Node engines', () => {
  const oldest = semver.minVersion(manifest.engines.node)?.version ?? '';

  it('package.json promises Node 20', () => {
    expect(oldest.startsWith('20.')).toBe(true);
  });

  it('every locked package accepts the oldest Node package.json promises', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .flatMap(([path, entry]) => {
        const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        if (!range || semver.satisfies(oldest, range)) return [];
        return [`${path.replace(/^.*node_modules\//, '')}@${entry.version} wants node ${range}`];
      });
    expect(refusing).toEqual([]);
  });
});
