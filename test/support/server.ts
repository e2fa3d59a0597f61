// Starts a real Rapport server in this process on a free port, with its own temp data dir
// (or PostgreSQL schema), a known write key and admin token. Tests talk to it over HTTP.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCredential } from '../../src/auth/index.ts';
import { type ConfigInput, loadConfig } from '../../src/config/index.ts';
import { createServer, type RapportServer, type ServerOptions } from '../../src/server.ts';

export interface TestServer {
  url: string;
  writeKey: string;
  adminToken: string;
  server: RapportServer;
  dataDir: string;
  /** Waits until the processors have applied everything in the log so far. */
  settle(): Promise<void>;
  close(): Promise<void>;
  /** GETs an admin route with the admin token: adminRequest('GET', path). */
  admin(path: string): Promise<AdminAnswer>;
  /**
   * Calls an admin route: `body`, when given, is sent as JSON; `token` replaces the admin token
   * (null sends no authorization header) for tests of who may call. The answer's body is its
   * parsed JSON, or undefined when it has none (or is not JSON).
   */
  adminRequest(method: string, path: string, body?: unknown, token?: string | null): Promise<AdminAnswer>;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answers
export type AdminAnswer = { status: number; body: any };

export async function startTestServer(
  input: ConfigInput = {},
  options: ServerOptions = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-test-'));
  const config = loadConfig({ port: 0, dataDir, logLevel: 'silent', ...input }, {});
  const server = await createServer(config, options);
  const writeKey = `rk_write_test_${randomBytes(8).toString('hex')}`;
  const adminToken = `rk_admin_test_${randomBytes(8).toString('hex')}`;
  await ensureCredential(server.state, 'write', 'test-source', writeKey);
  await ensureCredential(server.state, 'admin', 'test-admin', adminToken);
  const url = await server.listen();
  const testServer: TestServer = {
    url,
    writeKey,
    adminToken,
    server,
    dataDir,
    async settle() {
      const head = await server.state.log.headSeq();
      await server.pipeline.waitFor(head);
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
    admin(path: string) {
      return adminRequest('GET', path);
    },
    adminRequest,
  };
  return testServer;

  async function adminRequest(
    method: string,
    path: string,
    body?: unknown,
    // The field, not the constant: a test may replace the suite's admin token.
    token: string | null = testServer.adminToken,
  ): Promise<AdminAnswer> {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json().catch(() => undefined) };
  }
}

/** POSTs JSON to a tracking route with the write key as HTTP Basic username. */
export async function track(
  server: Pick<TestServer, 'url' | 'writeKey'>,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answers
Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${server.writeKey}:`).toString('base64')}`,
      ...headers,
    },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: await response.json().catch(() => undefined),
    headers: response.headers,
  };
}
