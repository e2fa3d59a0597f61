// The assumption audit (docs/assumption-audit.md): beliefs about the customers written with
// pickers, each tested against the data with an interval and a verdict, and the flips recorded as
// data arrives. The types are the server's own (src/audit/model.ts).
import { type FormEvent, useState } from 'react';
import type { Belief, Claim, Condition, Flip } from '../../../src/audit/types.ts';
import type { PersonaFit } from '../../../src/personas/model.ts';
import { Can } from '../access.tsx';
import { request } from '../api.ts';
import { Card, Empty, ErrorNote, Loading, PageHeader, Stat } from '../components/ui.tsx';
import { num, when } from '../format.ts';
import { useApi } from '../hooks.ts';

type SelfComparison = {
  people: number;
  features: Array<{ name: string; label: string; yours: number; median: number; below: number; sd: number }>;
  distance: number;
  fartherThan: number;
};

/** The behaviour the personas are fitted on, as the marketer would describe it of themselves. */
const SELF_FEATURES = [
  { name: 'recency_days', label: 'Days since you last bought or visited' },
  { name: 'orders', label: 'Orders you placed' },
  { name: 'revenue', label: 'Money you spent' },
  { name: 'views', label: 'Pages and products you viewed' },
  { name: 'email_engagement', label: 'Emails you opened or clicked' },
  { name: 'active_days', label: 'Days you were active' },
];

