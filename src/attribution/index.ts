// Attribution (docs/attribution.md): which channel earned the conversions. Pure models
// (rule-based, Markov removal effect, Shapley values) over paths; the paths file reader and
// the `rapport attribution` command.
export { type AttributionOptions, attributePathsFile, registerAttributionCommands } from './cli.ts';
export {
  conversionProbability,
  countTransitions,
  MAX_MARKOV_ORDER,
  type MarkovOptions,
  type MarkovResult,
  markov,
  type TransitionCounts,
} from './markov.ts';
export { type ModelOptions, runModel } from './models.ts';
export { PATH_SEPARATOR, type PathsFile, parsePathsCsv, type RejectedPathRow } from './paths-csv.ts';
export {
  allocateBudget,
  type ChannelCurve,
  type CurveFit,
  fitResponseCurves,
  marginalReturn,
  type PortfolioPlan,
  portfolioPlan,
  predictOutcome,
  quantile,
  type SpendHistory,
  steadyResponse,
} from './portfolio.ts';
export { type AttributionReport, attributionReport } from './report.ts';
export {
  type AttributionRouteOptions,
  attributionRoutes,
  DEFAULT_CONVERSION_EVENT,
  DEFAULT_LOOKBACK_DAYS,
} from './routes.ts';
export {
  DEFAULT_HALF_LIFE_DAYS,
  firstTouch,
  lastTouch,
  linear,
  POSITION_ENDS_SHARE,
  positionBased,
  timeDecay,
} from './rules.ts';
export {
  DEFAULT_PERMUTATIONS,
  SHAPLEY_EXACT_MAX_CHANNELS,
  SHAPLEY_MAX_CHANNELS,
  type ShapleyOptions,
  type ShapleyResult,
  shapley,
} from './shapley.ts';
export {
  classifyPageView,
  classifyTouch,
  pathsFromEvents,
  revenueOf,
  type Touch,
  type TouchRow,
} from './touchpoints.ts';
export {
  type Attribution,
  type AttributionPath,
  type ChannelCredit,
  channelsOf,
  MODEL_NAMES,
  type ModelName,
} from './types.ts';
