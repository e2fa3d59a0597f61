// The admin REST API (behind an admin token) and its OpenAPI document, generated from the
// routes' schemas and served at /api/openapi.json.

export { corsOptions, isTrackingPath } from './cors.ts';
export { drainRequest } from './drain.ts';
export { installErrorHandler } from './error-handler.ts';
export { type ApiOptions, adminRoutes } from './routes.ts';
