// The city: residents of a service portal. A resident looks at services (some they are not
// eligible for), creates an account when applying, and is served (a permit issued, a pickup
// scheduled, a library card); how often they come back for another service follows the
// BG/NBD process. 311 requests and a monthly newsletter run alongside. Lifecycle: aware
// (first visit), interested (service viewed), applied (application submitted), served (first
// service delivered), regular (a second service delivered).
import type { BgNbdParams } from '../value/index.ts';
import {
  addDevice,
  drawBgNbd,
  drawRepeatPurchases,
  identifyPerson,
  newPerson,
  type PersonBasics,
  poissonTimes,
} from './people.ts';
import { type Device, type Episode, MS_PER_DAY, MS_PER_MINUTE, type PersonPlan, reach } from './person.ts';
import type { Random } from './random.ts';
import type { OutgoingMessage, PersonTruth } from './types.ts';

export const DISTRICTS = ['Harbour', 'Old Town', 'Riverside', 'Hillcrest', 'Northgate', 'Parkside'] as const;
/** Districts with residents' parking zones. */
const PARKING_DISTRICTS = new Set(['Old Town', 'Harbour', 'Riverside']);

interface Resident {
  age: number;
  district: string;
  residentSince: number;
  ownsHome: boolean;
  hasCar: boolean;
}

export interface CityService {
  id: string;
  name: string;
  /** The event that says the service was delivered. */
  outcome: 'Permit Issued' | 'Waste Pickup Scheduled' | 'Library Card Issued' | 'Senior Pass Issued';
  fee: number;
  /** Can be used again (a second pickup); one-off services are used once. */
  repeatable: boolean;
  eligible: (resident: Resident) => boolean;
}

export const CITY_SERVICES: readonly CityService[] = [
  {
    id: 'library-card',
    name: 'Library card',
    outcome: 'Library Card Issued',
    fee: 0,
    repeatable: false,
    eligible: () => true,
  },
  {
    id: 'bulky-waste-pickup',
    name: 'Bulky waste pickup',
    outcome: 'Waste Pickup Scheduled',
    fee: 15,
    repeatable: true,
    eligible: () => true,
  },
  {
    id: 'parking-permit',
    name: 'Residents’ parking permit',
    outcome: 'Permit Issued',
    fee: 60,
    repeatable: true,
    eligible: (r) => r.hasCar && PARKING_DISTRICTS.has(r.district),
  },
  {
    id: 'building-permit',
    name: 'Building permit',
    outcome: 'Permit Issued',
    fee: 250,
    repeatable: true,
    eligible: (r) => r.ownsHome,
  },
  {
    id: 'senior-pass',
    name: 'Senior transit pass',
    outcome: 'Senior Pass Issued',
    fee: 0,
    repeatable: false,
    eligible: (r) => r.age >= 65,
  },
];
const SERVED_EVENTS = new Set<string>(CITY_SERVICES.map((service) => service.outcome));
const REQUEST_CATEGORIES = ['pothole', 'streetlight', 'graffiti', 'noise', 'missed collection'];

interface CityContext {
  person: PersonBasics;
  random: Random;
  resident: Resident;
  episodes: Episode[];
  windowEnd: number;
  applications: number;
  used: Set<string>;
}

function drawResident(random: Random, startYear: number): Resident {
  return {
    age: random.integer(18, 90),
    district: random.pick(DISTRICTS),
    residentSince: random.integer(startYear - 40, startYear),
    ownsHome: random.chance(0.55),
    hasCar: random.chance(0.6),
  };
}

function serviceViews(ctx: CityContext, at: number, device: Device, services: CityService[]): void {
  ctx.episodes.push({
    at,
    play(emit) {
      emit.page(at, device, 'Home', { path: '/', title: 'City services' });
      services.forEach((service, i) => {
        emit.track(at + (i + 1) * 2 * MS_PER_MINUTE, device, 'Service Viewed', {
          service_id: service.id,
          service_name: service.name,
        });
      });
    },
  });
}

