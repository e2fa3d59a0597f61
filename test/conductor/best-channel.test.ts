import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseBestChannel, estimateEngagement, rankChannels } from '../../src/conductor/index.ts';

describe('best channel', () => {
  it('computes the Beta posterior mean: (k + p·s) / (n + s)', () => {
    const estimate = estimateEngagement('sms', { sent: 15, engaged: 12 }, 0.3, 10);
    expect(estimate.alpha).toBeCloseTo(15);
    expect(estimate.beta).toBeCloseTo(10);
    expect(estimate.rate).toBeCloseTo(15 / 25);
  });

  it('is the segment rate with no history, and the person’s own rate with a lot', () => {
    expect(estimateEngagement('email', undefined, 0.23).rate).toBeCloseTo(0.23);
    expect(estimateEngagement('email', { sent: 10_000, engaged: 7_000 }, 0.1).rate).toBeCloseTo(0.7, 2);
  });

  it('does not let three opens of three beat a strong segment rate on a channel with real history', () => {
    const ranked = rankChannels({
      channels: ['email', 'sms'],
      own: { email: { sent: 40, engaged: 24 }, sms: { sent: 3, engaged: 3 } },
      segmentRates: { email: 0.4, sms: 0.2 },
    });
    // email: (24 + 4) / 50 = 0.56; sms: (3 + 2) / 13 ≈ 0.38
    expect(ranked.map((e) => e.channel)).toEqual(['email', 'sms']);
  });

  it('picks the best consented channel and explains it', () => {
    const input = {
      channels: ['email', 'sms', 'push'] as const,
      own: {
        email: { sent: 20, engaged: 2 },
        sms: { sent: 15, engaged: 12 },
        push: { sent: 50, engaged: 45 },
      },
      segmentRates: { email: 0.2, sms: 0.3, push: 0.5 },
    };
    const best = chooseBestChannel(
      { ...input, channels: [...input.channels] },
      (channel) => channel !== 'push',
    );
    expect(best?.channel).toBe('sms');
    expect(best?.explanation).toBe('prefers sms: 12 of 15 opened');
    expect(chooseBestChannel({ ...input, channels: [...input.channels] }, () => false)).toBeUndefined();
  });

  it('breaks ties by the designer’s order and explains a choice made on the segment alone', () => {
    const best = chooseBestChannel({ channels: ['sms', 'email'], own: {}, segmentRates: {} }, () => true);
    expect(best?.channel).toBe('sms');
    expect(best?.explanation).toBe('prefers sms: no sends yet, like similar people (10%)');
  });

  it('stays a rate between 0 and 1, between the prior and the person’s own rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (sent, share, prior) => {
          const engaged = Math.floor(sent * share);
          const { rate } = estimateEngagement('email', { sent, engaged }, prior);
          const own = engaged / sent;
          expect(rate).toBeGreaterThanOrEqual(Math.min(own, prior) - 1e-12);
          expect(rate).toBeLessThanOrEqual(Math.max(own, prior) + 1e-12);
        },
      ),
    );
  });
});
