// The placements' person cache forgets an erased person's entries (issue 12, item 3): after an
// erasure completes, decide must not render with their traits from memory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PersonCache } from '../../src/placements/index.ts';
import { ENGINES, type OpenedStores } from '../store/engines.ts';

const engine = ENGINES[0];
describe('PersonCache.forgetIdentities', () => {
  let stores: OpenedStores;
  beforeEach(async () => {
    stores = await (engine as NonNullable<typeof engine>).open();
  });
  afterEach(async () => stores.close());

  it('drops the entries keyed by the userId and anonymousId of an erased person, and only those', async () => {
    const cache = new PersonCache(stores.state);
    for (const key of [{ userId: 'gone' }, { anonymousId: 'gone-anon' }, { userId: 'kept' }])
      await cache.get(PersonCache.keyOf(key) as string, key, 0, 'p');
    expect(cache.size).toBe(3);
    cache.forgetIdentities([
      { kind: 'user_id', value: 'gone' },
      { kind: 'anonymous_id', value: 'gone-anon' },
      { kind: 'email', value: 'gone@example.org' },
    ]);
    expect(cache.size).toBe(1);
    const kept = await cache.get('u:kept', { userId: 'kept' }, 0, 'p');
    expect(kept).toBeDefined();
    expect(cache.size).toBe(1);
  });
});
