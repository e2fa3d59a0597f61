// Credentials: write keys (send events, nothing else) and admin tokens (read and manage).
// Only SHA-256 hashes are stored; a secret is shown once, when it is made. Lookups are cached
// briefly because every tracking request needs one, and revocation reaches every process
// within the cache's lifetime.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Credential, CredentialKind, StateStore } from '../store/index.ts';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateSecret(kind: CredentialKind): string {
  // Prefixes make a leaked secret recognisable (and scannable) for what it is.
  return `${kind === 'write' ? 'rk_write_' : 'rk_admin_'}${randomBytes(24).toString('base64url')}`;
}

export interface CreatedCredential {
  credential: Credential;
  secret: string;
}

export async function createCredential(
  store: StateStore,
  kind: CredentialKind,
  name: string,
  secret = generateSecret(kind),
): Promise<CreatedCredential> {
  const credential: Credential = {
    id: randomUUID(),
    kind,
    name,
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  await store.addCredential(credential, hashSecret(secret));
  return { credential, secret };
}

/** Makes sure a secret given by configuration exists; returns whether it had to be added. */
export async function ensureCredential(
  store: StateStore,
  kind: CredentialKind,
  name: string,
  secret: string,
): Promise<boolean> {
  const existing = await store.findCredentialByHash(hashSecret(secret));
  if (existing) {
    if (existing.kind !== kind)
      throw new Error(`the configured ${kind} secret is already used as a ${existing.kind} credential`);
    return false;
  }
  await createCredential(store, kind, name, secret);
  return true;
}

export class CredentialCache {
  private readonly cache = new Map<string, { credential: Credential | undefined; until: number }>();
  /**
   * Each secret's hash, so a page calling /v1/decide thousands of times a second with one write
   * key hashes it once (SHA-256 was a tenth of decide's time). Only the hash, which the cache
   * above is keyed by, is ever looked up in the store.
   */
  private readonly hashes = new Map<string, string>();

  constructor(
    private readonly store: StateStore,
    private readonly ttlMs = 10_000,
  ) {}

  /** The live credential of this kind for a secret, or undefined (unknown, revoked, wrong kind). */
  async verify(secret: string, kind: CredentialKind): Promise<Credential | undefined> {
    const credential = await this.lookup(secret);
    if (!credential || credential.revokedAt !== null || credential.kind !== kind) return undefined;
    return credential;
  }

  /** The credential behind a secret whatever its kind, to tell "wrong kind" from "unknown". */
  async lookup(secret: string): Promise<Credential | undefined> {
    const hash = this.hashOf(secret);
    const cached = this.cache.get(hash);
    const now = Date.now();
    if (cached && cached.until > now) return cached.credential;
    const credential = await this.store.findCredentialByHash(hash);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { credential, until: now + this.ttlMs });
    return credential;
  }

  invalidate(): void {
    this.cache.clear();
  }

  private hashOf(secret: string): string {
    let hash = this.hashes.get(secret);
    if (hash !== undefined) return hash;
    hash = hashSecret(secret);
    // Bounded: a client guessing keys must not grow it without limit.
    if (this.hashes.size >= 1_000) this.hashes.clear();
    this.hashes.set(secret, hash);
    return hash;
  }
}

/** The secret in `Authorization: Basic base64(secret:)` or `Authorization: Bearer secret`. */
export function secretFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  return user === '' ? undefined : user;
}

const SECRET_IN_QUERY = /([?&](?:writeKey|token)=)[^&#]*/gi;
const SURVEY_LINK_TOKEN = /^(\/s\/)[^?#]+/;
// Signed tracking links (docs/channels.md): open pixel, click, unsubscribe, placement.
const TRACKING_LINK_TOKEN = /^(\/t\/[a-z]\/)[^?#]+/;

/**
 * A URL fit for a log line: the values of `writeKey` and `token` query parameters replaced.
 * `/v1/decide` takes `?writeKey=` from callers that cannot send headers (an `<img>`), and a
 * logged URL must not carry it.
 */
export function redactUrlSecrets(url: string): string {
  // A survey link's token (docs/surveys.md) lets whoever holds it answer as the person; an
  // unsubscribe token lets whoever holds it withdraw the person's consent, and every tracking
  // token names the person and the message.
  return url
    .replace(SECRET_IN_QUERY, '$1[redacted]')
    .replace(SURVEY_LINK_TOKEN, '$1[redacted]')
    .replace(TRACKING_LINK_TOKEN, '$1[redacted]');
}

// A writeKey field (JSON, also inside a body that is not valid JSON) and any secret with
// Rapport's prefixes, wherever it stands.
const SECRET_IN_BODY = /("writeKey"\s*:\s*")((?:[^"\\]|\\.)*)(")?/gi;
const PREFIXED_SECRET = /rk_(?:write|admin)_[A-Za-z0-9_-]+/g;

/**
 * Text fit for storage or a log when it may carry a secret (a rejected request's body kept as a
 * dead letter): the value of every `writeKey` field and every rk_write_/rk_admin_ secret replaced.
 */
export function redactBodySecrets(text: string): string {
  return text
    .replace(
      SECRET_IN_BODY,
      (_all, start: string, _value: string, end: string | undefined) => `${start}[redacted]${end ?? ''}`,
    )
    .replace(PREFIXED_SECRET, '[redacted]');
}

/** Fastify's request serializer, with the URL redacted (pino would otherwise log it as sent). */
export function requestForLog(request: {
  method: string;
  url: string;
  hostname?: string;
  ip?: string;
}): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrlSecrets(request.url),
    hostname: request.hostname,
    remoteAddress: request.ip,
  };
}
