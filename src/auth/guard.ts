// The one place access is enforced. Every request runs through `guard` (an onRequest hook on
// the root instance, so it precedes body parsing and validation, and every route plugin's own
// hooks): it reads the permission the route declares (config.access), works out who is
// calling (an admin token, or a dashboard session cookie), and refuses what the caller's role
// may not do. A route under /api/ that declares nothing is refused: forgetting is a bug that
// must fail closed, and test/auth/route-access.test.ts names every such route.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RapportError } from '../errors/index.ts';
import type { AccessStore } from '../store/index.ts';
import { isRole, may, type Permission, type Role } from './access.ts';
import type { CredentialCache } from './credentials.ts';
import { hashSecret, secretFromAuthorization } from './credentials.ts';

// Here, beside the guard that reads it, and not in access.ts: the dashboard's compiler reads
// access.ts (through auth/schema.ts) without Fastify.
declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs (src/auth/access.ts); every route under /api/ must declare it. */
    access?: Permission;
  }
}

export const SESSION_COOKIE = 'rapport_session';

export interface Actor {
  kind: 'token' | 'user';
  /** The credential's or the user's id. */
  id: string;
  name: string;
  role: Role;
  /** Set for a user signed in with the cookie: the session it came with. */
  sessionHash?: string;
}

export interface AuditNote {
  /** The profile the change is about (erasure redacts the entry by it). */
  subject?: string;
  before?: unknown;
  after?: unknown;
  /** Leave the request body out (it is all secrets: a password change). */
  omitBody?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, once the guard has authenticated them; null on public routes. */
    actor: Actor | null;
    /** What a route adds to its audit entry (./audit.ts). */
    auditNote: AuditNote | null;
  }
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Whether a cookie-authenticated write comes from the dashboard's own origin. SameSite=Strict
 * already keeps other sites' requests from carrying the cookie; this is the second lock, for
 * browsers or proxies that get SameSite wrong. A browser always sends Origin on such requests.
 */
export function sameOrigin(origin: string | undefined, host: string | undefined, allowed: string[]): boolean {
  if (!origin || origin === 'null') return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return parsed.host === host || allowed.some((url) => new URL(url).origin === parsed.origin);
}

export interface GuardOptions {
  credentials: CredentialCache;
  access: AccessStore;
  /** Origins besides the request's own Host that may write with a cookie (the public URL). */
  origins: () => string[];
  now?: () => Date;
}

/** A registered route and the permission it declares (undefined: none, so refused under /api/). */
export interface RouteAccess {
  method: string;
  url: string;
  access: Permission | undefined;
}

export class Guard {
  /** Every route registered after the guard, filled by installAccess's onRoute hook. */
  readonly routes: RouteAccess[] = [];
  /** Token roles never change once set, so they are kept for the life of the process. */
  private readonly tokenRoles = new Map<string, Role>();

  constructor(private readonly options: GuardOptions) {}

  /** The onRequest hook. */
  readonly check = async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    request.actor = null;
    request.auditNote = null;
    const pattern = request.routeOptions.url;
    if (pattern === undefined) return; // no such route: the 404 handler answers
    const access = request.routeOptions.config.access;
    if (access === undefined) {
      if (!pattern.startsWith('/api/')) return;
      throw new RapportError(
        'RAPPORT_API_ACCESS_UNDECLARED',
        `${request.method} ${pattern} declares no access (config.access, docs/access.md), so it is refused`,
      );
    }
    if (access === 'public') return;
    const actor = await this.authenticate(request);
    request.actor = actor;
    this.authorize(request, actor, access);
  };

  private authorize(request: FastifyRequest, actor: Actor, access: Permission): void {
    if (actor.kind === 'user' && UNSAFE.has(request.method)) {
      const { origin, host } = request.headers;
      if (!sameOrigin(origin, host, this.options.origins())) {
        throw new RapportError(
          'RAPPORT_API_CROSS_ORIGIN',
          'a write signed with the session cookie must come from the dashboard’s own origin',
        );
      }
    }
    if (!may(actor.role, access)) {
      throw new RapportError(
        'RAPPORT_API_FORBIDDEN',
        `the ${actor.role} role may not do this (it needs ${access}: docs/access.md)`,
        { role: actor.role, needs: access },
      );
    }
  }

  /** An admin token in the Authorization header, else the session cookie; 401 when neither. */
  async authenticate(request: FastifyRequest): Promise<Actor> {
    const header = request.headers.authorization;
    if (header) return this.fromToken(header);
    const session = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (session) return this.fromSession(session);
    throw new RapportError(
      'RAPPORT_API_UNAUTHORIZED',
      'sign in, or send an admin token as Authorization: Bearer <token>',
    );
  }

  private async fromToken(header: string): Promise<Actor> {
    const secret = header.toLowerCase().startsWith('bearer ') ? secretFromAuthorization(header) : undefined;
    if (!secret) {
      throw new RapportError(
        'RAPPORT_API_UNAUTHORIZED',
        'send the admin token as Authorization: Bearer <token>',
      );
    }
    const credential = await this.options.credentials.lookup(secret);
    if (credential?.kind === 'write' && credential.revokedAt === null) {
      throw new RapportError(
        'RAPPORT_API_FORBIDDEN',
        'a write key can send events but cannot read or manage; use an admin token',
      );
    }
    if (credential?.kind !== 'admin' || credential.revokedAt !== null) {
      throw new RapportError('RAPPORT_API_UNAUTHORIZED', 'unknown or revoked admin token');
    }
    return {
      kind: 'token',
      id: credential.id,
      name: credential.name,
      role: await this.roleOf(credential.id),
    };
  }

  /** A new token's role: stored, and known to this process at once. */
  async setTokenRole(credentialId: string, role: Role): Promise<void> {
    await this.options.access.setTokenRole(credentialId, role);
    this.tokenRoles.set(credentialId, role);
  }

  async roleOf(credentialId: string): Promise<Role> {
    const known = this.tokenRoles.get(credentialId);
    if (known) return known;
    const stored = await this.options.access.tokenRole(credentialId);
    // Tokens from before roles existed (and the configured RAPPORT_ADMIN_TOKEN) keep full power.
    const role = isRole(stored) ? stored : 'owner';
    this.tokenRoles.set(credentialId, role);
    return role;
  }

  private async fromSession(cookie: string): Promise<Actor> {
    const sessionHash = hashSecret(cookie);
    const found = await this.options.access.findSession(sessionHash, this.now().toISOString());
    const role = found?.user.role;
    if (!found || found.user.disabledAt !== null || !isRole(role)) {
      throw new RapportError('RAPPORT_API_UNAUTHORIZED', 'your session has ended; sign in again');
    }
    return { kind: 'user', id: found.user.id, name: found.user.name, role, sessionHash };
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}
