import { useState } from 'react';
import { Can } from '../access.tsx';
import { api, type Journey } from '../api.ts';
import { JourneyGraph } from '../components/JourneyGraph.tsx';
import { JourneysTable, loadJourneysWithStats } from '../components/JourneysTable.tsx';
import { TemplateEditor } from '../components/TemplateEditor.tsx';
import { Card, Empty, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { num, when } from '../format.ts';
import { isNotFound, useApi } from '../hooks.ts';
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

function Editor(props: { initial: unknown; onSaved: (journey: Journey) => void; title: string }) {
  const [text, setText] = useState(JSON.stringify(props.initial, null, 2));
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<string>();
  async function save() {
    setError(undefined);
    setSaved(undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      setError(new Error(`Not valid JSON: ${(e as Error).message}`));
      return;
    }
    try {
      const journey = await api.saveJourney(parsed);
      setSaved(`Saved version ${journey.version}.`);
      props.onSaved(journey);
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Card title={props.title} id="editor" wide>
      <p className="small muted">
        The journey document (docs/journeys.md). It is checked when saved: every issue names its step and
        field. Raise
        <code> version</code> to publish a change.
      </p>
      <label htmlFor="journey-json">Journey JSON</label>
      <textarea
        id="journey-json"
        rows={18}
        value={text}
        onChange={(e) => setText(e.target.value)}
        spellCheck={false}
      />
      <TemplateEditor text={text} onChange={setText} />
      <div className="row" style={{ marginTop: '0.5rem' }}>
        <button type="button" className="primary" onClick={save}>
          Check and save
        </button>
        {saved ? (
          <span className="ok" role="status">
            {saved}
          </span>
        ) : null}
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </Card>
  );
}

function List() {
  const list = useApi(() => loadJourneysWithStats(), []);
  const [creating, setCreating] = useState(false);
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
          <Editor
            title="New journey"
            initial={TEMPLATE}
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
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>();
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
          <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            {editing ? 'Close the editor' : 'Edit'}
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
        {editing ? (
          <Editor
            title="Edit (saves a new version)"
            initial={{ ...j.definition, version: j.version + 1 }}
            onSaved={() => {
              journey.reload();
              stats.reload();
              setEditing(false);
            }}
          />
        ) : null}
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
