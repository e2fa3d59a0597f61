// Referral codes: `<referrer id, base64url>.<HMAC-SHA256 of it, 16 base64url chars>`, signed
// with the programme's secret so a code cannot be forged for someone else or altered. A code
// travels in a link (`?ref=CODE`) and arrives on the referee's events as
// `properties.referral_code`. Pure: the secret is handed in.
import { createHmac, timingSafeEqual } from 'node:crypto';

function signature(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`referral:${payload}`).digest('base64url').slice(0, 16);
}

export function referralCode(secret: string, referrerId: string): string {
  const payload = Buffer.from(referrerId, 'utf8').toString('base64url');
  return `${payload}.${signature(secret, payload)}`;
}

/** The referrer a code names, or undefined when it is malformed or its signature is wrong. */
export function referrerOf(secret: string, code: unknown): string | undefined {
  if (typeof code !== 'string' || code.length > 400) return undefined;
  const [payload, given, extra] = code.trim().split('.');
  if (!payload || !given || extra !== undefined) return undefined;
  const expected = Buffer.from(signature(secret, payload));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  const referrer = Buffer.from(payload, 'base64url').toString('utf8');
  return referrer === '' ? undefined : referrer;
}
