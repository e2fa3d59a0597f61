// Secrets never reach a log line: /v1/decide accepts ?writeKey= from an <img>, and the
// server's request serializer must redact it wherever pino logs a request.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { redactUrlSecrets, requestForLog, withoutSecrets } from '../../src/auth/index.ts';

describe('secrets in logged URLs', () => {
  it('replaces writeKey and token values, whatever their place and case', () => {
    expect(redactUrlSecrets('/v1/decide?placement=r&writeKey=rk_write_abc&userId=u')).toBe(
      '/v1/decide?placement=r&writeKey=[redacted]&userId=u',
    );
    expect(redactUrlSecrets('/x?WRITEKEY=s3cret#frag')).toBe('/x?WRITEKEY=[redacted]#frag');
    expect(redactUrlSecrets('/x?a=1&token=t&b=2')).toBe('/x?a=1&token=[redacted]&b=2');
    expect(redactUrlSecrets('/v1/batch')).toBe('/v1/batch');
    // A parameter that merely ends in the name is not touched.
    expect(redactUrlSecrets('/x?notawriteKey=1')).toBe('/x?notawriteKey=1');
  });

  it('replaces the signed tokens of survey and tracking links, keeping the path they stand in', () => {
    expect(redactUrlSecrets('/s/eyJhbGc.sig')).toBe('/s/[redacted]');
    expect(redactUrlSecrets('/t/u/eyJwIjoiYWJjIn0.c2ln')).toBe('/t/u/[redacted]');
    expect(redactUrlSecrets('/t/o/eyJwIjoiYWJjIn0.c2ln.gif')).toBe('/t/o/[redacted]');
    expect(redactUrlSecrets('/t/c/eyJ9.sig?u=https%3A%2F%2Fshop.example%2F')).toBe(
      '/t/c/[redacted]?u=https%3A%2F%2Fshop.example%2F',
    );
    expect(redactUrlSecrets('/t/p/tok')).toBe('/t/p/[redacted]');
    // Other paths that merely contain /t/ are not touched.
    expect(redactUrlSecrets('/api/t/u/x')).toBe('/api/t/u/x');
  });

  it('keeps the key out of what pino writes for a request', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino({ serializers: { req: requestForLog } }, sink);
    log.error(
      { req: { method: 'GET', url: '/v1/decide?placement=r&writeKey=rk_write_leak', ip: '::1' } },
      'boom',
    );
    expect(lines.join('')).not.toContain('rk_write_leak');
    expect(lines.join('')).toContain('writeKey=[redacted]');
  });
});

describe('secrets in the audit log', () => {
  it('replaces secret-looking keys at any depth and URL credentials, and keeps times named after them', () => {
    expect(
      withoutSecrets({
        password: 'hunter2',
        passwordChangedAt: '2026-12-07T12:00:00.000Z',
        settings: { apiKey: 'k-1', smtp: 'smtp://user:pw@relay.example:587', tokenCreatedAt: 't' },
        list: [{ signingSecret: 's' }],
      }),
    ).toEqual({
      password: '[redacted]',
      passwordChangedAt: '2026-12-07T12:00:00.000Z',
      settings: { apiKey: '[redacted]', smtp: 'smtp://[redacted]@relay.example:587', tokenCreatedAt: 't' },
      list: [{ signingSecret: '[redacted]' }],
    });
  });
});
