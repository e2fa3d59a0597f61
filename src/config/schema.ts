// Every RAPPORT_* setting in one TypeBox schema: its kind, its limits, its default and what it
// means. Numbers, choices and durations are checked against it here, with an error that names
// the setting and the limit; settings with a form of their own (URLs, lists) keep their parsers
// in ./index.ts and are listed here with that form. test/config/config-docs.test.ts checks that
// docs/configuration.md lists exactly these settings.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RapportError } from '../errors/index.ts';
import { StringEnum } from '../errors/schema.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const text = (description: string, options: Record<string, unknown> = {}) =>
  Type.Optional(Type.String({ description, ...options }));

/**
 * A span of time, `7d`, `24h`, `90m`, `30s` or `0`, kept in the schema as its own kind
 * (`x-duration`): the least it may be, and the words it also takes (`forever`, `off`).
 */
interface DurationKind {
  atLeastMs: number;
  words: readonly string[];
}

const duration = (description: string, defaultValue: string, kind: Partial<DurationKind> = {}) =>
  Type.Optional(
    Type.String({
      description,
      default: defaultValue,
      'x-duration': { atLeastMs: kind.atLeastMs ?? 0, words: kind.words ?? [] } satisfies DurationKind,
    }),
  );

/** A URL of one of `schemes` (`x-url`); its value is never echoed in an error: it may hold a secret. */
const url = (description: string, schemes: readonly string[]) =>
  Type.Optional(Type.String({ description, 'x-url': { schemes } }));

export const SettingsSchema = Type.Object({
  RAPPORT_HOST: text('address to listen on (0.0.0.0 for all)', { default: '127.0.0.1' }),
  RAPPORT_PORT: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 65535, default: 8787, description: 'port to listen on' }),
  ),
  RAPPORT_DATA_DIR: text('folder of the embedded storage', { default: 'data' }),
  RAPPORT_DATABASE_URL: text('postgres://…: PostgreSQL for state and events; unset: the embedded storage'),
  RAPPORT_WRITE_KEY: text('a write key to accept, at least 16 characters (secret)'),
  RAPPORT_ADMIN_TOKEN: text('an admin token to accept, at least 16 characters (secret)'),
  RAPPORT_SIGNING_SECRET: text(
    'signs tracking and unsubscribe links and webhook bodies (secret); generated on first start',
  ),
  RAPPORT_LOG_LEVEL: Type.Optional(StringEnum(LOG_LEVELS, { default: 'info' })),
  RAPPORT_IDENTITY_LIMITS: text('identities of one kind a profile may hold, kind=limit pairs', {
    default: 'user_id=1,email=1',
  }),
  RAPPORT_IDENTIFIER_TRAITS: text('traits that identify a person, comma-separated', { default: 'email' }),
  RAPPORT_PROCESSORS: text('off: serve the API only; other processes run the processors', { default: 'on' }),
  RAPPORT_CONSENT_PURPOSES: text('consent purposes, comma-separated names'),
  RAPPORT_ANALYTICS_RESPECT_CONSENT: text('on or off: leave out of analytics whoever denied it', {
    default: 'on',
  }),
  RAPPORT_SMTP_URL: url('smtp:// or smtps:// mail relay; unset: no email channel (secret)', [
    'smtp',
    'smtps',
  ]),
  RAPPORT_EMAIL_FROM: text('the From of email, "Name <addr@example.org>" or an address', {
    default: 'Rapport <rapport@localhost>',
  }),
  RAPPORT_PUBLIC_URL: url('http(s) URL people reach this server at (links in messages)', ['http', 'https']),
  RAPPORT_SMS_WEBHOOK_URL: url('http(s) URL of the SMS provider; unset: no SMS channel (secret)', [
    'http',
    'https',
  ]),
  RAPPORT_PUSH_WEBHOOK_URL: url('http(s) URL of the push provider; unset: no push channel (secret)', [
    'http',
    'https',
  ]),
  RAPPORT_LOG_RETENTION: duration('7d, 24h, 90m, 30s, 0 or forever', '7d', { words: ['forever'] }),
  RAPPORT_LOG_COMPACTION_INTERVAL: duration('a duration, at least 1s', '10m', { atLeastMs: 1000 }),
  RAPPORT_BELIEFS_RETEST_INTERVAL: duration('a duration of at least 1s, or off', '1h', {
    atLeastMs: 1000,
    words: ['off'],
  }),
  RAPPORT_QUARANTINE_MAX_CONSECUTIVE: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 10_000, default: 10, description: 'entries set aside in a row' }),
  ),
  RAPPORT_RATE_LIMIT: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 10_000_000,
      default: 0,
      description: 'messages a second per write key; 0: no limit',
    }),
  ),
  RAPPORT_RATE_LIMIT_BURST: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 100_000_000,
      description: 'messages at once per write key, at least 2500',
    }),
  ),
  RAPPORT_ADMIN_CORS_ORIGINS: text('origins allowed to call the admin API, comma-separated'),
  RAPPORT_INGEST_MAX_MB: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 65_536,
      default: 64,
      description: 'megabytes of tracking requests held at once',
    }),
  ),
  RAPPORT_ARBITRATION_POLICY: text('a JSON file of fatigue caps and quiet hours; set, it pins the policy'),
  RAPPORT_LOYALTY_RUN_SECONDS: Type.Optional(
    // Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer interval fires at once.
    Type.Number({
      minimum: 0,
      maximum: 2_147_483,
      default: 60,
      description: 'seconds between loyalty runs; 0: only on demand',
    }),
  ),
  RAPPORT_VALUE_REFRESH_HOURS: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 24 * 366,
      default: 24,
      description: 'hours between value refreshes; 0: off',
    }),
  ),
  RAPPORT_OUTBOX_LEASE_MS: Type.Optional(
    Type.Integer({ minimum: 1000, default: 60_000, description: 'ms a worker holds a row it delivers' }),
  ),
  RAPPORT_URL: text('the server CLI commands talk to', { default: 'http://localhost:$RAPPORT_PORT' }),
});
export type Settings = Static<typeof SettingsSchema>;
export type SettingName = keyof Settings;

