import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { PlacementStatsPanel } from '../components/PlacementStatsPanel.tsx';
import { Card, Empty, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { num } from '../format.ts';
import { useApi } from '../hooks.ts';

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
    <Card title="Try a decision" id="decide">
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
  return (
    <>
      <PageHeader title="Placements" />
      <div className="grid">
        <Card title="Offers per placement" id="offers" wide>
          {data.error ? <ErrorNote error={data.error} /> : null}
          {!data.data && !data.error ? <Loading /> : null}
          {data.data && data.data.placements.length === 0 ? (
            <Empty title="No placements yet">
              <p>
                A placement is a spot on a page or in an app that shows the best offer for the person. Define
                them in a definitions file applied with <code>rapport apply</code> (docs/placements.md); their
                results show here.
              </p>
            </Empty>
          ) : null}
          {data.data?.placements.map((p) => (
            <section key={p.id} aria-label={`Placement ${p.id}`}>
              <h3>
                {p.id} <span className="muted small">default offer: {p.defaultOfferId}</span>
              </h3>
              <table>
                <thead>
                  <tr>
                    <th>Offer</th>
                    <th className="num">Priority</th>
                    <th className="num">Expected value</th>
                    <th>Personalised</th>
                    <th className="num">Caps (offer / person a day)</th>
                    <th>Content</th>
                  </tr>
                </thead>
                <tbody>
                  {data.data?.offers
                    .filter((o) => o.placement === p.id)
                    .map((o) => (
                      <tr key={o.id}>
                        <td>{o.id}</td>
                        <td className="num">{num(o.priority)}</td>
                        <td className="num">{num(o.expectedValue)}</td>
                        <td>{o.requiresPersonalization ? 'yes' : 'no'}</td>
                        <td className="num">
                          {o.capPerOffer ?? '–'} / {o.capPerPerson ?? '–'}
                        </td>
                        <td className="small">{o.content ? JSON.stringify(o.content) : ''}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </section>
          ))}
        </Card>
        <PlacementStatsPanel />
        {data.data && data.data.placements.length > 0 ? (
          <TryDecision placements={data.data.placements.map((p) => p.id)} />
        ) : null}
      </div>
    </>
  );
}
