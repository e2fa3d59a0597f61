// Recommendations: the door to the module. It owns association rules from baskets (support,
// confidence, lift, Mahout's log-likelihood ratio), basket files, and `rapport recommend`.
export {
  type BasketIssues,
  type BasketRead,
  describeIssues,
  parseBaskets,
  readBasketFile,
} from './baskets.ts';
export { registerRecommendCommands } from './cli.ts';
export { logLikelihoodRatio, ruleLogLikelihood } from './llr.ts';
export {
  checkMiningOptions,
  type MiningOptions,
  type MiningResult,
  mineRules,
  minimumCount,
  type Rule,
} from './mine.ts';
export { nextBest, pairRulesByItem, type Suggestion } from './next-best.ts';
export {
  type BasketKind,
  basketsOf,
  describeOrderIssues,
  ORDER_EVENT,
  type Order,
  readOrders,
} from './orders.ts';
export {
  DUE_EVENT,
  EXPERIMENT_ID,
  inHoldout,
  RECOMMENDATIONS_SOURCE,
  refreshRecommendations,
} from './refresh.ts';
export { type RecommendationRouteOptions, recommendationRoutes } from './routes.ts';
export {
  DEFAULT_SETTINGS,
  type RecommendationSettings,
  RecommendationSettingsSchema,
  type RefreshSummary,
  type RulesQuery,
  RulesQuerySchema,
  type RulesReport,
  RulesReportSchema,
} from './schemas.ts';
export { type RecommendationDeps, RecommendationService, storeBaskets } from './service.ts';
