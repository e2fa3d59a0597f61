// One validated configuration, from flags and RAPPORT_* environment variables (flags win),
// with defaults, and the list of secrets that must never reach a log line.
import { resolve } from 'node:path';
import { RapportError } from '../errors/index.ts';
import { DEFAULT_IDENTITY_CONFIG, type IdentityConfig } from '../identity/index.ts';
import { DEFAULT_CONSENT_PURPOSES } from '../profiles/consent.ts';
import { readDuration, readSetting, readUrl } from './schema.ts';

export {
  expectedOf,
  LOG_LEVELS,
  parseDuration,
  readDuration,
  readSetting,
  readUrl,
  SETTING_NAMES,
  type SettingName,
  type Settings,
  SettingsSchema,
} from './schema.ts';

export interface RapportConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  writeKey: string | undefined;
  adminToken: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  identity: IdentityConfig;
  /** Run the log processors in this process (turn off for an API-only process). */
  processors: boolean;
  /** Purposes a consent decision may name (docs/privacy.md). */
  consentPurposes: string[];
  /** Leave out profiles that denied analytics from analytics results (default on). */
  analyticsRespectConsent: boolean;
  /** Outgoing mail relay, smtp:// or smtps:// (docs/channels.md); unset: no email channel. */
  smtpUrl: string | undefined;
  /** The From address of email, `Name <addr@example.org>` or a bare address. */
  emailFrom: string;
  /** Where people reach this server (tracking pixel, click and unsubscribe links); unset: the address it listens on. */
  publicUrl: string | undefined;
  /** Signs tracking and unsubscribe links and webhook bodies; generated and stored on first start when unset. */
  signingSecret: string | undefined;
  /** SMS and push providers behind a webhook (docs/channels.md): a fixed URL each; unset: no such channel. */
  smsWebhookUrl: string | undefined;
  pushWebhookUrl: string | undefined;
  /**
   * How long a consumed ingest log entry is kept before compaction may remove it (ms); null:
   * kept forever. It is also the messageId dedupe window (docs/architecture.md, "Retention").
   */
  logRetentionMs: number | null;
  /** How often the pipeline worker compacts the ingest log (ms). */
  logCompactionIntervalMs: number;
  /** How often the assumption audit tests every belief again (ms); null: only on demand. */
  beliefsRetestIntervalMs: number | null;
  /**
   * The most log entries one processor sets aside in a row before it stops and retries instead
   * (docs/quarantine.md); 0 sets nothing aside (a failing entry stops its processor).
   */
  quarantineMaxConsecutive: number;
  /** How often the loyalty programme's run goes (ms). */
  loyaltyRunMs: number;
  /** How often the value models refresh their scores (hours); 0: only on demand. */
  valueRefreshHours: number;
  /** Origins allowed to call the admin API from a browser (CORS); empty: none but this server's own. */
  adminCorsOrigins: string[];
  /**
   * Bytes of tracking requests the server holds at once (bodies being read and parsed, and
   * messages waiting for their commit); a request beyond it gets 429 before its body is read.
   */
  ingestMaxBytes: number;
  /** Messages per second (and at once) each write key may send; undefined: no limit. */
  rateLimit: { messagesPerSecond: number; burst: number } | undefined;
}

/** Fields whose values are secrets: redacted wherever configuration is printed or logged. */
export const SECRET_FIELDS = [
  'writeKey',
  'adminToken',
  'databaseUrl',
  'smtpUrl',
  'signingSecret',
  // A provider URL may carry its API key.
  'smsWebhookUrl',
  'pushWebhookUrl',
] as const;

