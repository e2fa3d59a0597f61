import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig } from '../../src/config/index.ts';

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
  ])('refuses %o naming the variable', (env, message) => {
    expect(() => loadConfig({}, env)).toThrow(message);
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
