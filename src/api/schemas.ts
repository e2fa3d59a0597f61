// Response schemas of the admin API: the single source for validation-free serialisation and
// for the OpenAPI document.
import { Type } from '@sinclair/typebox';
import { Nullable } from '../errors/index.ts';
export const credentialSchema = Type.Object({
  id: Type.Optional(Type.String()),
  kind: Type.Optional(Type.Union([Type.Literal('write'), Type.Literal('admin')])),
  name: Type.Optional(Type.String()),
  createdAt: Type.Optional(Type.String()),
  revokedAt: Type.Optional(Nullable(Type.String())),
  secret: Type.Optional(Type.String({ description: 'Shown once, when created.' })),
});
