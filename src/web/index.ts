// Serves the dashboard (web/, built by `npm run build` into web/dist) at `/`: hashed assets
// with long cache headers, index.html for every other non-API GET (the app routes itself),
// and a page saying how to build it when web/dist is missing. The app talks to the admin API
// with a session cookie or the admin token; nothing here reads or checks credentials.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface DashboardOptions {
  /** The built app; default web/dist at the repository root. */
  root?: string;
}

export const DEFAULT_DASHBOARD_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rapport</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}
code{background:#f0f0f0;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><h1>Rapport is running</h1>
<p>The dashboard has not been built yet. From the repository, run <code>npm run build</code>
(or <code>npm start</code>, which builds it when it is missing), then reload this page.</p>
<p>The API works already: see <a href="/api/openapi.json">/api/openapi.json</a>.</p></body></html>`;

/** Paths the dashboard never answers: the APIs, tracking links and operations routes. */
function isServerPath(url: string): boolean {
  return /^\/(api|v1|t|health)(\/|$|\?)/.test(url);
}

/**
 * Call on the root instance (not through register): the not-found handler it sets answers
 * the app's own routes (/people/…) with index.html and everything else with a 404.
 */
export async function serveDashboard(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const root = options.root ?? DEFAULT_DASHBOARD_ROOT;
  const built = existsSync(join(root, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      index: false,
      // Vite names assets by content hash: they never change under one name.
      setHeaders(reply, path) {
        const immutable = path.startsWith(join(root, 'assets'));
        reply.header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  const sendApp = (_request: FastifyRequest, reply: FastifyReply) => {
    if (!built)
      return reply
        .code(200)
        .type('text/html; charset=utf-8')
        .header('Cache-Control', 'no-cache')
        .send(NOT_BUILT);
    return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
  };
  app.get('/', { config: { access: 'public' }, schema: { hide: true } }, sendApp);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const wantsPage = request.method === 'GET' && !isServerPath(path) && !/\.[a-z0-9]+$/i.test(path);
    if (wantsPage) return sendApp(request, reply);
    // Fastify's own 404 body, as before the dashboard existed.
    return reply.code(404).send({
      message: `Route ${request.method}:${request.url} not found`,
      error: 'Not Found',
      statusCode: 404,
    });
  });
}
