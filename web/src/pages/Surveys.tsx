// Surveys to everyone (docs/surveys.md): define a survey with a form, send it from a journey's
// email (the page says what to paste), and read its results with the bias of who answered in
// view: NPS raw and re-weighted to the whole base, who answered against everyone, themes of the
// free text, the trend and the groups. The types are the server's own (src/surveys).
import { type FormEvent, lazy, Suspense, useState } from 'react';
import type { SurveyResultsBody, SurveySummary } from '../../../src/surveys/schemas.ts';
import { Can } from '../access.tsx';
import { request } from '../api.ts';
import { Card, Empty, ErrorNote, Loading, PageHeader, Stat } from '../components/ui.tsx';
import { num, pct, when } from '../format.ts';
import { useApi } from '../hooks.ts';

const Chart = lazy(() => import('../components/Chart.tsx'));

type Method = 'raking' | 'post-stratification' | 'none';
type Estimate = { value: number; low: number; high: number; n: number; effectiveN: number } | null;

const surveysApi = {
  list: () => request<{ surveys: SurveySummary[] }>('GET', '/api/surveys'),
  define: (body: unknown) => request<SurveySummary>('POST', '/api/surveys', { body }),
  close: (id: string) => request<SurveySummary>('POST', `/api/surveys/${encodeURIComponent(id)}/close`),
  reopen: (id: string) => request<SurveySummary>('POST', `/api/surveys/${encodeURIComponent(id)}/reopen`),
  results: (id: string, method: Method) =>
    request<SurveyResultsBody>('GET', `/api/surveys/${encodeURIComponent(id)}/results?method=${method}`),
};

const KINDS = [
  ['nps', 'NPS: how likely to recommend (0–10)'],
  ['csat', 'CSAT: satisfaction (1–5)'],
  ['ces', 'CES: effort (1–7)'],
  ['single', 'One choice'],
  ['multiple', 'Several choices'],
  ['text', 'Free text'],
] as const;

