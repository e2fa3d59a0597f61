// The store: a shop with an email list, a help desk and a subscription plan. A visitor browses
// anonymously, some sign up (identify), some buy; buyers come back by the BG/NBD process and
// spend by the Gamma-Gamma process; anchors (a printer) pull their complements (ink, paper)
// into later orders. Lifecycle: awareness (first visit), interest (first product viewed),
// motivation (checkout started), action (first order), relationship (second order or a
// subscription).

import type { BgNbdParams, GammaGammaParams } from '../value/index.ts';
import { DEMO_EXPERIMENTS, demoArms, PLANTED_EFFECT, PLANTED_EXTRA_BUYERS } from './experiments.ts';
import {
  addDevice,
  drawBgNbd,
  drawRepeatPurchases,
  identifyPerson,
  newPerson,
  type PersonBasics,
  poissonTimes,
} from './people.ts';
import {
  cents,
  type Device,
  type Episode,
  MS_PER_DAY,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  MS_PER_WEEK,
  type PersonPlan,
  reach,
} from './person.ts';
import { Random } from './random.ts';
import type { OutgoingMessage, PersonTruth } from './types.ts';

export interface Product {
  id: string;
  name: string;
  category: string;
  price: number;
  complements?: readonly string[];
}

/** Anchors: a first purchase that makes later purchases of its complements likely. */
export const ANCHOR_PRODUCTS: readonly Product[] = [
  {
    id: 'printer-inkjet',
    name: 'Inkjet Printer',
    category: 'Printers',
    price: 89,
    complements: ['ink-black', 'ink-colour', 'paper-a4'],
  },
  {
    id: 'printer-laser',
    name: 'Laser Printer',
    category: 'Printers',
    price: 199,
    complements: ['toner-black', 'paper-a4'],
  },
  {
    id: 'espresso-machine',
    name: 'Espresso Machine',
    category: 'Kitchen',
    price: 249,
    complements: ['coffee-beans', 'descaler'],
  },
  {
    id: 'camera-compact',
    name: 'Compact Camera',
    category: 'Cameras',
    price: 329,
    complements: ['memory-card', 'camera-bag'],
  },
];
/** Complements appear only through an anchor bought earlier, so the truth can name every pair. */
export const COMPLEMENT_PRODUCTS: readonly Product[] = [
  { id: 'ink-black', name: 'Black Ink Cartridge', category: 'Ink & Toner', price: 19 },
  { id: 'ink-colour', name: 'Colour Ink Cartridge', category: 'Ink & Toner', price: 24 },
  { id: 'toner-black', name: 'Black Toner', category: 'Ink & Toner', price: 59 },
  { id: 'paper-a4', name: 'A4 Paper, 500 sheets', category: 'Paper', price: 7 },
  { id: 'coffee-beans', name: 'Coffee Beans 1 kg', category: 'Kitchen', price: 22 },
  { id: 'descaler', name: 'Descaler', category: 'Kitchen', price: 9 },
  { id: 'memory-card', name: 'Memory Card 128 GB', category: 'Cameras', price: 29 },
  { id: 'camera-bag', name: 'Camera Bag', category: 'Cameras', price: 39 },
];
export const OTHER_PRODUCTS: readonly Product[] = [
  { id: 'desk-lamp', name: 'Desk Lamp', category: 'Home Office', price: 35 },
  { id: 'notebook-a5', name: 'A5 Notebook', category: 'Stationery', price: 6 },
  { id: 'usb-c-cable', name: 'USB-C Cable', category: 'Accessories', price: 12 },
  { id: 'headphones', name: 'Wireless Headphones', category: 'Audio', price: 79 },
  { id: 'backpack', name: 'Laptop Backpack', category: 'Bags', price: 55 },
  { id: 'mug', name: 'Insulated Mug', category: 'Kitchen', price: 18 },
];
const PRODUCTS_BY_ID = new Map(
  [...ANCHOR_PRODUCTS, ...COMPLEMENT_PRODUCTS, ...OTHER_PRODUCTS].map((product) => [product.id, product]),
);
const BROWSABLE = [...ANCHOR_PRODUCTS, ...OTHER_PRODUCTS];