/** The setting names, in the schema's order. */
export const SETTING_NAMES = Object.keys(SettingsSchema.properties) as SettingName[];

interface Bounds {
  type?: string;
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
}

/** What a setting accepts, in words: "a whole number from 0 to 65535", "one of a, b". */
export function expectedOf(schema: Bounds): string {
  if (schema.enum) return `one of ${schema.enum.join(', ')}`;
  const kind = schema.type === 'integer' ? 'a whole number' : 'a number';
  if (schema.minimum !== undefined && schema.maximum !== undefined)
    return `${kind} from ${schema.minimum} to ${schema.maximum}`;
  if (schema.minimum !== undefined) return `${kind} of at least ${schema.minimum}`;
  return kind;
}

/**
 * One numeric or choice setting, checked against its schema: undefined when unset (or blank),
 * else the value. A bad value throws naming the setting (`label`, a flag when the value came
 * from one) and the limit: `RAPPORT_PORT: must be a whole number from 0 to 65535 (got "abc")`.
 */
export function readSetting<K extends SettingName>(
  name: K,
  raw: string | number | undefined,
  label: string = name,
): Exclude<Settings[K], undefined> | undefined {
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return undefined;
  const schema: TSchema & Bounds = SettingsSchema.properties[name];
  const numeric = schema.type === 'integer' || schema.type === 'number';
  // Not TypeBox's conversion: it would take "1.5" as the integer 1.
  const value = numeric && typeof raw === 'string' ? Number(raw.trim()) : raw;
  // A choice is an unsafe schema to TypeBox (StringEnum), which its Check does not look into.
  const fits = schema.enum ? schema.enum.includes(String(value)) : Value.Check(schema, value);
  if (!fits) {
    throw new RapportError(
      'RAPPORT_CONFIG_INVALID',
      `${label}: must be ${expectedOf(schema)} (got ${JSON.stringify(raw)})`,
      {
        field: label,
      },
    );
  }
  return value as Exclude<Settings[K], undefined>;
}

const DURATION_UNITS_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
/** Ten years: beyond it a typo is likelier than an intent (use `forever`). */
const LONGEST_DURATION_MS = 3650 * DURATION_UNITS_MS.d;
const DURATION_FORMS = 'a duration like 7d, 24h, 90m, 30s or 0, at most 3650d';

function durationError(label: string, expected: string, raw: string): RapportError {
  return new RapportError(
    'RAPPORT_CONFIG_INVALID',
    `${label}: must be ${expected} (got ${JSON.stringify(raw)})`,
    {
      field: label,
    },
  );
}

/** "7d", "24h", "90m", "30s" or "0" to milliseconds; the error names `label` and the forms taken. */
export function parseDuration(raw: string, label: string): number {
  const text = raw.trim();
  if (text === '0') return 0;
  const match = /^(\d+)\s*([dhms])$/.exec(text);
  const ms = match
    ? Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS]
    : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms > LONGEST_DURATION_MS) throw durationError(label, DURATION_FORMS, raw);
  return ms;
}

/**
 * A duration setting, checked against its kind in the schema: its default when unset (or blank),
 * null for its word (`forever`, `off`), else milliseconds. A bad value throws naming the setting
 * (`label`, a flag when the value came from one) and the limit:
 * `RAPPORT_LOG_COMPACTION_INTERVAL: must be a duration of at least 1s (got "0")`.
 */
export function readDuration(
  name: SettingName,
  raw: string | undefined,
  label: string = name,
): number | null {
  const schema: TSchema & { 'x-duration'?: DurationKind } = SettingsSchema.properties[name];
  const kind = schema['x-duration'];
  if (!kind) throw new Error(`${name} is not a duration setting`);
  const text = raw === undefined || raw.trim() === '' ? (schema.default as string) : raw.trim();
  if (kind.words.includes(text.toLowerCase())) return null;
  const words = kind.words.map((word) => ` or ${word}`).join('');
  const ms = parseDuration(text, label);
  if (ms < kind.atLeastMs) {
    throw durationError(label, `a duration of at least ${kind.atLeastMs / 1000}s${words}`, raw ?? '');
  }
  return ms;
}

/**
 * A URL setting, checked against its schemes in the schema: undefined when unset (or blank),
 * else the trimmed URL. The error names the setting (or `label`) and the schemes, never the
 * value: `RAPPORT_SMTP_URL: must be a smtp:// or smtps:// URL`.
 */
export function readUrl(
  name: SettingName,
  raw: string | undefined,
  label: string = name,
): string | undefined {
  const schema: TSchema & { 'x-url'?: { schemes: readonly string[] } } = SettingsSchema.properties[name];
  const kind = schema['x-url'];
  if (!kind) throw new Error(`${name} is not a URL setting`);
  if (raw === undefined || raw.trim() === '') return undefined;
  const refuse = (message: string) =>
    new RapportError('RAPPORT_CONFIG_INVALID', `${label}: ${message}`, { field: label });
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw refuse(`is not a valid URL; must be a ${kind.schemes.join(':// or ')}:// URL`);
  }
  if (!kind.schemes.includes(parsed.protocol.slice(0, -1)))
    throw refuse(`must be a ${kind.schemes.join(':// or ')}:// URL`);
  return raw.trim();
}
