// People and roles through a real server, on both engines (docs/access.md): users made with
// the admin token, sign-in with an httpOnly SameSite=Strict cookie, the Origin check on cookie
// writes, roles refused what they may not do, password change and sign-out ending sessions,
// disabling, and the audit log: who did what, secrets left out, filters, and erasure redacting
// the person while keeping who did what.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import type { AdminAnswer } from '../support/server.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const PASSWORDS = {
  ada: 'correct horse battery owner',
  mara: 'marketer-password-1',
  ann: 'analyst-password-1',
  pia: 'privacy-password-1',
};

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`people and roles on ${engine.name}`, () => {
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        server = await startTestServer({ databaseUrl: database.url });
      } else {
        server = await startTestServer();
      }
      for (const [name, role] of [
        ['Ada', 'owner'],
        ['mara', 'marketer'],
        ['ann', 'analyst'],
        ['pia', 'privacy'],
      ] as const) {
        const password = PASSWORDS[name.toLowerCase() as keyof typeof PASSWORDS];
        const made = await server.adminRequest('POST', '/api/users', { name, role, password });
        expect(made.status, name).toBe(201);
      }
    });
    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    });

    /** Signs in; resolves the cookie pair to send back, and the raw Set-Cookie header. */
    async function signIn(name: string, password: string) {
      const response = await fetch(`${server.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, password }),
      });
      const setCookie = response.headers.get('set-cookie') ?? '';
      const body: AdminAnswer['body'] = await response.json();
      return {
        status: response.status,
        body,
        setCookie,
        cookie: setCookie.split(';')[0] ?? '',
      };
    }

    /** A request as the dashboard makes it: the cookie, and our own Origin on writes. */
    async function asUser(
      cookie: string,
      method: string,
      path: string,
      body?: unknown,
      origin: string | null = server.url,
    ) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          cookie,
          ...(origin ? { origin } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const answer: AdminAnswer = {
        status: response.status,
        body: await response.json().catch(() => undefined),
      };
      return answer;
    }

    it('makes users with the admin token: names are lower-cased, passwords never answered', async () => {
      const users = await server.admin('/api/users');
      expect(users.body.map((u: { name: string; role: string }) => `${u.name}:${u.role}`)).toEqual([
        'ada:owner',
        'ann:analyst',
        'mara:marketer',
        'pia:privacy',
      ]);
      expect(JSON.stringify(users.body)).not.toMatch(/scrypt|password-1|passwordHash/);
      const weak = await server.adminRequest('POST', '/api/users', {
        name: 'bob',
        role: 'analyst',
        password: 'short',
      });
      expect(weak.status).toBe(400);
      const taken = await server.adminRequest('POST', '/api/users', {
        name: 'ADA',
        role: 'analyst',
        password: 'another-long-password',
      });
      expect(taken.status).toBe(409);
    });

    it('signs in with an httpOnly, SameSite=Strict cookie; a wrong password or name is one refusal', async () => {
      const wrong = await signIn('ann', 'not-the-password');
      expect(wrong.status).toBe(401);
      expect(wrong.setCookie).toBe('');
      const unknown = await signIn('nobody', 'whatever-password');
      expect(unknown.status).toBe(401);
      expect(unknown.body.message).toBe(wrong.body.message);

      const ann = await signIn('ANN', PASSWORDS.ann);
      expect(ann.status).toBe(200);
      expect(ann.body).toMatchObject({ kind: 'user', name: 'ann', role: 'analyst' });
      expect(ann.body.permissions).toEqual(['public', 'signed-in', 'read']);
      expect(ann.setCookie).toMatch(/^rapport_session=[A-Za-z0-9_-]{40,}; /);
      expect(ann.setCookie).toContain('HttpOnly');
      expect(ann.setCookie).toContain('SameSite=Strict');
      // Plain HTTP here: Secure would make the browser drop the cookie.
      expect(ann.setCookie).not.toContain('Secure');
      const me = await asUser(ann.cookie, 'GET', '/api/session');
      expect(me.body).toMatchObject({ name: 'ann', role: 'analyst' });
    });

    it('refuses each role what it may not do, and checks the Origin of cookie writes', async () => {
      const ann = await signIn('ann', PASSWORDS.ann);
      const analystWrite = await asUser(ann.cookie, 'POST', '/api/segments', {});
      expect(analystWrite.status).toBe(403);
      expect(analystWrite.body).toMatchObject({ error: 'RAPPORT_API_FORBIDDEN', needs: 'marketing:write' });
      expect((await asUser(ann.cookie, 'GET', '/api/status')).status).toBe(200);
      expect((await asUser(ann.cookie, 'GET', '/api/audit')).status).toBe(403);
      expect((await asUser(ann.cookie, 'GET', '/api/export/profiles')).status).toBe(403);

      const mara = await signIn('mara', PASSWORDS.mara);
      // Through the guard (the empty body is then refused by validation, not by role).
      expect((await asUser(mara.cookie, 'POST', '/api/segments', {})).status).toBe(400);
      const noOrigin = await asUser(mara.cookie, 'POST', '/api/segments', {}, null);
      expect(noOrigin.status).toBe(403);
      expect(noOrigin.body.error).toBe('RAPPORT_API_CROSS_ORIGIN');
      const elsewhere = await asUser(mara.cookie, 'POST', '/api/segments', {}, 'https://evil.example');
      expect(elsewhere.body.error).toBe('RAPPORT_API_CROSS_ORIGIN');
      // Reads need no Origin; a token needs none either (scripts are not browsers).
      expect((await asUser(mara.cookie, 'GET', '/api/segments', undefined, null)).status).toBe(200);
      expect((await asUser(mara.cookie, 'GET', '/api/users')).status).toBe(403);

      const pia = await signIn('pia', PASSWORDS.pia);
      expect((await asUser(pia.cookie, 'GET', '/api/audit')).status).toBe(200);
      expect((await asUser(pia.cookie, 'POST', '/api/segments', {})).status).toBe(403);
    });

    it('changes a password: the current one is needed, other sessions end, this one stays', async () => {
      const here = await signIn('mara', PASSWORDS.mara);
      const elsewhere = await signIn('mara', PASSWORDS.mara);
      const wrongCurrent = await asUser(here.cookie, 'PUT', '/api/session/password', {
        current: 'not-it-at-all',
        password: 'a-brand-new-password',
      });
      expect(wrongCurrent.status).toBe(403);
      const changed = await asUser(here.cookie, 'PUT', '/api/session/password', {
        current: PASSWORDS.mara,
        password: 'a-brand-new-password',
      });
      expect(changed.status).toBe(204);
      expect((await asUser(here.cookie, 'GET', '/api/session')).status).toBe(200);
      expect((await asUser(elsewhere.cookie, 'GET', '/api/session')).status).toBe(401);
      expect((await signIn('mara', PASSWORDS.mara)).status).toBe(401);
      expect((await signIn('mara', 'a-brand-new-password')).status).toBe(200);
      // A token has no password to change.
      const token = await server.adminRequest('PUT', '/api/session/password', {
        current: 'x',
        password: 'a-brand-new-password',
      });
      expect(token.status).toBe(400);
    });

    it('signs out on the server, and disabling a user ends their sessions', async () => {
      const ann = await signIn('ann', PASSWORDS.ann);
      const out = await fetch(`${server.url}/api/session`, {
        method: 'DELETE',
        headers: { cookie: ann.cookie, origin: server.url },
      });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/^rapport_session=; .*Max-Age=0/);
      expect((await asUser(ann.cookie, 'GET', '/api/session')).status).toBe(401);

      const again = await signIn('ann', PASSWORDS.ann);
      const ada = await signIn('ada', PASSWORDS.ada);
      const users = (await server.admin('/api/users')).body as Array<{ id: string; name: string }>;
      const annId = users.find((u) => u.name === 'ann')?.id;
      const adaId = users.find((u) => u.name === 'ada')?.id;
      const disabled = await asUser(ada.cookie, 'PATCH', `/api/users/${annId}`, { disabled: true });
      expect(disabled.status).toBe(200);
      expect(disabled.body.disabledAt).not.toBeNull();
      expect((await asUser(again.cookie, 'GET', '/api/session')).status).toBe(401);
      expect((await signIn('ann', PASSWORDS.ann)).status).toBe(401);
      const self = await asUser(ada.cookie, 'PATCH', `/api/users/${adaId}`, { role: 'analyst' });
      expect(self.status).toBe(409);
      expect((await asUser(ada.cookie, 'PATCH', `/api/users/${annId}`, { disabled: false })).status).toBe(
        200,
      );
    });

    it('refuses sign-ins for a name after ten failures, with Retry-After, even with the right password', async () => {
      const made = await server.adminRequest('POST', '/api/users', {
        name: 'target',
        role: 'analyst',
        password: 'guess-me-not-1',
      });
      expect(made.status).toBe(201);
      for (let i = 0; i < 10; i++) expect((await signIn('target', `wrong-guess-${i}`)).status).toBe(401);
      const response = await fetch(`${server.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'target', password: 'guess-me-not-1' }),
      });
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await response.json()) as { error: string }).error).toBe('RAPPORT_API_TOO_MANY_ATTEMPTS');
    });

    it('makes tokens with a role, and a role token is held to it', async () => {
      const made = await server.adminRequest('POST', '/api/admin-tokens', {
        name: 'reports',
        role: 'analyst',
      });
      expect(made.body.role).toBe('analyst');
      const listed = await server.admin('/api/admin-tokens');
      expect(listed.body.find((t: { id: string }) => t.id === made.body.id).role).toBe('analyst');
      expect(listed.body.find((t: { current: boolean }) => t.current).role).toBe('owner');
      const write = await server.adminRequest('POST', '/api/write-keys', { name: 'x' }, made.body.secret);
      expect(write.status).toBe(403);
      expect((await server.adminRequest('GET', '/api/status', undefined, made.body.secret)).status).toBe(200);
    });

    it('audits every write with who and what, never a secret; filters; erasure redacts the person', async () => {
      const entries = (await server.admin('/api/audit?limit=500')).body.items as Array<Record<string, any>>;
      const text = JSON.stringify(entries);
      for (const password of [...Object.values(PASSWORDS), 'a-brand-new-password']) {
        expect(text).not.toContain(password);
      }
      const made = entries.find((e) => e.action === 'POST /api/users' && e.changes.body.name === 'pia');
      expect(made).toMatchObject({ actorKind: 'token', actorName: 'test-admin', role: 'owner', status: 201 });
      expect(made?.changes.body.password).toBe('[redacted]');
      expect(made?.changes.after).toMatchObject({ name: 'pia', role: 'privacy' });
      expect(entries.some((e) => e.action === 'sign-in' && e.actorName === 'ann')).toBe(true);
      expect(entries.some((e) => e.action === 'sign-in refused' && e.actorName === '(unknown name)')).toBe(
        true,
      );
      const created = entries.find((e) => e.action === 'POST /api/admin-tokens');
      expect(JSON.stringify(created)).not.toMatch(/rk_admin_/);

      const refused = await server.admin('/api/audit?actor=ann&outcome=refused');
      expect(refused.body.items.length).toBeGreaterThan(0);
      for (const entry of refused.body.items) expect(entry).toMatchObject({ actorName: 'ann', status: 403 });
      const users = await server.admin('/api/audit?route=/api/users');
      expect(users.body.items.every((e: { route: string }) => e.route.startsWith('/api/users'))).toBe(true);
      const future = await server.admin(`/api/audit?from=${encodeURIComponent('2999-01-01T00:00:00Z')}`);
      expect(future.body.items).toEqual([]);

      // A person whose consent a privacy officer records, then erases.
      const email = 'erased.person@example.com';
      expect(
        (
          await track(server, '/v1/identify', {
            userId: 'erase-me-123',
            traits: { email },
            messageId: 'id-1',
          })
        ).status,
      ).toBe(200);
      await server.settle();
      const profileId = (await server.admin('/api/profiles/lookup?userId=erase-me-123')).body
        .profileId as string;
      const purpose = (await server.admin('/api/consent-purposes')).body.purposes?.[0]?.name ?? 'email';
      const pia = await signIn('pia', PASSWORDS.pia);
      const consent = await asUser(pia.cookie, 'PUT', `/api/profiles/${profileId}/consent`, {
        purposes: { [purpose]: 'denied' },
        note: `asked by ${email}`,
      });
      expect(consent.status).toBe(202);
      const about = await asUser(pia.cookie, 'GET', `/api/audit?subject=${encodeURIComponent(profileId)}`);
      expect(about.body.items).toHaveLength(1);
      expect(about.body.items[0]).toMatchObject({ actorName: 'pia', role: 'privacy', subject: profileId });
      expect(JSON.stringify(about.body.items[0].changes)).toContain(email);

      const erase = await asUser(pia.cookie, 'DELETE', `/api/profiles/${profileId}`);
      expect(erase.status).toBe(202);
      await server.server.erasure.settled(erase.body.id);
      const job = (await server.admin(`/api/erasure-jobs/${erase.body.id}`)).body;
      expect(job.status, JSON.stringify(job)).toBe('complete');
      expect(job.steps.find((s: { name: string }) => s.name === 'audit').count).toBeGreaterThanOrEqual(2);

      const after = (await server.admin('/api/audit?limit=500')).body.items as Array<Record<string, any>>;
      const afterText = JSON.stringify(after);
      expect(afterText).not.toContain(profileId);
      expect(afterText).not.toContain(email);
      // Who did what, and when, stays: the consent change and the erasure are still there.
      const byPia = after.filter((e) => e.actorName === 'pia' && e.redactedAt !== null);
      expect(byPia.map((e) => e.action).sort()).toEqual([
        'DELETE /api/profiles/:id',
        'PUT /api/profiles/:id/consent',
      ]);
      for (const entry of byPia) expect(entry).toMatchObject({ subject: null, changes: null });
      // Entries about nobody in particular are untouched.
      expect(
        after.find((e) => e.action === 'POST /api/users' && e.changes?.body.name === 'pia'),
      ).toBeDefined();
    });
  });
