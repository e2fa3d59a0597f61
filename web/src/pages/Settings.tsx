import { type FormEvent, useState } from 'react';
import { api, type Credential } from '../api.ts';
import { Card, ErrorNote, Loading, NotAvailable, PageHeader } from '../components/ui.tsx';
import { when } from '../format.ts';
import { useApi } from '../hooks.ts';

function WriteKeys() {
  const keys = useApi(() => api.writeKeys(), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<Credential>();
  const [error, setError] = useState<unknown>();
  async function create(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      setCreated(await api.createWriteKey(name.trim()));
      setName('');
      keys.reload();
    } catch (e) {
      setError(e);
    }
  }
  async function revoke(key: Credential) {
    if (!window.confirm(`Revoke the write key “${key.name}”? Senders using it get 401 from now on.`)) return;
    try {
      await api.revokeWriteKey(key.id);
      keys.reload();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Card title="Write keys" id="write-keys" wide>
      <p className="small muted">Sources send events with a write key as the HTTP Basic user name.</p>
      {keys.error ? <ErrorNote error={keys.error} /> : null}
      {!keys.data && !keys.error ? <Loading /> : null}
      {keys.data ? (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Id</th>
              <th>Created</th>
              <th>State</th>
              <th>
                <span className="muted">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.map((key) => (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td className="small">
                  <code>{key.id}</code>
                </td>
                <td className="small">{when(key.createdAt)}</td>
                <td>
                  {key.revokedAt ? (
                    `revoked ${when(key.revokedAt)}`
                  ) : (
                    <span className="badge live">live</span>
                  )}
                </td>
                <td>
                  {key.revokedAt ? null : (
                    <button type="button" onClick={() => revoke(key)} aria-label={`Revoke ${key.name}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form onSubmit={create} className="row" style={{ marginTop: '0.75rem' }}>
        <div>
          <label htmlFor="key-name">New write key name</label>
          <input
            id="key-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="website"
            required
          />
        </div>
        <button type="submit" className="primary" disabled={!name.trim()}>
          Create write key
        </button>
      </form>
      {created?.secret ? (
        <div className="card" role="status" style={{ marginTop: '0.75rem' }}>
          <p>
            The secret of <strong>{created.name}</strong>, shown this once:
          </p>
          <pre className="code">{created.secret}</pre>
        </div>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </Card>
  );
}

function Webhooks() {
  const key = useApi(() => api.signingKey(), []);
  return (
    <Card title="Channels" id="channels">
      <h3>Webhook signing</h3>
      {key.error ? <ErrorNote error={key.error} /> : null}
      {key.data ? (
        <p className="small">
          Receivers verify <code>X-Rapport-Signature</code> ({key.data.algorithm}) with the key from{' '}
          <code>GET /api/channels/webhook-signing-key</code>.
        </p>
      ) : null}
      <h3>SMTP and webhook endpoints, send test</h3>
      <NotAvailable
        what="channel configuration (SMTP relay, webhook URLs) and a send-test button; today they are set with RAPPORT_SMTP_URL and friends (docs/channels.md)"
        api="GET/PUT /api/channels, POST /api/channels/{name}/test"
      />
    </Card>
  );
}

export default function Settings() {
  return (
    <>
      <PageHeader title="Settings" />
      <div className="grid">
        <WriteKeys />
        <Card title="Admin tokens" id="admin-tokens">
          <NotAvailable
            what="listing, creating and revoking admin tokens"
            api="GET/POST/DELETE /api/admin-tokens"
          />
        </Card>
        <Card title="Consent purposes" id="purposes">
          <NotAvailable
            what="the consent purposes (set today with RAPPORT_CONSENT_PURPOSES, docs/configuration.md)"
            api="GET/PUT /api/consent-purposes"
          />
        </Card>
        <Webhooks />
        <Card title="Fatigue caps and quiet hours" id="policy">
          <NotAvailable
            what="the arbitration policy (set today with RAPPORT_ARBITRATION_POLICY, docs/arbitration.md)"
            api="GET/PUT /api/arbitration-policy"
          />
        </Card>
      </div>
    </>
  );
}
