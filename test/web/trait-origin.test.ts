// A trait's origin in words (web/src/components/trait-origin.ts), as a person's 360 shows it.
import { describe, expect, it } from 'vitest';
import { CONDUCTOR_SOURCE } from '../../src/conductor/runtime/index.ts';
import { traitOrigin } from '../../web/src/components/trait-origin.ts';

describe('trait origin', () => {
  it('names the journey and step of a set-trait step, with a link to the journey', () => {
    expect(traitOrigin(CONDUCTOR_SOURCE, 'journey-trait:welcome:inst-1:tag-vip:1')).toEqual({
      text: 'journey “welcome”, step “tag-vip” (set trait)',
      href: '/journeys/welcome',
    });
  });

  it('names the write key or import source of an identify call', () => {
    expect(traitOrigin('shop-backend', 'msg-1')).toEqual({ text: 'identify call from “shop-backend”' });
  });
});
