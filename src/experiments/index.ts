// Experiments: the door to the module. It owns the statistics (stats/: Welch and sequential
// t-tests, the Bayesian effect, CUPED, SRM, multiple-comparison corrections), the compare
// command and route; experiments as objects (definition.ts, store.ts), deterministic
// assignment (assign.ts) with its `Experiment Viewed` exposure, metrics counted per arm in the
// warehouse (sql/metrics.ts) and the results with their verdict (results.ts).
export { assignArm, assignByWeights, unitHash, unitKey } from './assign.ts';
export {
  applyFloor,
  type BanditArm,
  type BanditDay,
  type BanditSummary,
  banditOverTime,
  banditSummary,
  banditWeights,
  thompsonSampler,
} from './bandit.ts';
export { registerExperimentsCommands } from './cli.ts';
export { checkExperiment, type Experiment, type MetricDefinition } from './definition.ts';
export { type Increment, incrementOf } from './incrementality.ts';
export { type ExperimentResults, experimentResults } from './results.ts';
export { type ExperimentRouteOptions, experimentRoutes } from './routes.ts';
export {
  EXPOSURE_EVENT,
  ExperimentService,
  type ExperimentServiceDeps,
  type JourneyIncrement,
} from './service.ts';
export { type ArmSummary, type ArmTotals, type MetricType, summarise } from './stats/aggregates.ts';
export { bayesianEffect } from './stats/bayesian.ts';
export {
  type CompareRequest,
  type CompareResult,
  compare,
  compareDocument,
  compareMany,
  type MultiCompareResult,
  parseCompareRequest,
} from './stats/compare.ts';
export { adjustPValues, type Correction } from './stats/corrections.ts';
export { sequentialTTest, welchTTest } from './stats/frequentist.ts';
export { sampleRatioMismatch } from './stats/srm.ts';
