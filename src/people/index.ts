// People: the explorer over every profile (filter by a segment rule and a search, sort by any
// column or trait, count, page, export as CSV). Reference: docs/dashboard.md, "People".
export {
  CSV_FIXED_COLUMNS,
  displayNameOf,
  explorePeople,
  orderOf,
  type PeopleDeps,
  type PeoplePage,
  type PeopleRequest,
  peopleCsv,
  type RuleMembers,
  type SurveyAnswer,
  surveyAnswersOf,
} from './explorer.ts';
export { type PeopleRouteOptions, peopleRoutes } from './routes.ts';
