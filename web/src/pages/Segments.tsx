import { type FormEvent, lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { Can } from '../access.tsx';
import {
  api,
  type MembershipPoint,
  type Preview,
  type RuleExplanation,
  type Segment,
  type SegmentWhy,
} from '../api.ts';
import { ConditionEditor } from '../components/ConditionEditor.tsx';
import { MembersCsvButton } from '../components/Downloads.tsx';
import { PersonLink, personLabel } from '../components/PersonLink.tsx';
import { blank, type Condition, combine, fromRule } from '../components/rule-form.ts';
import { Card, Empty, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { num, when } from '../format.ts';
import { isNotFound, useApi } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';

/**
 * Builds a new segment, or edits a saved one (`editing`): a saved rule opens in the condition
 * forms when every part fits one (fromRule), else in its text form, which the server prints
 * from the rule, so every rule it can hold can be edited.
 */
function Builder(props: { onSaved: () => void; editing?: Segment; onCancel?: () => void }) {
  const { editing } = props;
  // A saved rule opens in the forms when every part of it fits one, else as text.
  const [opened] = useState(() => (editing ? fromRule(editing.rule) : null));
  const [conditions, setConditions] = useState<Condition[]>(opened?.conditions ?? [blank()]);
  const [all, setAll] = useState(opened?.all ?? true);
  const [mode, setMode] = useState<'form' | 'text'>(editing && !opened ? 'text' : 'form');
  const [text, setText] = useState(editing?.text ?? '');
  const [preview, setPreview] = useState<Preview>();
  const [previewError, setPreviewError] = useState<unknown>();
  const [pending, setPending] = useState(false);
  const [name, setName] = useState(editing?.name ?? '');
  const [saveError, setSaveError] = useState<unknown>();
  const rule = useMemo(() => combine(conditions, all), [conditions, all]);
  const body = mode === 'form' ? { rule } : { text };
  const key = JSON.stringify(body);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for body
  useEffect(() => {
    let current = true;
    setPending(true);
    const timer = setTimeout(() => {
      api.preview(body, 10).then(
        (answer) => {
          if (!current) return;
          setPreview(answer);
          setPreviewError(undefined);
          setPending(false);
          if (mode === 'form') setText(answer.text);
        },
        (e) => {
          if (!current) return;
          setPreviewError(e);
          setPending(false);
        },
      );
    }, 350);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key]);
  async function save(event: FormEvent) {
    event.preventDefault();
    setSaveError(undefined);
    try {
      if (editing) {
        await api.updateSegment(editing.id, { name, ...body });
        props.onSaved();
        return;
      }
      const created = await api.createSegment({ name, ...body });
      props.onSaved();
      navigate(`/segments/${encodeURIComponent(created.id)}`);
    } catch (e) {
      setSaveError(e);
    }
  }
  return (
    <Card title={editing ? `Edit “${editing.name}”` : 'Build a segment'} id="builder" wide>
      <div className="builder">
        <div>
          <div className="row">
            <div>
              <label htmlFor="combine">People who match</label>
              <select
                id="combine"
                value={all ? 'all' : 'any'}
                onChange={(e) => setAll(e.target.value === 'all')}
                disabled={mode === 'text'}
              >
                <option value="all">all of these</option>
                <option value="any">any of these</option>
              </select>
            </div>
          </div>
          <fieldset disabled={mode === 'text'} style={{ border: 0, padding: 0, margin: '0.5rem 0 0' }}>
            {conditions.map((c, i) => (
              <ConditionEditor
                // biome-ignore lint/suspicious/noArrayIndexKey: conditions are edited in place by position
                key={i}
                index={i}
                value={c}
                onChange={(next) => setConditions(conditions.map((old, j) => (j === i ? next : old)))}
                {...(conditions.length > 1
                  ? { onRemove: () => setConditions(conditions.filter((_, j) => j !== i)) }
                  : {})}
              />
            ))}
            <button type="button" onClick={() => setConditions([...conditions, blank('trait')])}>
              + Add condition
            </button>
          </fieldset>
        </div>
        <div>
          <label htmlFor="rule-text">Rule as text (edit to write it yourself)</label>
          <textarea
            id="rule-text"
            rows={6}
            value={text}
            onChange={(e) => {
              setMode('text');
              setText(e.target.value);
            }}
          />
          {mode === 'text' ? (
            <button type="button" onClick={() => setMode('form')}>
              Back to the form
            </button>
          ) : null}
          <div aria-live="polite" style={{ marginTop: '0.75rem' }}>
            {previewError ? <ErrorNote error={previewError} /> : null}
            {preview && !previewError ? (
              <>
                <p>
                  <span className="stat-value" data-testid="preview-size">
                    {num(preview.size)}
                  </span>{' '}
                  people match now{pending ? ' (updating…)' : ''}
                </p>
                {preview.sample.length > 0 ? (
                  <>
                    <h3>Sample members</h3>
                    <ul className="small" data-testid="preview-sample">
                      {preview.sample.map((id) => (
                        <li key={id}>
                          <PersonLink profileId={id} />
                        </li>
                      ))}
                    </ul>
                  </>
                ) : null}
              </>
            ) : null}
          </div>
        </div>
      </div>
      <form onSubmit={save} className="row" style={{ marginTop: '0.75rem' }}>
        <div>
          <label htmlFor="segment-name">Segment name</label>
          <input id="segment-name" value={name} onChange={(e) => setName(e.target.value)} required />
        </div>
        <Can needs="marketing:write">
          <button type="submit" className="primary" disabled={!name.trim() || Boolean(previewError)}>
            {editing ? 'Save changes' : 'Save segment'}
          </button>
        </Can>
        {props.onCancel ? (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
      </form>
      {saveError ? <ErrorNote error={saveError} /> : null}
    </Card>
  );
}

const Chart = lazy(() => import('../components/Chart.tsx'));

/** "120 → 135 (+15)": the change over the points, for the sparkline's text alternative. */
function trendText(points: MembershipPoint[]): string {
  const first = points[0]?.size ?? 0;
  const last = points.at(-1)?.size ?? 0;
  const change = last - first;
  return `${num(first)} → ${num(last)} (${change >= 0 ? '+' : ''}${num(change)})`;
}

/** A small line of the daily sizes: plain SVG, no chart library for a table cell. */
function Sparkline(props: { points: MembershipPoint[] }) {
  const sizes = props.points.map((p) => p.size);
  const max = Math.max(1, ...sizes);
  const min = Math.min(...sizes);
  const span = Math.max(1, max - min);
  const width = 80;
  const height = 20;
  const step = sizes.length > 1 ? width / (sizes.length - 1) : width;
  const line = sizes.map(
    (v, i) => `${(i * step).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`,
  );
  const label = `Last ${props.points.length} days: ${trendText(props.points)}`;
  return (
    <span className="sparkline" title={label}>
      <svg width={width} height={height} role="img" aria-label={label}>
        <polyline points={line.join(' ')} fill="none" stroke="currentColor" strokeWidth="1.5" />
      </svg>{' '}
      <span className="small muted">{trendText(props.points).replace(/^.* \(/, '(')}</span>
    </span>
  );
}

function MembershipChart(props: { points: MembershipPoint[] }) {
  const { points } = props;
  const label = `Membership over time, the last ${points.length} days: ${trendText(points)}. ${points
    .filter((p) => p.joined > 0 || p.left > 0)
    .map((p) => `${p.day}: ${num(p.size)} members, ${num(p.joined)} joined, ${num(p.left)} left`)
    .join('; ')}`;
  return (
    <Suspense fallback={<Loading />}>
      <Chart
        label={label}
        height={240}
        option={{
          tooltip: { trigger: 'axis' },
          legend: { top: 0, data: ['Members', 'Joined', 'Left'] },
          grid: { left: 48, right: 16, top: 40, bottom: 28 },
          xAxis: { type: 'category', data: points.map((p) => p.day.slice(5)) },
          yAxis: { type: 'value', minInterval: 1 },
          series: [
            {
              name: 'Members',
              type: 'line',
              data: points.map((p) => p.size),
              showSymbol: false,
              color: '#1f5fbf',
            },
            { name: 'Joined', type: 'bar', data: points.map((p) => p.joined), color: '#2e7d4f' },
            { name: 'Left', type: 'bar', data: points.map((p) => -p.left), color: '#b3261e' },
          ],
        }}
      />
    </Suspense>
  );
}

function History(props: { id: string }) {
  const [days, setDays] = useState(30);
  const history = useApi(() => api.segmentHistory(props.id, days), [props.id, days]);
  return (
    <>
      <div className="row">
        <div>
          <label htmlFor="history-days">Days</label>
          <select id="history-days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {[7, 30, 90, 365].map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </div>
      </div>
      {history.error ? <ErrorNote error={history.error} /> : null}
      {history.data ? (
        history.data.points.every((p) => p.size === 0 && p.joined === 0 && p.left === 0) ? (
          <p className="muted">
            Nobody has been in this segment in the last {days} days. Membership is recorded from the moment
            the segment is built; people join and leave as their events arrive.
          </p>
        ) : (
          <MembershipChart points={history.data.points} />
        )
      ) : (
        <Loading />
      )}
      <p className="muted small">
        Size at the end of each UTC day; bars: people who joined (up) and left (down).
      </p>
    </>
  );
}

function List() {
  const list = useApi(() => api.segmentsWithTrend(7), []);
  return (
    <>
      <PageHeader title="Segments" />
      <div className="grid">
        <Card title="Segments" id="list" wide>
          {list.error ? <ErrorNote error={list.error} /> : null}
          {!list.data && !list.error ? <Loading /> : null}
          {list.data && list.data.segments.length === 0 ? (
            <Empty title="No segments yet">
              <p>
                Build one below: pick conditions, watch the size update, and save it. It stays up to date as
                events arrive.
              </p>
            </Empty>
          ) : null}
          {list.data && list.data.segments.length > 0 ? (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Segment</th>
                    <th>Rule</th>
                    <th>Status</th>
                    <th className="num">Members</th>
                    <th>Last 7 days</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.segments.map((s) => (
                    <tr key={s.id}>
                      <td>
                        <Link href={`/segments/${encodeURIComponent(s.id)}`}>{s.name}</Link>
                      </td>
                      <td className="small">
                        <code>{s.text}</code>
                      </td>
                      <td>
                        <span className={`badge ${s.status}`}>{s.status}</span>
                      </td>
                      <td className="num">{num(s.size)}</td>
                      <td>
                        <Sparkline points={s.trend} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </Card>
        <Builder onSaved={list.reload} />
      </div>
    </>
  );
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(', ');
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** Values a condition looked at, as "count: 3 · value: pro". */
function observedText(observed: Record<string, unknown> | undefined): string {
  if (!observed) return '';
  return Object.entries(observed)
    .map(([key, value]) => `${key}: ${shown(value)}`)
    .join(' · ');
}

function ExplanationTree(props: { node: RuleExplanation }) {
  const { node } = props;
  const seen = observedText(node.observed);
  return (
    <li data-testid="why-condition" data-holds={node.holds ? 'yes' : 'no'}>
      <span className={`badge ${node.holds ? 'live' : 'failed'}`}>
        {node.holds ? '✓ holds' : '✗ does not hold'}
      </span>{' '}
      <code>{node.rule}</code>
      {seen ? <span className="small muted"> ({seen})</span> : null}
      {node.children ? (
        <ul>
          {node.children.map((child) => (
            <ExplanationTree key={child.path} node={child} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** "Why is this person in or out": find them by name, email or id, then the rule node by node. */
function WhyPerson(props: { segmentId: string; version: number }) {
  const [query, setQuery] = useState('');
  const [answer, setAnswer] = useState<{ who: string; why: SegmentWhy }>();
  const [note, setNote] = useState<string>();
  const [error, setError] = useState<unknown>();
  // A changed rule (a new version) makes the last answer stale.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the version is the trigger
  useEffect(() => setAnswer(undefined), [props.version]);
  async function explain(event: FormEvent) {
    event.preventDefault();
    setAnswer(undefined);
    setNote(undefined);
    setError(undefined);
    const wanted = query.trim();
    try {
      const page = await api.profiles({ q: wanted, limit: 5 });
      const person = page.items.find((p) => p.profileId === wanted) ?? page.items[0];
      if (!person) {
        setNote(`No one found for “${wanted}”. Try a name, an email or a profile id.`);
        return;
      }
      const why = await api.why(props.segmentId, person.profileId);
      setAnswer({ who: personLabel(person.traits) ?? person.profileId, why });
      if (page.items.length > 1)
        setNote(
          `${page.items.length} people match “${wanted}”; showing the first. Use an email or id to pick.`,
        );
    } catch (e) {
      setError(e);
    }
  }
  return (
    <>
      <form onSubmit={explain} className="row">
        <div>
          <label htmlFor="why-person">Person (name, email or profile id)</label>
          <input id="why-person" value={query} onChange={(e) => setQuery(e.target.value)} required />
        </div>
        <button type="submit" disabled={!query.trim()}>
          Explain
        </button>
      </form>
      {note ? <p className="muted small">{note}</p> : null}
      {error ? <ErrorNote error={error} /> : null}
      {answer ? (
        <div aria-live="polite" data-testid="why-answer">
          <p data-testid="why-verdict">
            <PersonLink profileId={answer.why.profileId} /> ({answer.who}) is{' '}
            <strong>{answer.why.member ? 'in' : 'not in'}</strong> this segment
            {answer.why.member && answer.why.since ? ` since ${when(answer.why.since)}` : ''}.
          </p>
          <ul className="why-tree">
            <ExplanationTree node={answer.why.explanation} />
          </ul>
          <p className="muted small">Evaluated at {when(answer.why.at)}, on the events received so far.</p>
        </div>
      ) : null}
    </>
  );
}

/** Edit and delete buttons; delete asks first, since members and history go with it. */
function SegmentActions(props: { segment: Segment; onEdit: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>();
  async function remove() {
    setError(undefined);
    try {
      await api.deleteSegment(props.segment.id);
      navigate('/segments');
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Can needs="marketing:write">
      <div className="row" style={{ alignItems: 'center' }}>
        <button type="button" onClick={props.onEdit}>
          Edit segment
        </button>
        {confirming ? (
          <div
            role="alertdialog"
            aria-label="Confirm delete"
            className="row"
            style={{ alignItems: 'center' }}
          >
            <span>
              Delete “{props.segment.name}”? Its {num(props.segment.size)} memberships and their history are
              removed too.
            </span>
            <button type="button" className="danger" onClick={remove}>
              Yes, delete
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        ) : (
          <button type="button" onClick={() => setConfirming(true)}>
            Delete segment
          </button>
        )}
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </Can>
  );
}

function Detail(props: { id: string }) {
  const segment = useApi(() => api.segment(props.id), [props.id]);
  const [editing, setEditing] = useState(false);
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const members = useApi(() => api.segmentMembers(props.id, cursor, 20), [props.id, cursor]);
  if (segment.error)
    return isNotFound(segment.error) ? (
      <Empty title="No such segment">
        <Link href="/segments">All segments</Link>
      </Empty>
    ) : (
      <ErrorNote error={segment.error} />
    );
  if (!segment.data) return <Loading />;
  const s = segment.data;
  return (
    <>
      <PageHeader title={s.name} />
      <p className="muted small">
        <Link href="/segments">Segments</Link> / {s.id} · version {s.version} · updated {when(s.updatedAt)}
      </p>
      {editing ? null : <SegmentActions segment={s} onEdit={() => setEditing(true)} />}
      <div className="grid">
        {editing ? (
          <Builder
            key={s.version}
            editing={s}
            onSaved={() => {
              setEditing(false);
              segment.reload();
              members.reload();
            }}
            onCancel={() => setEditing(false)}
          />
        ) : null}
        <Card title="Rule" id="rule">
          <pre className="code">{s.text}</pre>
          <p>
            <strong>{num(s.size)}</strong> members · <span className={`badge ${s.status}`}>{s.status}</span>
          </p>
        </Card>
        <Card title="Why is this person in or out?" id="why" wide>
          <WhyPerson segmentId={s.id} version={s.version} />
        </Card>
        <Card title="Membership over time" id="history" wide>
          <History id={s.id} />
        </Card>
        <Card title="Members" id="members" wide>
          <MembersCsvButton segmentId={props.id} />
          {members.error ? <ErrorNote error={members.error} /> : null}
          {members.data ? (
            <table>
              <thead>
                <tr>
                  <th>Profile</th>
                  <th>Since</th>
                  <th>Reason</th>
                </tr>
              </thead>
              <tbody>
                {members.data.members.map((m) => (
                  <tr key={m.profileId}>
                    <td>
                      <PersonLink profileId={m.profileId} />
                    </td>
                    <td>{when(m.since)}</td>
                    <td className="small">{m.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Loading />
          )}
          <nav className="pager" aria-label="Member pages">
            <button
              type="button"
              disabled={cursors.length < 2}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              ← Previous
            </button>
            <button
              type="button"
              disabled={!members.data?.nextCursor}
              onClick={() => members.data?.nextCursor && setCursors([...cursors, members.data.nextCursor])}
            >
              Next →
            </button>
          </nav>
        </Card>
      </div>
    </>
  );
}

export default function Segments(props: { path: string }) {
  const id = props.path.startsWith('/segments/')
    ? decodeURIComponent(props.path.slice('/segments/'.length))
    : null;
  return id ? <Detail id={id} /> : <List />;
}
