import { lazy, Suspense, useEffect, useState } from 'react';
import { Can } from '../access.tsx';
import { api, type Journey, type JourneyStats } from '../api.ts';
import { JourneyGraph } from '../components/JourneyGraph.tsx';
import { JourneysTable, loadJourneysWithStats } from '../components/JourneysTable.tsx';
import { Card, Empty, ErrorNote, Loading, LoadStatus, PageHeader } from '../components/ui.tsx';
import { num, when } from '../format.ts';
import { isNotFound, useApi } from '../hooks.ts';
import { blankJourney, type JourneyDefinition } from '../journey-builder/model.ts';
import { Link, navigate } from '../router.tsx';

const TEMPLATE = {
  format: 1,
  id: 'my-journey',
  version: 1,
  name: 'Welcome',
  entry: { kind: 'event', event: 'Signed Up' },
  reentry: { mode: 'once' },
  goal: { event: 'Order Completed' },
  defaultTimeZone: 'Europe/Amsterdam',
  start: 'wait-1-day',
  steps: [
    { id: 'wait-1-day', type: 'wait', duration: { amount: 1, unit: 'days' }, next: 'welcome' },
    {
      id: 'welcome',
      type: 'send',
      channel: 'email',
      purpose: 'email',
      template: { subject: 'Welcome', body: 'Glad you are here.' },
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

const Builder = lazy(() => import('../journey-builder/Builder.tsx'));

function BuilderCard(props: {
  title: string;
  initial: JourneyDefinition;
  existing?: Journey;
  stats?: JourneyStats | null;
  onSaved: (journey: Journey) => void;
}) {
  return (
    <Card title={props.title} id="builder" wide>
      <Suspense fallback={<Loading what="the journey builder" />}>
        <Builder
          initial={props.initial}
          onSaved={props.onSaved}
          {...(props.existing ? { existing: props.existing } : {})}
          {...(props.stats !== undefined ? { stats: props.stats } : {})}
        />
      </Suspense>
    </Card>
  );
}

function Versions(props: { journey: Journey; onOpen: (definition: JourneyDefinition) => void }) {
  const versions = useApi(() => api.journeyVersions(props.journey.journeyId), [props.journey.version]);
  const [error, setError] = useState<unknown>();
  async function open(version: number) {
    setError(undefined);
    try {
      const found = await api.journeyVersion(props.journey.journeyId, version);
      props.onOpen({ ...found.definition, version: props.journey.version + 1 } as JourneyDefinition);
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Card title="Version history" id="versions">
      <LoadStatus state={versions} />
      {error ? <ErrorNote error={error} /> : null}
      {versions.data ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Name</th>
              <th scope="col">Saved</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.data.map((v) => (
              <tr key={v.version}>
                <td>
                  {v.version}
                  {v.version === props.journey.version ? ' (live)' : ''}
                </td>
                <td>{v.name}</td>
                <td>{when(v.savedAt)}</td>
                <td>
                  <Can needs="marketing:write">
                    <button type="button" onClick={() => void open(v.version)}>
                      Open version {v.version} in the builder
                    </button>
                  </Can>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p className="small muted">
        Opening an old version starts a draft from it; saving publishes it as version{' '}
        {props.journey.version + 1}. People already on their way finish on the version they entered under.
      </p>
    </Card>
  );
}

function List() {
  const list = useApi(() => loadJourneysWithStats(), []);
  const [creating, setCreating] = useState(false);
  const [startFrom, setStartFrom] = useState<'blank' | 'example'>('blank');
  return (
    <>
      <PageHeader title="Journeys">
        <Can needs="marketing:write">
          <button type="button" onClick={() => setCreating(!creating)} aria-expanded={creating}>
            {creating ? 'Close the editor' : 'New journey'}
          </button>
        </Can>
      </PageHeader>
      <div className="grid">
        {creating ? (
          <Card id="start-from" wide>
            <label htmlFor="start-from-choice">Start from</label>
            <select
              id="start-from-choice"
              value={startFrom}
              onChange={(e) => setStartFrom(e.target.value as 'blank' | 'example')}
            >
              <option value="blank">a blank journey (a trigger and an exit)</option>
              <option value="example">the welcome example (wait a day, send a welcome email)</option>
            </select>
          </Card>
        ) : null}
        {creating ? (
          <BuilderCard
            key={startFrom}
            title="New journey"
            initial={
              startFrom === 'example'
                ? (TEMPLATE as JourneyDefinition)
                : blankJourney('my-journey', 'My journey')
            }
            onSaved={(j) => navigate(`/journeys/${encodeURIComponent(j.journeyId)}`)}
          />
        ) : null}
        <Card title="All journeys" id="list" wide>
          {list.error ? <ErrorNote error={list.error} /> : null}
          {!list.data && !list.error ? <Loading /> : null}
          {list.data && list.data.length === 0 ? (
            <Empty title="No journeys yet">
              <p>
                Press <strong>New journey</strong> to start from a template, or save one of{' '}
                <code>examples/journeys/</code> with <code>npx rapport apply examples/journeys</code>.
              </p>
            </Empty>
          ) : null}
          {list.data && list.data.length > 0 ? <JourneysTable rows={list.data} detailed /> : null}
        </Card>
      </div>
    </>
  );
}

function Detail(props: { id: string }) {
  const journey = useApi(() => api.journey(props.id), [props.id]);
  const stats = useApi(() => api.journeyStats(props.id), [props.id]);
  const [draft, setDraft] = useState<JourneyDefinition | null>(null);
  const [error, setError] = useState<unknown>();
  const reloadStats = stats.reload;
  // The counts on the canvas are live: asked again every few seconds while the page is open.
  useEffect(() => {
    const timer = setInterval(reloadStats, 5_000);
    return () => clearInterval(timer);
  }, [reloadStats]);
  if (journey.error)
    return isNotFound(journey.error) ? (
      <Empty title="No such journey">
        <Link href="/journeys">All journeys</Link>
      </Empty>
    ) : (
      <ErrorNote error={journey.error} />
    );
  if (!journey.data) return <Loading />;
  const j = journey.data;
  async function toggle() {
    setError(undefined);
    try {
      if (j.status === 'active') await api.pauseJourney(j.journeyId);
      else await api.resumeJourney(j.journeyId);
      journey.reload();
    } catch (e) {
      setError(e);
    }
  }
  async function remove() {
    const name = j.definition.name ?? j.journeyId;
    if (
      !window.confirm(
        `Delete the journey “${name}”? No one enters it again; people already on it finish their trip.`,
      )
    )
      return;
    setError(undefined);
    try {
      await api.deleteJourney(j.journeyId);
      navigate('/journeys');
    } catch (e) {
      setError(e);
    }
  }
  const s = stats.data;
  return (
    <>
      <PageHeader title={j.definition.name ?? j.journeyId}>
        <span className={`badge ${j.status}`} data-testid="journey-status">
          {j.status}
        </span>
        <Can needs="marketing:write">
          <button type="button" onClick={toggle}>
            {j.status === 'active' ? 'Pause' : 'Resume'}
          </button>
          <button
            type="button"
            onClick={() =>
              setDraft(draft ? null : ({ ...j.definition, version: j.version + 1 } as JourneyDefinition))
            }
            aria-expanded={draft !== null}
          >
            {draft ? 'Close the builder' : 'Edit'}
          </button>
          <button type="button" onClick={remove}>
            Delete
          </button>
        </Can>
      </PageHeader>
      <p className="muted small">
        <Link href="/journeys">Journeys</Link> / {j.journeyId} · version {j.version} · updated{' '}
        {when(j.updatedAt)}
      </p>
      {error ? <ErrorNote error={error} /> : null}
      <div className="grid">
        <Card title="Counts" id="counts" wide>
          <div className="stats">
            {(['entered', 'active', 'completed', 'converted', 'aborted'] as const).map((k) => (
              <div className="stat" key={k}>
                <div className="stat-value">{num(s?.[k])}</div>
                <div className="stat-label">{k}</div>
              </div>
            ))}
          </div>
        </Card>
        <Card title="Steps" id="graph" wide>
          <JourneyGraph definition={j.definition} stats={s ?? null} />
          <p className="small muted">
            Each box: step, type, people who passed it and who are there now. Edges carry the people who took
            them.
          </p>
        </Card>
        {draft ? (
          <BuilderCard
            key={JSON.stringify(draft)}
            title={`Edit (publishes version ${j.version + 1})`}
            initial={draft}
            existing={j}
            stats={s ?? null}
            onSaved={() => {
              journey.reload();
              stats.reload();
              setDraft(null);
            }}
          />
        ) : null}
        <Versions journey={j} onOpen={setDraft} />
      </div>
    </>
  );
}

export default function Journeys(props: { path: string }) {
  const id = props.path.startsWith('/journeys/')
    ? decodeURIComponent(props.path.slice('/journeys/'.length))
    : null;
  return id ? <Detail id={id} /> : <List />;
}