function createAccount(ctx: CityContext, at: number, device: Device): void {
  const { person, resident } = ctx;
  identifyPerson(person, at);
  const traits = {
    email: person.email,
    name: `${person.firstName} ${person.lastName}`,
    first_name: person.firstName,
    last_name: person.lastName,
    age: resident.age,
    district: resident.district,
    resident_since: resident.residentSince,
    address: { city: 'Rapport City', district: resident.district },
    timezone: person.timezone,
  };
  ctx.episodes.push({
    at,
    play(emit) {
      emit.identify(at, device, traits);
      emit.track(at + 1000, device, 'Signed Up', { type: 'city account' });
    },
  });
}

/** Apply for a service; eligible applications are served after a few working days. */
function application(ctx: CityContext, at: number, device: Device, service: CityService): void {
  const { random } = ctx;
  ctx.applications += 1;
  const applicationId = `${ctx.person.userId}-a${ctx.applications}`;
  const eligible = service.eligible(ctx.resident);
  const decidedAt = at + random.between(1, 10) * MS_PER_DAY;
  const common = { application_id: applicationId, service_id: service.id, service_name: service.name };
  ctx.episodes.push({
    at,
    play(emit) {
      emit.track(at, device, 'Application Started', common);
      emit.track(at + 8 * MS_PER_MINUTE, device, 'Application Submitted', common);
      if (!eligible) {
        emit.server(decidedAt, 'Application Rejected', { ...common, reason: 'not eligible' });
        return;
      }
      const outcome: Record<string, unknown> = { ...common, fee: service.fee, currency: 'USD' };
      if (service.outcome === 'Permit Issued') outcome.permit_type = service.id;
      if (service.outcome === 'Waste Pickup Scheduled')
        outcome.pickup_date = new Date(decidedAt + 3 * MS_PER_DAY).toISOString().slice(0, 10);
      emit.server(decidedAt, service.outcome, outcome);
    },
  });
}

function login(ctx: CityContext, at: number, device: Device): void {
  const { email } = ctx.person;
  ctx.episodes.push({ at, play: (emit) => emit.identify(at, device, { email }) });
}

function serviceRequest(ctx: CityContext, at: number, number: number): void {
  const category = ctx.random.pick(REQUEST_CATEGORIES);
  const resolvedAt = at + ctx.random.exponential(1) * 3 * MS_PER_DAY;
  const requestId = `${ctx.person.userId}-311-${number}`;
  const { district } = ctx.resident;
  ctx.episodes.push({
    at,
    play(emit) {
      emit.server(at, '311 Request Created', { request_id: requestId, category, district });
      emit.server(resolvedAt, '311 Request Resolved', { request_id: requestId, category, district });
    },
  });
}

function newsletters(ctx: CityContext, from: number): void {
  const { random } = ctx;
  const openShare = ctx.person.truth.preferredChannel === 'email' ? 0.45 : 0.12;
  for (let sent = from + 30 * MS_PER_DAY; sent < ctx.windowEnd; sent += 30 * MS_PER_DAY) {
    if (!random.chance(openShare)) continue;
    const openedAt = sent + random.between(10, 900) * MS_PER_MINUTE;
    const month = Math.round(sent / (30 * MS_PER_DAY));
    ctx.episodes.push({
      at: openedAt,
      play(emit) {
        emit.server(openedAt, 'Email Opened', {
          email_id: `city-news-${month}-${ctx.person.truth.index}`,
          campaign_id: `city-news-${month}`,
          campaign_name: 'City news',
          email_subject: 'What is new in your district',
        });
      },
    });
  }
}

/** The next service a resident applies for: mostly one they may use and have not used up. */
function nextService(ctx: CityContext): CityService {
  const open = CITY_SERVICES.filter((s) => s.repeatable || !ctx.used.has(s.id));
  const eligible = open.filter((s) => s.eligible(ctx.resident));
  const service =
    eligible.length > 0 && ctx.random.chance(0.9) ? ctx.random.pick(eligible) : ctx.random.pick(open);
  ctx.used.add(service.id);
  return service;
}

