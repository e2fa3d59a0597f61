// The settings schema (src/config/schema.ts) is the one list of RAPPORT_* settings: numbers and
// choices are checked against it with errors naming the setting and the limit, its defaults are
// the ones the server uses, and docs/configuration.md lists exactly its settings.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { outboxLeaseFromEnvironment } from '../../src/conductor/runtime/start.ts';
import {
  loadConfig,
  readDuration,
  readSetting,
  readUrl,
  SETTING_NAMES,
  SettingsSchema,
} from '../../src/config/index.ts';
import { DEFAULT_QUARANTINE_POLICY } from '../../src/pipeline/quarantine.ts';

const DOCS = join(dirname(fileURLToPath(import.meta.url)), '../../docs/configuration.md');

/** The RAPPORT_* names in the settings tables of docs/configuration.md (rows start with `|`). */
function documentedSettings(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    for (const match of line.matchAll(/`(RAPPORT_[A-Z_]+)/g)) names.add(match[1]!);
  }
  return names;
}

describe('the settings schema', () => {
  it.each([
    ['RAPPORT_PORT', 'abc', 'RAPPORT_PORT: must be a whole number from 0 to 65535 (got "abc")'],
    ['RAPPORT_PORT', '70000', 'RAPPORT_PORT: must be a whole number from 0 to 65535 (got "70000")'],
    ['RAPPORT_PORT', '80.5', 'RAPPORT_PORT: must be a whole number from 0 to 65535 (got "80.5")'],
    [
      'RAPPORT_LOG_LEVEL',
      'loud',
      'RAPPORT_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ],
    ['RAPPORT_INGEST_MAX_MB', '0', 'RAPPORT_INGEST_MAX_MB: must be a whole number from 1 to 65536 (got "0")'],
    [
      'RAPPORT_OUTBOX_LEASE_MS',
      '999',
      'RAPPORT_OUTBOX_LEASE_MS: must be a whole number of at least 1000 (got "999")',
    ],
    [
      'RAPPORT_LOYALTY_RUN_SECONDS',
      '-1',
      'RAPPORT_LOYALTY_RUN_SECONDS: must be a number from 0 to 2147483 (got "-1")',
    ],
    [
      // Beyond Node's longest timer (2^31-1 ms) an interval fires at once: runs back to back.
      'RAPPORT_LOYALTY_RUN_SECONDS',
      '3000000',
      'RAPPORT_LOYALTY_RUN_SECONDS: must be a number from 0 to 2147483 (got "3000000")',
    ],
    [
      'RAPPORT_VALUE_REFRESH_HOURS',
      'daily',
      'RAPPORT_VALUE_REFRESH_HOURS: must be a number from 0 to 8784 (got "daily")',
    ],
  ] as const)('refuses %s=%s naming the setting and the limit', (name, raw, message) => {
    expect(() => readSetting(name, raw)).toThrow(message);
    try {
      readSetting(name, raw);
    } catch (error) {
      expect(error).toMatchObject({ code: 'RAPPORT_CONFIG_INVALID', details: { field: name } });
    }
  });

  it.each([
    [
      'RAPPORT_LOG_RETENTION',
      'x',
      'RAPPORT_LOG_RETENTION: must be a duration like 7d, 24h, 90m, 30s or 0, at most 3650d (got "x")',
    ],
    [
      'RAPPORT_LOG_RETENTION',
      '3651d',
      'RAPPORT_LOG_RETENTION: must be a duration like 7d, 24h, 90m, 30s or 0, at most 3650d (got "3651d")',
    ],
    [
      'RAPPORT_LOG_COMPACTION_INTERVAL',
      '0',
      'RAPPORT_LOG_COMPACTION_INTERVAL: must be a duration of at least 1s (got "0")',
    ],
    [
      'RAPPORT_BELIEFS_RETEST_INTERVAL',
      '0',
      'RAPPORT_BELIEFS_RETEST_INTERVAL: must be a duration of at least 1s or off (got "0")',
    ],
    [
      'RAPPORT_BELIEFS_RETEST_INTERVAL',
      'hourly',
      'RAPPORT_BELIEFS_RETEST_INTERVAL: must be a duration like 7d, 24h, 90m, 30s or 0, at most 3650d (got "hourly")',
    ],
  ] as const)('refuses the duration %s=%s naming the setting and the limit', (name, raw, message) => {
    expect(() => readDuration(name, raw)).toThrow(message);
    try {
      readDuration(name, raw);
    } catch (error) {
      expect(error).toMatchObject({ code: 'RAPPORT_CONFIG_INVALID', details: { field: name } });
    }
  });

  it('reads durations by their kind in the schema: the default when blank, null for its word', () => {
    expect(readDuration('RAPPORT_LOG_RETENTION', undefined)).toBe(7 * 86_400_000);
    expect(readDuration('RAPPORT_LOG_RETENTION', ' ')).toBe(7 * 86_400_000);
    expect(readDuration('RAPPORT_LOG_RETENTION', 'FOREVER')).toBeNull();
    expect(readDuration('RAPPORT_LOG_RETENTION', '0')).toBe(0);
    expect(readDuration('RAPPORT_LOG_COMPACTION_INTERVAL', '')).toBe(600_000);
    expect(readDuration('RAPPORT_BELIEFS_RETEST_INTERVAL', undefined)).toBe(3_600_000);
    expect(readDuration('RAPPORT_BELIEFS_RETEST_INTERVAL', 'off')).toBeNull();
    // A word of one setting is not a word of another.
    expect(() => readDuration('RAPPORT_LOG_COMPACTION_INTERVAL', 'forever')).toThrow(
      /must be a duration like/,
    );
    expect(() => readDuration('RAPPORT_LOG_RETENTION', 'x', '--log-retention')).toThrow(/^--log-retention: /);
    expect(() => readDuration('RAPPORT_PORT', '1s')).toThrow(/not a duration setting/);
  });

  it('reads URLs by their schemes in the schema, naming the setting and the schemes but never the value', () => {
    expect(readUrl('RAPPORT_SMTP_URL', ' smtps://user:pw@mail.example.org:465 ')).toBe(
      'smtps://user:pw@mail.example.org:465',
    );
    expect(readUrl('RAPPORT_PUBLIC_URL', '')).toBeUndefined();
    expect(readUrl('RAPPORT_SMS_WEBHOOK_URL', undefined)).toBeUndefined();
    const refused = (name: Parameters<typeof readUrl>[0], raw: string) => {
      try {
        readUrl(name, raw);
      } catch (error) {
        return error as Error & { code: string; details: unknown };
      }
      throw new Error(`${name}=${raw} was accepted`);
    };
    const wrongScheme = refused('RAPPORT_SMTP_URL', 'http://user:secret-pw@mail.example.org');
    expect(wrongScheme.message).toBe('RAPPORT_SMTP_URL: must be a smtp:// or smtps:// URL');
    expect(wrongScheme).toMatchObject({
      code: 'RAPPORT_CONFIG_INVALID',
      details: { field: 'RAPPORT_SMTP_URL' },
    });
    const notUrl = refused('RAPPORT_PUSH_WEBHOOK_URL', 'hooks.example.org/key-123');
    expect(notUrl.message).toBe(
      'RAPPORT_PUSH_WEBHOOK_URL: is not a valid URL; must be a http:// or https:// URL',
    );
    expect(notUrl.message).not.toContain('key-123');
    expect(() => loadConfig({}, { RAPPORT_PUBLIC_URL: 'ftp://x.example.org' })).toThrow(
      'RAPPORT_PUBLIC_URL: must be a http:// or https:// URL',
    );
    expect(() => readUrl('RAPPORT_PORT', 'http://x')).toThrow(/not a URL setting/);
  });

  it('reads numbers and choices, and leaves a blank or unset one to its default', () => {
    expect(readSetting('RAPPORT_PORT', ' 9000 ')).toBe(9000);
    expect(readSetting('RAPPORT_LOYALTY_RUN_SECONDS', '0.5')).toBe(0.5);
    expect(readSetting('RAPPORT_LOG_LEVEL', 'debug')).toBe('debug');
    expect(readSetting('RAPPORT_PORT', '')).toBeUndefined();
    expect(readSetting('RAPPORT_PORT', undefined)).toBeUndefined();
    // A flag names itself.
    expect(() => readSetting('RAPPORT_PORT', 'x', '--port')).toThrow(/^--port: must be a whole number/);
  });

  it("the capabilities' settings are read by loadConfig, and the one read outside it goes through readSetting too", () => {
    expect(() => loadConfig({}, { RAPPORT_VALUE_REFRESH_HOURS: '9000' })).toThrow(
      'RAPPORT_VALUE_REFRESH_HOURS: must be a number from 0 to 8784 (got "9000")',
    );
    expect(() => loadConfig({}, { RAPPORT_LOYALTY_RUN_SECONDS: 'often' })).toThrow(
      /RAPPORT_LOYALTY_RUN_SECONDS: must be/,
    );
    expect(() => outboxLeaseFromEnvironment({ RAPPORT_OUTBOX_LEASE_MS: '10' })).toThrow(
      /RAPPORT_OUTBOX_LEASE_MS: must be/,
    );
    expect(loadConfig({}, {}).valueRefreshHours).toBe(24);
    expect(loadConfig({}, { RAPPORT_LOYALTY_RUN_SECONDS: '2' }).loyaltyRunMs).toBe(2000);
    expect(outboxLeaseFromEnvironment({ RAPPORT_OUTBOX_LEASE_MS: '3000' })).toBe(3000);
  });

  it('RAPPORT_PROCESSORS is a switch: off, false and 0 turn the processors off, a typo is refused', () => {
    expect(loadConfig({}, {}).processors).toBe(true);
    for (const off of ['off', 'false', '0', 'OFF'])
      expect(loadConfig({}, { RAPPORT_PROCESSORS: off }).processors).toBe(false);
    for (const on of ['on', 'true', '1'])
      expect(loadConfig({}, { RAPPORT_PROCESSORS: on }).processors).toBe(true);
    expect(() => loadConfig({}, { RAPPORT_PROCESSORS: 'no' })).toThrow(/RAPPORT_PROCESSORS.*on or off/);
  });

  it('states the defaults the server uses', () => {
    const config = loadConfig({}, {});
    const defaults = Object.fromEntries(
      Object.entries(SettingsSchema.properties).map(([name, schema]) => [name, schema.default]),
    );
    expect(config.port).toBe(defaults.RAPPORT_PORT);
    expect(config.host).toBe(defaults.RAPPORT_HOST);
    expect(config.logLevel).toBe(defaults.RAPPORT_LOG_LEVEL);
    expect(config.emailFrom).toBe(defaults.RAPPORT_EMAIL_FROM);
    expect(config.quarantineMaxConsecutive).toBe(defaults.RAPPORT_QUARANTINE_MAX_CONSECUTIVE);
    expect(config.quarantineMaxConsecutive).toBe(DEFAULT_QUARANTINE_POLICY.maxConsecutive);
    expect(config.ingestMaxBytes).toBe(defaults.RAPPORT_INGEST_MAX_MB * 1024 * 1024);
    expect(config.rateLimit).toBeUndefined();
    expect(defaults.RAPPORT_RATE_LIMIT).toBe(0);
    expect(config.loyaltyRunMs).toBe(defaults.RAPPORT_LOYALTY_RUN_SECONDS * 1000);
    expect(config.valueRefreshHours).toBe(defaults.RAPPORT_VALUE_REFRESH_HOURS);
    expect(outboxLeaseFromEnvironment({})).toBe(defaults.RAPPORT_OUTBOX_LEASE_MS);
  });

  it('is what docs/configuration.md lists, no more and no less', () => {
    const documented = documentedSettings(readFileSync(DOCS, 'utf8'));
    const inSchema = new Set<string>(SETTING_NAMES);
    expect(inSchema.size).toBeGreaterThan(30);
    expect([...inSchema].filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !inSchema.has(name))).toEqual([]);
  });
});
