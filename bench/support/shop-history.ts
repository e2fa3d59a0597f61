// A shop's history for N people with K messages each, generated deterministically and cheaply
// in person order, for benches that need a large instance (the dashboard bench fills 1M
// profiles). src/simulate gives richer lives with ground truth, but its k-way merge in time
// order and its per-person plans cost far more per message than the processors take to
// apply them at this size; this generator costs little next to them.
//
// Each person: an anonymous page view, then an identify (userId + anonymousId: one profile)
// with email, name, plan and city, then page views, Product Viewed, Checkout Started and
// Order Completed (with revenue and products) in that proportion, over the last `days` days.
import { rng } from './messages.ts';

export interface ShopHistoryOptions {
  people: number;
  /** Messages per person, the identify included (≥ 1). */
  eventsPerPerson: number;
  /** Days of history ending at `now`. */
  days: number;
  seed: number;
  now: number;
}

const FIRST = [
  'Ana',
  'Ben',
  'Chloe',
  'Dmitri',
  'Emma',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kofi',
  'Lena',
];
const LAST = ['Silva', 'Muller', 'Dubois', 'Ivanova', 'Rossi', 'Haddad', 'Kim', 'Tanaka', 'Nowak', 'Okafor'];
const CITIES = ['Amsterdam', 'Berlin', 'Lisbon', 'Lyon', 'Milan', 'Oslo', 'Porto', 'Vienna'];
const PLANS = ['free', 'free', 'free', 'plus', 'plus', 'premium'];
const PATHS = ['/', '/sale', '/new', '/about', '/help', '/blog'];
const PRODUCTS = Array.from({ length: 200 }, (_, i) => ({
  product_id: `p${1000 + i}`,
  name: `Product ${i}`,
  category: ['Shoes', 'Jackets', 'Bags', 'Accessories'][i % 4] as string,
  price: 10 + ((i * 37) % 190),
}));

/** The identifiers person `index` carries, so a bench can look them up. */
export function personIds(index: number): { userId: string; anonymousId: string; email: string } {
  const first = FIRST[index % FIRST.length] as string;
  const last = LAST[Math.floor(index / FIRST.length) % LAST.length] as string;
  return {
    userId: `cust_${index}`,
    anonymousId: `anon_${index.toString(36)}_${(index * 2654435761) >>> 0}`,
    email: `${first.toLowerCase()}.${last.toLowerCase()}.${index}@example.com`,
  };
}

/** Segment messages (no messageId: the import derives one) in batches of `batchSize`. */
export function* shopHistory(
  options: ShopHistoryOptions,
  batchSize: number,
): Generator<Record<string, unknown>[]> {
  const random = rng(options.seed);
  const dayMs = 86_400_000;
  const windowStart = options.now - options.days * dayMs;
  let batch: Record<string, unknown>[] = [];
  for (let index = 0; index < options.people; index++) {
    const ids = personIds(index);
    // Arrival in the first 90% of the window; the messages spread from there to an hour ago.
    let clock = windowStart + Math.floor(random() * 0.9 * options.days * dayMs);
    const span = options.now - 3_600_000 - clock;
    const step = Math.max(1000, Math.floor(span / Math.max(1, options.eventsPerPerson)));
    const at = () => {
      clock += 1000 + Math.floor(random() * step);
      return new Date(Math.min(clock, options.now - 60_000)).toISOString();
    };
    const known = { userId: ids.userId, anonymousId: ids.anonymousId };
    for (let k = 0; k < options.eventsPerPerson; k++) {
      if (k === 0 && options.eventsPerPerson > 1) {
        batch.push({
          type: 'page',
          anonymousId: ids.anonymousId,
          name: 'Home',
          properties: { path: '/', url: 'https://shop.example.com/' },
          timestamp: at(),
        });
      } else if (k === 1 || options.eventsPerPerson === 1) {
        batch.push({
          type: 'identify',
          ...known,
          traits: {
            email: ids.email,
            firstName: FIRST[index % FIRST.length],
            lastName: LAST[Math.floor(index / FIRST.length) % LAST.length],
            plan: PLANS[Math.floor(random() * PLANS.length)],
            city: CITIES[Math.floor(random() * CITIES.length)],
            createdAt: new Date(clock).toISOString(),
          },
          timestamp: at(),
        });
      } else {
        const draw = random();
        const product = PRODUCTS[Math.floor(random() * PRODUCTS.length)]!;
        if (draw < 0.4) {
          const path = PATHS[Math.floor(random() * PATHS.length)] as string;
          batch.push({
            type: 'page',
            ...known,
            name: path === '/' ? 'Home' : path.slice(1),
            properties: { path, url: `https://shop.example.com${path}` },
            timestamp: at(),
          });
        } else if (draw < 0.75) {
          batch.push({
            type: 'track',
            ...known,
            event: 'Product Viewed',
            properties: { ...product, currency: 'EUR' },
            timestamp: at(),
          });
        } else if (draw < 0.85) {
          batch.push({
            type: 'track',
            ...known,
            event: 'Checkout Started',
            properties: { value: product.price, currency: 'EUR' },
            timestamp: at(),
          });
        } else {
          const quantity = 1 + Math.floor(random() * 3);
          batch.push({
            type: 'track',
            ...known,
            event: 'Order Completed',
            properties: {
              order_id: `ord_${index}_${k}`,
              revenue: Math.round(product.price * quantity * 100) / 100,
              currency: 'EUR',
              products: [{ product_id: product.product_id, price: product.price, quantity }],
            },
            timestamp: at(),
          });
        }
      }
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}