export function planCityPerson(
  seed: number,
  index: number,
  random: Random,
  arrival: number,
  windowEnd: number,
  bgNbd: BgNbdParams,
): PersonPlan {
  const person = newPerson('city', seed, index, random);
  const { truth } = person;
  drawBgNbd(random, truth, bgNbd);
  const resident = drawResident(random, new Date(arrival).getUTCFullYear());
  truth.resident = {
    age: resident.age,
    district: resident.district,
    residentSince: resident.residentSince,
    eligibleServices: CITY_SERVICES.filter((s) => s.eligible(resident)).map((s) => s.id),
  };
  const ctx: CityContext = {
    person,
    random,
    resident,
    episodes: [],
    windowEnd,
    applications: 0,
    used: new Set(),
  };
  const device = person.devices[0]!;
  const viewed = Array.from({ length: random.integer(1, 3) }, () => random.pick(CITY_SERVICES));
  serviceViews(ctx, arrival, device, viewed);
  const applyAt = arrival + random.exponential(1) * 4 * MS_PER_DAY;
  if (!random.chance(0.65) || applyAt > windowEnd) {
    for (const at of poissonTimes(random, 0.03, arrival + MS_PER_DAY, windowEnd))
      serviceViews(ctx, at, device, [random.pick(CITY_SERVICES)]);
    return cityPlan(ctx, seed, index);
  }
  createAccount(ctx, applyAt, device);
  const phone = random.chance(0.2) ? addDevice(person) : null;
  // The first application and the returns the BG/NBD process draws, each for a service.
  const { repeats } = drawRepeatPurchases(random, truth, applyAt, windowEnd);
  let phoneKnown = false;
  [applyAt + 2 * MS_PER_MINUTE, ...repeats].forEach((at, i) => {
    let from = device;
    if (phone !== null && i > 0 && random.chance(0.5)) {
      // A phone's first message is a login, so it joins the resident's profile.
      if (!phoneKnown) login(ctx, at - 10 * MS_PER_MINUTE, phone);
      phoneKnown = true;
      from = phone;
    }
    const service = nextService(ctx);
    if (i > 0) serviceViews(ctx, at - 5 * MS_PER_MINUTE, from, [service]);
    application(ctx, at, from, service);
  });
  let requests = 0;
  for (const at of poissonTimes(random, 0.03, applyAt, windowEnd)) serviceRequest(ctx, at, ++requests);
  newsletters(ctx, applyAt);
  if (random.chance(0.2)) {
    const at = applyAt + 20 * MS_PER_DAY;
    const score = random.integer(0, 10);
    if (at < windowEnd) {
      truth.advocacy.npsScore = score;
      ctx.episodes.push({
        at,
        play: (emit) => emit.track(at, device, 'NPS Submitted', { survey_id: 'city-services', score }),
      });
    }
  }
  return cityPlan(ctx, seed, index);
}

function cityPlan(ctx: CityContext, seed: number, index: number): PersonPlan {
  return {
    messageIdPrefix: `city-${seed}-${index}`,
    identity: ctx.person.identity,
    episodes: ctx.episodes,
    truth: ctx.person.truth,
    observe: observeCityMessage,
    windowEnd: ctx.windowEnd,
  };
}

function observeCityMessage(message: OutgoingMessage, truth: PersonTruth): void {
  reach(truth, 'aware', message.timestamp);
  const event = message.event ?? '';
  if (event === 'Service Viewed') reach(truth, 'interested', message.timestamp);
  if (event === 'Application Submitted') reach(truth, 'applied', message.timestamp);
  if (!SERVED_EVENTS.has(event)) return;
  truth.purchases += 1;
  truth.totalSpend += Number(message.properties?.fee ?? 0);
  if (truth.purchases === 1) truth.firstPurchaseAt = message.timestamp;
  reach(truth, truth.purchases === 1 ? 'served' : 'regular', message.timestamp);
}
