// Paths between touchpoints (docs/paths.md): the journey map drawn from what people did.
// The SQL (query.ts) counts in the warehouse; assemble.ts is pure; routes.ts is the API.
export { assemblePaths, OTHER, type PathLink, type PathNode, type PathsGraph } from './assemble.ts';
export { NOT_TOUCHPOINTS, type PathsQueryInput, pathsQuery } from './query.ts';
export { type PathRouteOptions, pathRoutes } from './routes.ts';
export { MAX_STEPS, MAX_TOP, Paths, PathsQuery } from './schema.ts';
