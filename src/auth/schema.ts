// The access API's answers (TypeBox, the same objects the routes serialise with): the signed-in
// session, a user and an audit entry. The dashboard imports their types (web/src/api.ts).
// Type comes from the type provider here, as it always did in the access routes.
import { type Static, Type } from '@fastify/type-provider-typebox';

export const RoleSchema = Type.Union([
  Type.Literal('owner'),
  Type.Literal('marketer'),
  Type.Literal('analyst'),
  Type.Literal('privacy'),
]);
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

export type Session = Static<typeof Session>;
export type User = Static<typeof User>;
export type AuditEntry = Static<typeof AuditEntry>;
