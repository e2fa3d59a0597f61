// A survey as the marketer defines it, and the checks an answer passes before anything is
// stored. Pure: no I/O. The question kinds and their scales are the usual ones: NPS (0–10,
// "how likely are you to recommend"), CSAT (1–5), CES (customer effort, 1–7), a scale with its
// own bounds, single and multiple choice, and free text.
import { type Static, Type } from '@sinclair/typebox';

export const QUESTION_KINDS = ['nps', 'csat', 'ces', 'scale', 'single', 'multiple', 'text'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

/** The fixed scales; `scale` questions carry their own min and max. */
export const FIXED_SCALES: Partial<Record<QuestionKind, { min: number; max: number }>> = {
  nps: { min: 0, max: 10 },
  csat: { min: 1, max: 5 },
  ces: { min: 1, max: 7 },
};

export const MAX_TEXT_ANSWER = 2000;

const Id = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
  description: 'lower-case letters, digits, _ and -',
});

export const QuestionSchema = Type.Object(
  {
    id: Id,
    kind: Type.Union([
      Type.Literal('nps'),
      Type.Literal('csat'),
      Type.Literal('ces'),
      Type.Literal('scale'),
      Type.Literal('single'),
      Type.Literal('multiple'),
      Type.Literal('text'),
    ]),
    text: Type.String({ minLength: 1, maxLength: 500 }),
    required: Type.Optional(Type.Boolean({ default: false })),
    options: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 30,
        description: 'the choices of a single or multiple choice question',
      }),
    ),
    min: Type.Optional(Type.Integer({ minimum: -100, maximum: 100 })),
    max: Type.Optional(Type.Integer({ minimum: -100, maximum: 100 })),
  },
  { additionalProperties: false },
);

export const SurveyInputSchema = Type.Object(
  {
    id: Id,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    intro: Type.Optional(Type.String({ maxLength: 2000 })),
    questions: Type.Array(QuestionSchema, { minItems: 1, maxItems: 30 }),
    allowRepeat: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'more than one answer per person (else the first counts)',
      }),
    ),
    linkDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 365,
        default: 30,
        description: 'how long a sent link stays valid',
      }),
    ),
    biasTraits: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
        maxItems: 5,
        description: 'traits the results are re-weighted on, so they speak for everyone',
      }),
    ),
  },
  { additionalProperties: false },
);

export type Question = Static<typeof QuestionSchema>;
export type SurveyInput = Static<typeof SurveyInputSchema>;
export interface SurveyVersion {
  version: number;
  title: string;
  questions: Question[];
  savedAt: string;
}

export interface Survey extends SurveyInput {
  createdAt: string;
  updatedAt: string;
  /** 1 when defined, one more at every edit; each answer keeps the version it answered. */
  version?: number;
  /** When it was closed: it takes no more answers. */
  closedAt?: string;
  /** The versions before this one, oldest first (at most 20). */
  history?: SurveyVersion[];
}

export type AnswerValue = number | string | string[];
export type Answers = Record<string, AnswerValue>;

export class SurveyInvalidError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function scaleOf(question: Question): { min: number; max: number } | undefined {
  const fixed = FIXED_SCALES[question.kind];
  if (fixed) return fixed;
  if (question.kind !== 'scale') return undefined;
  return { min: question.min ?? 1, max: question.max ?? 5 };
}

/** What the schema cannot say: unique ids, choices where they belong, a scale that goes up. */
export function checkSurvey(survey: SurveyInput): void {
  const seen = new Set<string>();
  survey.questions.forEach((question, i) => {
    const field = `questions/${i}`;
    if (seen.has(question.id))
      throw new SurveyInvalidError(`${field}/id`, `question id "${question.id}" is used twice`);
    seen.add(question.id);
    const choice = question.kind === 'single' || question.kind === 'multiple';
    if (choice && (question.options?.length ?? 0) < 2)
      throw new SurveyInvalidError(
        `${field}/options`,
        `a ${question.kind} choice question needs at least 2 options`,
      );
    if (choice && new Set(question.options).size !== question.options!.length)
      throw new SurveyInvalidError(`${field}/options`, 'the options must differ');
    if (!choice && question.options)
      throw new SurveyInvalidError(`${field}/options`, `a ${question.kind} question has no options`);
    const scale = scaleOf(question);
    if (question.kind === 'scale' && scale && scale.max <= scale.min)
      throw new SurveyInvalidError(`${field}/max`, `max (${scale.max}) must be above min (${scale.min})`);
  });
}

function checkAnswer(question: Question, value: AnswerValue, field: string): AnswerValue {
  const scale = scaleOf(question);
  if (scale) {
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < scale.min || number > scale.max)
      throw new SurveyInvalidError(field, `must be a whole number from ${scale.min} to ${scale.max}`);
    return number;
  }
  if (question.kind === 'single') {
    if (typeof value !== 'string' || !question.options!.includes(value))
      throw new SurveyInvalidError(
        field,
        `must be one of ${question.options!.map((o) => `"${o}"`).join(', ')}`,
      );
    return value;
  }
  if (question.kind === 'multiple') {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.some((v) => typeof v !== 'string' || !question.options!.includes(v)))
      throw new SurveyInvalidError(
        field,
        `each choice must be one of ${question.options!.map((o) => `"${o}"`).join(', ')}`,
      );
    return [...new Set(list)];
  }
  if (typeof value !== 'string') throw new SurveyInvalidError(field, 'must be text');
  if (value.length > MAX_TEXT_ANSWER)
    throw new SurveyInvalidError(field, `must be at most ${MAX_TEXT_ANSWER} characters`);
  return value.trim();
}

/**
 * The answers as they will be stored: numbers for scales, known choices only, trimmed text;
 * blanks dropped. Refuses (naming the question) an unknown question, a value out of range, a
 * required question left blank, and an answer with nothing in it.
 */
export function checkAnswers(survey: Survey, raw: Record<string, unknown>): Answers {
  const byId = new Map(survey.questions.map((q) => [q.id, q]));
  const answers: Answers = {};
  for (const [id, value] of Object.entries(raw)) {
    const question = byId.get(id);
    const field = `answers/${id}`;
    if (!question) throw new SurveyInvalidError(field, `the survey has no question "${id}"`);
    const blank =
      value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
    if (blank) continue;
    const checked = checkAnswer(question, value as AnswerValue, field);
    if (checked !== '') answers[id] = checked;
  }
  for (const question of survey.questions) {
    if (question.required && answers[question.id] === undefined)
      throw new SurveyInvalidError(`answers/${question.id}`, 'is required');
  }
  if (Object.keys(answers).length === 0) throw new SurveyInvalidError('answers', 'no question was answered');
  return answers;
}
