// The pure parts of Citus placement and of the funnel's merge chain, without a database.
import { describe, expect, it } from 'vitest';
import { survivorsOf } from '../../src/store/funnel-sql.ts';
import { CITUS_PLACEMENTS, defaultPlacement } from '../../src/store/postgres/citus.ts';

describe('Citus placement', () => {
  it('distributes an unlisted table by profile id only when every unique key contains it', () => {
    expect(defaultPlacement('visits', ['profile_id', 'at'], [['profile_id', 'at']]).kind).toBe('distributed');
    expect(defaultPlacement('visits', ['profile_id', 'at'], []).kind).toBe('distributed');
    expect(defaultPlacement('tickets', ['id', 'profile_id'], [['id']]).kind).toBe('local');
    expect(defaultPlacement('settings', ['key', 'value'], [['key']]).kind).toBe('local');
  });

  it('gives every table a reason, and a surrogate-keyed distributed table a key with its column', () => {
    for (const [table, placement] of Object.entries(CITUS_PLACEMENTS)) {
      expect(placement.why.length, table).toBeGreaterThan(5);
      if (placement.kind === 'distributed' && placement.primaryKey) {
        expect(placement.primaryKey[0], table).toBe(placement.column);
      }
    }
    // The ordering and exactly-once tables stay on the coordinator.
    for (const table of [
      'log_batches',
      'log_message_ids',
      'processor_offsets',
      'event_processor_offsets',
      'quarantine',
      'outbox',
    ]) {
      expect(CITUS_PLACEMENTS[table]?.kind, table).toBe('local');
    }
  });
});

describe('survivorsOf', () => {
  it('follows each merge chain to its end', () => {
    const merged = [
      { id: 'a', mergedInto: 'b' },
      { id: 'b', mergedInto: 'c' },
      { id: 'd', mergedInto: 'c' },
      { id: 'x', mergedInto: 'y' },
    ];
    expect(survivorsOf(merged)).toEqual({ ids: ['a', 'b', 'd', 'x'], persons: ['c', 'c', 'c', 'y'] });
  });

  it('stops after 100 hops on a cycle, as the recursive query did', () => {
    const { persons } = survivorsOf([
      { id: 'a', mergedInto: 'b' },
      { id: 'b', mergedInto: 'a' },
    ]);
    expect(persons).toHaveLength(2);
  });
});
