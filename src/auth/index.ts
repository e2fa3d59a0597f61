// Who may call Rapport: write keys (send events), admin tokens (scripts), dashboard users and
// their sessions, the roles and the one guard that enforces them, and the audit log
// (docs/access.md).
import type { FastifyInstance } from 'fastify';
import { auditHook } from './audit.ts';
import { Guard, type GuardOptions } from './guard.ts';

export * from './access.ts';
export { type AdminTokenRouteOptions, adminTokenRoutes, CONFIRM_REVOKE_SELF } from './admin-token-routes.ts';
export { auditEntryOf, noteAudit, withoutSecrets } from './audit.ts';
export { registerCredentialCommands } from './cli.ts';
export * from './credentials.ts';
export {
  type Actor,
  type AuditNote,
  cookieValue,
  Guard,
  type GuardOptions,
  type RouteAccess,
  SESSION_COOKIE,
  sameOrigin,
} from './guard.ts';
export * from './passwords.ts';
export { requireAdmin } from './require-admin.ts';
export { type AccessRouteOptions, accessRoutes } from './routes.ts';
export { CredentialListSchema, NewCredentialSchema } from './schema.ts';
export { SignInThrottle, type ThrottleOptions } from './throttle.ts';
export { checkPassword, createUser, normalName, setPassword } from './users.ts';
export { registerUsersCommands } from './users-cli.ts';

/**
 * Puts the guard and the audit writer in front of every route. Call on the root instance
 * before any route plugin is registered: hooks reach only the plugins registered after them.
 */
export function installAccess(app: FastifyInstance, options: GuardOptions): Guard {
  const guard = new Guard(options);
  app.decorateRequest('actor', null);
  app.decorateRequest('auditNote', null);
  app.addHook('onRequest', guard.check);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue; // Fastify's automatic twin of each GET
      guard.routes.push({ method, url: route.url, access: route.config?.access });
    }
  });
  app.addHook('onSend', auditHook(options.access, options.now));
  return guard;
}
