import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { api, type Preview } from '../api.ts';
import { Card, Empty, ErrorNote, Loading, NotAvailable, PageHeader } from '../components/ui.tsx';
import { num, when } from '../format.ts';
import { isNotFound, useApi } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';

type Kind = 'performed' | 'trait' | 'last_seen' | 'stage';
interface Condition {
  kind: Kind;
  negate: boolean;
  event: string;
  countOp: 'gte' | 'lte' | 'eq';
  count: string;
  days: string;
  trait: string;
  op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'exists';
  value: string;
  seen: 'within' | 'more_than_ago';
  stage: string;
}

const blank = (kind: Kind = 'performed'): Condition => ({
  kind,
  negate: false,
  event: 'Order Completed',
  countOp: 'gte',
  count: '1',
  days: '',
  trait: 'plan',
  op: 'eq',
  value: 'pro',
  seen: 'within',
  stage: 'action',
});

function literal(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (trimmed !== '' && !Number.isNaN(Number(trimmed))) return Number(trimmed);
  return text;
}

function toRule(c: Condition): Record<string, unknown> {
  let rule: Record<string, unknown>;
  switch (c.kind) {
    case 'performed':
      rule = {
        kind: 'performed',
        event: c.event,
        where: [],
        count: { op: c.countOp, value: Number(c.count) },
        window: c.days ? { kind: 'last', amount: Number(c.days), unit: 'days' } : { kind: 'ever' },
      };
      break;
    case 'trait':
      rule = {
        kind: 'trait',
        trait: c.trait,
        test: c.op === 'exists' ? { op: 'exists' } : { op: c.op, value: literal(c.value) },
      };
      break;
    case 'last_seen':
      rule = { kind: 'last_seen', test: { op: c.seen, amount: Number(c.days || '30'), unit: 'days' } };
      break;
    case 'stage':
      rule = {
        kind: 'stage',
        stages: c.stage
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
      break;
  }
  return c.negate ? { kind: 'not', rule } : rule;
}

function combine(conditions: Condition[], all: boolean): unknown {
  const rules = conditions.map(toRule);
  if (rules.length === 1) return rules[0];
  return { kind: all ? 'and' : 'or', rules };
}

function ConditionEditor(props: {
  index: number;
  value: Condition;
  onChange: (c: Condition) => void;
  onRemove?: () => void;
}) {
  const { value: c, index: i } = props;
  const set = (patch: Partial<Condition>) => props.onChange({ ...c, ...patch });
  const id = (name: string) => `c${i}-${name}`;
  return (
    <fieldset className="condition">
      <legend className="small">Condition {i + 1}</legend>
      <div className="row">
        <div>
          <label htmlFor={id('kind')}>Kind</label>
          <select id={id('kind')} value={c.kind} onChange={(e) => set({ kind: e.target.value as Kind })}>
            <option value="performed">performed an event</option>
            <option value="trait">trait</option>
            <option value="last_seen">last seen</option>
            <option value="stage">lifecycle stage</option>
          </select>
        </div>
        {c.kind === 'performed' ? (
          <>
            <div>
              <label htmlFor={id('event')}>Event</label>
              <input id={id('event')} value={c.event} onChange={(e) => set({ event: e.target.value })} />
            </div>
            <div>
              <label htmlFor={id('countop')}>How often</label>
              <select
                id={id('countop')}
                value={c.countOp}
                onChange={(e) => set({ countOp: e.target.value as Condition['countOp'] })}
              >
                <option value="gte">at least</option>
                <option value="lte">at most</option>
                <option value="eq">exactly</option>
              </select>
            </div>
            <div>
              <label htmlFor={id('count')}>Times</label>
              <input
                id={id('count')}
                type="number"
                min={0}
                value={c.count}
                onChange={(e) => set({ count: e.target.value })}
                style={{ width: '5rem' }}
              />
            </div>
            <div>
              <label htmlFor={id('days')}>In the last N days (empty: ever)</label>
              <input
                id={id('days')}
                type="number"
                min={1}
                value={c.days}
                onChange={(e) => set({ days: e.target.value })}
                style={{ width: '7rem' }}
              />
            </div>
          </>
        ) : null}
        {c.kind === 'trait' ? (
          <>
            <div>
              <label htmlFor={id('trait')}>Trait</label>
              <input id={id('trait')} value={c.trait} onChange={(e) => set({ trait: e.target.value })} />
            </div>
            <div>
              <label htmlFor={id('op')}>Test</label>
              <select
                id={id('op')}
                value={c.op}
                onChange={(e) => set({ op: e.target.value as Condition['op'] })}
              >
                <option value="eq">=</option>
                <option value="neq">≠</option>
                <option value="gt">&gt;</option>
                <option value="gte">≥</option>
                <option value="lt">&lt;</option>
                <option value="lte">≤</option>
                <option value="contains">contains</option>
                <option value="exists">exists</option>
              </select>
            </div>
            {c.op !== 'exists' ? (
              <div>
                <label htmlFor={id('value')}>Value</label>
                <input id={id('value')} value={c.value} onChange={(e) => set({ value: e.target.value })} />
              </div>
            ) : null}
          </>
        ) : null}
        {c.kind === 'last_seen' ? (
          <>
            <div>
              <label htmlFor={id('seen')}>When</label>
              <select
                id={id('seen')}
                value={c.seen}
                onChange={(e) => set({ seen: e.target.value as Condition['seen'] })}
              >
                <option value="within">in the last</option>
                <option value="more_than_ago">more than … ago</option>
              </select>
            </div>
            <div>
              <label htmlFor={id('seendays')}>Days</label>
              <input
                id={id('seendays')}
                type="number"
                min={1}
                value={c.days || '30'}
                onChange={(e) => set({ days: e.target.value })}
                style={{ width: '6rem' }}
              />
            </div>
          </>
        ) : null}
        {c.kind === 'stage' ? (
          <div>
            <label htmlFor={id('stage')}>Stages (comma separated)</label>
            <input id={id('stage')} value={c.stage} onChange={(e) => set({ stage: e.target.value })} />
          </div>
        ) : null}
        <div>
          <label htmlFor={id('not')}>
            <input
              id={id('not')}
              type="checkbox"
              checked={c.negate}
              onChange={(e) => set({ negate: e.target.checked })}
            />{' '}
            not
          </label>
        </div>
        {props.onRemove ? (
          <button type="button" onClick={props.onRemove} aria-label={`Remove condition ${i + 1}`}>
            Remove
          </button>
        ) : null}
      </div>
    </fieldset>
  );
}

function Builder(props: { onSaved: () => void }) {
  const [conditions, setConditions] = useState<Condition[]>([blank()]);
  const [all, setAll] = useState(true);
  const [mode, setMode] = useState<'form' | 'text'>('form');
  const [text, setText] = useState('');
  const [preview, setPreview] = useState<Preview>();
  const [previewError, setPreviewError] = useState<unknown>();
  const [pending, setPending] = useState(false);
  const [name, setName] = useState('');
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
      const created = await api.createSegment({ name, ...body });
      props.onSaved();
      navigate(`/segments/${encodeURIComponent(created.id)}`);
    } catch (e) {
      setSaveError(e);
    }
  }
  return (
    <Card title="Build a segment" id="builder" wide>
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
                    <ul className="small">
                      {preview.sample.map((id) => (
                        <li key={id}>
                          <Link href={`/people/${encodeURIComponent(id)}`}>{id}</Link>
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
        <button type="submit" className="primary" disabled={!name.trim() || Boolean(previewError)}>
          Save segment
        </button>
      </form>
      {saveError ? <ErrorNote error={saveError} /> : null}
    </Card>
  );
}

function List() {
  const list = useApi(() => api.segments(), []);
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
                    <th>Trend</th>
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
                      <td className="small muted">needs membership history API</td>
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

function Detail(props: { id: string }) {
  const segment = useApi(() => api.segment(props.id), [props.id]);
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
      <div className="grid">
        <Card title="Rule" id="rule">
          <pre className="code">{s.text}</pre>
          <p>
            <strong>{num(s.size)}</strong> members · <span className={`badge ${s.status}`}>{s.status}</span>
          </p>
        </Card>
        <Card title="Membership over time" id="history">
          <NotAvailable what="daily member counts for this segment" api="GET /api/segments/{id}/history" />
        </Card>
        <Card title="Members" id="members" wide>
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
                      <Link href={`/people/${encodeURIComponent(m.profileId)}`}>{m.profileId}</Link>
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
