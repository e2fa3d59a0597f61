// Realistic tracking traffic for the ingest benchmark: what analytics.js sends from a shop.
// Visitors browse (page, Product Viewed), add to cart, some check out (Order Completed with
// the Segment e-commerce spec's products), sign up (identify with email) and, rarely, alias.
//
// Bodies are generated once, before any timing, as templates. Every messageId (and every new
// visitor's anonymousId / userId) holds an 8-character SLOT that the load generator overwrites
// with the request's sequence number each time it sends the body, so a small pool of bodies
// gives unique messageIds for any run length and keeps making new profiles, while returning
// customers (a fixed pool with stable ids) exercise identity lookups of existing profiles.

/** Placeholder overwritten per request with 8 hex digits. */
export const SLOT = '~SLOT~~~';

export interface BodyTemplate {
  /** The JSON text, UTF-8. */
  bytes: Buffer;
  /** Byte offsets where SLOT occurs. */
  slots: number[];
  messages: number;
}

/** A small seeded PRNG (mulberry32) so that runs are repeatable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Ana',
  'Ben',
  'Chloé',
  'Dmitri',
  'Emma',
  'Farid',
  'Grace',
  'Hiro',
  'Inès',
  'Jonas',
  'Kofi',
  'Lena',
];
const LAST = ['Silva', 'Müller', 'Dubois', 'Ivanova', 'Rossi', 'Haddad', 'Kim', 'Tanaka', 'Nowak', 'Okafor'];
const CATEGORIES = ['Shoes', 'Jackets', 'Bags', 'Accessories', 'Outdoor', 'Kids'];
const BRANDS = ['Northwind', 'Alpenglow', 'Riverstone', 'Kestrel', 'Lumen'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
];
const REFERRERS = [
  'https://www.google.com/',
  'https://www.instagram.com/',
  '',
  'https://newsletter.example.org/',
];
const SHOP = 'https://shop.example.com';

interface Product {
  product_id: string;
  sku: string;
  category: string;
  name: string;
  brand: string;
  variant: string;
  price: number;
  url: string;
  image_url: string;
}

function catalogue(random: () => number, size: number): Product[] {
  return Array.from({ length: size }, (_, i) => {
    const category = CATEGORIES[i % CATEGORIES.length] as string;
    const brand = BRANDS[Math.floor(random() * BRANDS.length)] as string;
    const id = `p${String(1000 + i)}`;
    return {
      product_id: id,
      sku: `${category.slice(0, 3).toUpperCase()}-${1000 + i}`,
      category,
      name: `${brand} ${category.replace(/s$/, '')} ${i}`,
      brand,
      variant: ['black', 'navy', 'olive', 'sand'][i % 4] as string,
      price: Math.round((15 + random() * 185) * 100) / 100,
      url: `${SHOP}/products/${id}`,
      image_url: `https://cdn.shop.example.com/img/${id}.jpg`,
    };
  });
}

interface Visitor {
  anonymousId: string;
  userId?: string;
  email?: string;
  firstName: string;
  lastName: string;
  userAgent: string;
  ip: string;
  /** A new visitor: ids hold the SLOT so every send is a new person. */
  fresh: boolean;
}

export interface GeneratorOptions {
  seed: number;
  /** Distinct bodies in the pool. */
  bodies: number;
  messagesPerBody: number;
  /** Returning customers (stable ids). */
  customers: number;
  /** Share of sessions from returning customers; the rest are new visitors. */
  returningShare: number;
}

export const DEFAULT_GENERATOR: GeneratorOptions = {
  seed: 42,
  bodies: 400,
  messagesPerBody: 100,
  customers: 20_000,
  returningShare: 0.6,
};

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function hex(random: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += Math.floor(random() * 16).toString(16);
  return text;
}

function customer(random: () => number, index: number): Visitor {
  const firstName = pick(random, FIRST);
  const lastName = pick(random, LAST);
  return {
    anonymousId: `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${String(index).padStart(12, '0')}`,
    userId: `cust_${index}`,
    email: `${firstName.toLowerCase()}.${lastName.toLowerCase()}.${index}@example.com`,
    firstName,
    lastName,
    userAgent: pick(random, USER_AGENTS),
    ip: `203.0.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
    fresh: false,
  };
}

function newVisitor(random: () => number, body: number, k: number): Visitor {
  return {
    anonymousId: `${SLOT}-${hex(random, 4)}-4${hex(random, 3)}-b${String(body).padStart(3, '0')}-${String(k).padStart(12, '0')}`,
    firstName: pick(random, FIRST),
    lastName: pick(random, LAST),
    userAgent: pick(random, USER_AGENTS),
    ip: `198.51.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
    fresh: true,
  };
}

