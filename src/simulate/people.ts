// What every simulated person has whatever the world: a name, devices, a preferred channel,
// the BG/NBD draws that drive how often they come back, and an empty truth to fill in.
import type { BgNbdParams } from '../value/index.ts';
import { type Device, MS_PER_WEEK, PersonIdentity } from './person.ts';
import type { Random } from './random.ts';
import type { Channel, PersonTruth, WorldKind } from './types.ts';

const FIRST_NAMES = [
  'Ada',
  'Amir',
  'Bea',
  'Carlos',
  'Chen',
  'Dana',
  'Elif',
  'Femi',
  'Grace',
  'Hugo',
  'Ines',
  'Jonas',
  'Kofi',
  'Lena',
  'Maya',
  'Noah',
  'Olga',
  'Priya',
  'Quinn',
  'Rosa',
  'Sami',
  'Tariq',
  'Uma',
  'Yusuf',
];
const LAST_NAMES = [
  'Adams',
  'Baker',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jansen',
  'Kowalski',
  'Larsen',
  'Moreau',
  'Nowak',
  'Okafor',
  'Petrov',
  'Rossi',
  'Silva',
  'Tanaka',
  'Weber',
];
const TIMEZONES = ['Europe/Paris', 'Europe/London', 'America/New_York', 'America/Chicago', 'Asia/Tokyo'];
const CITIES = ['Lyon', 'Leeds', 'Boston', 'Denver', 'Osaka', 'Porto', 'Ghent', 'Turin'];
const USER_AGENTS = {
  desktop:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  mobile:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
};

export interface PersonBasics {
  random: Random;
  identity: PersonIdentity;
  truth: PersonTruth;
  firstName: string;
  lastName: string;
  email: string;
  userId: string;
  timezone: string;
  city: string;
  devices: Device[];
}

export function newDevice(random: Random, timezone: string, kind: 'desktop' | 'mobile'): Device {
  return {
    anonymousId: random.uuid(),
    context: {
      userAgent: USER_AGENTS[kind],
      timezone,
      locale: 'en-US',
      library: { name: 'rapport-simulate' },
    },
  };
}

export function newPerson(kind: WorldKind, seed: number, index: number, random: Random): PersonBasics {
  const firstName = random.pick(FIRST_NAMES);
  const lastName = random.pick(LAST_NAMES);
  const timezone = random.pick(TIMEZONES);
  const device = newDevice(random, timezone, random.chance(0.55) ? 'mobile' : 'desktop');
  const preferredChannel = random.weighted<Channel>([
    ['email', 45],
    ['web', 30],
    ['push', 15],
    ['sms', 10],
  ]);
  // Ids carry the seed so worlds of different seeds never collide in one instance, and the
  // same seed sent twice is deduplicated by messageId instead of doubling the data.
  const userId = `${kind}-${seed}-u${index}`;
  return {
    random,
    identity: new PersonIdentity(),
    firstName,
    lastName,
    email: `${firstName}.${lastName}.${seed}.${index}@example.com`.toLowerCase(),
    userId,
    timezone,
    city: random.pick(CITIES),
    devices: [device],
    truth: {
      kind,
      index,
      anonymousIds: [device.anonymousId],
      userId: null,
      email: null,
      identifiedAt: null,
      preferredChannel,
      purchaseRate: 0,
      dropoutProbability: 0,
      droppedOutAt: null,
      spendRate: null,
      expectedOrderValue: null,
      firstPurchaseAt: null,
      purchases: 0,
      totalSpend: 0,
      stages: {},
      complementaryPurchases: [],
      subscription: null,
      advocacy: { npsScore: null, referrals: 0, reviews: 0 },
      emailConsent: null,
      resident: null,
    },
  };
}

/** Marks the person identified from `at` on (messages from then carry their userId). */
export function identifyPerson(person: PersonBasics, at: number): void {
  person.identity.userId = person.userId;
  person.identity.identifiedAt = at;
  person.truth.userId = person.userId;
  person.truth.email = person.email;
  person.truth.identifiedAt = new Date(at).toISOString();
}

export function addDevice(person: PersonBasics): Device {
  const device = newDevice(person.random, person.timezone, 'mobile');
  person.devices.push(device);
  person.truth.anonymousIds.push(device.anonymousId);
  return device;
}

export interface RepeatProcess {
  /** Times of repeat purchases (epoch ms), after the first, inside the window. */
  repeats: number[];
  droppedOutAt: number | null;
}

/** The person's BG/NBD draws: λ ~ Gamma(r, α) purchases a week and p ~ Beta(a, b). */
export function drawBgNbd(random: Random, truth: PersonTruth, params: BgNbdParams): void {
  truth.purchaseRate = random.gamma(params.r, params.alpha);
  truth.dropoutProbability = random.beta(params.a, params.b);
}

/**
 * BG/NBD after the first purchase at `first`: purchases at Poisson rate λ per week, and after
 * each repeat purchase the person leaves for good with probability p (Fader, Hardie & Lee 2005).
 */
export function drawRepeatPurchases(
  random: Random,
  truth: PersonTruth,
  first: number,
  windowEnd: number,
): RepeatProcess {
  const rate = truth.purchaseRate;
  const repeats: number[] = [];
  let time = first;
  while (rate > 0) {
    time += random.exponential(rate) * MS_PER_WEEK;
    if (time > windowEnd) break;
    repeats.push(time);
    if (random.chance(truth.dropoutProbability)) {
      truth.droppedOutAt = new Date(time).toISOString();
      return { repeats, droppedOutAt: time };
    }
  }
  return { repeats, droppedOutAt: null };
}

/** Event times of a Poisson process with `perWeek` events a week over [from, to). */
export function poissonTimes(random: Random, perWeek: number, from: number, to: number): number[] {
  const times: number[] = [];
  if (perWeek <= 0) return times;
  let time = from;
  for (;;) {
    time += random.exponential(perWeek) * MS_PER_WEEK;
    if (time >= to) return times;
    times.push(time);
  }
}
