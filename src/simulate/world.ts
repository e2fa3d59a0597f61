// The whole world as one stream in global time order. People arrive at times drawn from their
// own streams; a person is planned only when the clock reaches their arrival, and a min-heap
// keyed by each active person's next message merges everyone (a k-way merge). Memory holds
// the active people's plans, not the messages: large worlds stream in bounded memory.
import type { BgNbdParams, GammaGammaParams } from '../value/index.ts';
import { planCityPerson } from './city.ts';
import { MS_PER_DAY, type PersonPlan, playPerson } from './person.ts';
import { Random } from './random.ts';
import { planStorePerson } from './store.ts';
import type { OutgoingMessage, PersonTruth, TimedMessage, WorldOptions } from './types.ts';

/** CDNOW's BG/NBD fit in weeks (Fader, Hardie & Lee 2005). */
export const DEFAULT_BG_NBD: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
/** CDNOW's Gamma-Gamma fit (Fader & Hardie 2013): mean order value p·γ/(q−1) ≈ 35.2. */
export const DEFAULT_GAMMA_GAMMA: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };

export type SizeName = 'tiny' | 'small' | 'medium' | 'large';
export const SIZE_PRESETS: Record<SizeName, { people: number; days: number }> = {
  tiny: { people: 50, days: 120 },
  small: { people: 1_000, days: 365 },
  medium: { people: 20_000, days: 365 },
  large: { people: 200_000, days: 365 },
};

/** Arrivals fall in the first part of the window, so the last arrivals still have a life. */
const ARRIVAL_SHARE = 0.85;
/** Stream numbers, so a person's arrival and their life draw from independent streams. */
const ARRIVAL_STREAM = 1;
const LIFE_STREAM = 2;

export interface SimulatedWorld {
  options: Required<WorldOptions>;
  /** Every message in global timestamp order (ties by person, then the person's own order). */
  messages(): Generator<OutgoingMessage>;
  /** The same, with each message's time in epoch milliseconds. */
  timedMessages(): Generator<TimedMessage>;
  /** Each person's ground truth, in person order (0, 1, 2, …): replays each life, sends nothing. */
  truth(): Generator<PersonTruth>;
  /** One person's messages and truth, without the rest of the world. */
  person(index: number): { messages: TimedMessage[]; truth: PersonTruth };
}

export function resolveWorldOptions(options: WorldOptions): Required<WorldOptions> {
  if (!Number.isInteger(options.people) || options.people < 0)
    throw new RangeError('people must be a whole number ≥ 0');
  if (!(options.days > 0)) throw new RangeError('days must be > 0');
  if (Number.isNaN(options.start.getTime())) throw new RangeError('start must be a valid date');
  return {
    ...options,
    seed: options.seed >>> 0,
    bgNbd: options.bgNbd ?? DEFAULT_BG_NBD,
    gammaGamma: options.gammaGamma ?? DEFAULT_GAMMA_GAMMA,
    experiments: options.experiments ?? false,
  };
}

export function simulateWorld(input: WorldOptions): SimulatedWorld {
  const options = resolveWorldOptions(input);
  const windowStart = options.start.getTime();
  const windowEnd = windowStart + options.days * MS_PER_DAY;
  const arrivalOf = (index: number) => {
    const random = new Random(options.seed, index, ARRIVAL_STREAM);
    // Whole seconds: timestamps look like a real client's and are exact in ISO form.
    return windowStart + Math.floor(random.uniform() * ARRIVAL_SHARE * options.days * 86_400) * 1000;
  };
  const plan = (index: number): PersonPlan => {
    const random = new Random(options.seed, index, LIFE_STREAM);
    const arrival = arrivalOf(index);
    if (options.kind === 'city')
      return planCityPerson(options.seed, index, random, arrival, windowEnd, options.bgNbd);
    return planStorePerson(options.seed, index, random, arrival, windowEnd, options);
  };
  function* timedMessages(): Generator<TimedMessage> {
    yield* mergeByTime(options.people, arrivalOf, (index) => playPerson(plan(index)));
  }
  return {
    options,
    timedMessages,
    *messages() {
      for (const item of timedMessages()) yield item.message;
    },
    *truth() {
      for (let index = 0; index < options.people; index++) yield drain(playPerson(plan(index))).truth;
    },
    person: (index) => drain(playPerson(plan(index))),
  };
}

function drain(life: Generator<TimedMessage, PersonTruth>): { messages: TimedMessage[]; truth: PersonTruth } {
  const messages: TimedMessage[] = [];
  for (;;) {
    const step = life.next();
    if (step.done) return { messages, truth: step.value };
    messages.push(step.value);
  }
}

interface Cursor {
  index: number;
  life: Generator<TimedMessage, PersonTruth>;
  head: TimedMessage;
}

/** Orders by time, then by person, so equal timestamps still come out the same every run. */
function before(x: Cursor, y: Cursor): boolean {
  return x.head.at < y.head.at || (x.head.at === y.head.at && x.index < y.index);
}

/**
 * k-way merge of the people's lives. A person joins the heap at their arrival, which is their
 * first message's time, so nobody's message can be due before they have been planned.
 */
function* mergeByTime(
  people: number,
  arrivalOf: (index: number) => number,
  lifeOf: (index: number) => Generator<TimedMessage, PersonTruth>,
): Generator<TimedMessage> {
  const arrivals = new Float64Array(people);
  for (let index = 0; index < people; index++) arrivals[index] = arrivalOf(index);
  const order = Uint32Array.from({ length: people }, (_, index) => index).sort(
    (x, y) => arrivals[x]! - arrivals[y]! || x - y,
  );
  const heap = new CursorHeap();
  let nextArrival = 0;
  while (nextArrival < people || heap.size > 0) {
    while (nextArrival < people) {
      const index = order[nextArrival]!;
      const top = heap.peek();
      if (top && (top.head.at < arrivals[index]! || (top.head.at === arrivals[index]! && top.index < index)))
        break;
      nextArrival += 1;
      const life = lifeOf(index);
      const first = life.next();
      if (!first.done) heap.push({ index, life, head: first.value });
    }
    const cursor = heap.peek();
    if (!cursor) continue;
    yield cursor.head;
    const next = cursor.life.next();
    if (next.done) heap.pop();
    else {
      cursor.head = next.value;
      heap.siftDown(0);
    }
  }
}

class CursorHeap {
  private readonly items: Cursor[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Cursor | undefined {
    return this.items[0];
  }

  push(cursor: Cursor): void {
    const items = this.items;
    items.push(cursor);
    let child = items.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!before(items[child]!, items[parent]!)) break;
      [items[child], items[parent]] = [items[parent]!, items[child]!];
      child = parent;
    }
  }

  pop(): void {
    const last = this.items.pop();
    if (last === undefined || this.items.length === 0) return;
    this.items[0] = last;
    this.siftDown(0);
  }

  siftDown(start: number): void {
    const items = this.items;
    let parent = start;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
      if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
      if (smallest === parent) return;
      [items[parent], items[smallest]] = [items[smallest]!, items[parent]!];
      parent = smallest;
    }
  }
}
