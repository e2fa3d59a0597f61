// Surveys to everyone (docs/surveys.md): the door to the capability.

export {
  type Answers,
  type AnswerValue,
  checkAnswers,
  checkSurvey,
  QUESTION_KINDS,
  type Question,
  type Survey,
  type SurveyInput,
  SurveyInputSchema,
  SurveyInvalidError,
} from './definition.ts';
export {
  type Estimate,
  type Gap,
  netPromoterScore,
  postStratify,
  rake,
  responseGaps,
  type Weighting,
  weightedMean,
} from './estimate.ts';
export { answersFromForm, surveyPage } from './page.ts';
export { type QuestionResult, type SurveyResults, surveyResults, type WeightingMethod } from './results.ts';
export { type SurveyRouteOptions, surveyRoutes } from './routes.ts';
export { SurveyResultsSchema, SurveySchema, SurveySummarySchema } from './schemas.ts';
export { SURVEY_ANSWERED, SurveyError, SurveyService, surveyTrait } from './service.ts';
export { type StoredResponse, SurveyStore } from './store.ts';
export { type Theme, type ThemeReport, themesOf } from './themes.ts';
