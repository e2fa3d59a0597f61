// The access API's answers (TypeBox, the same objects the routes serialise with): the signed-in
// session, a user, an audit entry, write keys and admin tokens. The dashboard imports their types (web/src/api.ts).
// Type comes from the type provider here, as it always did in the access routes.
import { type Static, Type } from '@sinclair/typebox';
import { PERMISSIONS } from './access.ts';

export const RoleSchema = Type.Union([
  Type.Literal('owner'),
  Type.Literal('marketer'),
  Type.Literal('analyst'),
  Type.Literal('privacy'),
]);
/** What a route needs (src/auth/access.ts). */
export const PermissionSchema = Type.Union([
  Type.Literal('public'),
  Type.Literal('signed-in'),
  Type.Literal('read'),
  Type.Literal('marketing:write'),
  Type.Literal('people:export'),
  Type.Literal('privacy:write'),
  Type.Literal('audit:read'),
  Type.Literal('admin'),
]);
// Every permission of the access module is in the schema's union (a type error otherwise).
const _samePermissions: readonly Static<typeof PermissionSchema>[] = PERMISSIONS;
/** GET /api/access: the roles, what each permits, and the permission every /api/ route needs. */
export const AccessMatrixSchema = Type.Object({
  roles: Type.Array(
    Type.Object({ role: RoleSchema, label: Type.String(), permissions: Type.Array(PermissionSchema) }),
  ),
  permissions: Type.Array(Type.Object({ permission: PermissionSchema, meaning: Type.String() })),
  routes: Type.Array(
    Type.Object({ method: Type.String(), url: Type.String(), access: Type.Optional(PermissionSchema) }),
  ),
});
export const User = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  createdAt: Type.String(),
  passwordChangedAt: Type.String(),
  disabledAt: Type.Union([Type.String(), Type.Null()]),
});
export const Session = Type.Object({
  kind: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  permissions: Type.Array(Type.String()),
});
export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  actorKind: Type.String(),
  actorName: Type.String(),
  role: Type.Union([Type.String(), Type.Null()]),
  method: Type.String(),
  route: Type.String(),
  action: Type.String(),
  status: Type.Integer(),
  subject: Type.Union([Type.String(), Type.Null()]),
  changes: Type.Union([Type.Unknown(), Type.Null()]),
  redactedAt: Type.Union([Type.String(), Type.Null()]),
});

/**
 * A write key or admin token as listed: never its secret (only its hash is stored, and the
 * schema has no field to carry either).
 */
export const CredentialSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('write'), Type.Literal('admin')]),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export const CredentialListSchema = Type.Array(CredentialSchema);
const secret = Type.String({ description: 'Shown once, in this response; never again.' });
/** A credential just created: the one answer that carries its secret. */
export const NewCredentialSchema = Type.Object({ ...CredentialSchema.properties, secret });
/** An admin token as listed: its role, and whether the request was made with it. */
export const AdminTokenSchema = Type.Object({
  ...CredentialSchema.properties,
  current: Type.Boolean({ description: 'the token this request is signed with' }),
  role: RoleSchema,
});
export const AdminTokenListSchema = Type.Array(AdminTokenSchema);
export const NewAdminTokenSchema = Type.Object({ ...CredentialSchema.properties, role: RoleSchema, secret });

export type AccessMatrix = Static<typeof AccessMatrixSchema>;
export type Session = Static<typeof Session>;
export type User = Static<typeof User>;
export type AuditEntry = Static<typeof AuditEntry>;
export type Credential = Static<typeof CredentialSchema>;
export type NewCredential = Static<typeof NewCredentialSchema>;
export type AdminToken = Static<typeof AdminTokenSchema>;
export type NewAdminToken = Static<typeof NewAdminTokenSchema>;