/** "My own persona": describe yourself as a customer, see where you sit among the real ones. */
function OwnPersona() {
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<SelfComparison>();
  const [error, setError] = useState<unknown>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      const filled = Object.fromEntries(
        Object.entries(values)
          .filter(([, v]) => v.trim() !== '')
          .map(([k, v]) => [k, Number(v)]),
      );
      setResult(await beliefsApi.self(filled));
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Card title="My own persona">
      <p className="small muted">
        Describe yourself as if you were one of your customers (over the same period). A field left empty is
        taken as the customers' middle value.
      </p>
      <form onSubmit={submit} aria-label="Describe yourself">
        {SELF_FEATURES.map((f) => (
          <span key={f.name}>
            <label htmlFor={`self-${f.name}`}>{f.label}</label>
            <input
              id={`self-${f.name}`}
              type="number"
              min="0"
              step="any"
              value={values[f.name] ?? ''}
              onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
            />
          </span>
        ))}
        <button type="submit">Compare me with the customers</button>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      {result ? (
        <>
          <p role="status">
            You are farther from the typical customer than {percent(result.fartherThan)} of your{' '}
            {num(result.people)} customers.
          </p>
          <table>
            <caption className="small muted">Point by point: you against the customers</caption>
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">You</th>
                <th scope="col">Typical customer (median)</th>
                <th scope="col">Customers below you</th>
              </tr>
            </thead>
            <tbody>
              {result.features.map((f) => (
                <tr key={f.name}>
                  <td>{f.label}</td>
                  <td>{num(f.yours)}</td>
                  <td>{num(f.median)}</td>
                  <td>{percent(f.below)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </Card>
  );
}

type FlipOf = Flip & { beliefId: string; statement: string };
type Verdict = NonNullable<Belief['result']>['verdict'];

const beliefsApi = {
  list: () => request<{ beliefs: Belief[]; flips: FlipOf[] }>('GET', '/api/beliefs'),
  vocabulary: () => request<{ events: string[]; traits: string[] }>('GET', '/api/beliefs/vocabulary'),
  personas: () => request<PersonaFit>('GET', '/api/personas').catch(() => undefined),
  create: (body: { statement: string; claim: Claim }) => request<Belief>('POST', '/api/beliefs', { body }),
  remove: (id: string) => request<null>('DELETE', `/api/beliefs/${encodeURIComponent(id)}`),
  self: (values: Record<string, number>) =>
    request<SelfComparison>('POST', '/api/beliefs/self', { body: { values } }),
  testAll: () => request<{ beliefs: Belief[]; flipped: FlipOf[] }>('POST', '/api/beliefs/test'),
};

const VERDICT_WORDS: Record<Verdict, string> = {
  supported: 'Supported',
  contradicted: 'Contradicted',
  not_enough_data: 'Not enough data',
};
const VERDICT_CLASS: Record<Verdict, string> = {
  supported: 'live',
  contradicted: 'failed',
  not_enough_data: 'paused',
};

const percent = (share: number | null | undefined) =>
  share === null || share === undefined || Number.isNaN(share) ? '—' : `${(share * 100).toFixed(1)}%`;

interface Vocabulary {
  events: string[];
  traits: string[];
  personas: Array<{ id: string; name: string }>;
}

type ClaimKind = Claim['kind'];

type PickerKind = 'everyone' | 'trait' | 'event' | 'followed_by' | 'persona';

/** One condition, picked: a trait compared with a value, an event, one event then another, a persona. */
function ConditionPicker(props: {
  id: string;
  legend: string;
  allowEveryone?: boolean;
  vocabulary: Vocabulary;
  onChange: (condition: Condition | undefined) => void;
}) {
  const { id, vocabulary } = props;
  const [kind, setKind] = useState<PickerKind>(props.allowEveryone ? 'everyone' : 'event');
  const [trait, setTrait] = useState('');
  const [op, setOp] = useState<'equals' | 'not_equals' | 'at_least' | 'at_most' | 'is_set'>('equals');
  const [value, setValue] = useState('');
  const [event, setEvent] = useState('');
  const [property, setProperty] = useState('');
  const [propertyValue, setPropertyValue] = useState('');
  const [next, setNext] = useState('');
  const [nextProperty, setNextProperty] = useState('');
  const [nextValue, setNextValue] = useState('');
  const [days, setDays] = useState('30');
  const [persona, setPersona] = useState('');

  const ref = (name: string, prop: string, val: string) =>
    prop.trim() ? { event: name, property: prop.trim(), value: val } : { event: name };
  function build(state: Record<string, string>): Condition | undefined {
    const s = {
      kind,
      trait,
      op,
      value,
      event,
      property,
      propertyValue,
      next,
      nextProperty,
      nextValue,
      days,
      persona,
      ...state,
    };
    if (s.kind === 'everyone') return undefined;
    if (s.kind === 'trait') {
      const numeric = s.op === 'at_least' || s.op === 'at_most';
      return {
        kind: 'trait',
        trait: s.trait,
        op: s.op as typeof op,
        ...(s.op === 'is_set' ? {} : { value: numeric ? Number(s.value) : s.value }),
      };
    }
    if (s.kind === 'persona') return { kind: 'persona', persona: s.persona };
    if (s.kind === 'event') return { kind: 'event', ...ref(s.event, s.property, s.propertyValue) };
    return {
      kind: 'followed_by',
      first: ref(s.event, s.property, s.propertyValue),
      next: ref(s.next, s.nextProperty, s.nextValue),
      withinDays: Number(s.days),
    };
  }
  /** Sets one field and tells the form the condition it makes now. */
  const update = (setter: (v: string) => void, field: string) => (v: string) => {
    setter(v);
    props.onChange(build({ [field]: v }));
  };
  const eventSelect = (selectId: string, label: string, current: string, onPick: (v: string) => void) => (
    <>
      <label htmlFor={selectId}>{label}</label>
      <select id={selectId} value={current} onChange={(e) => onPick(e.target.value)}>
        <option value="">Choose an event…</option>
        {vocabulary.events.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </>
  );
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      <label htmlFor={`${id}-kind`}>Kind</label>
      <select
        id={`${id}-kind`}
        value={kind}
        onChange={(e) => update((v) => setKind(v as PickerKind), 'kind')(e.target.value)}
      >
        {props.allowEveryone ? <option value="everyone">Everyone</option> : null}
        <option value="event">Did an event</option>
        <option value="followed_by">Did one event, then another within some days</option>
        <option value="trait">Has a trait</option>
        {vocabulary.personas.length > 0 ? <option value="persona">Is in a persona</option> : null}
      </select>
      {kind === 'trait' ? (
        <>
          <label htmlFor={`${id}-trait`}>Trait</label>
          <select
            id={`${id}-trait`}
            value={trait}
            onChange={(e) => update(setTrait, 'trait')(e.target.value)}
          >
            <option value="">Choose a trait…</option>
            {vocabulary.traits.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-op`}>Is</label>
          <select
            id={`${id}-op`}
            value={op}
            onChange={(e) => update((v) => setOp(v as typeof op), 'op')(e.target.value)}
          >
            <option value="equals">equal to</option>
            <option value="not_equals">not equal to</option>
            <option value="at_least">at least</option>
            <option value="at_most">at most</option>
            <option value="is_set">known (any value)</option>
          </select>
          {op === 'is_set' ? null : (
            <>
              <label htmlFor={`${id}-value`}>Value</label>
              <input
                id={`${id}-value`}
                value={value}
                onChange={(e) => update(setValue, 'value')(e.target.value)}
              />
            </>
          )}
        </>
      ) : null}
      {kind === 'persona' ? (
        <>
          <label htmlFor={`${id}-persona`}>Persona</label>
          <select
            id={`${id}-persona`}
            value={persona}
            onChange={(e) => update(setPersona, 'persona')(e.target.value)}
          >
            <option value="">Choose a persona…</option>
            {vocabulary.personas.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </>
      ) : null}
      {kind === 'event' || kind === 'followed_by' ? (
        <>
          {eventSelect(
            `${id}-event`,
            kind === 'event' ? 'Event' : 'First event',
            event,
            update(setEvent, 'event'),
          )}
          <label htmlFor={`${id}-property`}>Only when this property (optional)</label>
          <input
            id={`${id}-property`}
            value={property}
            placeholder="product_id"
            onChange={(e) => update(setProperty, 'property')(e.target.value)}
          />
          {property.trim() ? (
            <>
              <label htmlFor={`${id}-property-value`}>is</label>
              <input
                id={`${id}-property-value`}
                value={propertyValue}
                onChange={(e) => update(setPropertyValue, 'propertyValue')(e.target.value)}
              />
            </>
          ) : null}
        </>
      ) : null}
      {kind === 'followed_by' ? (
        <>
          {eventSelect(`${id}-next`, 'Then this event', next, update(setNext, 'next'))}
          <label htmlFor={`${id}-next-property`}>Only when the second event's property (optional)</label>
          <input
            id={`${id}-next-property`}
            value={nextProperty}
            placeholder="product_id"
            onChange={(e) => update(setNextProperty, 'nextProperty')(e.target.value)}
          />
          {nextProperty.trim() ? (
            <>
              <label htmlFor={`${id}-next-value`}>The second event's property is</label>
              <input
                id={`${id}-next-value`}
                value={nextValue}
                onChange={(e) => update(setNextValue, 'nextValue')(e.target.value)}
              />
            </>
          ) : null}
          <label htmlFor={`${id}-days`}>Within (days)</label>
          <input
            id={`${id}-days`}
            type="number"
            min="1"
            value={days}
            onChange={(e) => update(setDays, 'days')(e.target.value)}
          />
        </>
      ) : null}
    </fieldset>
  );
}

function BeliefForm(props: { vocabulary: Vocabulary; onSaved: () => void }) {
  const { vocabulary } = props;
  const [statement, setStatement] = useState('');
  const [kind, setKind] = useState<ClaimKind>('share');
  const [channel, setChannel] = useState<'email' | 'sms' | 'push' | 'webhook'>('email');
  const [by, setBy] = useState<'engagement' | 'conversion'>('engagement');
  const [persona, setPersona] = useState('');
  const [among, setAmong] = useState<Condition>();
  const [have, setHave] = useState<Condition>();
  const [group, setGroup] = useState<Condition>();
  const [direction, setDirection] = useState('at_least');
  const [amount, setAmount] = useState('50');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const share = Number(amount) / 100;
      const claim: Claim =
        kind === 'preferred_channel'
          ? { kind, among: among ? [among] : [], channel, by }
          : kind === 'most_valuable_persona'
            ? { kind, among: among ? [among] : [], persona }
            : kind === 'share'
              ? {
                  kind: 'share',
                  among: among ? [among] : [],
                  have: have ?? { kind: 'event', event: '' },
                  direction: direction === 'at_most' ? 'at_most' : 'at_least',
                  share,
                }
              : {
                  kind: 'difference',
                  among: among ? [among] : [],
                  group: group ?? { kind: 'event', event: '' },
                  outcome: have ?? { kind: 'event', event: '' },
                  direction: direction === 'less' ? 'less' : 'more',
                  margin: share,
                };
      await beliefsApi.create({ statement, claim });
      setStatement('');
      props.onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} aria-label="Write a belief">
      <label htmlFor="belief-statement">The belief, in your words</label>
      <input
        id="belief-statement"
        value={statement}
        placeholder="Most printer buyers come back for ink within a month"
        onChange={(e) => setStatement(e.target.value)}
      />
      <label htmlFor="belief-kind">It is about</label>
      <select
        id="belief-kind"
        value={kind}
        onChange={(e) => {
          setKind(e.target.value as ClaimKind);
          setDirection(e.target.value === 'share' ? 'at_least' : 'more');
          setAmount(e.target.value === 'share' ? '50' : '0');
        }}
      >
        <option value="share">How many people have something (a share)</option>
        <option value="difference">One group against the rest (a difference)</option>
        <option value="preferred_channel">The channel they prefer</option>
        <option value="most_valuable_persona">Our most valuable persona</option>
      </select>
      <ConditionPicker
        id="among"
        legend="Who it is about"
        allowEveryone
        vocabulary={vocabulary}
        onChange={setAmong}
      />
      {kind === 'preferred_channel' ? (
        <>
          <label htmlFor="belief-channel">The channel they prefer</label>
          <select
            id="belief-channel"
            value={channel}
            onChange={(e) => setChannel(e.target.value as typeof channel)}
          >
            <option value="email">email</option>
            <option value="sms">SMS</option>
            <option value="push">push</option>
            <option value="webhook">webhook</option>
          </select>
          <label htmlFor="belief-by">Measured by</label>
          <select id="belief-by" value={by} onChange={(e) => setBy(e.target.value as typeof by)}>
            <option value="engagement">what they open and click (per message)</option>
            <option value="conversion">buying within 7 days of engaging</option>
          </select>
        </>
      ) : null}
      {kind === 'most_valuable_persona' ? (
        <>
          <label htmlFor="belief-persona">The persona</label>
          <select id="belief-persona" value={persona} onChange={(e) => setPersona(e.target.value)}>
            <option value="">Choose a persona…</option>
            {vocabulary.personas.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </>
      ) : null}
      {kind === 'difference' ? (
        <ConditionPicker id="group" legend="The group" vocabulary={vocabulary} onChange={setGroup} />
      ) : null}
      {kind === 'share' || kind === 'difference' ? (
        <ConditionPicker
          id="have"
          legend={kind === 'share' ? 'What they have or did' : 'The outcome compared'}
          vocabulary={vocabulary}
          onChange={setHave}
        />
      ) : null}
      {kind === 'share' || kind === 'difference' ? (
        <>
          <label htmlFor="belief-direction">{kind === 'share' ? 'The share is' : 'The group is'}</label>
          <select id="belief-direction" value={direction} onChange={(e) => setDirection(e.target.value)}>
            {kind === 'share' ? (
              <>
                <option value="at_least">at least</option>
                <option value="at_most">at most</option>
              </>
            ) : (
              <>
                <option value="more">more likely than the rest, by at least</option>
                <option value="less">less likely than the rest, by at least</option>
              </>
            )}
          </select>
          <label htmlFor="belief-amount">{kind === 'share' ? 'Percent of them' : 'Percentage points'}</label>
          <input
            id="belief-amount"
            type="number"
            min="0"
            max="100"
            step="any"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
        </>
      ) : null}
      <button type="submit" className="primary" disabled={busy || !statement.trim()}>
        {busy ? 'Testing…' : 'Test this belief'}
      </button>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

function BeliefCard(props: { belief: Belief; onRemoved: () => void }) {
  const { belief } = props;
  const result = belief.result;
  const [error, setError] = useState<unknown>();
  return (
    <Card title={belief.statement}>
      <div className="belief" data-belief={belief.id}>
        {result ? (
          <>
            <p>
              <span className={`badge ${VERDICT_CLASS[result.verdict]}`}>
                {VERDICT_WORDS[result.verdict]}
              </span>{' '}
              {belief.claim.kind === 'share' || belief.claim.kind === 'difference' ? (
                <>
                  <strong>{percent(result.estimate)}</strong>{' '}
                  <span className="muted">
                    (95% interval {percent(result.low)} to {percent(result.high)}; believed{' '}
                    {belief.claim.kind === 'share'
                      ? `${belief.claim.direction === 'at_least' ? 'at least' : 'at most'} ${percent(result.threshold)}`
                      : `${belief.claim.direction} by at least ${percent(result.threshold)}`}
                    )
                  </span>
                </>
              ) : result.rival ? (
                <span className="muted">against the closest rival, {result.rival}</span>
              ) : null}
            </p>
            {result.rivals && result.rivals.length > 0 ? (
              <table className="small">
                <caption className="muted">
                  {belief.claim.kind === 'most_valuable_persona'
                    ? 'Revenue per person, by persona'
                    : 'Per person, by channel'}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">
                      {belief.claim.kind === 'most_valuable_persona' ? 'Persona' : 'Channel'}
                    </th>
                    <th scope="col">People</th>
                    <th scope="col">Figure (95% interval)</th>
                  </tr>
                </thead>
                <tbody>
                  {result.rivals.map((g) => (
                    <tr key={g.name}>
                      <td>{g.name}</td>
                      <td>{num(g.people)}</td>
                      <td>
                        {belief.claim.kind === 'most_valuable_persona'
                          ? `${(g.value ?? 0).toFixed(2)} (${(g.low ?? 0).toFixed(2)} to ${(g.high ?? 0).toFixed(2)})`
                          : `${percent(g.value)} (${percent(g.low)} to ${percent(g.high)})`}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
            <p className="small">{result.evidence}</p>
            {result.peopleToSettle ? (
              <p className="small muted">
                About {num(result.peopleToSettle)} people
                {belief.claim.kind === 'difference' ? ' in each group' : ''} would settle it, if the share
                stays where it is.
              </p>
            ) : null}
            <p className="small muted">Tested {when(result.testedAt)}</p>
          </>
        ) : (
          <p className="muted">Not tested yet.</p>
        )}
        {belief.flips.length > 0 ? (
          <ul aria-label={`How "${belief.statement}" changed`} className="small">
            {belief.flips.map((f) => (
              <li key={f.at}>
                {when(f.at)}: {VERDICT_WORDS[f.from]} → {VERDICT_WORDS[f.to]} ({percent(f.estimate)} of{' '}
                {num(f.people)})
              </li>
            ))}
          </ul>
        ) : null}
        <Can needs="marketing:write">
          <button
            type="button"
            onClick={() => beliefsApi.remove(belief.id).then(props.onRemoved, setError)}
            aria-label={`Forget "${belief.statement}"`}
          >
            Forget
          </button>
        </Can>
        {error ? <ErrorNote error={error} /> : null}
      </div>
    </Card>
  );
}

export default function Beliefs() {
  const [tick, setTick] = useState(0);
  const list = useApi(beliefsApi.list, [tick]);
  const vocabulary = useApi(async (): Promise<Vocabulary> => {
    const [words, fit] = await Promise.all([beliefsApi.vocabulary(), beliefsApi.personas()]);
    return { ...words, personas: fit?.personas.map((p) => ({ id: p.id, name: p.name })) ?? [] };
  }, []);
  const [testing, setTesting] = useState(false);
  const [flipped, setFlipped] = useState<FlipOf[]>();
  const [error, setError] = useState<unknown>();
  const refresh = () => setTick((n) => n + 1);
  async function testAll() {
    setTesting(true);
    setError(undefined);
    try {
      setFlipped((await beliefsApi.testAll()).flipped);
      refresh();
    } catch (e) {
      setError(e);
    } finally {
      setTesting(false);
    }
  }
  const beliefs = list.data?.beliefs ?? [];
  const count = (verdict: Verdict) => beliefs.filter((b) => b.result?.verdict === verdict).length;
  return (
    <>
      <PageHeader title="Assumption audit">
        <Can needs="marketing:write">
          <button type="button" onClick={() => void testAll()} disabled={testing}>
            {testing ? 'Testing…' : 'Test every belief again'}
          </button>
        </Can>
      </PageHeader>
      <p className="muted">
        What we believe about our customers, tested against what they did: each belief gets an interval and a
        verdict, and a belief whose verdict changes as data arrives is recorded below
        (docs/assumption-audit.md).
      </p>
      {error ? <ErrorNote error={error} /> : null}
      {flipped ? (
        <p role="status">
          {flipped.length === 0
            ? 'Tested again: no belief changed its verdict.'
            : `Tested again: ${flipped.length} belief${flipped.length > 1 ? 's' : ''} changed verdict.`}
        </p>
      ) : null}
      {list.loading && !list.data ? <Loading what="beliefs" /> : null}
      {list.error ? <ErrorNote error={list.error} /> : null}
      {list.data ? (
        <div className="stats">
          <Stat label="Beliefs" value={beliefs.length} />
          <Stat label="Supported" value={count('supported')} />
          <Stat label="Contradicted" value={count('contradicted')} />
          <Stat label="Not enough data" value={count('not_enough_data')} />
        </div>
      ) : null}
      {list.data && beliefs.length === 0 ? (
        <Empty title="No beliefs yet">Write one below: who it is about, what they have, and how many.</Empty>
      ) : null}
      <div className="grid">
        {beliefs.map((belief) => (
          <BeliefCard key={belief.id} belief={belief} onRemoved={refresh} />
        ))}
      </div>
      {list.data && list.data.flips.length > 0 ? (
        <Card title="Changes of verdict">
          <table>
            <caption className="small muted">Every time a belief's verdict changed, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Belief</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Estimate</th>
              </tr>
            </thead>
            <tbody>
              {list.data.flips.map((f) => (
                <tr key={`${f.beliefId}-${f.at}`}>
                  <td>{when(f.at)}</td>
                  <td>{f.statement}</td>
                  <td>{VERDICT_WORDS[f.from]}</td>
                  <td>{VERDICT_WORDS[f.to]}</td>
                  <td>
                    {percent(f.estimate)} of {num(f.people)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
      <OwnPersona />
      <Can needs="marketing:write">
        <Card title="Write a belief">
          {vocabulary.data ? (
            // A fresh form after each belief: no picker keeps the last belief's choices.
            <BeliefForm key={tick} vocabulary={vocabulary.data} onSaved={refresh} />
          ) : vocabulary.error ? (
            <ErrorNote error={vocabulary.error} />
          ) : (
            <Loading what="the events and traits" />
          )}
        </Card>
      </Can>
    </>
  );
}
