// Placements at run time: owned slots (web banner, order confirmation, receipt, package
// insert) answered by `GET /v1/decide` from memory (compiled definitions, a person cache,
// impression counts), with Promotion Viewed / Clicked events. The decision itself is the
// conductor's pure `decide`; this folder feeds it and serves it.
export { PersonCache, type PersonCacheOptions, type PersonKey } from './people.ts';
export { type PlacementRouteOptions, placementRoutes } from './routes.ts';
export { evaluateOfferRule, offerRuleProblem } from './rules.ts';
export {
  type Decision,
  type PlacementDefinitions,
  PlacementService,
  type PlacementServiceOptions,
  type PlacementSurvey,
  type PlacementSurveys,
} from './service.ts';
