// Admin tokens over the admin API: list (never the secret), create (the secret in that one
// response), revoke. Two refusals keep an operator from locking everyone out: the last live
// admin token cannot be revoked, and the token the request itself carries is revoked only with
// `?confirm=revoke-self` (the dashboard signs out right after). Write keys have their own routes
// (src/api/routes.ts); a write key never passes the guard (guard.ts), so it can reach none of these.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorSchema, RapportError, StringEnum } from '../errors/index.ts';
import type { StateStore } from '../store/index.ts';
import { ROLES } from './access.ts';
import {
  type CredentialCache,
  createCredential,
  hashSecret,
  secretFromAuthorization,
} from './credentials.ts';
import type { Guard } from './guard.ts';
import { AdminTokenListSchema, NewAdminTokenSchema } from './schema.ts';

export interface AdminTokenRouteOptions {
  state: StateStore;
  credentials: CredentialCache;
  /** Knows and records each token's role. */
  guard: Guard;
}

/** The query value that confirms revoking the token the request is made with. */
export const CONFIRM_REVOKE_SELF = 'revoke-self';

const security = [{ adminToken: [] }];
const RoleSchema = StringEnum(ROLES);

/** Why a revocation must not go ahead, or undefined: pure, so the rule is tested on its own. */
export function revocationRefusal(
  target: { id: string; revokedAt: string | null },
  liveAdminIds: readonly string[],
  requestTokenId: string | undefined,
  confirmed: boolean,
): string | undefined {
  if (target.revokedAt !== null) return undefined;
  if (liveAdminIds.length <= 1 && liveAdminIds.includes(target.id)) {
    return 'this is the last live admin token: create another one first, or nobody could manage this server';
  }
  if (target.id === requestTokenId && !confirmed) {
    return `this is the token this request is signed with; revoking it signs you out. Repeat with ?confirm=${CONFIRM_REVOKE_SELF} to go ahead`;
  }
  return undefined;
}

export const adminTokenRoutes: FastifyPluginAsyncTypebox<AdminTokenRouteOptions> = async (app, options) => {
  const { state, credentials, guard } = options;

  app.get(
    '/api/admin-tokens',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Admin tokens (without their secrets); current marks the one this request uses',
        description: 'Last use is not tracked: a token that may be unused is best revoked and recreated.',
        security,
        response: {
          200: AdminTokenListSchema,
        },
      },
    },
    async (request) => {
      const own = await ownTokenId(request.headers.authorization);
      const tokens = await state.listCredentials('admin');
      return Promise.all(
        tokens.map(async (token) => ({
          ...token,
          current: token.id === own,
          role: await guard.roleOf(token.id),
        })),
      );
    },
  );

  app.post(
    '/api/admin-tokens',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Create an admin token; its secret is in this response only',
        security,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            // What the token may do (docs/access.md); owner when left out, as before roles.
            role: Type.Optional(RoleSchema),
          },
          { additionalProperties: false },
        ),
        response: {
          201: NewAdminTokenSchema,
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { name, role = 'owner' } = request.body;
      if (name.trim() === '')
        throw new RapportError('RAPPORT_API_BAD_REQUEST', 'name: must not be blank', { field: 'name' });
      const created = await createCredential(state, 'admin', name.trim());
      await guard.setTokenRole(created.credential.id, role);
      return reply.code(201).send({ ...created.credential, role, secret: created.secret });
    },
  );

  app.delete(
    '/api/admin-tokens/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Revoke an admin token (not the last one; your own only with ?confirm=revoke-self)',
        security,
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({ confirm: Type.Optional(Type.Literal(CONFIRM_REVOKE_SELF)) }),
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { confirm } = request.query;
      const tokens = await state.listCredentials('admin');
      const target = tokens.find((token) => token.id === id);
      if (!target || target.revokedAt !== null)
        throw new RapportError('RAPPORT_API_NOT_FOUND', `no live admin token ${id}`);
      const refusal = revocationRefusal(
        target,
        tokens.filter((token) => token.revokedAt === null).map((token) => token.id),
        await ownTokenId(request.headers.authorization),
        confirm === CONFIRM_REVOKE_SELF,
      );
      if (refusal) throw new RapportError('RAPPORT_API_CONFLICT', refusal, { field: 'id' });
      await state.revokeCredential(id, new Date().toISOString());
      credentials.invalidate();
      return reply.code(204).send(null);
    },
  );

  /** The id of the admin token the request carries (the guard has checked it). */
  async function ownTokenId(header: string | undefined): Promise<string | undefined> {
    const secret = secretFromAuthorization(header);
    return secret ? (await state.findCredentialByHash(hashSecret(secret)))?.id : undefined;
  }
};
