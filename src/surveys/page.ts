// The hosted survey page: plain HTML that works without JavaScript, on a phone (the viewport
// meta, controls that wrap, targets at least 44px), and with a screen reader (each question a
// fieldset with its legend, every control labelled, the error named next to its question and
// announced). Pure: a survey in, a string out; every value is escaped.
import { type Question, type Survey, scaleOf } from './definition.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:40em;margin:0 auto;padding:1em;line-height:1.5;color:#1b1b1b}
fieldset{border:1px solid #bbb;border-radius:6px;margin:0 0 1em;padding:.75em}
legend{font-weight:600;padding:0 .25em}
.scale{display:flex;flex-wrap:wrap;gap:.25em}
.scale label,.choice label{display:inline-flex;align-items:center;gap:.3em;min-height:44px;min-width:44px;padding:0 .5em;border:1px solid #999;border-radius:4px;cursor:pointer}
.choice label{display:flex;border:0;padding:0}
.ends{display:flex;justify-content:space-between;font-size:.85em;color:#555}
textarea{width:100%;box-sizing:border-box;font:inherit}
button{font:inherit;min-height:44px;padding:0 1.5em;background:#0b5cad;color:#fff;border:0;border-radius:4px}
.error{color:#a40000;font-weight:600}
input:focus-visible,textarea:focus-visible,button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}`;

export function htmlDocument(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

const ENDS: Partial<Record<Question['kind'], [string, string]>> = {
  nps: ['Not at all likely', 'Extremely likely'],
  csat: ['Very unsatisfied', 'Very satisfied'],
  ces: ['Very difficult', 'Very easy'],
};

function questionHtml(
  question: Question,
  index: number,
  error: { field: string; message: string } | undefined,
): string {
  const name = `q_${question.id}`;
  const errorId = `${name}_error`;
  const failed = error?.field === `answers/${question.id}`;
  const required = question.required ? ' <span aria-hidden="true">*</span>' : '';
  const legend = `<legend>${index + 1}. ${escapeHtml(question.text)}${required}</legend>`;
  const errorHtml = failed
    ? `<p class="error" id="${errorId}" role="alert">${escapeHtml(error!.message)}</p>`
    : '';
  const described = failed ? ` aria-describedby="${errorId}"` : '';
  const req = question.required ? ' aria-required="true"' : '';
  const scale = scaleOf(question);
  if (scale) {
    const ends = ENDS[question.kind] ?? [String(scale.min), String(scale.max)];
    const options = Array.from({ length: scale.max - scale.min + 1 }, (_, k) => scale.min + k)
      .map(
        (v) =>
          `<label><input type="radio" name="${name}" value="${v}"${question.required ? ' required' : ''}> ${v}</label>`,
      )
      .join('');
    return `<fieldset role="radiogroup"${described}${req}>${legend}${errorHtml}<div class="scale">${options}</div><div class="ends" aria-hidden="true"><span>${scale.min}: ${ends[0]}</span><span>${scale.max}: ${ends[1]}</span></div></fieldset>`;
  }
  if (question.kind === 'single' || question.kind === 'multiple') {
    const type = question.kind === 'single' ? 'radio' : 'checkbox';
    const options = question
      .options!.map(
        (o) =>
          `<label><input type="${type}" name="${name}" value="${escapeHtml(o)}"> ${escapeHtml(o)}</label>`,
      )
      .join('');
    return `<fieldset${described}>${legend}${errorHtml}<div class="choice">${options}</div></fieldset>`;
  }
  return `<fieldset${described}>${legend}${errorHtml}<label for="${name}" class="visually-hidden" style="position:absolute;left:-9999px">${escapeHtml(question.text)}</label><textarea id="${name}" name="${name}" rows="4" maxlength="2000"${question.required ? ' required' : ''}></textarea></fieldset>`;
}

/** The survey as a form posting back to the same signed URL. */
export function surveyPage(survey: Survey, error?: { field: string; message: string }): string {
  const intro = survey.intro ? `<p>${escapeHtml(survey.intro)}</p>` : '';
  const general =
    error && !error.field.startsWith('answers/')
      ? `<p class="error" role="alert">${escapeHtml(error.message)}</p>`
      : '';
  const questions = survey.questions.map((q, i) => questionHtml(q, i, error)).join('');
  return htmlDocument(
    survey.title,
    `<h1>${escapeHtml(survey.title)}</h1>${intro}${general}<form method="post">${questions}<button type="submit">Send my answers</button></form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return htmlDocument(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}

/** Form fields (`q_<question id>`, repeated for several ticks) → answers by question id. */
export function answersFromForm(form: Record<string, string[]>): Record<string, unknown> {
  const answers: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(form)) {
    if (!name.startsWith('q_')) continue;
    answers[name.slice(2)] = values.length > 1 ? values : values[0];
  }
  return answers;
}
