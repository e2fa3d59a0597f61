// Signed referral codes: they name their referrer, and a forged, altered or foreign code names nobody.
import { describe, expect, it } from 'vitest';
import { referralCode, referrerOf } from '../../src/loyalty/index.ts';

describe('referral codes', () => {
  it('round-trips the referrer and refuses anything altered', () => {
    const code = referralCode('secret-a', 'profile-123');
    expect(referrerOf('secret-a', code)).toBe('profile-123');
    expect(referrerOf('secret-b', code)).toBeUndefined();
    const [payload, signature] = code.split('.');
    const other = Buffer.from('profile-999').toString('base64url');
    expect(referrerOf('secret-a', `${other}.${signature}`)).toBeUndefined();
    expect(referrerOf('secret-a', `${payload}.${signature!.slice(0, -1)}x`)).toBeUndefined();
    for (const bad of [undefined, 42, '', 'nodot', 'a.b.c', '.sig'])
      expect(referrerOf('secret-a', bad)).toBeUndefined();
  });
});