export const SUBSCRIPTION_PLAN = { id: 'supplies-club', price: 9.99, period: 'monthly' } as const;

/** Shares of visitors who sign up, and of those who then buy. */
const SIGN_UP_SHARE = 0.7;
const BUYER_SHARE = 0.75;

export interface StoreModels {
  bgNbd: BgNbdParams;
  gammaGamma: GammaGammaParams;
  /** Plant the demo experiments (experiments.ts). */
  experiments?: boolean | undefined;
}

interface StoreContext {
  /** The world's seed: some draws use their own stream of (seed, person). */
  seed: number;
  person: PersonBasics;
  random: Random;
  truth: PersonTruth;
  episodes: Episode[];
  windowEnd: number;
  pendingComplements: Map<string, { anchor: string; anchorAt: number }>;
  orders: number;
}

function productProperties(product: Product, position?: number): Record<string, unknown> {
  return {
    product_id: product.id,
    sku: product.id.toUpperCase(),
    name: product.name,
    category: product.category,
    price: product.price,
    ...(position === undefined ? {} : { position }),
  };
}

function browseSession(ctx: StoreContext, at: number, device: Device): void {
  const products = Array.from({ length: ctx.random.integer(1, 3) }, () => ctx.random.pick(BROWSABLE));
  const gapMinutes = ctx.random.between(0.5, 4);
  ctx.episodes.push({
    at,
    play(emit) {
      emit.page(at, device, 'Home', { path: '/', title: 'Home' });
      products.forEach((product, i) => {
        emit.track(
          at + (i + 1) * gapMinutes * MS_PER_MINUTE,
          device,
          'Product Viewed',
          productProperties(product),
        );
      });
    },
  });
}

/** Splits the planted order value over the items in proportion to their list prices. */
function priceLines(products: Product[], value: number): Record<string, unknown>[] {
  const listTotal = products.reduce((sum, product) => sum + product.price, 0);
  let left = value;
  return products.map((product, i) => {
    const price = i === products.length - 1 ? cents(left) : cents((value * product.price) / listTotal);
    left -= price;
    return { ...productProperties(product, i + 1), price, quantity: 1 };
  });
}

function chooseOrderProducts(ctx: StoreContext, at: number): Product[] {
  const { random } = ctx;
  const pending = [...ctx.pendingComplements.keys()];
  if (pending.length > 0 && random.chance(0.6)) {
    const complementId = random.pick(pending);
    const origin = ctx.pendingComplements.get(complementId)!;
    ctx.pendingComplements.delete(complementId);
    ctx.truth.complementaryPurchases.push({
      anchor: origin.anchor,
      anchorAt: new Date(origin.anchorAt).toISOString(),
      complement: complementId,
      complementAt: new Date(at).toISOString(),
    });
    return [PRODUCTS_BY_ID.get(complementId)!];
  }
  if (random.chance(0.35)) {
    const anchor = random.pick(ANCHOR_PRODUCTS);
    for (const complement of anchor.complements ?? []) {
      if (!ctx.pendingComplements.has(complement))
        ctx.pendingComplements.set(complement, { anchor: anchor.id, anchorAt: at });
    }
    return [anchor];
  }
  return Array.from({ length: random.integer(1, 2) }, () => random.pick(OTHER_PRODUCTS));
}

interface Checkout {
  at: number;
  device: Device;
  products: Product[];
  /** Planted order value, or null for an abandoned checkout. */
  value: number | null;
  orderNumber: number;
}

function checkoutSession(ctx: StoreContext, checkout: Checkout): void {
  const { at, device, products, value, orderNumber } = checkout;
  const step = ctx.random.between(0.5, 3) * MS_PER_MINUTE;
  const checkoutId = `${ctx.person.userId}-c${orderNumber}`;
  const listValue = products.reduce((sum, product) => sum + product.price, 0);
  ctx.episodes.push({
    at,
    play(emit) {
      let stepNumber = 0;
      const nextTime = () => at + ++stepNumber * step;
      emit.page(at, device, 'Product', { path: `/p/${products[0]!.id}` });
      for (const product of products)
        emit.track(nextTime(), device, 'Product Viewed', productProperties(product));
      for (const product of products)
        emit.track(nextTime(), device, 'Product Added', productProperties(product));
      const lines =
        value === null ? products.map((p, i) => productProperties(p, i + 1)) : priceLines(products, value);
      emit.track(nextTime(), device, 'Checkout Started', {
        order_id: checkoutId,
        value: value ?? listValue,
        currency: 'USD',
        products: lines,
      });
      if (value === null) return;
      emit.track(nextTime(), device, 'Order Completed', {
        order_id: `${ctx.person.userId}-o${orderNumber}`,
        checkout_id: checkoutId,
        total: value,
        revenue: value,
        shipping: 0,
        tax: 0,
        currency: 'USD',
        products: lines,
      });
    },
  });
}

