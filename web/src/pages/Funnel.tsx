import { type FormEvent, useEffect, useState } from 'react';
import { Can } from '../access.tsx';
import { api, type Paths as PathsGraph } from '../api.ts';
import { FunnelChart } from '../components/FunnelChart.tsx';
import { draftOf, type FunnelDraft, FunnelEditor, NEW_FUNNEL } from '../components/FunnelEditor.tsx';
import PathsSankey, { touchpointLabel } from '../components/PathsSankey.tsx';
import { Card, DemoHint, Empty, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { duration, num, pct } from '../format.ts';
import { useApi } from '../hooks.ts';

export default function Funnel() {
  const funnels = useApi(() => api.funnels(), []);
  const [chosen, setChosen] = useState<string>();
  const [cohortDraft, setCohortDraft] = useState('');
  const [cohort, setCohort] = useState('');
  const id = chosen ?? funnels.data?.funnels[0]?.id;
  const current = funnels.data?.funnels.find((f) => f.id === id);
  const building = current !== undefined && current.status !== 'live';
  // A funnel just switched on is built from history in the background: ask again until it is
  // live, and read the report once more when it is.
  // biome-ignore lint/correctness/useExhaustiveDependencies: each answer (funnels.data) schedules the next ask
  useEffect(() => {
    if (!building) return;
    const timer = setTimeout(() => funnels.reload(), 1000);
    return () => clearTimeout(timer);
  }, [building, funnels.data, funnels.reload]);
  const report = useApi(
    () => (id ? api.funnel(id, cohort || undefined) : Promise.resolve(null)),
    [id, cohort, building, current?.version],
  );
  const [switching, setSwitching] = useState<unknown>();
  const [editing, setEditing] = useState<FunnelDraft>();
  async function switchOn(preset = 'ecommerce', funnelId = 'lifecycle') {
    setSwitching(undefined);
    try {
      await api.putFunnel(funnelId, { preset });
      setChosen(funnelId);
      funnels.reload();
    } catch (e) {
      setSwitching(e);
    }
  }
  async function remove() {
    if (!current || !id) return;
    const primary =
      id === 'lifecycle' ? ' It is the lifecycle funnel: segments on a stage will match nobody.' : '';
    if (
      !window.confirm(
        `Delete the funnel “${current.name}”? Its stages and every person’s stage history in it are removed.${primary}`,
      )
    )
      return;
    setSwitching(undefined);
    try {
      await api.deleteFunnel(id);
      setChosen(undefined);
      funnels.reload();
    } catch (e) {
      setSwitching(e);
    }
  }
  function applyCohort(event: FormEvent) {
    event.preventDefault();
    setCohort(cohortDraft.trim());
  }
  return (
    <>
      <PageHeader title="Funnel and paths" />
      <div className="grid">
        <Card title="Lifecycle funnel" id="funnel" wide>
          {funnels.error ? <ErrorNote error={funnels.error} /> : null}
          {funnels.data && funnels.data.funnels.length === 0 ? (
            <Empty title="No funnel is switched on">
              <p>
                Stage changes become events in every profile's history, so funnels are switched on, not
                imposed.
              </p>
              <Can needs="marketing:write">
                <div className="row">
                  <button type="button" className="primary" onClick={() => void switchOn()}>
                    Switch on the e-commerce lifecycle
                  </button>
                  <button type="button" onClick={() => void switchOn('nonprofit', 'lifecycle')}>
                    Switch on the supporter lifecycle (non-profit)
                  </button>
                  <button
                    type="button"
                    onClick={() => setEditing({ ...NEW_FUNNEL, id: 'lifecycle', name: 'Lifecycle' })}
                  >
                    Define your own stages
                  </button>
                </div>
              </Can>
              {switching ? <ErrorNote error={switching} /> : null}
            </Empty>
          ) : null}
          {funnels.data && funnels.data.funnels.length > 0 ? (
            <form className="row" onSubmit={applyCohort}>
              <div>
                <label htmlFor="funnel-id">Funnel</label>
                <select id="funnel-id" value={id} onChange={(e) => setChosen(e.target.value)}>
                  {funnels.data.funnels.map((f) => (
                    <option key={String(f.id)} value={String(f.id)}>
                      {f.name}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <label htmlFor="cohort">Cohort (first_seen_month:2026-01, source:NAME, segment:ID)</label>
                <input
                  id="cohort"
                  value={cohortDraft}
                  onChange={(e) => setCohortDraft(e.target.value)}
                  placeholder="everyone"
                />
              </div>
              <button type="submit">Apply</button>
              <Can needs="marketing:write">
                <button type="button" onClick={() => current && setEditing(draftOf(current))}>
                  Edit funnel
                </button>
                <button type="button" onClick={() => setEditing(NEW_FUNNEL)}>
                  New funnel
                </button>
                <button type="button" className="danger" onClick={() => void remove()}>
                  Delete funnel
                </button>
              </Can>
            </form>
          ) : null}
          {switching && funnels.data && funnels.data.funnels.length > 0 ? (
            <ErrorNote error={switching} />
          ) : null}
          {editing ? (
            <FunnelEditor
              key={`${editing.id}-${editing.saved}`}
              initial={editing}
              onCancel={() => setEditing(undefined)}
              onSaved={(saved) => {
                setEditing(undefined);
                setChosen(saved);
                funnels.reload();
              }}
            />
          ) : null}
          {building ? (
            <p className="small" role="status">
              Building the funnel from everyone's history… the numbers fill in when it is ready.
            </p>
          ) : null}
          {report.error ? <ErrorNote error={report.error} /> : null}
          {report.loading && !report.data && id ? <Loading /> : null}
          {report.data ? (
            <>
              <FunnelChart report={report.data} />
              <table>
                <thead>
                  <tr>
                    <th>Stage</th>
                    <th className="num">Now at it</th>
                    <th className="num">Reached</th>
                    <th className="num">From previous</th>
                    <th className="num">Median time in stage</th>
                  </tr>
                </thead>
                <tbody>
                  {report.data.stages.map((s) => (
                    <tr key={s.id}>
                      <td>{s.name}</td>
                      <td className="num">{num(s.current)}</td>
                      <td className="num">{num(s.reached)}</td>
                      <td className="num">{pct(s.conversionFromPrevious)}</td>
                      <td className="num">{duration(s.medianTimeInStageMs)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
        </Card>
        <Card title="Paths between touchpoints" id="paths" wide>
          <Paths />
        </Card>
      </div>
    </>
  );
}

interface PathsFilter {
  days: number;
  steps: number;
  top: number;
  start: string;
  segment: string;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function TopTransitions(props: { paths: PathsGraph }) {
  const byId = new Map(props.paths.nodes.map((n) => [n.id, n]));
  const rows = props.paths.links.slice(0, 15);
  return (
    <table id="transitions">
      <caption className="small muted">The {rows.length} most common transitions</caption>
      <thead>
        <tr>
          <th className="num">Step</th>
          <th>From</th>
          <th>To</th>
          <th className="num">People</th>
          <th className="num">Of those at the source</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((l) => {
          const source = byId.get(l.source);
          const target = byId.get(l.target);
          return (
            <tr key={`${l.source}>${l.target}`}>
              <td className="num">
                {l.step} → {l.step + 1}
              </td>
              <td>{source ? touchpointLabel(source) : l.source}</td>
              <td>{target ? touchpointLabel(target) : l.target}</td>
              <td className="num">{num(l.people)}</td>
              <td className="num">{pct(source ? l.people / source.people : null)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The journey map: the most common paths between touchpoints, counted by the server. */
function Paths() {
  const [draft, setDraft] = useState<PathsFilter>({ days: 30, steps: 4, top: 6, start: '', segment: '' });
  const [filter, setFilter] = useState<PathsFilter>(draft);
  const paths = useApi(
    () =>
      api.paths({
        from: dayOf(Date.now() - (filter.days - 1) * 86_400_000),
        to: dayOf(Date.now()),
        steps: filter.steps,
        top: filter.top,
        start: filter.start.trim() || undefined,
        segment: filter.segment.trim() || undefined,
      }),
    [filter],
  );
  function apply(event: FormEvent) {
    event.preventDefault();
    setFilter(draft);
  }
  const choose = (field: keyof PathsFilter) => (e: { target: { value: string } }) =>
    setDraft({
      ...draft,
      [field]: typeof draft[field] === 'number' ? Number(e.target.value) : e.target.value,
    });
  return (
    <>
      <p className="muted small">
        Each person's touchpoints (pages and screens they viewed, events they did) in order, repeats in a row
        counted once; the widest bands are the most common paths.
      </p>
      <form className="row" onSubmit={apply}>
        <div>
          <label htmlFor="paths-days">Days</label>
          <select id="paths-days" value={draft.days} onChange={choose('days')}>
            {[7, 30, 90, 365].map((d) => (
              <option key={d} value={d}>
                last {d}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="paths-steps">Steps</label>
          <select id="paths-steps" value={draft.steps} onChange={choose('steps')}>
            {[2, 3, 4, 5, 6, 8, 10].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="paths-top">Touchpoints per step</label>
          <select id="paths-top" value={draft.top} onChange={choose('top')}>
            {[3, 6, 10, 15, 20].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="paths-start">Start at (page:NAME or event:NAME)</label>
          <input
            id="paths-start"
            value={draft.start}
            onChange={choose('start')}
            placeholder="any touchpoint"
          />
        </div>
        <div>
          <label htmlFor="paths-segment">Segment id</label>
          <input
            id="paths-segment"
            value={draft.segment}
            onChange={choose('segment')}
            placeholder="everyone"
          />
        </div>
        <button type="submit">Apply</button>
      </form>
      {paths.error ? <ErrorNote error={paths.error} /> : null}
      {paths.loading && !paths.data ? <Loading /> : null}
      {paths.data && paths.data.nodes.length === 0 ? (
        <Empty title="No touchpoints in these days">
          <p>
            Paths are drawn from page and screen views and track events. Widen the days, clear the start or
            segment, or send some:
          </p>
          <DemoHint />
        </Empty>
      ) : null}
      {paths.data && paths.data.nodes.length > 0 ? (
        <>
          <PathsSankey paths={paths.data} />
          <TopTransitions paths={paths.data} />
        </>
      ) : null}
    </>
  );
}
