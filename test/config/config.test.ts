import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseDuration, redactedConfig } from '../../src/config/index.ts';

describe('loadConfig', () => {
  it('reads RAPPORT_* variables and lets flags win', () => {
    const config = loadConfig(
      { port: '9000' },
      { RAPPORT_PORT: '8000', RAPPORT_DATA_DIR: '/tmp/x', RAPPORT_IDENTITY_LIMITS: 'user_id=1,email=3' },
    );
    expect(config.port).toBe(9000);
    expect(config.dataDir).toBe('/tmp/x');
    expect(config.identity.limits).toEqual({ user_id: 1, email: 3 });
  });

  it.each([
    [{ RAPPORT_PORT: 'eighty' }, /RAPPORT_PORT: must be a whole number/],
    [{ RAPPORT_PORT: '70000' }, /RAPPORT_PORT/],
    [{ RAPPORT_DATABASE_URL: 'mysql://x' }, /RAPPORT_DATABASE_URL: must be a postgres/],
    [{ RAPPORT_WRITE_KEY: 'short' }, /RAPPORT_WRITE_KEY: must be at least 16/],
    [{ RAPPORT_LOG_LEVEL: 'loud' }, /RAPPORT_LOG_LEVEL: must be one of/],
    [{ RAPPORT_IDENTITY_LIMITS: 'email=0' }, /RAPPORT_IDENTITY_LIMITS/],
    [{ RAPPORT_LOG_RETENTION: '7 days' }, /RAPPORT_LOG_RETENTION: must be a duration like 7d, 24h/],
    [{ RAPPORT_LOG_RETENTION: '-1d' }, /RAPPORT_LOG_RETENTION: must be a duration/],
    [{ RAPPORT_LOG_RETENTION: '3651d' }, /RAPPORT_LOG_RETENTION: .*at most 3650d/],
    [
      { RAPPORT_LOG_COMPACTION_INTERVAL: '0' },
      /RAPPORT_LOG_COMPACTION_INTERVAL: must be a duration of at least 1s/,
    ],
    [{ RAPPORT_LOG_COMPACTION_INTERVAL: 'often' }, /RAPPORT_LOG_COMPACTION_INTERVAL: must be a duration/],
    [
      { RAPPORT_QUARANTINE_MAX_CONSECUTIVE: 'ten' },
      /RAPPORT_QUARANTINE_MAX_CONSECUTIVE: must be a whole number/,
    ],
    [{ RAPPORT_QUARANTINE_MAX_CONSECUTIVE: '-1' }, /RAPPORT_QUARANTINE_MAX_CONSECUTIVE/],
    [{ RAPPORT_QUARANTINE_MAX_CONSECUTIVE: '2.5' }, /RAPPORT_QUARANTINE_MAX_CONSECUTIVE/],
  ])('refuses %o naming the variable', (env, message) => {
    expect(() => loadConfig({}, env)).toThrow(message);
  });

  it('reads the log retention and compaction interval, 7 days and 10 minutes by default', () => {
    expect(loadConfig({}, {})).toMatchObject({
      logRetentionMs: 7 * 86_400_000,
      logCompactionIntervalMs: 600_000,
    });
    expect(
      loadConfig({}, { RAPPORT_LOG_RETENTION: '24h', RAPPORT_LOG_COMPACTION_INTERVAL: '30s' }),
    ).toMatchObject({
      logRetentionMs: 86_400_000,
      logCompactionIntervalMs: 30_000,
    });
    expect(loadConfig({}, { RAPPORT_LOG_RETENTION: '0' }).logRetentionMs).toBe(0);
    expect(loadConfig({}, { RAPPORT_LOG_RETENTION: 'Forever' }).logRetentionMs).toBeNull();
    // The flag wins, and its error names the flag.
    expect(loadConfig({ logRetention: '90m' }, { RAPPORT_LOG_RETENTION: '1d' }).logRetentionMs).toBe(
      5_400_000,
    );
    expect(() => loadConfig({ logRetention: 'soon' }, {})).toThrow(/--log-retention: must be a duration/);
  });

  it('parses durations in days, hours, minutes and seconds', () => {
    expect(parseDuration('7d', 'x')).toBe(604_800_000);
    expect(parseDuration(' 12h ', 'x')).toBe(43_200_000);
    expect(parseDuration('45m', 'x')).toBe(2_700_000);
    expect(parseDuration('30s', 'x')).toBe(30_000);
    expect(parseDuration('0', 'x')).toBe(0);
    for (const bad of ['', '7', '1.5d', '7w', 'd', '0d1h'])
      expect(() => parseDuration(bad, 'X')).toThrow(/^X: /);
  });

  it('reads the quarantine guard, 10 by default, 0 to set nothing aside', () => {
    expect(loadConfig({}, {}).quarantineMaxConsecutive).toBe(10);
    expect(loadConfig({}, { RAPPORT_QUARANTINE_MAX_CONSECUTIVE: '3' }).quarantineMaxConsecutive).toBe(3);
    expect(loadConfig({}, { RAPPORT_QUARANTINE_MAX_CONSECUTIVE: '0' }).quarantineMaxConsecutive).toBe(0);
  });

  it('redacts secrets for printing', () => {
    const config = loadConfig(
      {},
      { RAPPORT_WRITE_KEY: 'rk_write_0123456789abcdef', RAPPORT_DATABASE_URL: 'postgres://u:pw@h/db' },
    );
    const printed = JSON.stringify(redactedConfig(config));
    expect(printed).not.toContain('0123456789abcdef');
    expect(printed).not.toContain('pw@h');
  });

  it('stops `rapport serve` with a clear message and exit code 2', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: { ...process.env, RAPPORT_PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('invalid configuration: RAPPORT_PORT');
  });
});