function orderValue(random: Random, models: StoreModels, spendRate: number): number {
  return Math.max(0.01, cents(random.gamma(models.gammaGamma.p, spendRate)));
}

/** Its own random stream, so planting consent left every other draw of the world as it was. */
const CONSENT_STREAM = 5;
/** Who tick "email me news and offers" at sign-up; the others leave it unticked (denied). */
export const EMAIL_OPT_IN_SHARE = 0.7;
/** Of those who opted in, who withdraw later (the preference centre), at a uniform time. */
export const EMAIL_WITHDRAWAL_SHARE = 0.12;
/** The identify carrying the sign-up's consent comes this long after the sign-up page. */
const IDENTIFY_DELAY_MS = 20_000;

interface EmailConsent {
  granted: boolean;
  withdrawnAt: number | null;
}

function drawEmailConsent(ctx: StoreContext, index: number, signedUpAt: number): EmailConsent {
  const random = new Random(ctx.seed, index, CONSENT_STREAM);
  const granted = random.chance(EMAIL_OPT_IN_SHARE);
  const withdraws = random.chance(EMAIL_WITHDRAWAL_SHARE);
  const decidedAt = signedUpAt + IDENTIFY_DELAY_MS;
  // Whole seconds, as a client's timestamps are.
  const withdrawAt = Math.floor((decidedAt + random.uniform() * (ctx.windowEnd - decidedAt)) / 1000) * 1000;
  const consent = {
    granted,
    withdrawnAt: granted && withdraws && withdrawAt > decidedAt ? withdrawAt : null,
  };
  ctx.truth.emailConsent = {
    granted,
    at: new Date(decidedAt).toISOString(),
    withdrawnAt: consent.withdrawnAt === null ? null : new Date(consent.withdrawnAt).toISOString(),
  };
  return consent;
}

/** Whether the shop may send marketing email to the person at `at`. */
function mayEmail(consent: EmailConsent, at: number): boolean {
  return consent.granted && (consent.withdrawnAt === null || at < consent.withdrawnAt);
}

function signUp(ctx: StoreContext, at: number, device: Device, consent: EmailConsent): void {
  const { person } = ctx;
  identifyPerson(person, at);
  const traits = {
    // Kept as consent, not as a trait (docs/privacy.md).
    consent: { email: consent.granted ? 'granted' : 'denied' },
    email: person.email,
    name: `${person.firstName} ${person.lastName}`,
    first_name: person.firstName,
    last_name: person.lastName,
    plan: 'free',
    city: person.city,
    timezone: person.timezone,
    created_at: new Date(at).toISOString(),
  };
  ctx.episodes.push({
    at,
    play(emit) {
      emit.page(at, device, 'Sign Up', { path: '/signup' });
      emit.identify(at + IDENTIFY_DELAY_MS, device, traits);
      emit.track(at + 21_000, device, 'Signed Up', { type: 'email' });
    },
  });
  const withdrawnAt = consent.withdrawnAt;
  if (withdrawnAt === null) return;
  ctx.episodes.push({
    at: withdrawnAt,
    play(emit) {
      // From the shop's preference centre, as Segment's consent event.
      emit.server(withdrawnAt, 'Segment Consent Preference Updated', {
        categoryPreferences: { email: false },
      });
    },
  });
}

