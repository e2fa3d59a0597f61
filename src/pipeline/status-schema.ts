// GET /api/status's answer (TypeBox): the route serialises with it, the OpenAPI document shows
// it, and the Overview imports its type (web/src/api.ts). Only TypeBox is imported, so the
// dashboard's compiler can read this file (types only; nothing from here reaches the bundle).
import { type Static, Type } from '@sinclair/typebox';

export const StatusSchema = Type.Object({
  logHead: Type.Integer({ description: "the ingest log's last sequence number" }),
  processors: Type.Record(
    Type.String(),
    Type.Object({
      offset: Type.Integer({ description: 'the last log entry it has applied' }),
      lag: Type.Integer({ description: 'entries behind the head' }),
    }),
    { description: 'every log reader by name' },
  ),
  lastError: Type.Union([Type.String(), Type.Null()], {
    description: "this process's pipeline's last error; null when none",
  }),
  profiles: Type.Integer(),
  deadLetters: Type.Integer(),
  quarantined: Type.Object({
    total: Type.Integer({ description: 'log entries processors set aside (docs/quarantine.md)' }),
    byProcessor: Type.Record(Type.String(), Type.Integer()),
  }),
});
export type Status = Static<typeof StatusSchema>;
