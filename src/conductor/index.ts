// The conductor: journeys (definitions, validation, the pure step-by-step advance of one
// person's instance), arbitration of every send (suppression, quiet hours, fatigue caps,
// consent last), best channel, and placements (`/v1/decide`). Everything here is pure: the
// runner that reads the store, keeps timers and writes the outbox calls these functions.
export * from './journey/definition.ts';
export { checkTemplate, liquid, type TemplateIssue, type TemplateVariables } from './journey/templates.ts';
export {
  type JourneyIssue,
  type JourneyIssueCode,
  type JourneyValidation,
  type JourneyValidationContext,
  templateVariables,
  validateJourney,
} from './journey/validate.ts';