/** Experiment Viewed for each demo experiment, just after Signed Up, in the person's /v1/assign arm. */
function exposeToDemoExperiments(ctx: StoreContext, at: number, device: Device): Record<string, string> {
  const arms = demoArms(ctx.person.userId as string);
  ctx.truth.experiments = arms;
  ctx.episodes.push({
    at: at + 22_000,
    play(emit) {
      for (const experiment of DEMO_EXPERIMENTS) {
        const arm = experiment.arms.find((a) => a.id === arms[experiment.id]);
        emit.track(at + 22_000, device, 'Experiment Viewed', {
          experiment_id: experiment.id,
          experiment_name: experiment.name,
          variation_id: arm?.id,
          variation_name: arm?.name,
        });
      }
    },
  });
  return arms;
}

/** A login on a new phone: identify first, so the device joins the person's profile. */
function secondDevice(ctx: StoreContext, at: number): Device {
  const device = addDevice(ctx.person);
  const { email } = ctx.person;
  ctx.episodes.push({
    at,
    play(emit) {
      emit.identify(at, device, { email });
      emit.track(at + 5_000, device, 'Signed In', {});
    },
  });
  return device;
}

/** How much likelier a person opens a message on their preferred channel than on another. */
export const PREFERRED_CHANNEL_OPEN_RATE = 0.4;
export const OTHER_CHANNEL_OPEN_RATE = 0.1;

function openRate(truth: PersonTruth, channel: PersonTruth['preferredChannel']): number {
  return truth.preferredChannel === channel ? PREFERRED_CHANNEL_OPEN_RATE : OTHER_CHANNEL_OPEN_RATE;
}

function emailCampaigns(
  ctx: StoreContext,
  from: number,
  aliveUntil: number,
  buyer: boolean,
  consent: EmailConsent,
): void {
  const { random, truth } = ctx;
  const baseOpen = openRate(truth, 'email');
  // Weekly newsletter on Tuesdays 09:00 UTC from the first one after sign-up.
  const firstTuesday = Math.ceil((from - 5 * MS_PER_DAY - 9 * MS_PER_HOUR) / MS_PER_WEEK) * MS_PER_WEEK;
  for (
    let sent = firstTuesday + 5 * MS_PER_DAY + 9 * MS_PER_HOUR;
    sent < ctx.windowEnd;
    sent += MS_PER_WEEK
  ) {
    if (sent < from) continue;
    const week = Math.round(sent / MS_PER_WEEK);
    const campaign = {
      email_id: `newsletter-${week}-${truth.index}`,
      campaign_id: `newsletter-${week}`,
      campaign_name: `Weekly ${week}`,
    };
    // Sent only while the person's consent stands; the draws are made either way, so nobody
    // else's planted life moves.
    const sends = mayEmail(consent, sent);
    // The shop's email provider reports each delivery (Segment's email spec), opened or not.
    const deliveredAt = sent;
    if (sends)
      ctx.episodes.push({
        at: deliveredAt,
        play(emit) {
          emit.server(deliveredAt, 'Email Delivered', {
            ...campaign,
            email_subject: 'This week at the store',
          });
        },
      });
    const interest = (buyer ? 1 : 0.6) * (sent > aliveUntil ? 0.3 : 1);
    if (!random.chance(baseOpen * interest)) continue;
    const openedAt = sent + random.between(5, 600) * MS_PER_MINUTE;
    const clickedAt = random.chance(0.3) ? openedAt + random.between(0.2, 5) * MS_PER_MINUTE : null;
    if (sends)
      ctx.episodes.push({
        at: openedAt,
        play(emit) {
          emit.server(openedAt, 'Email Opened', { ...campaign, email_subject: 'This week at the store' });
          if (clickedAt !== null)
            emit.server(clickedAt, 'Email Link Clicked', {
              ...campaign,
              link_url: 'https://shop.example.com/deals',
            });
        },
      });
  }
}

/** Its own random stream, so adding these messages left every other draw of the world as it was. */
const CHANNEL_STREAM = 3;

/**
 * The shop's app pushes a deal every fourth Friday and its SMS provider texts a reminder on the
 * first Thursday of each month; both report through the tracking API, push under Segment's
 * mobile spec names, SMS as `Message Delivered` / `Message Clicked` with `channel: 'sms'`. The
 * person opens each with their preferred channel's rate (PREFERRED_CHANNEL_OPEN_RATE, else
 * OTHER_CHANNEL_OPEN_RATE), the planted preference the best-channel estimate should find.
 */
