// Experiments: a form to define one (no JSON), and each experiment's results as GrowthBook and
// PostHog explain them: the verdict in words first, the SRM warning, then per metric and arm the
// value, the difference with its interval drawn, and the p-value or chance to win. Also the
// programme's lift against the global holdout.
import { type FormEvent, lazy, Suspense, useEffect, useState } from 'react';
import { Can } from '../access.tsx';
import {
  api,
  type BanditHistory,
  type Experiment,
  type ExperimentMetric,
  type ExperimentResults,
  type HoldoutLift,
  type ProgrammeLift,
} from '../api.ts';
import { CompareCounts } from '../components/CompareCounts.tsx';
import { Card, Empty, ErrorNote, Loading, LoadStatus, PageHeader } from '../components/ui.tsx';
import { num, pct } from '../format.ts';
import { useApi } from '../hooks.ts';
import { Link } from '../router.tsx';

const Chart = lazy(() => import('../components/Chart.tsx'));

const signed = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const pValue = (p: number | null) => (p === null ? '–' : p < 0.001 ? '< 0.001' : p.toFixed(3));

/** The difference and its interval on one axis through zero: the bar is the interval, the dot the effect. */
function IntervalBar(props: {
  effect: number | null;
  ci: [number, number] | null;
  scale: number;
  label: string;
}) {
  const width = 220;
  const height = 22;
  if (props.effect === null || props.ci === null) return <span className="muted">–</span>;
  const x = (v: number) =>
    width / 2 + (Math.max(-props.scale, Math.min(props.scale, v)) / props.scale) * (width / 2 - 6);
  const [lo, hi] = props.ci;
  const colour = lo > 0 ? '#15803d' : hi < 0 ? '#dc2626' : '#6b7280';
  return (
    <svg
      width={width}
      height={height}
      role="img"
      aria-label={`${props.label}: ${signed(props.effect)}, interval ${signed(lo)} to ${signed(hi)}`}
    >
      <line x1={width / 2} x2={width / 2} y1={2} y2={height - 2} stroke="#9ca3af" strokeDasharray="3 2" />
      <line
        x1={x(lo)}
        x2={x(hi)}
        y1={height / 2}
        y2={height / 2}
        stroke={colour}
        strokeWidth={6}
        strokeLinecap="round"
      />
      <circle cx={x(props.effect)} cy={height / 2} r={5} fill="#111827" />
    </svg>
  );
}

function scaleOf(results: ExperimentResults): number {
  const bounds = results.metrics.flatMap((m) => m.arms.flatMap((a) => (a.ci ? a.ci.map(Math.abs) : [])));
  return Math.max(0.05, ...bounds.filter(Number.isFinite));
}

function armName(experiment: Experiment, id: string): string {
  return experiment.arms.find((arm) => arm.id === id)?.name ?? id;
}

function Lift(props: { title: string; lift: HoldoutLift; id: string }) {
  const { lift } = props;
  return (
    <table id={props.id}>
      <caption className="small">{props.title}</caption>
      <thead>
        <tr>
          <th>Treated</th>
          <th>Held out</th>
          <th>Lift</th>
          <th>Interval</th>
          <th>p-value</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <td>
            {pct(lift.treated.value)} of {num(lift.treated.n)}
          </td>
          <td>
            {pct(lift.heldOut.value)} of {num(lift.heldOut.n)}
          </td>
          <td>{signed(lift.effect)}</td>
          <td>
            <IntervalBar
              effect={lift.effect}
              ci={lift.ci}
              scale={Math.max(0.05, ...(lift.ci ?? []).map(Math.abs))}
              label="lift"
            />
          </td>
          <td>{pValue(lift.pValue)}</td>
        </tr>
      </tbody>
    </table>
  );
}

