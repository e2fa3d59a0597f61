// The arbitration policy as configuration (a workspace's caps and quiet hours), with its
// schema and the checks the schema cannot express.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { IANAZone } from 'luxon';
import { ChannelSchema, TimeOfDaySchema } from '../journey/definition.ts';
import type { ArbitrationPolicy } from './types.ts';

export const ArbitrationPolicySchema = Type.Object(
  {
    caps: Type.Array(
      Type.Object(
        {
          channel: Type.Union([ChannelSchema, Type.Literal('all')]),
          period: Type.Union([Type.Literal('day'), Type.Literal('week')]),
          limit: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
    ),
    quietHours: Type.Optional(
      Type.Object({ start: TimeOfDaySchema, end: TimeOfDaySchema }, { additionalProperties: false }),
    ),
    defaultTimeZone: Type.String({ minLength: 1 }),
    globalHoldout: Type.Optional(
      Type.Object(
        { percent: Type.Number({ minimum: 0, maximum: 50 }) },
        { additionalProperties: false, description: 'share of people who get no marketing at all' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ArbitrationPolicyDocument = Static<typeof ArbitrationPolicySchema>;

/** GET and PUT /api/arbitration-policy: the policy in force, and where it comes from. */
export const ArbitrationPolicyViewSchema = Type.Object({
  policy: ArbitrationPolicySchema,
  source: Type.Union([Type.Literal('file'), Type.Literal('stored'), Type.Literal('default')], {
    description: 'file: RAPPORT_ARBITRATION_POLICY (read-only here); stored: saved here; default: never set',
  }),
  origin: Type.Union([Type.String(), Type.Null()], { description: 'with file: which file or option' }),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
  editable: Type.Boolean(),
});
export type ArbitrationPolicyView = Static<typeof ArbitrationPolicyViewSchema>;

export type PolicyValidation =
  | { ok: true; policy: ArbitrationPolicy }
  | { ok: false; issues: Array<{ field: string; message: string }> };

export function validatePolicy(raw: unknown): PolicyValidation {
  // A policy file may say what it is (`"kind": "policy"`, for `rapport apply`).
  const input =
    typeof raw === 'object' && raw !== null && (raw as { kind?: unknown }).kind === 'policy'
      ? Object.fromEntries(Object.entries(raw).filter(([key]) => key !== 'kind'))
      : raw;
  if (!Value.Check(ArbitrationPolicySchema, input)) {
    return {
      ok: false,
      issues: [...Value.Errors(ArbitrationPolicySchema, input)].map((e) => ({
        field: e.path,
        message: e.message,
      })),
    };
  }
  const issues: Array<{ field: string; message: string }> = [];
  if (input.quietHours && input.quietHours.start === input.quietHours.end) {
    issues.push({
      field: '/quietHours',
      message: 'quiet hours start and end at the same time; leave them out for none',
    });
  }
  if (!IANAZone.isValidZone(input.defaultTimeZone)) {
    issues.push({ field: '/defaultTimeZone', message: `${input.defaultTimeZone} is not an IANA time zone` });
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    policy: {
      caps: input.caps,
      quietHours: input.quietHours,
      defaultTimeZone: input.defaultTimeZone,
      ...(input.globalHoldout ? { globalHoldout: { percent: input.globalHoldout.percent } } : {}),
    },
  };
}
