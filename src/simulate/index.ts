// The simulated world: a seeded, reproducible generator of realistic Segment messages for a
// store (shop, email list, help desk, subscription plan) or a city's service portal, with the
// ground truth each person was drawn from (BG/NBD and Gamma-Gamma draws, preferred channel,
// lifecycle stages, complementary purchases), so demos fill a dashboard and tests can check
// models against what was planted. It also owns `rapport demo`, which streams a world to a
// running server over /v1/batch. Generation is pure; sending is in send.ts.

export { DEMO_BELIEFS, type DemoBelief, plantDemoBeliefs } from './beliefs.ts';
export { CITY_SERVICES, DISTRICTS } from './city.ts';
export {
  type DemoOptions,
  type DemoSummary,
  defaultStart,
  defineDemoExperiments,
  registerDemoCommand,
  runDemo,
  writeTruth,
} from './cli.ts';
export {
  DEMO_EXPERIMENTS,
  demoArms,
  PLANTED_EFFECT,
  PLANTED_EXTRA_BUYERS,
  PLANTED_NULL,
} from './experiments.ts';
export { DEMO_SEGMENTS, type FilledScreens } from './fill.ts';
export {
  DEMO_JOURNEY_EXPERIMENTS,
  DEMO_JOURNEY_PLANTS,
  type DemoEmailChannel,
  ensureDemoEmailChannel,
  type JourneyPlantTruth,
  PLANTED_PROMO_ORDER,
  PLANTED_PROMO_RATES,
  PLANTED_SURVEY_RATE,
  PLANTED_WINBACK_LIFT,
  PLANTED_WINBACK_RATES,
  plantJourneyExperiments,
} from './journey-experiments.ts';
export { Random } from './random.ts';
export {
  batchesOf,
  retryAfterMs,
  type SendOptions,
  SendRefusedError,
  type SendResult,
  sendMessages,
} from './send.ts';
export { DEMO_DAILY_SPEND, DEMO_SPEND_CURRENCY, demoSpendRows, plantDemoSpend } from './spend.ts';
export {
  ANCHOR_PRODUCTS,
  COMPLEMENT_PRODUCTS,
  EMAIL_OPT_IN_SHARE,
  EMAIL_WITHDRAWAL_SHARE,
  OTHER_PRODUCTS,
  SUBSCRIPTION_PLAN,
} from './store.ts';
export {
  type PlantedSurvey,
  plantSurvey,
  SURVEY_PLANT,
  type SurveyPerson,
  surveyPersonFor,
  surveyTruthOf,
} from './survey.ts';
export { DEMO_SURVEY, type DemoSurveySummary, plantDemoSurvey } from './survey-demo.ts';
export type {
  Channel,
  CityStage,
  OutgoingMessage,
  PersonTruth,
  StoreStage,
  TimedMessage,
  WorldKind,
  WorldOptions,
} from './types.ts';
export {
  DEFAULT_BG_NBD,
  DEFAULT_GAMMA_GAMMA,
  resolveWorldOptions,
  SIZE_PRESETS,
  type SimulatedWorld,
  type SizeName,
  simulateWorld,
} from './world.ts';
