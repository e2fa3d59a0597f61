// readPeople reads a trait's value out of the profile's trait record ({value, at, source…}, as
// the state store keeps it), so `--traits age` clusters on the age, and a trait nobody has as a
// number is refused.
import { describe, expect, it } from 'vitest';
import { readPeople } from '../../src/personas/index.ts';
import type { ProfileRow } from '../../src/store/index.ts';

const trait = (value: unknown) => ({ value, at: '2026-01-01T00:00:00Z', source: 'test', messageId: 'm' });
const profile = (profileId: string, traits: Record<string, unknown>) =>
  ({
    profileId,
    createdAt: '2026-01-01T00:00:00Z',
    firstSeen: '2026-01-01T00:00:00Z',
    lastSeen: '2026-01-02T00:00:00Z',
    eventCount: 1,
    traits: Object.fromEntries(Object.entries(traits).map(([k, v]) => [k, trait(v)])),
    groups: {},
    consent: {},
    mergedInto: null,
  }) as unknown as ProfileRow;

const sources = (profiles: ProfileRow[]) => ({
  events: { query: async () => [] },
  state: { searchProfiles: async () => profiles },
  profileMap: async () => new Map<string, string>(),
});

describe('readPeople', () => {
  it('uses the value of a numeric trait, and the mean for a person without it', async () => {
    const people = await readPeople(
      sources([profile('a', { age: 30 }), profile('b', { age: '50' }), profile('c', { city: 'Lyon' })]),
      ['age'],
      new Date('2026-01-03T00:00:00Z'),
    );
    const age = people.features.findIndex((f) => f.name === 'trait:age');
    expect(people.rows.map((row) => row[age])).toEqual([30, 50, 40]);
  });

  it('refuses a trait nobody has as a number', async () => {
    await expect(readPeople(sources([profile('a', { city: 'Lyon' })]), ['city'], new Date())).rejects.toThrow(
      /"city"/,
    );
  });
});
