import type { FastifyRequest } from 'fastify';
import { type CredentialCache, secretFromAuthorization } from '../auth/index.ts';
import { RapportError } from '../errors/index.ts';

/** onRequest hook of every admin route (before the body is read or validated): a live admin token, and never a write key. */
export function requireAdmin(credentials: CredentialCache) {
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const secret = header?.toLowerCase().startsWith('bearer ') ? secretFromAuthorization(header) : undefined;
    if (!secret) {
      throw new RapportError(
        'RAPPORT_API_UNAUTHORIZED',
        'send the admin token as Authorization: Bearer <token>',
      );
    }
    const credential = await credentials.lookup(secret);
    if (credential?.kind === 'write' && credential.revokedAt === null) {
      throw new RapportError(
        'RAPPORT_API_FORBIDDEN',
        'a write key can send events but cannot read or manage; use an admin token',
      );
    }
    if (credential?.kind !== 'admin' || credential.revokedAt !== null) {
      throw new RapportError('RAPPORT_API_UNAUTHORIZED', 'unknown or revoked admin token');
    }
  };
}