function otherChannelCampaigns(
  ctx: StoreContext,
  seed: number,
  from: number,
  aliveUntil: number,
  buyer: boolean,
): void {
  const { truth } = ctx;
  const random = new Random(seed, truth.index, CHANNEL_STREAM);
  const cadences = [
    { channel: 'push' as const, every: 4 * MS_PER_WEEK, offset: 3 * MS_PER_DAY + 17 * MS_PER_HOUR },
    { channel: 'sms' as const, every: 4 * MS_PER_WEEK, offset: 2 * MS_PER_DAY + 12 * MS_PER_HOUR },
  ];
  for (const { channel, every, offset } of cadences) {
    for (
      let sent = Math.ceil((from - offset) / every) * every + offset;
      sent < ctx.windowEnd;
      sent += every
    ) {
      const number = Math.round(sent / every);
      const interest = (buyer ? 1 : 0.6) * (sent > aliveUntil ? 0.3 : 1);
      const opened = random.chance(openRate(truth, channel) * interest);
      const openedAt = sent + random.between(1, 240) * MS_PER_MINUTE;
      ctx.episodes.push(
        channel === 'push'
          ? pushEpisode(`deal-${number}-${truth.index}`, sent, opened ? openedAt : null)
          : smsEpisode(`reminder-${number}-${truth.index}`, sent, opened ? openedAt : null),
      );
    }
  }
}

function pushEpisode(messageId: string, sent: number, tappedAt: number | null): Episode {
  const properties = { campaign: { name: 'Fortnightly deal', source: 'shop-app' }, message_id: messageId };
  return {
    at: sent,
    play(emit) {
      emit.server(sent, 'Push Notification Received', properties);
      if (tappedAt !== null) emit.server(tappedAt, 'Push Notification Tapped', properties);
    },
  };
}

function smsEpisode(sendKey: string, sent: number, clickedAt: number | null): Episode {
  const properties = { channel: 'sms', send_key: sendKey, campaign_name: 'Monthly reminder' };
  return {
    at: sent,
    play(emit) {
      emit.server(sent, 'Message Delivered', properties);
      if (clickedAt !== null) emit.server(clickedAt, 'Message Clicked', properties);
    },
  };
}

function supportTicket(ctx: StoreContext, at: number, subject: string): void {
  const number = ctx.truth.index * 1000 + ctx.episodes.length;
  const resolvedAt = at + ctx.random.exponential(1) * MS_PER_DAY;
  const satisfaction = ctx.random.integer(1, 5);
  ctx.episodes.push({
    at,
    play(emit) {
      emit.server(at, 'Ticket Created', {
        ticket_id: `t-${number}`,
        subject,
        channel: 'email',
        priority: 'normal',
      });
      emit.server(resolvedAt, 'Ticket Resolved', {
        ticket_id: `t-${number}`,
        resolution_hours: Math.round((resolvedAt - at) / MS_PER_HOUR),
        satisfaction,
      });
    },
  });
}

/**
 * Why subscribers cancel, so a churn model has something real to find: their usage stopped
 * (they cancel some ten weeks after they stop buying and browsing), their card failed (a
 * `Payment Failed` before a renewal; some cancel at once, and after a failure the chance of
 * cancelling at each later renewal stays high), or for no visible reason (a small monthly
 * rate). Billing draws come from their own random stream.
 */
export const SUBSCRIPTION_CHURN = {
  paymentFailureRate: 0.1,
  cancelAtFailure: 0.1,
  monthlyCancelAfterFailure: 0.5,
  monthlyCancelUnexplained: 0.01,
  /** Mean weeks from the last purchase of someone who stopped buying to their cancelling. */
  weeksFromLastUseToCancel: 10,
  uptake: 0.5,
} as const;
const BILLING_STREAM = 4;

