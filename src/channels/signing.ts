// Signed links and bodies. One server secret (RAPPORT_SIGNING_SECRET, or generated on first
// start and kept in the channel store) signs the tracking and unsubscribe links, so that a link
// cannot be forged or pointed elsewhere (no open redirect), and the webhook bodies, so that a
// receiver can tell they came from us. The secret never leaves the process except as signatures.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ChannelStore } from '../store/index.ts';

const SECRET_SETTING = 'signing_secret';

/** The configured secret, or the stored one, or a new one stored for every later start (first writer wins). */
export async function loadSigningSecret(
  configured: string | undefined,
  store: ChannelStore,
): Promise<string> {
  if (configured) return configured;
  const stored = await store.getSetting(SECRET_SETTING);
  if (stored) return stored;
  return store.putSettingIfAbsent(SECRET_SETTING, randomBytes(32).toString('base64url'));
}

export class Signer {
  private readonly key: Buffer;

  constructor(secret: string) {
    // Derived keys per use, so a signature made for one purpose never verifies for another.
    this.key = createHmac('sha256', secret).update('rapport-links-v1').digest();
    this.webhookKey = createHmac('sha256', secret).update('rapport-webhook-v1').digest('base64url');
  }

  /** The secret webhook receivers verify with (shown to admins only). */
  readonly webhookKey: string;

  /** `<payload>.<signature>`, both base64url; `bound` (a link's target URL) is signed but not carried. */
  sign(purpose: string, payload: Record<string, unknown>, bound = ''): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(purpose, body, bound)}`;
  }

  /** The payload when the signature is ours for this purpose (and bound value), else undefined. */
  verify<T extends Record<string, unknown>>(purpose: string, token: string, bound = ''): T | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(purpose, body, bound), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
      return payload && typeof payload === 'object' ? (payload as T) : undefined;
    } catch {
      return undefined;
    }
  }

  private mac(purpose: string, body: string, bound: string): string {
    // 128 bits keep links short and are far beyond guessing.
    return createHmac('sha256', this.key)
      .update(`${purpose}\n${body}\n${bound}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }
}

/** `sha256=<hex>` over `<timestamp>.<body>`: what X-Rapport-Signature carries (docs/channels.md). */
export function webhookSignature(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}
