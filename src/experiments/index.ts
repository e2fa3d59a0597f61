// Experiments: the door to the module. It owns the statistics (stats/: Welch and sequential
// t-tests, the Bayesian effect, CUPED, SRM, multiple-comparison corrections), the compare
// command and route.
export { registerExperimentsCommands } from './cli.ts';
export { type ExperimentRouteOptions, experimentRoutes } from './routes.ts';
export { type ArmSummary, type ArmTotals, type MetricType, summarise } from './stats/aggregates.ts';
export { bayesianEffect } from './stats/bayesian.ts';
export { type CompareRequest, type CompareResult, compare, parseCompareRequest } from './stats/compare.ts';
export { adjustPValues, type Correction } from './stats/corrections.ts';
export { sequentialTTest, welchTTest } from './stats/frequentist.ts';
export { sampleRatioMismatch } from './stats/srm.ts';
