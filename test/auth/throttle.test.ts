// Sign-in throttling (src/auth/throttle.ts) on a clock the test moves: the limit per key, the
// wait until the oldest failure leaves the window, a success clearing the name only.
import { describe, expect, it } from 'vitest';
import { SignInThrottle } from '../../src/auth/index.ts';

describe('sign-in throttle', () => {
  it('refuses after the limit within the window, until the oldest failure leaves it', () => {
    let now = 1_000_000;
    const throttle = new SignInThrottle({ limit: 3, addressLimit: 3, windowMs: 60_000, now: () => now });
    const keys = ['name:ann', 'ip:10.0.0.1'];
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfter(keys)).toBeUndefined();
      throttle.failed(keys);
      now += 10_000;
    }
    // Failures at 0 s, 10 s, 20 s; now 30 s: the first leaves the window at 60 s.
    expect(throttle.retryAfter(keys)).toBe(30);
    // The same address trying another name is refused too; another address for another name is not.
    expect(throttle.retryAfter(['name:bob', 'ip:10.0.0.1'])).toBe(30);
    expect(throttle.retryAfter(['name:bob', 'ip:10.0.0.2'])).toBeUndefined();
    now += 30_001;
    expect(throttle.retryAfter(keys)).toBeUndefined();
  });

  it('allows an address more failures than a name (an office shares one address)', () => {
    const throttle = new SignInThrottle({ limit: 2, addressLimit: 5, windowMs: 60_000, now: () => 5 });
    for (const name of ['a', 'b', 'c', 'd']) throttle.failed([`name:${name}`, 'ip:office']);
    expect(throttle.retryAfter(['name:e', 'ip:office'])).toBeUndefined();
    throttle.failed(['name:e', 'ip:office']);
    expect(throttle.retryAfter(['name:f', 'ip:office'])).toBeGreaterThan(0);
  });

  it('clears a name on success, but not the address', () => {
    const throttle = new SignInThrottle({ limit: 2, addressLimit: 2, windowMs: 60_000, now: () => 5 });
    throttle.failed(['name:ann', 'ip:a']);
    throttle.failed(['name:ann', 'ip:a']);
    throttle.succeeded('name:ann');
    expect(throttle.retryAfter(['name:ann', 'ip:b'])).toBeUndefined();
    expect(throttle.retryAfter(['name:zed', 'ip:a'])).toBeGreaterThan(0);
  });
});
