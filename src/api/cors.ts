// Cross-origin access. Browsers may send events from any site (analytics.js posts to /v1/ from
// the customer's pages, and /v1/decide is read from them), so the tracking API answers any
// origin. The admin API is read by the dashboard, served from this same origin, and needs no
// CORS: it answers only the origins an operator lists (RAPPORT_ADMIN_CORS_ORIGINS), never a
// reflected one, so a page elsewhere cannot read it with a token a browser holds.
import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyRequest } from 'fastify';

const BASE = {
  methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  allowedHeaders: ['Content-Type', 'Authorization', 'X-Retry-Count'],
  maxAge: 86_400,
};

/** Whether a path is the tracking API (which any web page may call). */
export function isTrackingPath(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/');
}

/** @fastify/cors options: any origin for the tracking API, the listed ones for everything else. */
export function corsOptions(adminOrigins: readonly string[]): FastifyCorsOptions {
  return {
    delegator: (request: FastifyRequest, callback) => {
      const tracking = isTrackingPath(request.url);
      callback(null, {
        ...BASE,
        origin: tracking ? true : adminOrigins.length > 0 ? [...adminOrigins] : false,
      });
    },
  };
}