interface DraftQuestion {
  /** React's key: stays with the question when another is removed. */
  key: number;
  /** An edited survey's question keeps its id, so its answers stay its answers. */
  id?: string;
  kind: string;
  text: string;
  options: string;
  required: boolean;
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || 'survey';

function draftOf(survey: SurveySummary): DraftQuestion[] {
  return survey.questions.map((q, key) => ({
    key,
    id: q.id,
    kind: q.kind,
    text: q.text,
    options: (q.options ?? []).join(', '),
    required: q.required ?? false,
  }));
}

/** The ids of the questions: an edited one keeps its own, a new one takes the next free `q<n>`. */
function questionIds(questions: readonly DraftQuestion[]): string[] {
  const used = new Set(questions.flatMap((q) => (q.id ? [q.id] : [])));
  let n = 0;
  return questions.map((q) => {
    if (q.id) return q.id;
    do n += 1;
    while (used.has(`q${n}`));
    used.add(`q${n}`);
    return `q${n}`;
  });
}

function NewSurvey(props: { editing?: SurveySummary; onSaved: (id: string) => void; onCancel?: () => void }) {
  const { editing } = props;
  const [title, setTitle] = useState(editing?.title ?? '');
  const [intro, setIntro] = useState(editing?.intro ?? '');
  const [traits, setTraits] = useState((editing?.biasTraits ?? []).join(', '));
  const [questions, setQuestions] = useState<DraftQuestion[]>(
    editing
      ? draftOf(editing)
      : [
          {
            key: 0,
            kind: 'nps',
            text: 'How likely are you to recommend us to a friend?',
            options: '',
            required: true,
          },
        ],
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const change = (i: number, patch: Partial<DraftQuestion>) =>
    setQuestions((qs) => qs.map((q, j) => (j === i ? { ...q, ...patch } : q)));
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const biasTraits = traits
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const ids = questionIds(questions);
      const saved = await surveysApi.define({
        id: editing?.id ?? slug(title),
        title,
        ...(intro ? { intro } : {}),
        ...(biasTraits.length ? { biasTraits } : {}),
        ...(editing?.allowRepeat !== undefined ? { allowRepeat: editing.allowRepeat } : {}),
        ...(editing?.linkDays !== undefined ? { linkDays: editing.linkDays } : {}),
        questions: questions.map((q, i) => ({
          id: ids[i]!,
          kind: q.kind,
          text: q.text,
          required: q.required,
          ...(q.kind === 'single' || q.kind === 'multiple'
            ? {
                options: q.options
                  .split(',')
                  .map((o) => o.trim())
                  .filter(Boolean),
              }
            : {}),
        })),
      });
      props.onSaved(saved.id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} aria-label={editing ? `Edit ${editing.title}` : 'New survey'}>
      {editing ? (
        <p className="small muted">
          Saving makes version {(editing.version ?? 1) + 1}; answers already given keep the version they
          answered. Keep a question to keep its answers together.
        </p>
      ) : null}
      <label htmlFor="survey-title">Title</label>
      <input id="survey-title" value={title} required onChange={(e) => setTitle(e.target.value)} />
      <label htmlFor="survey-intro">Introduction (optional)</label>
      <input id="survey-intro" value={intro} onChange={(e) => setIntro(e.target.value)} />
      <label htmlFor="survey-traits">
        Traits to correct the results on (comma-separated, e.g. region, plan)
      </label>
      <input id="survey-traits" value={traits} onChange={(e) => setTraits(e.target.value)} />
      {questions.map((q, i) => (
        <fieldset key={q.key}>
          <legend>Question {i + 1}</legend>
          <label htmlFor={`q${i}-kind`}>Kind</label>
          <select id={`q${i}-kind`} value={q.kind} onChange={(e) => change(i, { kind: e.target.value })}>
            {KINDS.map(([kind, label]) => (
              <option key={kind} value={kind}>
                {label}
              </option>
            ))}
          </select>
          <label htmlFor={`q${i}-text`}>Question</label>
          <input
            id={`q${i}-text`}
            value={q.text}
            required
            onChange={(e) => change(i, { text: e.target.value })}
          />
          {q.kind === 'single' || q.kind === 'multiple' ? (
            <>
              <label htmlFor={`q${i}-options`}>Choices (comma-separated)</label>
              <input
                id={`q${i}-options`}
                value={q.options}
                onChange={(e) => change(i, { options: e.target.value })}
              />
            </>
          ) : null}
          <label htmlFor={`q${i}-required`}>
            <input
              id={`q${i}-required`}
              type="checkbox"
              checked={q.required}
              onChange={(e) => change(i, { required: e.target.checked })}
            />{' '}
            An answer is required
          </label>
          {questions.length > 1 ? (
            <button type="button" onClick={() => setQuestions((qs) => qs.filter((_, j) => j !== i))}>
              Remove question {i + 1}
            </button>
          ) : null}
        </fieldset>
      ))}
      <button
        type="button"
        onClick={() =>
          setQuestions((qs) => [
            ...qs,
            {
              key: Math.max(...qs.map((q) => q.key)) + 1,
              kind: 'text',
              text: '',
              options: '',
              required: false,
            },
          ])
        }
      >
        Add a question
      </button>{' '}
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : editing ? 'Save as a new version' : 'Save survey'}
      </button>{' '}
      {props.onCancel ? (
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

const round = (n: number) => (Math.round(n * 10) / 10).toLocaleString('en');
const interval = (e: Estimate) => (e ? `${round(e.low)} to ${round(e.high)}` : 'too few answers');

function Results(props: { id: string }) {
  const [method, setMethod] = useState<Method>('raking');
  const results = useApi(() => surveysApi.results(props.id, method), [props.id, method]);
  const r = results.data;
  if (results.error) return <ErrorNote error={results.error} />;
  if (!r) return <Loading what="results" />;
  const npsQuestion = r.questions.find((q) => q.nps);
  const nps = npsQuestion?.nps;
  return (
    <>
      <Card title={`Results: ${r.title}`} wide>
        <label htmlFor="survey-method">Correct for who answered by</label>
        <select id="survey-method" value={method} onChange={(e) => setMethod(e.target.value as Method)}>
          <option value="raking">Raking (matches each trait's shares)</option>
          <option value="post-stratification">Post-stratification (matches each combination)</option>
          <option value="none">No correction (the answers as given)</option>
        </select>
        <div className="stats">
          <Stat label="Answers" value={num(r.responses)} />
          <Stat label="Everyone" value={num(r.base)} hint="people in the base" />
          <Stat label="Response rate" value={pct(r.responseRate)} />
          {nps ? (
            <>
              <Stat
                label="NPS as answered"
                value={nps.raw ? round(nps.raw.value) : '—'}
                hint={`95% interval ${interval(nps.raw)}`}
              />
              <Stat
                label="NPS for everyone"
                value={nps.corrected ? round(nps.corrected.value) : '—'}
                hint={`95% interval ${interval(nps.corrected)}, ${r.weighting.method}`}
              />
            </>
          ) : null}
          <Stat
            label="Effective answers"
            value={num(Math.round(r.weighting.effectiveN))}
            hint="what the correction leaves in precision"
          />
        </div>
        {r.weighting.traits.length === 0 ? (
          <p className="muted">
            No traits to correct on: add some to the survey to see who answered against everyone.
          </p>
        ) : (
          <p className="small muted">
            Corrected on {r.weighting.traits.join(', ')} by {r.weighting.method}.
            {r.weighting.uncoveredShare > 0
              ? ` ${pct(r.weighting.uncoveredShare)} of everyone is in a group nobody answered from: nobody speaks for them.`
              : ''}
          </p>
        )}
      </Card>
      {r.gaps.length > 0 ? (
        <Card title="Who answered, against everyone" wide>
          <table>
            <caption className="small muted">
              A positive gap means the group is over-represented among those who answered
            </caption>
            <thead>
              <tr>
                <th scope="col">Trait</th>
                <th scope="col">Group</th>
                <th scope="col">Share of everyone</th>
                <th scope="col">Share of answers</th>
                <th scope="col">Gap (points, 95% interval)</th>
              </tr>
            </thead>
            <tbody>
              {r.gaps.map((g) => (
                <tr key={`${g.trait}:${g.category}`}>
                  <td>{g.trait}</td>
                  <td>{g.category}</td>
                  <td>{pct(g.baseShare)}</td>
                  <td>{pct(g.responderShare)}</td>
                  <td>
                    {g.gap
                      ? `${g.gap.value > 0 ? '+' : ''}${round(g.gap.value * 100)} (${round(g.gap.low * 100)} to ${round(g.gap.high * 100)})`
                      : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
      <Card title="Who answered, against everyone asked" wide>
        <p className="small muted">
          {num(r.asked.people)} people asked (a link sent, the survey shown on the site);{' '}
          {num(r.asked.responders)} of them answered ({pct(r.asked.responseRate)}).
          {r.asked.answeredUnasked > 0
            ? ` ${num(r.asked.answeredUnasked)} answered without a record of being asked.`
            : ''}
        </p>
        {r.asked.gaps.length > 0 ? (
          <table>
            <caption className="small muted">
              A positive gap means the group answered more than its share of those asked
            </caption>
            <thead>
              <tr>
                <th scope="col">Trait</th>
                <th scope="col">Group</th>
                <th scope="col">Share of those asked</th>
                <th scope="col">Share of answers</th>
                <th scope="col">Gap (points, 95% interval)</th>
              </tr>
            </thead>
            <tbody>
              {r.asked.gaps.map((g) => (
                <tr key={`asked:${g.trait}:${g.category}`}>
                  <td>{g.trait}</td>
                  <td>{g.category}</td>
                  <td>{pct(g.askedShare)}</td>
                  <td>{pct(g.responderShare)}</td>
                  <td>
                    {g.gap
                      ? `${g.gap.value > 0 ? '+' : ''}${round(g.gap.value * 100)} (${round(g.gap.low * 100)} to ${round(g.gap.high * 100)})`
                      : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Card>
      <div className="grid">
        {r.questions.map((q) => (
          <Card key={q.id} title={q.text}>
            <p className="small muted">{num(q.answered)} answers</p>
            {q.distribution.length > 0 ? (
              <Suspense fallback={<Loading what="chart" />}>
                <Chart
                  label={`Answers to ${q.text}: ${q.distribution.map((d) => `${d.value} ${pct(d.share)}`).join(', ')}`}
                  height={220}
                  option={{
                    tooltip: {},
                    legend: {},
                    xAxis: { type: 'category', data: q.distribution.map((d) => d.value) },
                    yAxis: { type: 'value', axisLabel: { formatter: '{value}%' } },
                    series: [
                      {
                        name: 'as answered',
                        type: 'bar',
                        data: q.distribution.map((d) => round(d.share * 100)),
                      },
                      {
                        name: 'for everyone',
                        type: 'bar',
                        data: q.distribution.map((d) => round(d.weightedShare * 100)),
                      },
                    ],
                  }}
                />
              </Suspense>
            ) : null}
            {q.mean ? (
              <p>
                Mean {q.mean.raw ? round(q.mean.raw.value) : '—'} as answered,{' '}
                {q.mean.corrected ? round(q.mean.corrected.value) : '—'} for everyone (
                {interval(q.mean.corrected)})
              </p>
            ) : null}
            {q.themes ? (
              q.themes.themes.length === 0 ? (
                <p className="muted">No theme yet: no term recurs in two answers.</p>
              ) : (
                <ul aria-label={`Themes of ${q.text}`}>
                  {q.themes.themes.map((t) => (
                    <li key={t.term}>
                      <strong>{t.term}</strong>: {num(t.count)} answers ({pct(t.share)}), e.g. “
                      {t.examples[0]}”
                    </li>
                  ))}
                </ul>
              )
            ) : null}
          </Card>
        ))}
      </div>
      {npsQuestion ? (
        <div className="grid">
          <Card title="NPS by week">
            <table>
              <thead>
                <tr>
                  <th scope="col">Week of</th>
                  <th scope="col">Answers</th>
                  <th scope="col">NPS (95% interval)</th>
                </tr>
              </thead>
              <tbody>
                {r.trend.map((w) => (
                  <tr key={w.week}>
                    <td>{w.week}</td>
                    <td>{num(w.responses)}</td>
                    <td>{w.nps ? `${round(w.nps.value)} (${interval(w.nps)})` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          <Card title="NPS by group">
            <table>
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">Answers</th>
                  <th scope="col">NPS (95% interval)</th>
                </tr>
              </thead>
              <tbody>
                {r.byGroup.map((g) => (
                  <tr key={`${g.trait}:${g.category}`}>
                    <td>
                      {g.trait} = {g.category}
                    </td>
                    <td>{num(g.responses)}</td>
                    <td>{g.nps ? `${round(g.nps.value)} (${interval(g.nps)})` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        </div>
      ) : null}
    </>
  );
}

export default function Surveys() {
  const [version, setVersion] = useState(0);
  const list = useApi(surveysApi.list, [version]);
  const [chosen, setChosen] = useState<string>();
  const [editing, setEditing] = useState<SurveySummary>();
  const [actionError, setActionError] = useState<unknown>();
  const surveys = list.data?.surveys ?? [];
  const selected = chosen ?? surveys.find((s) => s.responses > 0)?.id ?? surveys[0]?.id;
  return (
    <>
      <PageHeader title="Surveys" />
      <p className="muted">
        Ask everyone, not a select few, and read the answers for everyone: results are corrected for who
        answered (docs/surveys.md).
      </p>
      {list.loading && !list.data ? <Loading what="surveys" /> : null}
      {list.error ? <ErrorNote error={list.error} /> : null}
      {list.data && surveys.length === 0 ? (
        <Empty title="No surveys yet">Create one below, then send it from a journey's email.</Empty>
      ) : null}
      {surveys.length > 0 ? (
        <Card title="Your surveys" wide>
          <table>
            <thead>
              <tr>
                <th scope="col">Survey</th>
                <th scope="col">Questions</th>
                <th scope="col">Answers</th>
                <th scope="col">Version</th>
                <th scope="col">State</th>
                <th scope="col">Changed</th>
                <th scope="col">To send it in an email, link to</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {surveys.map((s) => (
                <tr key={s.id}>
                  <td>
                    <button type="button" aria-pressed={s.id === selected} onClick={() => setChosen(s.id)}>
                      {s.title}
                    </button>
                  </td>
                  <td>{s.questions.length}</td>
                  <td>{num(s.responses)}</td>
                  <td>{s.version ?? 1}</td>
                  <td>{s.closedAt ? `closed ${when(s.closedAt)}` : 'open'}</td>
                  <td>{when(s.updatedAt)}</td>
                  <td>
                    <code>rapport:survey/{s.id}</code>
                  </td>
                  <td>
                    <Can needs="marketing:write">
                      <button type="button" onClick={() => setEditing(s)} aria-label={`Edit ${s.title}`}>
                        Edit
                      </button>{' '}
                      <button
                        type="button"
                        aria-label={`${s.closedAt ? 'Reopen' : 'Close'} ${s.title}`}
                        onClick={() =>
                          (s.closedAt ? surveysApi.reopen(s.id) : surveysApi.close(s.id)).then(
                            () => setVersion((v) => v + 1),
                            setActionError,
                          )
                        }
                      >
                        {s.closedAt ? 'Reopen' : 'Close'}
                      </button>
                    </Can>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {actionError ? <ErrorNote error={actionError} /> : null}
        </Card>
      ) : null}
      {editing ? (
        <Card title={`Edit ${editing.title}`} wide>
          <NewSurvey
            key={`${editing.id}:${editing.version ?? 1}`}
            editing={editing}
            onCancel={() => setEditing(undefined)}
            onSaved={(id) => {
              setEditing(undefined);
              setChosen(id);
              setVersion((v) => v + 1);
            }}
          />
        </Card>
      ) : null}
      {selected ? <Results key={`${selected}:${version}`} id={selected} /> : null}
      <Can needs="marketing:write">
        <Card title="New survey" wide>
          <NewSurvey
            onSaved={(id) => {
              setChosen(id);
              setVersion((v) => v + 1);
            }}
          />
        </Card>
      </Can>
    </>
  );
}