export interface ConfigInput {
  host?: string | undefined;
  port?: string | number | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  writeKey?: string | undefined;
  adminToken?: string | undefined;
  logLevel?: string | undefined;
  identityLimits?: string | undefined;
  identifierTraits?: string | undefined;
  processors?: boolean | undefined;
  consentPurposes?: string | undefined;
  analyticsRespectConsent?: boolean | undefined;
  smtpUrl?: string | undefined;
  emailFrom?: string | undefined;
  publicUrl?: string | undefined;
  signingSecret?: string | undefined;
  smsWebhookUrl?: string | undefined;
  pushWebhookUrl?: string | undefined;
  logRetention?: string | undefined;
  logCompactionInterval?: string | undefined;
  beliefsRetestInterval?: string | undefined;
  quarantineMaxConsecutive?: string | number | undefined;
  adminCorsOrigins?: string | undefined;
  rateLimit?: string | number | undefined;
  rateLimitBurst?: string | number | undefined;
  ingestMaxBytes?: string | number | undefined;
}

function invalid(name: string, message: string): RapportError {
  return new RapportError('RAPPORT_CONFIG_INVALID', `${name}: ${message}`, { field: name });
}

function parseOrigins(raw: string | undefined, name: string): string[] {
  const origins = (raw ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {}
    if (
      !parsed ||
      !['http:', 'https:'].includes(parsed.protocol) ||
      parsed.origin !== origin.replace(/\/$/, '')
    )
      throw invalid(name, `${JSON.stringify(origin)} is not an origin like https://admin.example.org`);
  }
  return origins.map((origin) => origin.replace(/\/$/, ''));
}

/** A batch holds up to 2,500 messages (docs/tracking-api.md): a write key's burst holds one. */
const LARGEST_BATCH = 2_500;

function parseRateLimit(
  rate: string | number | undefined,
  burst: string | number | undefined,
): RapportConfig['rateLimit'] {
  const messagesPerSecond = readSetting('RAPPORT_RATE_LIMIT', rate) ?? 0;
  if (messagesPerSecond === 0) return undefined;
  const fallback = Math.max(2 * messagesPerSecond, LARGEST_BATCH);
  const bucket = readSetting('RAPPORT_RATE_LIMIT_BURST', burst) ?? fallback;
  if (bucket < LARGEST_BATCH)
    throw invalid(
      'RAPPORT_RATE_LIMIT_BURST',
      `must be at least ${LARGEST_BATCH} (one full batch); got ${bucket}`,
    );
  return { messagesPerSecond, burst: bucket };
}

function parseDatabaseUrl(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) {
    throw invalid(
      name,
      'must be a postgres:// or postgresql:// URL (leave it unset for the embedded storage)',
    );
  }
  try {
    new URL(raw);
  } catch {
    throw invalid(name, 'is not a valid URL');
  }
  return raw;
}

function parseSecret(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 16 || /\s/.test(raw)) throw invalid(name, 'must be at least 16 characters with no spaces');
  return raw;
}

/** "user_id=1,email=1" → { user_id: 1, email: 1 } */
function parseLimits(raw: string | undefined, name: string): Record<string, number> {
  if (raw === undefined || raw.trim() === '') return DEFAULT_IDENTITY_CONFIG.limits;
  const limits: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const [kind, value] = part.split('=').map((s) => s.trim());
    const limit = Number(value);
    if (!kind || !Number.isInteger(limit) || limit < 1) {
      throw invalid(name, `expected kind=limit pairs like "user_id=1,email=1" (got ${JSON.stringify(part)})`);
    }
    limits[kind] = limit;
  }
  return limits;
}

function parseTraitList(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_IDENTITY_CONFIG.identifierTraits;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function parsePurposes(raw: string | undefined, name: string): string[] {
  if (raw === undefined || raw.trim() === '') return [...DEFAULT_CONSENT_PURPOSES];
  const purposes = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = purposes.find((purpose) => !/^[A-Za-z][\w-]{0,63}$/.test(purpose));
  if (bad !== undefined || purposes.length === 0) {
    throw invalid(name, `expected names like "analytics,email,sms" (got ${JSON.stringify(bad ?? raw)})`);
  }
  return [...new Set(purposes)];
}

function parseSwitch(raw: boolean | string | undefined, name: string, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw === 'boolean') return raw;
  if (['on', 'true', '1'].includes(raw.toLowerCase())) return true;
  if (['off', 'false', '0'].includes(raw.toLowerCase())) return false;
  throw invalid(name, `must be on or off (got ${JSON.stringify(raw)})`);
}

