// The documented rules that turn stored events into touches, and paths per person.
import { describe, expect, it } from 'vitest';
import { classifyTouch, pathsFromEvents, type TouchRow } from '../../src/attribution/index.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T12:00:00Z');
let seq = 0;
const row = (over: Partial<TouchRow>): TouchRow => ({
  person: 'p',
  type: 'page',
  name: null,
  tsMs: T0,
  seq: ++seq,
  properties: {},
  context: {},
  ...over,
});
const page = (properties: Record<string, unknown>, context: Record<string, unknown> = {}) =>
  classifyTouch(row({ properties, context }))?.channel ?? null;

describe('classifying touches', () => {
  it('page views by UTM medium, from Segment context.campaign or the URL', () => {
    expect(page({}, { campaign: { medium: 'CPC', source: 'google', name: 'spring' } })).toBe('paid search');
    expect(page({}, { campaign: { medium: 'cpc', source: 'facebook' } })).toBe('paid social');
    expect(page({ url: 'https://shop.example/?utm_medium=email&utm_source=newsletter' })).toBe('email');
    expect(page({ url: 'https://shop.example/?utm_medium=display' })).toBe('display');
    expect(page({ url: 'https://shop.example/?utm_medium=social' })).toBe('organic social');
    expect(page({ url: 'https://shop.example/?utm_medium=podcast' })).toBe('podcast');
    expect(classifyTouch(row({ context: { campaign: { medium: 'cpc', name: 'spring' } } }))?.campaign).toBe(
      'spring',
    );
  });

  it('page views without UTM by referrer; navigation within the site is no touch', () => {
    expect(page({ referrer: 'https://www.google.com/search?q=x' })).toBe('organic search');
    expect(page({ referrer: 'https://t.co/abc' })).toBe('organic social');
    expect(page({}, { page: { referrer: 'https://l.facebook.com/' } })).toBe('organic social');
    expect(page({ referrer: 'https://blog.example.org/post' })).toBe('referral');
    expect(page({})).toBe('direct');
    expect(page({ url: 'https://shop.example/b', referrer: 'https://shop.example/a' })).toBeNull();
  });

  it("Rapport's own sends, opens and clicks, placements and imported ad clicks", () => {
    const track = (name: string, properties: Record<string, unknown> = {}) =>
      classifyTouch(row({ type: 'track', name, properties }));
    expect(track('Email Sent', { journey_id: 'welcome' })).toEqual({
      channel: 'email',
      kind: 'send',
      campaign: 'welcome',
    });
    expect(track('Email Link Clicked')).toMatchObject({ channel: 'email', kind: 'click' });
    expect(track('Message Opened', { channel: 'SMS' })).toMatchObject({ channel: 'sms', kind: 'open' });
    expect(track('Promotion Clicked')).toMatchObject({ channel: 'placement', kind: 'click' });
    expect(track('Ad Clicked', { channel: 'display', campaign: 'c9' })).toEqual({
      channel: 'display',
      kind: 'click',
      campaign: 'c9',
    });
    expect(track('Ad Clicked')).toBeNull();
    expect(track('Product Viewed')).toBeNull();
  });

  it('a push tapped is a click on push, as best channel counts it; its campaign object named', () => {
    const tapped = row({
      type: 'track',
      name: 'Push Notification Tapped',
      properties: { campaign: { name: 'Fortnightly deal', source: 'shop-app' }, message_id: 'm1' },
    });
    expect(classifyTouch(tapped)).toEqual({ channel: 'push', kind: 'click', campaign: 'Fortnightly deal' });
    // A push received is not a touch: nobody met it until they tapped it.
    expect(classifyTouch({ ...tapped, name: 'Push Notification Received' })).toBeNull();
    const built = pathsFromEvents(
      [
        { ...tapped, person: 'p', tsMs: T0 - DAY },
        row({ person: 'p', type: 'track', name: 'Order Completed', tsMs: T0, properties: { revenue: 20 } }),
      ],
      { conversionEvent: 'Order Completed', lookbackDays: 7, startMs: T0 - DAY, endMs: T0 + DAY },
    );
    expect(built.paths).toEqual([{ channels: ['push'], conversions: 1, nulls: 0, value: 20, ages: [1] }]);
  });
});

describe('paths per person', () => {
  const options = { conversionEvent: 'Order Completed', lookbackDays: 7, startMs: T0 - DAY, endMs: T0 + DAY };
  const visit = (person: string, medium: string, at: number) =>
    row({ person, tsMs: at, context: { campaign: { medium } } });
  const order = (person: string, at: number, properties: Record<string, unknown> = { revenue: 30 }) =>
    row({ person, type: 'track', name: 'Order Completed', tsMs: at, properties });

  it('a conversion takes the touches since the previous one within the lookback; the rest are a null path', () => {
    const built = pathsFromEvents(
      [
        visit('a', 'email', T0 - 10 * DAY), // outside the 7-day lookback
        visit('a', 'cpc', T0 - 2 * DAY),
        order('a', T0 - 2 * DAY + 1000), // before the range: uses up the cpc touch
        visit('a', 'display', T0 - 3600_000),
        visit('a', 'email', T0 - 60_000),
        order('a', T0, { total: '45.5' }),
        visit('a', 'social', T0 + 3600_000), // after the last conversion: a null path
        visit('b', 'cpc', T0),
        order('c', T0, {}),
      ],
      options,
    );
    expect(built.paths).toEqual([
      { channels: ['display', 'email'], conversions: 1, nulls: 0, value: 45.5, ages: [1 / 24, 1 / 1440] },
      { channels: ['organic social'], conversions: 0, nulls: 1, value: 0, ages: [(DAY - 3600_000) / DAY] },
      { channels: ['paid search'], conversions: 0, nulls: 1, value: 0, ages: [1] },
    ]);
    expect(built).toMatchObject({
      people: 3,
      conversions: 2,
      conversionsWithoutRevenue: 1,
      conversionsWithoutTouches: 1,
    });
  });

  it('sends count for reach but not in paths; a direct visit within a session is not a new touch', () => {
    const built = pathsFromEvents(
      [
        row({ person: 'a', type: 'track', name: 'Email Sent', tsMs: T0 - 7200_000 }),
        visit('a', 'cpc', T0 - 3600_000),
        row({ person: 'a', tsMs: T0 - 3000_000 }), // direct, 10 minutes later: same session
        row({ person: 'a', tsMs: T0 - 60_000 }), // direct, an hour later: a new touch
        order('a', T0),
      ],
      options,
    );
    expect(built.paths.map((path) => path.channels)).toEqual([['paid search', 'direct']]);
    expect(built.touchesByPerson.get('a')!.map((touch) => touch.channel)).toEqual([
      'email',
      'paid search',
      'direct',
    ]);
  });
});