function subscription(ctx: StoreContext, startAt: number, droppedOutAt: number | null): void {
  const { random, truth } = ctx;
  const billing = new Random(ctx.seed, truth.index, BILLING_STREAM);
  const cancelAfter =
    droppedOutAt === null
      ? Number.POSITIVE_INFINITY
      : droppedOutAt + random.exponential(1) * SUBSCRIPTION_CHURN.weeksFromLastUseToCancel * MS_PER_WEEK;
  const renewals: number[] = [];
  const failures: number[] = [];
  let cancelledAt: number | null = null;
  let cancelReason: 'usage' | 'payment' | 'unexplained' | null = null;
  const churn = SUBSCRIPTION_CHURN;
  for (let renewal = startAt + 30 * MS_PER_DAY; renewal < ctx.windowEnd; renewal += 30 * MS_PER_DAY) {
    const failedBefore = failures.length > 0;
    const fails = billing.chance(churn.paymentFailureRate);
    if (fails) failures.push(renewal - 2 * MS_PER_DAY);
    if (renewal > cancelAfter) cancelReason = 'usage';
    else if (fails && billing.chance(churn.cancelAtFailure)) cancelReason = 'payment';
    else if (failedBefore && billing.chance(churn.monthlyCancelAfterFailure)) cancelReason = 'payment';
    else if (billing.chance(churn.monthlyCancelUnexplained)) cancelReason = 'unexplained';
    if (cancelReason !== null) {
      cancelledAt = Math.min(renewal - MS_PER_DAY, ctx.windowEnd);
      break;
    }
    renewals.push(renewal);
  }
  const subscriptionId = `${ctx.person.userId}-s1`;
  for (const at of failures) {
    ctx.episodes.push({
      at,
      play(emit) {
        emit.server(at, 'Payment Failed', {
          subscription_id: subscriptionId,
          amount: SUBSCRIPTION_PLAN.price,
          reason: 'card_declined',
        });
      },
    });
  }
  truth.subscription = {
    plan: SUBSCRIPTION_PLAN.id,
    startedAt: new Date(startAt).toISOString(),
    cancelledAt: cancelledAt === null ? null : new Date(cancelledAt).toISOString(),
    cancelReason,
    paymentFailures: failures.map((at) => new Date(at).toISOString()),
  };
  const plan = {
    subscription_id: subscriptionId,
    plan: SUBSCRIPTION_PLAN.id,
    price: SUBSCRIPTION_PLAN.price,
    billing_period: SUBSCRIPTION_PLAN.period,
  };
  const renewalDate = (at: number) => new Date(at + 30 * MS_PER_DAY).toISOString().slice(0, 10);
  ctx.episodes.push({
    at: startAt,
    play(emit) {
      emit.server(startAt, 'Subscription Started', plan);
      emit.serverIdentify(startAt + 1000, { plan: SUBSCRIPTION_PLAN.id, renewal_date: renewalDate(startAt) });
    },
  });
  for (const at of renewals) {
    ctx.episodes.push({
      at,
      play(emit) {
        emit.server(at, 'Subscription Renewed', { ...plan, renewal_date: renewalDate(at) });
        emit.serverIdentify(at + 1000, { renewal_date: renewalDate(at) });
      },
    });
  }
  if (cancelledAt === null) return;
  const at = cancelledAt;
  ctx.episodes.push({
    at,
    play(emit) {
      emit.server(at, 'Subscription Cancelled', { ...plan, reason: 'not needed' });
      emit.serverIdentify(at + 1000, { plan: 'free', renewal_date: null });
    },
  });
}

function npsSurvey(ctx: StoreContext, at: number, device: Device): void {
  const { random, truth } = ctx;
  const score = random.weighted<[number, number]>([
    [[9, 10], 40],
    [[7, 8], 30],
    [[0, 6], 30],
  ]);
  const npsScore = random.integer(score[0], score[1]);
  truth.advocacy.npsScore = npsScore;
  const referrals = npsScore >= 9 && random.chance(0.4) ? random.integer(1, 3) : 0;
  const referralTimes = Array.from({ length: referrals }, () => at + random.between(1, 30) * MS_PER_DAY);
  ctx.episodes.push({
    at,
    play(emit) {
      emit.track(at, device, 'NPS Submitted', { survey_id: 'nps-after-first-order', score: npsScore });
    },
  });
  referralTimes.forEach((time, i) => {
    if (time > ctx.windowEnd) return;
    truth.advocacy.referrals += 1;
    ctx.episodes.push({
      at: time,
      play(emit) {
        emit.track(time, device, 'Referral Sent', {
          referral_code: `${ctx.person.userId}-r${i}`,
          channel: 'email',
        });
      },
    });
  });
}