/** Builds one body (a Segment batch) of about `size` messages as a template. */
function buildBody(
  random: () => number,
  options: GeneratorOptions,
  bodyIndex: number,
  customers: Visitor[],
  products: Product[],
  epoch: number,
): BodyTemplate {
  const batch: Record<string, unknown>[] = [];
  let clock = epoch;
  let visitors = 0;
  const push = (
    visitor: Visitor,
    message: Record<string, unknown>,
    page: { path: string; title: string },
  ) => {
    clock += Math.floor(200 + random() * 3000);
    const at = new Date(clock).toISOString();
    const search = random() < 0.2 ? '?utm_source=newsletter&utm_medium=email&utm_campaign=summer' : '';
    batch.push({
      ...message,
      ...(visitor.userId ? { userId: visitor.userId } : {}),
      anonymousId: visitor.anonymousId,
      messageId: `ajs-next-${SLOT}-${String(bodyIndex).padStart(4, '0')}-${String(batch.length).padStart(4, '0')}-${hex(random, 8)}`,
      timestamp: at,
      sentAt: new Date(clock + 40).toISOString(),
      context: {
        library: { name: 'analytics.js', version: 'npm:next-1.70.0' },
        page: {
          path: page.path,
          referrer: pick(random, REFERRERS),
          search,
          title: page.title,
          url: `${SHOP}${page.path}${search}`,
        },
        userAgent: visitor.userAgent,
        ip: visitor.ip,
        locale: pick(random, ['en-GB', 'en-US', 'fr-FR', 'de-DE']),
        ...(search ? { campaign: { source: 'newsletter', medium: 'email', name: 'summer' } } : {}),
      },
      integrations: {},
    });
  };
  while (batch.length < options.messagesPerBody) {
    const visitor =
      random() < options.returningShare
        ? (customers[Math.floor(random() * customers.length)] as Visitor)
        : newVisitor(random, bodyIndex, visitors);
    visitors += 1;
    const home = { path: '/', title: 'Shop — Home' };
    push(visitor, { type: 'page', name: 'Home', properties: { path: '/', url: `${SHOP}/` } }, home);
    const cart: Product[] = [];
    const views = 2 + Math.floor(random() * 6);
    for (let v = 0; v < views && batch.length < options.messagesPerBody; v++) {
      const product = pick(random, products);
      const page = { path: `/products/${product.product_id}`, title: product.name };
      push(visitor, { type: 'page', name: 'Product', properties: { ...page, url: product.url } }, page);
      push(
        visitor,
        { type: 'track', event: 'Product Viewed', properties: { ...product, currency: 'EUR' } },
        page,
      );
      if (random() < 0.3) {
        cart.push(product);
        push(
          visitor,
          {
            type: 'track',
            event: 'Product Added',
            properties: { ...product, quantity: 1, cart_id: hex(random, 12) },
          },
          page,
        );
      }
    }
    if (visitor.fresh && random() < 0.25) {
      // Sign-up: a new visitor becomes a known user; their email is an identifier trait.
      visitor.userId = `user_${SLOT}_${String(bodyIndex).padStart(4, '0')}_${visitors}`;
      visitor.email = `${visitor.firstName.toLowerCase()}.${SLOT}.${bodyIndex}.${visitors}@example.net`;
      const page = { path: '/account/welcome', title: 'Welcome' };
      push(
        visitor,
        {
          type: 'identify',
          traits: {
            email: visitor.email,
            firstName: visitor.firstName,
            lastName: visitor.lastName,
            createdAt: new Date(clock).toISOString(),
            newsletter: random() < 0.5,
          },
        },
        page,
      );
      if (random() < 0.1) {
        push(visitor, { type: 'alias', previousId: visitor.anonymousId }, page);
      }
    } else if (!visitor.fresh && random() < 0.3) {
      push(
        visitor,
        {
          type: 'identify',
          traits: {
            email: visitor.email,
            firstName: visitor.firstName,
            lastName: visitor.lastName,
            plan: pick(random, ['free', 'plus', 'premium']),
            lastLoginAt: new Date(clock).toISOString(),
          },
        },
        { path: '/account', title: 'Your account' },
      );
    }
    if (cart.length > 0 && random() < 0.45 && batch.length < options.messagesPerBody) {
      const page = { path: '/checkout/complete', title: 'Thank you' };
      const revenue = Math.round(cart.reduce((sum, p) => sum + p.price, 0) * 100) / 100;
      push(
        visitor,
        {
          type: 'track',
          event: 'Order Completed',
          properties: {
            checkout_id: hex(random, 16),
            order_id: `ord_${SLOT}_${hex(random, 6)}`,
            affiliation: 'Web shop',
            total: Math.round((revenue + 4.9) * 100) / 100,
            subtotal: revenue,
            revenue,
            shipping: 4.9,
            tax: Math.round(revenue * 0.2 * 100) / 100,
            discount: 0,
            coupon: random() < 0.2 ? 'SUMMER10' : null,
            currency: 'EUR',
            products: cart.map((p, position) => ({
              product_id: p.product_id,
              sku: p.sku,
              name: p.name,
              price: p.price,
              quantity: 1,
              category: p.category,
              brand: p.brand,
              position: position + 1,
            })),
          },
        },
        page,
      );
    }
  }
  batch.length = options.messagesPerBody;
  const bytes = Buffer.from(JSON.stringify({ batch, sentAt: new Date(clock + 50).toISOString() }), 'utf8');
  const slot = Buffer.from(SLOT, 'latin1');
  const slots: number[] = [];
  for (let at = bytes.indexOf(slot); at !== -1; at = bytes.indexOf(slot, at + slot.length)) slots.push(at);
  return { bytes, slots, messages: batch.length };
}

export function generateBodies(options: GeneratorOptions = DEFAULT_GENERATOR): BodyTemplate[] {
  const random = rng(options.seed);
  const products = catalogue(random, 240);
  const customers = Array.from({ length: options.customers }, (_, i) => customer(random, i));
  // Recent enough that clock-skew correction keeps the client's times.
  const epoch = Date.now() - 60 * 60 * 1000;
  return Array.from({ length: options.bodies }, (_, i) =>
    buildBody(random, options, i, customers, products, epoch + i * 1000),
  );
}

/** A copy of the template with every SLOT set to `sequence` as 8 hex digits. */
export function instantiate(template: BodyTemplate, sequence: number): Buffer {
  const out = Buffer.allocUnsafe(template.bytes.length);
  template.bytes.copy(out);
  const text = (sequence >>> 0).toString(16).padStart(8, '0');
  for (const at of template.slots) out.write(text, at, 'latin1');
  return out;
}
