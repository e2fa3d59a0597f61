// The access API: sign in and out, your own session and password, users (owner only), the
// role matrix, and the audit log. Every route declares its permission (docs/access.md).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawServerDefault,
} from 'fastify';
import { RapportError } from '../errors/index.ts';
import type { AccessStore, AuditQuery } from '../store/index.ts';
import { PERMISSION_MEANING, PERMISSIONS, ROLE_LABELS, ROLE_PERMISSIONS, ROLES } from './access.ts';
import { noteAudit } from './audit.ts';
import { type Actor, type Guard, SESSION_COOKIE } from './guard.ts';
import { AccessMatrixSchema, AuditEntry, RoleSchema, Session, User } from './schema.ts';
import { SignInThrottle } from './throttle.ts';
import { checkPassword, createUser, publicUser, SESSION_HOURS, setPassword, startSession } from './users.ts';

export interface AccessRouteOptions {
  store: AccessStore;
  guard: Guard;
  /** Whether cookies get Secure even on a plain-HTTP request (the public URL is https). */
  secureCookies: () => boolean;
  /** Failed sign-ins allowed per name and per address within the window (default 10 in 15 min). */
  throttle?: SignInThrottle;
}

const security: Array<Record<string, string[]>> = [{ adminToken: [] }, { session: [] }];
const ErrorBody = Type.Object(
  { error: Type.String(), message: Type.String() },
  { additionalProperties: true },
);
const Password = Type.String({ minLength: 1, maxLength: 200 });
const AuditFilter = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  actor: Type.Optional(Type.String({ maxLength: 200 })),
  route: Type.Optional(Type.String({ maxLength: 300 })),
  subject: Type.Optional(Type.String({ maxLength: 300 })),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  outcome: Type.Optional(Type.Union([Type.Literal('done'), Type.Literal('refused')])),
});

function sessionOf(actor: Actor) {
  return {
    kind: actor.kind,
    name: actor.name,
    role: actor.role,
    permissions: [...ROLE_PERMISSIONS[actor.role]],
  };
}

/** The guard has authenticated every route but the public ones. */
function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new RapportError('RAPPORT_API_UNAUTHORIZED', 'sign in first');
  return request.actor;
}