function review(ctx: StoreContext, at: number, device: Device, product: Product): void {
  if (at > ctx.windowEnd) return;
  ctx.truth.advocacy.reviews += 1;
  const rating = ctx.random.integer(2, 5);
  const reviewId = `${ctx.person.userId}-rv${ctx.truth.advocacy.reviews}`;
  ctx.episodes.push({
    at,
    play(emit) {
      emit.track(at, device, 'Product Reviewed', {
        product_id: product.id,
        review_id: reviewId,
        rating,
        review_body: rating >= 4 ? 'Does what it should.' : 'Fine, could be better.',
      });
    },
  });
}

/** Buys: first order, repeats by BG/NBD, and what buying brings (tickets, reviews, NPS, a plan). */
function buyerLife(
  ctx: StoreContext,
  models: StoreModels,
  identifiedAt: number,
  devices: (at: number) => Device,
): number | null {
  const { random, truth, windowEnd } = ctx;
  const spendRate = random.gamma(models.gammaGamma.q, models.gammaGamma.gamma);
  truth.spendRate = spendRate;
  truth.expectedOrderValue = models.gammaGamma.p / spendRate;
  const first = random.chance(0.4)
    ? identifiedAt + 2 * MS_PER_MINUTE
    : identifiedAt + random.exponential(1) * 4 * MS_PER_DAY;
  if (first > windowEnd) return null;
  if (random.chance(0.3)) {
    const abandonedAt = first - random.between(0.2, 0.9) * (first - identifiedAt);
    if (abandonedAt > identifiedAt + MS_PER_MINUTE)
      checkoutSession(ctx, {
        at: abandonedAt,
        device: devices(abandonedAt),
        products: [random.pick(BROWSABLE)],
        value: null,
        orderNumber: 0,
      });
  }
  truth.firstPurchaseAt = new Date(first).toISOString();
  const { repeats, droppedOutAt } = drawRepeatPurchases(random, truth, first, windowEnd);
  for (const at of [first, ...repeats]) {
    ctx.orders += 1;
    const products = chooseOrderProducts(ctx, at);
    const device = devices(at);
    checkoutSession(ctx, {
      at,
      device,
      products,
      value: orderValue(random, models, spendRate),
      orderNumber: ctx.orders,
    });
    if (random.chance(0.12)) review(ctx, at + random.between(3, 10) * MS_PER_DAY, device, products[0]!);
    if (random.chance(0.06)) supportTicket(ctx, at + random.between(1, 6) * MS_PER_DAY, 'Where is my order?');
  }
  for (const at of poissonTimes(random, 0.01, first, windowEnd))
    supportTicket(ctx, at, 'Question about a product');
  const npsAt = first + 14 * MS_PER_DAY;
  if (npsAt < windowEnd && random.chance(0.35)) npsSurvey(ctx, npsAt, devices(npsAt));
  const subscribeAt = first + random.exponential(1) * 3 * MS_PER_WEEK;
  const aliveAtStart = droppedOutAt === null || subscribeAt < droppedOutAt;
  if (subscribeAt < windowEnd && aliveAtStart && random.chance(SUBSCRIPTION_CHURN.uptake))
    subscription(ctx, subscribeAt, droppedOutAt);
  return droppedOutAt;
}

