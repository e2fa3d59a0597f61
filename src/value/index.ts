// Customer value: the door to the module. It owns turning purchases into per-customer
// summaries, the BG/NBD purchase model and the Gamma-Gamma spend model (maximum likelihood
// with standard errors), per-customer predictions (P(alive), expected purchases, spend, CLV),
// a simulator of BG/NBD customers, holdout validation and the `rapport clv` commands; churn risk,
// renewals, the value score, budget allocation, the lead score, their refresh from the event
// store (computed properties), the /api/value routes and `rapport value`.
export {
  BG_NBD_PARAM_NAMES,
  type BgNbdFit,
  type BgNbdParams,
  bgNbdLogLikelihood,
  conditionalExpectedPurchases,
  expectedPurchasesFromStart,
  fitBgNbd,
  probabilityAlive,
} from './bgnbd.ts';
export { allocateBudget, type BudgetPlan } from './budget.ts';
export { type ChurnModel, type ChurnSignals, churnRisk, fitChurnModel } from './churn.ts';
export { registerClvCommands } from './cli.ts';
export {
  type ClvOptions,
  type CustomerPrediction,
  customerLifetimeValue,
  discountRatePerUnit,
  predictCustomer,
  predictCustomers,
  type SpendModel,
} from './clv.ts';
export {
  type CsvReadResult,
  DEFAULT_COLUMNS,
  type RejectedRow,
  readTransactionsCsv,
  type TransactionColumns,
} from './csv.ts';
export { DAYS_PER_UNIT, formatDay, isTimeUnit, parseDay, TIME_UNITS, type TimeUnit } from './dates.ts';
export { fitValueModels, observedRepeatSpend, type ValueModels } from './fit.ts';
export {
  expectedAverageSpend,
  fitGammaGamma,
  GAMMA_GAMMA_PARAM_NAMES,
  type GammaGammaFit,
  type GammaGammaParams,
  gammaGammaLogLikelihood,
} from './gamma-gamma.ts';
export {
  type HoldoutReport,
  type HoldoutRow,
  holdoutReport,
  LAST_BUCKET,
  MIN_CUSTOMERS,
  MIN_REPEAT_BUYERS,
  POOR_FIT_THRESHOLD,
} from './holdout.ts';
export {
  bandReport,
  DEFAULT_LEAD_SCORE,
  type LeadAction,
  type LeadScoreConfig,
  learnFitRules,
} from './lead-score.ts';
export { areaUnderCurve, fitLogistic, type LogisticFit } from './logistic.ts';
export {
  COMPUTED_PROPERTY_NAMES,
  DEFAULT_DIMENSIONS,
  mergeResolver,
  type RefreshOptions,
  type RefreshResult,
  refreshValue,
  type ValueDimensionConfig,
} from './refresh.ts';
export { type RenewalCalendar, renewalCalendar } from './renewals.ts';
export { type ValueRouteOptions, valueRoutes } from './routes.ts';
export { ValueService } from './service.ts';
export {
  type SimulatedCustomer,
  type SimulationOptions,
  type SimulationParams,
  simulateBgNbdCustomers,
  summariseSimulatedCustomer,
} from './simulate.ts';
export {
  type CustomerSummary,
  SummaryBuilder,
  type SummaryOptions,
  type SummaryResult,
  summariseTransactions,
  type Transaction,
} from './summary.ts';
export { registerValueCommands } from './value-cli.ts';
export { scoreValue, type ValueDimension, type ValueScore } from './value-model.ts';