function Serving(props: {
  experiment: Experiment;
  weights: Record<string, number>;
  mode: 'fixed' | 'bandit';
}) {
  const { experiment, weights, mode } = props;
  const where =
    experiment.attachment.kind === 'placement'
      ? `on placement ${experiment.attachment.placementId}`
      : experiment.attachment.kind === 'journey'
        ? `in journey ${experiment.attachment.journeyId} (share of those not held out)`
        : '';
  return (
    <div className="table-wrap">
      <table id="serving-weights">
        <caption className="small">
          {mode === 'bandit'
            ? `Bandit: who gets which arm now ${where}. The winning arm gets more people as the data come in; ${pct(experiment.bandit?.explorationShare ?? 0.1, 0)} are spread evenly to keep measuring, and no arm gets less than ${pct(experiment.bandit?.floor ?? 0.02, 0)}.`
            : `Served now ${where}, by the arms' weights.`}
        </caption>
        <thead>
          <tr>
            <th>Arm</th>
            <th>Share served now</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(weights).map(([arm, weight]) => (
            <tr key={arm}>
              <td>{experiment.arms.find((a) => a.id === arm)?.name ?? arm}</td>
              <td>{pct(weight, 1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Results(props: { experiment: Experiment }) {
  const { experiment } = props;
  const results = useApi(() => api.experimentResults(experiment.id), [experiment.id]);
  const data = results.data;
  if (!data) return <LoadStatus state={results} />;
  const bayesian = data.engine === 'bayesian';
  const scale = scaleOf(data);
  return (
    <section aria-label={`Results of ${experiment.name}`}>
      <p className="verdict" id="verdict">
        <strong>{data.verdict}</strong>
      </p>
      {data.srm.mismatch ? (
        <div className="error" role="alert" id="srm-warning">
          <p>
            Sample-ratio mismatch: the arms got{' '}
            {experiment.arms.map((arm) => `${num(data.srm.counts[arm.id] ?? 0)} (${arm.name})`).join(' and ')}{' '}
            people where the weights say {experiment.arms.map((arm) => pct(arm.weight, 0)).join(' / ')} (p ={' '}
            {data.srm.pValue.toPrecision(2)}). Assignment or counting is broken; the numbers below cannot be
            trusted.
          </p>
        </div>
      ) : null}
      <p className="small muted" id="minimum-note">
        No winner is called before every arm has {num(data.minPeoplePerArm)} people, nor while the split is
        broken: early differences swing by chance.
      </p>
      {data.servingWeights ? (
        <Serving experiment={experiment} weights={data.servingWeights} mode={data.mode} />
      ) : null}
      <p className="small muted">
        {bayesian
          ? 'Bayesian engine: chance to win is the probability that the arm beats the control.'
          : `${data.engine === 'sequential' ? 'Sequential (always valid: look as often as you like)' : 'Frequentist'} engine; p-values adjusted for ${data.metrics.length} metric(s) × ${experiment.arms.length - 1} arm(s) by ${data.correction}.`}{' '}
        Intervals hold {pct(1 - data.alpha, 0)}; the dashed line is no difference.
      </p>
      {data.metrics.map((metric) => (
        <div className="table-wrap" key={metric.name}>
          <table id={`metric-${metric.name}`}>
            <caption className="small">
              {metric.role === 'primary' ? 'Primary metric' : 'Guardrail'}: {metric.name} ({metric.kind})
              {metric.cuped ? ', CUPED-adjusted' : ''}
            </caption>
            <thead>
              <tr>
                <th>Arm</th>
                <th>People</th>
                <th>Value</th>
                <th>Difference</th>
                <th>Interval</th>
                <th>{bayesian ? 'Chance to win' : 'p-value (adjusted)'}</th>
              </tr>
            </thead>
            <tbody>
              {metric.arms.map((arm) => (
                <tr key={arm.arm}>
                  <td>{armName(experiment, arm.arm)}</td>
                  <td>{num(arm.n)}</td>
                  <td>
                    {metric.kind === 'conversion' || metric.kind === 'retention'
                      ? pct(arm.value)
                      : arm.value.toFixed(2)}
                  </td>
                  <td>
                    {arm.note === 'control'
                      ? 'control'
                      : arm.effect === null
                        ? (arm.note ?? '–')
                        : signed(arm.effect)}
                  </td>
                  <td>
                    <IntervalBar
                      effect={arm.effect}
                      ci={arm.ci}
                      scale={scale}
                      label={`${armName(experiment, arm.arm)} on ${metric.name}`}
                    />
                  </td>
                  <td>{bayesian ? pct(arm.chanceToWin) : pValue(arm.adjustedPValue ?? arm.pValue)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      {data.journeyHoldout ? (
        <Lift
          title="The journey's lift over its holdout (primary metric)"
          lift={data.journeyHoldout}
          id="journey-holdout"
        />
      ) : null}
    </section>
  );
}

interface MetricForm {
  name: string;
  kind: ExperimentMetric['kind'];
  event: string;
  property: string;
  windowHours: string;
  day: string;
}

const emptyMetric = (name: string): MetricForm => ({
  name,
  kind: 'conversion',
  event: '',
  property: '',
  windowHours: '72',
  day: '7',
});

function metricFrom(form: MetricForm): ExperimentMetric {
  if (form.kind === 'retention') return { name: form.name.trim(), kind: 'retention', day: Number(form.day) };
  if (form.kind === 'conversion')
    return {
      name: form.name.trim(),
      kind: 'conversion',
      event: form.event.trim(),
      windowHours: Number(form.windowHours),
    };
  return {
    name: form.name.trim(),
    kind: form.kind,
    event: form.event.trim(),
    windowHours: Number(form.windowHours),
    ...(form.kind === 'sum' ? { property: form.property.trim() } : {}),
  };
}

function MetricFields(props: {
  prefix: string;
  legend: string;
  value: MetricForm;
  onChange: (m: MetricForm) => void;
}) {
  const { value, onChange, prefix } = props;
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      <label htmlFor={`${prefix}-name`}>Name</label>
      <input
        id={`${prefix}-name`}
        value={value.name}
        onChange={(e) => onChange({ ...value, name: e.target.value })}
      />
      <label htmlFor={`${prefix}-kind`}>Kind</label>
      <select
        id={`${prefix}-kind`}
        value={value.kind}
        onChange={(e) => onChange({ ...value, kind: e.target.value as MetricForm['kind'] })}
      >
        <option value="conversion">conversion: did the event within the window</option>
        <option value="count">count: how many times</option>
        <option value="sum">sum: total of a number property per person</option>
        <option value="retention">retention: active on day N</option>
      </select>
      {value.kind === 'retention' ? (
        <>
          <label htmlFor={`${prefix}-day`}>Day after exposure</label>
          <input
            id={`${prefix}-day`}
            value={value.day}
            onChange={(e) => onChange({ ...value, day: e.target.value })}
          />
        </>
      ) : (
        <>
          <label htmlFor={`${prefix}-event`}>Event</label>
          <input
            id={`${prefix}-event`}
            value={value.event}
            placeholder="Order Completed"
            onChange={(e) => onChange({ ...value, event: e.target.value })}
          />
          <label htmlFor={`${prefix}-window`}>Window after exposure (hours)</label>
          <input
            id={`${prefix}-window`}
            value={value.windowHours}
            onChange={(e) => onChange({ ...value, windowHours: e.target.value })}
          />
        </>
      )}
      {value.kind === 'sum' ? (
        <>
          <label htmlFor={`${prefix}-property`}>Property to add up</label>
          <input
            id={`${prefix}-property`}
            value={value.property}
            placeholder="revenue"
            onChange={(e) => onChange({ ...value, property: e.target.value })}
          />
        </>
      ) : null}
    </fieldset>
  );
}

function NewExperiment(props: { onSaved: (id: string) => void }) {
  const [name, setName] = useState('');
  const [id, setId] = useState('');
  const [hypothesis, setHypothesis] = useState('');
  const [owner, setOwner] = useState('');
  const [status, setStatus] = useState<Experiment['status']>('running');
  const [engine, setEngine] = useState<NonNullable<Experiment['engine']>>('frequentist');
  const [arms, setArms] = useState([
    { id: 'control', name: 'Control', weight: '50' },
    { id: 'variant', name: 'Variant', weight: '50' },
  ]);
  const [primary, setPrimary] = useState(emptyMetric('conversions'));
  const [guardrail, setGuardrail] = useState<MetricForm | null>(null);
  const [attachment, setAttachment] = useState<'standalone' | 'placement' | 'journey'>('standalone');
  const [placementId, setPlacementId] = useState('');
  const [journeyId, setJourneyId] = useState('');
  const [stepId, setStepId] = useState('');
  const [mode, setMode] = useState<'fixed' | 'bandit'>('fixed');
  const [exploration, setExploration] = useState('10');
  const [floor, setFloor] = useState('2');
  const [minimum, setMinimum] = useState('100');
  const [error, setError] = useState<unknown>();
  function attachmentOf(): Experiment['attachment'] {
    if (attachment === 'placement') return { kind: 'placement', placementId: placementId.trim() };
    if (attachment === 'journey')
      return { kind: 'journey', journeyId: journeyId.trim(), stepId: stepId.trim() };
    return { kind: 'standalone' };
  }
  async function save(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      const saved = await api.saveExperiment({
        id: id.trim(),
        name: name.trim(),
        hypothesis: hypothesis.trim(),
        owner: owner.trim(),
        status,
        engine,
        attachment: attachmentOf(),
        mode,
        ...(mode === 'bandit'
          ? { bandit: { explorationShare: Number(exploration) / 100, floor: Number(floor) / 100 } }
          : {}),
        minPeoplePerArm: Number(minimum),
        arms: arms.map((arm) => ({
          id: arm.id.trim(),
          name: arm.name.trim(),
          weight: Number(arm.weight) / 100,
        })),
        primaryMetric: metricFrom(primary),
        guardrailMetrics: guardrail ? [metricFrom(guardrail)] : [],
      });
      props.onSaved(saved.id);
    } catch (e) {
      setError(e);
    }
  }
  const setArm = (i: number, change: Partial<(typeof arms)[number]>) =>
    setArms((rows) => rows.map((row, j) => (j === i ? { ...row, ...change } : row)));
  return (
    <Card title="New experiment" id="new-experiment" wide>
      <form onSubmit={save}>
        <label htmlFor="exp-name">Name</label>
        <input id="exp-name" value={name} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="exp-id">Key (letters, digits, - _ .; the website asks /v1/assign with it)</label>
        <input id="exp-id" value={id} onChange={(e) => setId(e.target.value)} />
        <label htmlFor="exp-hypothesis">Hypothesis</label>
        <textarea id="exp-hypothesis" value={hypothesis} onChange={(e) => setHypothesis(e.target.value)} />
        <label htmlFor="exp-owner">Owner</label>
        <input id="exp-owner" value={owner} onChange={(e) => setOwner(e.target.value)} />
        <label htmlFor="exp-status">Status</label>
        <select
          id="exp-status"
          value={status}
          onChange={(e) => setStatus(e.target.value as Experiment['status'])}
        >
          <option value="draft">draft</option>
          <option value="running">running</option>
          <option value="stopped">stopped</option>
        </select>
        <label htmlFor="exp-engine">Statistics</label>
        <select id="exp-engine" value={engine} onChange={(e) => setEngine(e.target.value as typeof engine)}>
          <option value="frequentist">frequentist (p-values)</option>
          <option value="sequential">sequential (look every day safely)</option>
          <option value="bayesian">Bayesian (chance to win)</option>
        </select>
        <label htmlFor="exp-attachment">Where it runs</label>
        <select
          id="exp-attachment"
          value={attachment}
          onChange={(e) => setAttachment(e.target.value as typeof attachment)}
        >
          <option value="standalone">on the website (it asks /v1/assign for the arm)</option>
          <option value="placement">on a placement (each arm is an offer shown by /v1/decide)</option>
          <option value="journey">on a journey's split (each arm is an arm of the split)</option>
        </select>
        {attachment === 'placement' ? (
          <>
            <label htmlFor="exp-placement">Placement id (the arms' keys are its offers' ids)</label>
            <input id="exp-placement" value={placementId} onChange={(e) => setPlacementId(e.target.value)} />
          </>
        ) : null}
        {attachment === 'journey' ? (
          <div className="row">
            <label htmlFor="exp-journey">Journey id</label>
            <input id="exp-journey" value={journeyId} onChange={(e) => setJourneyId(e.target.value)} />
            <label htmlFor="exp-step">Split step id (arm keys: the split's arm names, and holdout)</label>
            <input id="exp-step" value={stepId} onChange={(e) => setStepId(e.target.value)} />
          </div>
        ) : null}
        <label htmlFor="exp-mode">How people are shared out</label>
        <select id="exp-mode" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)}>
          <option value="fixed">fixed weights (a classic test)</option>
          <option value="bandit">bandit: more people to the arm that is winning</option>
        </select>
        {mode === 'bandit' ? (
          <div className="row">
            <label htmlFor="exp-exploration">
              Exploration share (%: spread evenly whatever the data say)
            </label>
            <input
              id="exp-exploration"
              value={exploration}
              onChange={(e) => setExploration(e.target.value)}
            />
            <label htmlFor="exp-floor">Floor per arm (%: no arm gets less)</label>
            <input id="exp-floor" value={floor} onChange={(e) => setFloor(e.target.value)} />
          </div>
        ) : null}
        <label htmlFor="exp-minimum">People per arm before a winner is called</label>
        <input id="exp-minimum" value={minimum} onChange={(e) => setMinimum(e.target.value)} />
        <fieldset>
          <legend>Arms (the first is the control; weights in % must add up to 100)</legend>
          {arms.map((arm, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
            <div key={i} className="row">
              <label htmlFor={`arm-${i}-id`}>Arm {i + 1} key</label>
              <input id={`arm-${i}-id`} value={arm.id} onChange={(e) => setArm(i, { id: e.target.value })} />
              <label htmlFor={`arm-${i}-name`}>Arm {i + 1} name</label>
              <input
                id={`arm-${i}-name`}
                value={arm.name}
                onChange={(e) => setArm(i, { name: e.target.value })}
              />
              <label htmlFor={`arm-${i}-weight`}>Arm {i + 1} weight (%)</label>
              <input
                id={`arm-${i}-weight`}
                value={arm.weight}
                onChange={(e) => setArm(i, { weight: e.target.value })}
              />
            </div>
          ))}
          <button
            type="button"
            onClick={() => setArms([...arms, { id: `arm-${arms.length + 1}`, name: '', weight: '0' }])}
          >
            Add an arm
          </button>
        </fieldset>
        <MetricFields prefix="primary" legend="Primary metric" value={primary} onChange={setPrimary} />
        {guardrail ? (
          <MetricFields
            prefix="guardrail"
            legend="Guardrail metric"
            value={guardrail}
            onChange={setGuardrail}
          />
        ) : (
          <button type="button" onClick={() => setGuardrail(emptyMetric('guardrail'))}>
            Add a guardrail metric
          </button>
        )}
        <div style={{ marginTop: '0.75rem' }}>
          <Can needs="marketing:write">
            <button type="submit" className="primary">
              Save experiment
            </button>
          </Can>
        </div>
      </form>
      {error ? <ErrorNote error={error} /> : null}
    </Card>
  );
}

function ProgrammeLiftCard() {
  const [event, setEvent] = useState('Order Completed');
  const [days, setDays] = useState('30');
  const [answer, setAnswer] = useState<ProgrammeLift | null | undefined>();
  const [error, setError] = useState<unknown>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      setAnswer(await api.holdoutLift(event.trim(), Number(days)));
    } catch (err) {
      setError(err);
    }
  }
  return (
    <Card title="The programme's lift (global holdout)" id="programme-lift" wide>
      <p className="small muted">
        People in the global holdout (Settings → arbitration policy) get no marketing at all. Compare how many
        of everyone active did the goal event, treated against held out.
      </p>
      <form onSubmit={submit} className="row">
        <label htmlFor="lift-event">Goal event</label>
        <input id="lift-event" value={event} onChange={(e) => setEvent(e.target.value)} />
        <label htmlFor="lift-days">Days</label>
        <input id="lift-days" value={days} onChange={(e) => setDays(e.target.value)} />
        <button type="submit">Measure</button>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      {answer === null ? (
        <p>No global holdout is configured: set one in Settings to measure the programme.</p>
      ) : null}
      {answer ? (
        <Lift
          title={`${answer.event}, ${answer.percent}% held out`}
          lift={answer}
          id="programme-lift-table"
        />
      ) : null}
    </Card>
  );
}

function BanditCard() {
  const placements = useApi(() => api.placements(), []);
  const ids = placements.data?.placements.map((p) => p.id) ?? [];
  const [typed, setTyped] = useState<string>();
  const [shown, setShown] = useState<string>();
  const [days, setDays] = useState(30);
  // The first defined placement until one is chosen; a placement only seen in events can be typed.
  const draft = typed ?? ids[0] ?? '';
  const chosen = shown ?? ids[0] ?? '';
  function show(event: FormEvent) {
    event.preventDefault();
    setShown(draft.trim());
  }
  return (
    <Card title="Which offer earns the most (bandit)" id="bandit" wide>
      <p className="small muted">
        A bandit learns while it serves: each offer’s click rate so far gives it a chance of being the best,
        and it is shown to about that share of people (Thompson sampling), so the likely winner gets most of
        the traffic while the others are still tried.
      </p>
      {placements.data && ids.length === 0 && !chosen ? (
        <Empty title="No placements yet">
          <p>
            Define a placement and its offers on the <Link href="/placements">Placements</Link> page; once
            offers are shown and clicked, how they compare appears here.
          </p>
        </Empty>
      ) : null}
      <form className="row" onSubmit={show}>
        <div>
          <label htmlFor="bandit-placement">Placement</label>
          <input
            id="bandit-placement"
            list="bandit-placements"
            value={draft}
            onChange={(e) => setTyped(e.target.value)}
          />
          <datalist id="bandit-placements">
            {ids.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
        </div>
        <div>
          <label htmlFor="bandit-days">Days</label>
          <select id="bandit-days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {[7, 14, 30, 90].map((d) => (
              <option key={d} value={d}>
                last {d}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={!draft.trim()}>
          Show
        </button>
      </form>
      {chosen ? <Bandit placement={chosen} days={days} /> : null}
    </Card>
  );
}

/** The bandit's state in words, per offer, and day by day. */
function Bandit(props: { placement: string; days: number }) {
  const { placement, days } = props;
  const now = useApi(() => api.bandit(placement, days), [placement, days]);
  const history = useApi(() => api.banditHistory(placement, days), [placement, days]);
  const answer = now.data;
  if (!answer) return <LoadStatus state={now} />;
  const leader = answer.arms.find((arm) => arm.id === answer.leader);
  const seen = answer.arms.reduce((sum, arm) => sum + arm.impressions, 0);
  const contenders = answer.arms.filter((arm) => arm.id !== answer.leader && arm.chanceBest >= 0.05);
  return (
    <>
      <p id="bandit-explained">
        {seen === 0 || !leader ? (
          `No offer of ${placement} was shown from ${answer.from} to ${answer.to}: every offer has the same chance until impressions and clicks come in.`
        ) : (
          <>
            From {answer.from} to {answer.to}, <strong>{leader.id}</strong> is most likely the best: a{' '}
            {pct(leader.chanceBest)} chance of having the highest click rate ({pct(leader.rate)}, from{' '}
            {num(leader.clicks)} clicks on {num(leader.impressions)} impressions). A bandit would show it to
            about {pct(leader.chanceBest)} of people and spread the other {pct(answer.explorationShare)} over
            the rest to keep learning.{' '}
            {contenders.length > 0
              ? `Not settled: ${contenders.map((arm) => `${arm.id} still has a ${pct(arm.chanceBest)} chance`).join(', ')}.`
              : 'Settled: no other offer has even a 5% chance of being better.'}
          </>
        )}
      </p>
      <div className="table-wrap">
        <table id="bandit-table">
          <caption className="small">
            Click rate: the average of what the data allow, (clicks + 1) / (impressions + 2). Chance best: the
            share of {num(answer.draws)} draws in which the offer had the highest rate.
          </caption>
          <thead>
            <tr>
              <th>Offer</th>
              <th className="num">Impressions</th>
              <th className="num">Clicks</th>
              <th className="num">Click rate</th>
              <th className="num">Chance best (share it would get)</th>
            </tr>
          </thead>
          <tbody>
            {answer.arms.map((arm) => (
              <tr key={arm.id} data-offer={arm.id}>
                <td>{arm.id}</td>
                <td className="num">{num(arm.impressions)}</td>
                <td className="num">{num(arm.clicks)}</td>
                <td className="num">{pct(arm.rate)}</td>
                <td className="num">{pct(arm.chanceBest)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <LoadStatus state={history} />
      {history.data && seen > 0 ? <BanditHistoryView history={history.data} /> : null}
    </>
  );
}

function BanditHistoryView(props: { history: BanditHistory }) {
  const days = props.history.days.filter((day) => day.arms.some((arm) => arm.impressions > 0));
  const ids = props.history.days[0]?.arms.map((arm) => arm.id) ?? [];
  const label = `Share of each day's impressions per offer: ${days
    .map((day) => `${day.day} ${day.arms.map((arm) => `${arm.id} ${pct(arm.share)}`).join(', ')}`)
    .join('; ')}`;
  return (
    <>
      <h3>Traffic over time</h3>
      <Suspense fallback={<Loading what="the chart" />}>
        <Chart
          label={label}
          height={220}
          option={{
            tooltip: { trigger: 'axis' },
            legend: { bottom: 0 },
            grid: { left: 48, right: 16, top: 16, bottom: 48 },
            xAxis: { type: 'category', data: days.map((day) => day.day) },
            yAxis: {
              type: 'value',
              max: 1,
              axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` },
            },
            series: ids.map((id) => ({
              name: id,
              type: 'bar',
              stack: 'share',
              data: days.map((day) => day.arms.find((arm) => arm.id === id)?.share ?? 0),
            })),
          }}
        />
      </Suspense>
      <div className="table-wrap">
        <table id="bandit-history">
          <caption className="small">
            Per day (UTC, days with impressions): the share of that day’s impressions each offer got, and its
            chance of being the best from everything up to that day’s end.
          </caption>
          <thead>
            <tr>
              <th>Day</th>
              {ids.map((id) => (
                <th key={id} className="num">
                  {id}: served / chance best
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((day) => (
              <tr key={day.day} data-day={day.day}>
                <td>{day.day}</td>
                {day.arms.map((arm) => (
                  <td key={arm.id} className="num" data-offer={arm.id}>
                    {num(arm.impressions)} ({pct(arm.share)}) / {pct(arm.chanceBest)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/**
 * Stop and delete. A running experiment is stopped first (its people keep what they were
 * served, nobody new is assigned); deleting it while it runs is refused here, because the
 * placement or journey it steers would change what it serves mid-test. Deleting keeps the
 * exposure events in the log, so a new experiment under the same id starts with them.
 */
function ExperimentControls(props: { experiment: Experiment; onChange: (deleted: boolean) => void }) {
  const { experiment } = props;
  const [error, setError] = useState<unknown>();
  const running = experiment.status === 'running';
  async function stop() {
    if (!window.confirm(`Stop “${experiment.name}”? Nobody new is assigned an arm; the results stay.`))
      return;
    setError(undefined);
    try {
      await api.saveExperiment({ ...experiment, status: 'stopped' });
      props.onChange(false);
    } catch (e) {
      setError(e);
    }
  }
  async function remove() {
    if (
      !window.confirm(
        `Delete “${experiment.name}”? Its definition and results page go; the exposure events stay in the log.`,
      )
    )
      return;
    setError(undefined);
    try {
      await api.deleteExperiment(experiment.id);
      props.onChange(true);
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Can needs="marketing:write">
      <div className="row">
        {running ? (
          <button type="button" onClick={() => void stop()}>
            Stop experiment
          </button>
        ) : null}
        <button
          type="button"
          className="danger"
          disabled={running}
          aria-describedby={running ? 'delete-running-note' : undefined}
          onClick={() => void remove()}
        >
          Delete experiment
        </button>
        {running ? (
          <span className="small muted" id="delete-running-note">
            A running experiment cannot be deleted: stop it first, so what it steers does not change mid-test.
          </span>
        ) : null}
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </Can>
  );
}

export default function Experiments() {
  const list = useApi(() => api.experiments(), []);
  const [selected, setSelected] = useState<string>();
  const items = list.data?.items ?? [];
  useEffect(() => {
    if ((!selected || !items.some((item) => item.id === selected)) && items[0]) setSelected(items[0].id);
  }, [items, selected]);
  const experiment = items.find((item) => item.id === selected);
  return (
    <>
      <PageHeader title="Experiments" />
      <div className="grid">
        <Card title="Results" id="results" wide>
          {!list.data ? <LoadStatus state={list} /> : null}
          {list.data && items.length === 0 ? (
            <Empty title="No experiments yet">
              <p>
                Define one below: its arms, the metric that decides, and the guardrails that must not suffer.
              </p>
            </Empty>
          ) : null}
          {items.length > 0 ? (
            <>
              <label htmlFor="experiment-select">Experiment</label>
              <select
                id="experiment-select"
                value={selected ?? ''}
                onChange={(e) => setSelected(e.target.value)}
              >
                {items.map((item) => (
                  <option key={item.id} value={item.id}>
                    {item.name} ({item.status})
                  </option>
                ))}
              </select>
            </>
          ) : null}
          {experiment ? (
            <>
              <p className="small">
                <em>{experiment.hypothesis || 'No hypothesis written.'}</em> Owner: {experiment.owner || '–'}.
                Arms: {experiment.arms.map((arm) => `${arm.name} ${pct(arm.weight, 0)}`).join(', ')}.
              </p>
              <ExperimentControls
                experiment={experiment}
                onChange={(deleted) => {
                  if (deleted) setSelected(undefined);
                  list.reload();
                }}
              />
              <Results experiment={experiment} />
            </>
          ) : null}
        </Card>
        <ProgrammeLiftCard />
        <BanditCard />
        <CompareCounts />
        <NewExperiment
          onSaved={(id) => {
            setSelected(id);
            list.reload();
          }}
        />
      </div>
    </>
  );
}
