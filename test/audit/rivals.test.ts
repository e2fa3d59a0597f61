// The rival claims' statistics, pure: paired differences for channels (the same people on both),
// Welch's difference of means for personas, and the verdict from every rival.
import { describe, expect, it } from 'vitest';
import { testClaim } from '../../src/audit/index.ts';
import { measureKey, type RivalClaim } from '../../src/audit/model.ts';

const channelClaim = (channel: 'email' | 'sms'): RivalClaim => ({
  kind: 'preferred_channel',
  among: [],
  channel,
  by: 'engagement',
});

function evidence(claim: RivalClaim, figures: Map<string, Map<string, number>>) {
  return {
    everyone: new Set(figures.keys()),
    satisfying: new Map(),
    figures: new Map([[measureKey(claim), figures]]),
  };
}

describe('rival claims', () => {
  // Four people on both channels: email minus SMS per person is 0.5, 0.3, 0.4, 0.2.
  const figures = new Map([
    [
      'a',
      new Map([
        ['email', 0.6],
        ['sms', 0.1],
      ]),
    ],
    [
      'b',
      new Map([
        ['email', 0.5],
        ['sms', 0.2],
      ]),
    ],
    [
      'c',
      new Map([
        ['email', 0.4],
        ['sms', 0.0],
      ]),
    ],
    [
      'd',
      new Map([
        ['email', 0.3],
        ['sms', 0.1],
      ]),
    ],
  ]);

  it('a channel is compared on the people reached on both: the mean paired difference and its normal interval', () => {
    const result = testClaim(channelClaim('email'), evidence(channelClaim('email'), figures), new Date(0));
    // Differences 0.5, 0.3, 0.4, 0.2: mean 0.35, sample sd 0.1291, se 0.06455, ±1.95996 se.
    expect(result.estimate).toBeCloseTo(0.35, 10);
    expect(result.high - result.estimate).toBeCloseTo(1.959964 * (Math.sqrt(0.05 / 3) / 2), 5);
    expect(result).toMatchObject({ verdict: 'supported', rival: 'sms', people: 4 });
    const sms = testClaim(channelClaim('sms'), evidence(channelClaim('sms'), figures), new Date(0));
    expect(sms.verdict).toBe('contradicted');
    expect(sms.estimate).toBeCloseTo(-0.35, 10);
  });

  it('personas are independent groups: Welch', () => {
    const claim: RivalClaim = { kind: 'most_valuable_persona', among: [], persona: 'p1' };
    const people = new Map<string, Map<string, number>>([
      ['a', new Map([['p1', 100]])],
      ['b', new Map([['p1', 120]])],
      ['c', new Map([['p1', 110]])],
      ['d', new Map([['p2', 10]])],
      ['e', new Map([['p2', 30]])],
      ['f', new Map([['p2', 20]])],
    ]);
    const result = testClaim(claim, evidence(claim, people), new Date(0));
    // Means 110 and 20, each sample variance 100 over 3: se √(200/3).
    expect(result.estimate).toBeCloseTo(90, 10);
    expect(result.high - result.estimate).toBeCloseTo(1.959964 * Math.sqrt(200 / 3), 4);
    expect(result).toMatchObject({ verdict: 'supported', rival: 'p2' });
    expect(result.rivals!.map((g) => g.name)).toEqual(['p1', 'p2']);
  });

  it('one rival it cannot tell from is not enough data; nobody to compare with neither', () => {
    const close = new Map([
      [
        'a',
        new Map([
          ['email', 0.5],
          ['sms', 0.4],
        ]),
      ],
      [
        'b',
        new Map([
          ['email', 0.2],
          ['sms', 0.4],
        ]),
      ],
    ]);
    expect(
      testClaim(channelClaim('email'), evidence(channelClaim('email'), close), new Date(0)).verdict,
    ).toBe('not_enough_data');
    const alone = new Map([['a', new Map([['email', 0.5]])]]);
    expect(
      testClaim(channelClaim('email'), evidence(channelClaim('email'), alone), new Date(0)).verdict,
    ).toBe('not_enough_data');
  });
});