function parseEmailFrom(raw: string | undefined, name: string): string {
  const value = raw?.trim() || 'Rapport <rapport@localhost>';
  if (!/^([^<>]*<)?[^\s@<>]+@[^\s@<>]+>?$/.test(value) || value.includes('<') !== value.endsWith('>')) {
    throw invalid(name, `must be an address like "Name <news@example.org>" (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** The ingest log's retention: a duration, or `forever` (compaction never removes anything). */
export function parseRetention(raw: string | undefined, name: string): number | null {
  return readDuration('RAPPORT_LOG_RETENTION', raw, name);
}

/** 64 MB of requests in hand: about 300 MB of memory once parsed (docs/performance.md). */
export const DEFAULT_INGEST_MAX_BYTES = 64 * 1024 * 1024;

const DEFAULT_PORT = 8787;
/** The quarantine guard's default (the pipeline's DEFAULT_QUARANTINE_POLICY agrees; tested). */
const DEFAULT_QUARANTINE_MAX_CONSECUTIVE = 10;

/** The running server a CLI command talks to: --url, else RAPPORT_URL, else localhost on RAPPORT_PORT. */
export function serverUrl(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.RAPPORT_URL ?? `http://localhost:${env.RAPPORT_PORT ?? 8787}`;
}

/** How `--url` is described in every command's help: one wording for one rule. */
export const SERVER_URL_HELP =
  'the Rapport server (default: RAPPORT_URL, else http://localhost:RAPPORT_PORT, port 8787)';

/** Builds the configuration; flags (input) win over the environment. Throws naming the bad value. */
export function loadConfig(input: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): RapportConfig {
  const logLevel = readSetting('RAPPORT_LOG_LEVEL', input.logLevel ?? env.RAPPORT_LOG_LEVEL) ?? 'info';
  const ingestMaxMb = readSetting('RAPPORT_INGEST_MAX_MB', input.ingestMaxBytes ?? env.RAPPORT_INGEST_MAX_MB);
  return {
    host: input.host ?? env.RAPPORT_HOST ?? '127.0.0.1',
    port:
      readSetting(
        'RAPPORT_PORT',
        input.port ?? env.RAPPORT_PORT,
        input.port !== undefined ? '--port' : 'RAPPORT_PORT',
      ) ?? DEFAULT_PORT,
    dataDir: resolve(input.dataDir ?? env.RAPPORT_DATA_DIR ?? 'data'),
    databaseUrl: parseDatabaseUrl(
      input.databaseUrl ?? env.RAPPORT_DATABASE_URL,
      input.databaseUrl !== undefined ? '--database' : 'RAPPORT_DATABASE_URL',
    ),
    writeKey: parseSecret(input.writeKey ?? env.RAPPORT_WRITE_KEY, 'RAPPORT_WRITE_KEY'),
    adminToken: parseSecret(input.adminToken ?? env.RAPPORT_ADMIN_TOKEN, 'RAPPORT_ADMIN_TOKEN'),
    logLevel,
    identity: {
      limits: parseLimits(input.identityLimits ?? env.RAPPORT_IDENTITY_LIMITS, 'RAPPORT_IDENTITY_LIMITS'),
      identifierTraits: parseTraitList(input.identifierTraits ?? env.RAPPORT_IDENTIFIER_TRAITS),
    },
    processors: parseSwitch(input.processors ?? env.RAPPORT_PROCESSORS, 'RAPPORT_PROCESSORS', true),
    consentPurposes: parsePurposes(
      input.consentPurposes ?? env.RAPPORT_CONSENT_PURPOSES,
      'RAPPORT_CONSENT_PURPOSES',
    ),
    analyticsRespectConsent: parseSwitch(
      input.analyticsRespectConsent ?? env.RAPPORT_ANALYTICS_RESPECT_CONSENT,
      'RAPPORT_ANALYTICS_RESPECT_CONSENT',
      true,
    ),
    smtpUrl: readUrl('RAPPORT_SMTP_URL', input.smtpUrl ?? env.RAPPORT_SMTP_URL),
    emailFrom: parseEmailFrom(input.emailFrom ?? env.RAPPORT_EMAIL_FROM, 'RAPPORT_EMAIL_FROM'),
    publicUrl: readUrl('RAPPORT_PUBLIC_URL', input.publicUrl ?? env.RAPPORT_PUBLIC_URL)?.replace(/\/+$/, ''),
    signingSecret: parseSecret(input.signingSecret ?? env.RAPPORT_SIGNING_SECRET, 'RAPPORT_SIGNING_SECRET'),
    smsWebhookUrl: readUrl('RAPPORT_SMS_WEBHOOK_URL', input.smsWebhookUrl ?? env.RAPPORT_SMS_WEBHOOK_URL),
    pushWebhookUrl: readUrl('RAPPORT_PUSH_WEBHOOK_URL', input.pushWebhookUrl ?? env.RAPPORT_PUSH_WEBHOOK_URL),
    logRetentionMs: parseRetention(
      input.logRetention ?? env.RAPPORT_LOG_RETENTION,
      input.logRetention !== undefined ? '--log-retention' : 'RAPPORT_LOG_RETENTION',
    ),
    // 0 would compact in a tight loop: at least a second, as the schema says.
    logCompactionIntervalMs: readDuration(
      'RAPPORT_LOG_COMPACTION_INTERVAL',
      input.logCompactionInterval ?? env.RAPPORT_LOG_COMPACTION_INTERVAL,
    ) as number,
    beliefsRetestIntervalMs: readDuration(
      'RAPPORT_BELIEFS_RETEST_INTERVAL',
      input.beliefsRetestInterval ?? env.RAPPORT_BELIEFS_RETEST_INTERVAL,
    ),
    quarantineMaxConsecutive:
      readSetting(
        'RAPPORT_QUARANTINE_MAX_CONSECUTIVE',
        input.quarantineMaxConsecutive ?? env.RAPPORT_QUARANTINE_MAX_CONSECUTIVE,
      ) ?? DEFAULT_QUARANTINE_MAX_CONSECUTIVE,
    loyaltyRunMs: (readSetting('RAPPORT_LOYALTY_RUN_SECONDS', env.RAPPORT_LOYALTY_RUN_SECONDS) ?? 60) * 1000,
    valueRefreshHours: readSetting('RAPPORT_VALUE_REFRESH_HOURS', env.RAPPORT_VALUE_REFRESH_HOURS) ?? 24,
    rateLimit: parseRateLimit(
      input.rateLimit ?? env.RAPPORT_RATE_LIMIT,
      input.rateLimitBurst ?? env.RAPPORT_RATE_LIMIT_BURST,
    ),
    adminCorsOrigins: parseOrigins(
      input.adminCorsOrigins ?? env.RAPPORT_ADMIN_CORS_ORIGINS,
      'RAPPORT_ADMIN_CORS_ORIGINS',
    ),
    ingestMaxBytes: ingestMaxMb === undefined ? DEFAULT_INGEST_MAX_BYTES : ingestMaxMb * 1024 * 1024,
  };
}

/** The configuration with secrets replaced, for printing. */
export function redactedConfig(config: RapportConfig): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const field of SECRET_FIELDS) if (copy[field] !== undefined) copy[field] = '[redacted]';
  return copy;
}