function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export async function accessRoutes(app: FastifyInstance, options: AccessRouteOptions): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { store } = options;
  const secure = (request: FastifyRequest) => request.protocol === 'https' || options.secureCookies();
  const throttle = options.throttle ?? new SignInThrottle();

  api.post(
    '/api/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['access'],
        summary: 'Sign in with a user name and password; the session is an httpOnly cookie',
        security: [],
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), password: Password }),
        response: { 200: Session, '4xx': ErrorBody },
      },
    },
    async (request, reply) => signIn(request, reply, request.body),
  );

  async function signIn(
    request: FastifyRequest,
    reply: FastifyReply,
    body: { name: string; password: string },
  ) {
    const keys = [`name:${body.name.trim().toLowerCase()}`, `ip:${request.ip}`];
    const wait = throttle.retryAfter(keys);
    if (wait !== undefined) {
      throw new RapportError(
        'RAPPORT_API_TOO_MANY_ATTEMPTS',
        `too many failed sign-ins; try again in ${wait} s`,
        {
          retryAfterSeconds: wait,
        },
      );
    }
    const user = await checkPassword(store, body.name, body.password);
    if (user) throttle.succeeded(keys[0] as string);
    else throttle.failed(keys);
    const at = new Date().toISOString();
    const entry = { at, method: 'POST', route: '/api/session', subject: null, changes: null };
    if (!user) {
      // The typed name is kept only when it is a user's: a password typed into the name field
      // must not land in the log.
      const known = await store.findUserByName(body.name.trim().toLowerCase());
      await store.appendAudit({
        ...entry,
        actorKind: known ? 'user' : 'anonymous',
        actorId: known?.id ?? null,
        actorName: known?.name ?? '(unknown name)',
        role: known?.role ?? null,
        action: 'sign-in refused',
        status: 401,
      });
      throw new RapportError('RAPPORT_API_UNAUTHORIZED', 'unknown name or wrong password');
    }
    const session = await startSession(store, user.id);
    await store.appendAudit({
      ...entry,
      actorKind: 'user',
      actorId: user.id,
      actorName: user.name,
      role: user.role,
      action: 'sign-in',
      status: 200,
    });
    reply.header('set-cookie', sessionCookie(session.token, SESSION_HOURS * 3600, secure(request)));
    const role = user.role as Actor['role'];
    return sessionOf({ kind: 'user', id: user.id, name: user.name, role });
  }

  api.get(
    '/api/session',
    {
      config: { access: 'signed-in' },
      schema: {
        tags: ['access'],
        summary: 'Who you are signed in as, your role and what it permits',
        security,
        response: { 200: Session },
      },
    },
    async (request) => sessionOf(actorOf(request)),
  );

  api.delete(
    '/api/session',
    {
      config: { access: 'signed-in' },
      schema: { tags: ['access'], summary: 'Sign out: the session ends on the server', security },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      if (actor.sessionHash) await store.deleteSession(actor.sessionHash);
      reply.header('set-cookie', sessionCookie('', 0, secure(request)));
      return reply.code(204).send();
    },
  );

  api.put(
    '/api/session/password',
    {
      config: { access: 'signed-in' },
      schema: {
        tags: ['access'],
        summary: 'Change your own password; your other sessions end',
        security,
        body: Type.Object({ current: Password, password: Password }),
        response: { 204: Type.Null(), '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      noteAudit(request, { omitBody: true });
      const actor = actorOf(request);
      if (actor.kind !== 'user') {
        throw new RapportError(
          'RAPPORT_API_BAD_REQUEST',
          'an admin token has no password; revoke it and make another',
        );
      }
      if (!(await checkPassword(store, actor.name, request.body.current))) {
        throw new RapportError('RAPPORT_API_FORBIDDEN', 'current: not your current password', {
          field: 'current',
        });
      }
      await setPassword(store, actor, request.body.password, actor.sessionHash);
      return reply.code(204).send(null);
    },
  );

  await userRoutes(api, store);
  await auditRoutes(api, options);
}

type Api = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

async function userRoutes(api: Api, store: AccessStore): Promise<void> {
  api.get(
    '/api/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['access'],
        summary: 'Dashboard users and their roles',
        security,
        response: { 200: Type.Array(User) },
      },
    },
    async () => store.listUsers(),
  );

  api.post(
    '/api/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['access'],
        summary: 'Create a dashboard user (the first owner can be made with the admin token)',
        security,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          role: RoleSchema,
          password: Password,
        }),
        response: { 201: User, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const user = await createUser(store, request.body);
      noteAudit(request, { after: user });
      return reply.code(201).send(user);
    },
  );

  api.patch(
    '/api/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['access'],
        summary: 'Change a user’s role, disable or enable them, or set a new password',
        security,
        params: Type.Object({ id: Type.String() }),
        body: Type.Object(
          {
            role: Type.Optional(RoleSchema),
            disabled: Type.Optional(Type.Boolean()),
            password: Type.Optional(Password),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: User, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const user = await store.getUser(request.params.id);
      if (!user) throw new RapportError('RAPPORT_API_NOT_FOUND', `no user ${request.params.id}`);
      const { role, disabled, password } = request.body;
      // Nobody locks themselves out by mistake: another owner has to do it.
      if (actor.kind === 'user' && actor.id === user.id && (role !== undefined || disabled !== undefined)) {
        throw new RapportError('RAPPORT_API_CONFLICT', 'you cannot change your own role or disable yourself');
      }
      const disabledAt = disabled === undefined ? undefined : disabled ? new Date().toISOString() : null;
      await store.updateUser(user.id, {
        ...(role ? { role } : {}),
        ...(disabledAt !== undefined ? { disabledAt } : {}),
      });
      if (password !== undefined) await setPassword(store, user, password);
      if (disabled) await store.deleteSessionsOf(user.id);
      const after = publicUser((await store.getUser(user.id)) ?? user);
      noteAudit(request, { before: publicUser(user), after });
      return after;
    },
  );
}

async function auditRoutes(api: Api, options: AccessRouteOptions): Promise<void> {
  api.get(
    '/api/audit',
    {
      config: { access: 'audit:read' },
      schema: {
        tags: ['access'],
        summary: 'The audit log, newest first: every admin write and personal-data export',
        security,
        querystring: AuditFilter,
        response: { 200: Type.Object({ items: Type.Array(AuditEntry) }) },
      },
    },
    async (request) => ({
      items: (await options.store.listAudit(auditQuery(request.query))).map(withParsedChanges),
    }),
  );

  api.get(
    '/api/access',
    {
      config: { access: 'read' },
      schema: {
        tags: ['access'],
        summary: 'The roles, what each permits, and the permission every route needs',
        security,
        response: { 200: AccessMatrixSchema },
      },
    },
    async () => ({
      roles: ROLES.map((role) => ({
        role,
        label: ROLE_LABELS[role],
        permissions: [...ROLE_PERMISSIONS[role]],
      })),
      permissions: PERMISSIONS.map((permission) => ({ permission, meaning: PERMISSION_MEANING[permission] })),
      routes: options.guard.routes.filter((route) => route.url.startsWith('/api/')),
    }),
  );
}

function auditQuery(query: Static<typeof AuditFilter>): AuditQuery {
  return {
    limit: query.limit ?? 100,
    ...(query.before ? { beforeId: query.before } : {}),
    ...(query.actor ? { actorName: query.actor } : {}),
    ...(query.route ? { route: query.route } : {}),
    ...(query.subject ? { subject: query.subject } : {}),
    ...(query.from ? { from: new Date(query.from).toISOString() } : {}),
    ...(query.to ? { to: new Date(query.to).toISOString() } : {}),
    ...(query.outcome ? { outcome: query.outcome } : {}),
  };
}

function withParsedChanges<T extends { changes: string | null; actorId?: unknown }>(entry: T) {
  const { actorId: _id, ...rest } = entry;
  return { ...rest, changes: entry.changes === null ? null : JSON.parse(entry.changes) };
}