export function planStorePerson(
  seed: number,
  index: number,
  random: Random,
  arrival: number,
  windowEnd: number,
  models: StoreModels,
): PersonPlan {
  const person = newPerson('store', seed, index, random);
  const { truth } = person;
  drawBgNbd(random, truth, models.bgNbd);
  const ctx: StoreContext = {
    seed,
    person,
    random,
    truth,
    episodes: [],
    windowEnd,
    pendingComplements: new Map(),
    orders: 0,
  };
  const firstDevice = person.devices[0]!;
  const signsUp = random.chance(SIGN_UP_SHARE);
  let buys = signsUp && random.chance(BUYER_SHARE);
  // Anonymous visits before signing up: the first at the arrival, the others days apart.
  let time = arrival;
  const anonymousVisits = 1 + Math.floor(random.exponential(1) * 1.2);
  for (let visit = 0; visit < anonymousVisits && time < windowEnd; visit++) {
    browseSession(ctx, time, firstDevice);
    time += random.exponential(1) * 3 * MS_PER_DAY;
  }
  if (!signsUp) {
    for (const at of poissonTimes(random, 0.05, time, windowEnd)) browseSession(ctx, at, firstDevice);
    return finishPlan(ctx, index, seed, person, windowEnd);
  }
  const identifiedAt = time;
  if (identifiedAt > windowEnd) return finishPlan(ctx, index, seed, person, windowEnd);
  const consent = drawEmailConsent(ctx, index, identifiedAt);
  signUp(ctx, identifiedAt, firstDevice, consent);
  if (models.experiments) {
    const arms = exposeToDemoExperiments(ctx, identifiedAt, firstDevice);
    // The planted effect: only non-buyers in the treatment arm draw again, so nobody else's
    // random stream moves.
    if (!buys && arms[PLANTED_EFFECT.id] === PLANTED_EFFECT.arms[1]?.id)
      buys = random.chance(PLANTED_EXTRA_BUYERS);
  }
  const secondDeviceAt = identifiedAt + random.exponential(1) * 10 * MS_PER_DAY;
  const devices = [firstDevice];
  if (secondDeviceAt < windowEnd && random.chance(0.25)) devices.push(secondDevice(ctx, secondDeviceAt));
  // A device is used only once it is known, so the second phone's first message is its login.
  const deviceAt = (at: number) =>
    devices.length > 1 && at > secondDeviceAt && random.chance(0.5) ? devices[1]! : firstDevice;
  let droppedOutAt: number | null = null;
  if (buys) droppedOutAt = buyerLife(ctx, models, identifiedAt, deviceAt);
  else if (random.chance(0.25)) {
    const at = identifiedAt + random.exponential(1) * 5 * MS_PER_DAY;
    if (at < windowEnd)
      checkoutSession(ctx, {
        at,
        device: firstDevice,
        products: [random.pick(BROWSABLE)],
        value: null,
        orderNumber: 0,
      });
  }
  const aliveUntil = buys ? (droppedOutAt ?? windowEnd) : identifiedAt;
  const browseRate = buys ? 0.25 + 3 * truth.purchaseRate : 0.1;
  for (const at of poissonTimes(
    random,
    Math.min(browseRate, 3),
    identifiedAt,
    Math.min(aliveUntil, windowEnd),
  ))
    browseSession(ctx, at, deviceAt(at));
  for (const at of poissonTimes(random, 0.03, aliveUntil, windowEnd)) browseSession(ctx, at, deviceAt(at));
  emailCampaigns(ctx, identifiedAt, aliveUntil, buys, consent);
  otherChannelCampaigns(ctx, seed, identifiedAt, aliveUntil, buys);
  return finishPlan(ctx, index, seed, person, windowEnd);
}

function finishPlan(
  ctx: StoreContext,
  index: number,
  seed: number,
  person: PersonBasics,
  windowEnd: number,
): PersonPlan {
  return {
    messageIdPrefix: `store-${seed}-${index}`,
    identity: person.identity,
    episodes: ctx.episodes,
    truth: ctx.truth,
    observe: observeStoreMessage,
    windowEnd,
  };
}

/** The lifecycle stages and counts that follow from what the person did. */
function observeStoreMessage(message: OutgoingMessage, truth: PersonTruth): void {
  reach(truth, 'awareness', message.timestamp);
  switch (message.event) {
    case 'Product Viewed':
      reach(truth, 'interest', message.timestamp);
      return;
    case 'Checkout Started':
      reach(truth, 'motivation', message.timestamp);
      return;
    case 'Order Completed':
      truth.purchases += 1;
      truth.totalSpend = cents(truth.totalSpend + Number(message.properties?.revenue ?? 0));
      reach(truth, truth.purchases === 1 ? 'action' : 'relationship', message.timestamp);
      return;
    case 'Subscription Started':
      reach(truth, 'relationship', message.timestamp);
      return;
  }
}
