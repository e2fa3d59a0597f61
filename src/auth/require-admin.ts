import type { FastifyRequest } from 'fastify';
import { RapportError } from '../errors/index.ts';
import type { CredentialCache } from './credentials.ts';

/**
 * Access is enforced in one place, the guard (src/auth/guard.ts), from each route's
 * `config.access` (docs/access.md). This hook is kept so a route plugin written before the
 * guard still compiles; it only asserts that the guard authenticated the caller, and a new
 * plugin needs no hook at all.
 */
export function requireAdmin(_credentials?: CredentialCache) {
  return async (request: FastifyRequest) => {
    if (!request.actor) {
      throw new RapportError('RAPPORT_API_UNAUTHORIZED', 'sign in, or send an admin token');
    }
  };
}
