// The admin REST API (behind an admin token) and its OpenAPI document, generated from the
// routes' schemas and served at /api/openapi.json.
export { requireAdmin } from './auth.ts';
export { type ApiOptions, adminRoutes } from './routes.ts';
