import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { DecidePreview } from '../components/DecidePreview.tsx';
import { PlacementEditor } from '../components/PlacementEditor.tsx';
import { PlacementStatsPanel } from '../components/PlacementStatsPanel.tsx';
import { Card, Empty, ErrorNote, LoadStatus, PageHeader } from '../components/ui.tsx';
import { useApi } from '../hooks.ts';
import { Link } from '../router.tsx';

function TryDecision(props: { placements: string[] }) {
  const [placement, setPlacement] = useState(props.placements[0] ?? '');
  const [writeKey, setWriteKey] = useState('');
  const [userId, setUserId] = useState('');
  const [answer, setAnswer] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    setAnswer(undefined);
    try {
      setAnswer(await api.decide(writeKey.trim(), placement, userId.trim() ? { userId: userId.trim() } : {}));
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Card title="Try a decision as a web page would" id="decide">
      <p className="small muted">
        Asks <code>GET /v1/decide</code> as a web page would. That route takes a write key (not the admin
        token); it is kept in this page's memory only.
      </p>
      <form onSubmit={submit}>
        <label htmlFor="decide-placement">Placement</label>
        <select id="decide-placement" value={placement} onChange={(e) => setPlacement(e.target.value)}>
          {props.placements.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <label htmlFor="decide-user">User id (empty: an unknown visitor)</label>
        <input id="decide-user" value={userId} onChange={(e) => setUserId(e.target.value)} />
        <label htmlFor="decide-key">Write key</label>
        <input
          id="decide-key"
          type="password"
          value={writeKey}
          onChange={(e) => setWriteKey(e.target.value)}
          required
        />
        <div style={{ marginTop: '0.5rem' }}>
          <button type="submit" className="primary" disabled={!writeKey.trim() || !placement}>
            Decide
          </button>
        </div>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      {answer ? <pre className="code">{JSON.stringify(answer, null, 2)}</pre> : null}
    </Card>
  );
}

export default function Placements() {
  const data = useApi(() => api.placements(), []);
  const definitions = data.data;
  return (
    <>
      <PageHeader title="Placements" />
      <div className="grid">
        <Card title="Placements and their offers" id="offers" wide>
          <LoadStatus state={data} />
          {definitions && definitions.placements.length === 0 ? (
            <Empty title="No placements yet">
              <p>
                A placement is a slot you own (a web banner, the order confirmation, the tape on a shipping
                box) that shows each person the best offer they are eligible for. Add one below with what it
                shows by default, then add offers to it.
              </p>
            </Empty>
          ) : null}
          {definitions ? <PlacementEditor definitions={definitions} onSaved={data.reload} /> : null}
        </Card>
        {definitions && definitions.placements.length > 0 ? (
          <DecidePreview definitions={definitions} />
        ) : null}
        {definitions && definitions.placements.length > 0 ? (
          <Card title="Which offer is winning" id="bandit-link">
            <p>
              How each offer’s clicks compare, and the share of traffic a bandit would give it: see{' '}
              <Link href="/experiments#bandit">Experiments</Link>.
            </p>
          </Card>
        ) : null}
        <PlacementStatsPanel />
        {definitions && definitions.placements.length > 0 ? (
          <TryDecision placements={definitions.placements.map((p) => p.id)} />
        ) : null}
      </div>
    </>
  );
}
