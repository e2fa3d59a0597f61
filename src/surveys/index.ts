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
export { type Theme, type ThemeReport, themesOf } from './themes.ts';
