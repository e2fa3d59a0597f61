import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { Can } from '../access.tsx';
import {
  type AdminToken,
  type ArbitrationPolicyDocument,
  api,
  type ChannelInfo,
  type ChannelTestSend,
  type Credential,
  can,
  type NewCredential,
  setToken,
} from '../api.ts';
import { ConsentPurposesCard } from '../components/ConsentPurposesCard.tsx';
import { Card, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { when } from '../format.ts';
import { useApi } from '../hooks.ts';

/** What differs between the write-key and admin-token panels; the table and forms are one. */
interface CredentialKind<T extends Credential> {
  title: string;
  id: string;
  intro: ReactNode;
  /** "write key", "admin token": in labels and buttons. */
  noun: string;
  placeholder: string;
  /** The revoke button's accessible name for one credential. */
  revokeLabel(item: T): string;
  confirmRevoke(item: T): string;
  list(): Promise<T[]>;
  /** The answer to a creation: the one that carries the secret. */
  create(name: string): Promise<NewCredential>;
  /** Whether this tab is signed in with it (admin tokens only). */
  isCurrent?(item: T): boolean;
  /** Revokes; resolves true when the tab must sign out (its own token). */
  revoke(item: T): Promise<boolean>;
}

function CredentialPanel<T extends Credential>({ kind }: { kind: CredentialKind<T> }) {
  const items = useApi(() => kind.list(), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<NewCredential>();
  const [error, setError] = useState<unknown>();
  const inputId = `${kind.id}-name`;
  async function create(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      setCreated(await kind.create(name.trim()));
      setName('');
      items.reload();
    } catch (e) {
      setError(e);
    }
  }
  async function revoke(item: T) {
    if (!window.confirm(kind.confirmRevoke(item))) return;
    setError(undefined);
    try {
      if (await kind.revoke(item)) setToken(null);
      else items.reload();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Card title={kind.title} id={kind.id} wide>
      <p className="small muted">{kind.intro}</p>
      {items.error ? <ErrorNote error={items.error} /> : null}
      {!items.data && !items.error ? <Loading /> : null}
      {items.data ? (
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
            {items.data.map((item) => (
              <tr key={item.id} data-credential={item.name}>
                <td>
                  {item.name} {kind.isCurrent?.(item) ? <span className="badge">this tab</span> : null}
                </td>
                <td className="small">
                  <code>{item.id}</code>
                </td>
                <td className="small">{when(item.createdAt)}</td>
                <td>
                  {item.revokedAt ? (
                    `revoked ${when(item.revokedAt)}`
                  ) : (
                    <span className="badge live">live</span>
                  )}
                </td>
                <td>
                  {item.revokedAt || !can('admin') ? null : (
                    <button type="button" onClick={() => revoke(item)} aria-label={kind.revokeLabel(item)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {/* Credentials are the owner's (admin): docs/access.md. */}
      <form
        onSubmit={create}
        className="row"
        style={{ marginTop: '0.75rem' }}
        hidden={!can('admin')}
        aria-hidden={!can('admin')}
      >
        <div>
          <label htmlFor={inputId}>New {kind.noun} name</label>
          <input
            id={inputId}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder={kind.placeholder}
            required
          />
        </div>
        <button type="submit" className="primary" disabled={!name.trim()}>
          Create {kind.noun}
        </button>
      </form>
      {created?.secret ? (
        <div className="card" role="status" style={{ marginTop: '0.75rem' }}>
          <p>
            The secret of <strong>{created.name}</strong>, shown this once:
          </p>
          <pre className="code" data-testid={`${kind.id}-secret`}>
            {created.secret}
          </pre>
        </div>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </Card>
  );
}

const WRITE_KEYS: CredentialKind<Credential> = {
  title: 'Write keys',
  id: 'write-keys',
  intro: 'Sources send events with a write key as the HTTP Basic user name.',
  noun: 'write key',
  placeholder: 'website',
  revokeLabel: (key) => `Revoke ${key.name}`,
  confirmRevoke: (key) => `Revoke the write key “${key.name}”? Senders using it get 401 from now on.`,
  list: () => api.writeKeys(),
  create: (name) => api.createWriteKey(name),
  revoke: async (key) => {
    await api.revokeWriteKey(key.id);
    return false;
  },
};

const ADMIN_TOKENS: CredentialKind<AdminToken> = {
  title: 'Admin tokens',
  id: 'admin-tokens',
  intro: (
    <>
      Admin tokens sign in here and call <code>/api/…</code>. The last live token cannot be revoked; revoking
      your own signs you out. Last use is not tracked.
    </>
  ),
  noun: 'admin token',
  placeholder: 'ops laptop',
  revokeLabel: (token) => `Revoke admin token ${token.name}`,
  confirmRevoke: (token) =>
    token.current
      ? `“${token.name}” is the token you are signed in with. Revoke it and sign out now?`
      : `Revoke the admin token “${token.name}”? Anyone using it is refused from now on.`,
  list: () => api.adminTokens(),
  create: (name) => api.createAdminToken(name),
  isCurrent: (token) => token.current,
  revoke: async (token) => {
    await api.revokeAdminToken(token.id, token.current);
    return token.current;
  },
};

function describeChannel(channel: ChannelInfo): string {
  if (channel.transport === 'smtp') {
    const where = `${channel.host}:${channel.port}${channel.secure ? ' (TLS)' : ''}`;
    return `SMTP relay ${where}${channel.authenticated ? ', with a login' : ''}; from ${channel.from}`;
  }
  if (channel.transport === 'sandbox')
    return `Sandbox: emails are kept on the Messages page and sent to no inbox; from ${channel.from}`;
  return channel.host ? `webhook to ${channel.host}` : channel.destination;
}

function TestSend(props: { channel: ChannelInfo }) {
  const { channel } = props;
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ChannelTestSend>();
  const [error, setError] = useState<unknown>();
  async function send(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await api.testChannel(channel.name, to.trim()));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const id = `test-to-${channel.name}`;
  return (
    <form onSubmit={send} className="row" data-testid={`test-${channel.name}`}>
      <div>
        <label htmlFor={id}>
          Send a test through {channel.name} to ({channel.testTo})
        </label>
        <input id={id} value={to} onChange={(e) => setTo(e.target.value)} required />
      </div>
      <button type="submit" disabled={busy || !to.trim()}>
        {busy ? 'Sending…' : 'Send test'}
      </button>
      {result?.accepted ? (
        <p role="status" className="small">
          <span className="badge sent">accepted</span> by {result.to}
          {result.providerMessageId ? ` (${result.providerMessageId})` : ''}
        </p>
      ) : null}
      {result && !result.accepted ? (
        <p role="alert" className="small error">
          <span className="badge failed">{result.status === 'retry' ? 'temporary failure' : 'refused'}</span>{' '}
          {result.error}
        </p>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

function Channels() {
  // The signing key is the owner's to see (admin); other roles are told where it is.
  const key = useApi(async () => (can('admin') ? api.signingKey() : undefined), []);
  const channels = useApi(() => api.channels(), []);
  return (
    <Card title="Channels" id="channels" wide>
      <p className="small muted">
        Configured with <code>RAPPORT_SMTP_URL</code>, <code>RAPPORT_EMAIL_FROM</code>,{' '}
        <code>RAPPORT_SMS_WEBHOOK_URL</code> and <code>RAPPORT_PUSH_WEBHOOK_URL</code> (docs/channels.md);
        passwords and provider keys are never shown. A test send goes through the channel itself to the
        address you type, skips journeys and consent, and is kept in the arbitration log as{' '}
        <code>test_send</code>.
      </p>
      {channels.error ? <ErrorNote error={channels.error} /> : null}
      {!channels.data && !channels.error ? <Loading /> : null}
      {channels.data?.items.some((c) => c.transport === 'sandbox') ? (
        <p className="small" role="note">
          <strong>Email is a sandbox:</strong> messages are kept on the Messages page and reach no real inbox.
          Set <code>RAPPORT_SMTP_URL=smtp://user:pass@relay:587</code> and restart to send for real.
        </p>
      ) : null}
      {channels.data &&
      !channels.data.items.some((c) => c.transport === 'smtp' || c.transport === 'sandbox') ? (
        <p className="small">
          No email channel: set <code>RAPPORT_SMTP_URL=smtp://user:pass@relay:587</code> and restart.
        </p>
      ) : null}
      {channels.data ? (
        <table>
          <thead>
            <tr>
              <th>Channel</th>
              <th>Configuration</th>
              <th>Consent purpose</th>
              <th>Test</th>
            </tr>
          </thead>
          <tbody>
            {channels.data.items.map((channel) => (
              <tr key={channel.name}>
                <td>
                  <code>{channel.name}</code>
                </td>
                <td className="small">{describeChannel(channel)}</td>
                <td>
                  <code>{channel.purpose}</code>
                </td>
                <td>
                  {channel.testable ? (
                    <Can needs="admin">
                      <TestSend channel={channel} />
                    </Can>
                  ) : (
                    <span className="muted small">no test send</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h3>Webhook signing</h3>
      {key.error ? <ErrorNote error={key.error} /> : null}
      {key.data ? (
        <p className="small">
          Receivers verify <code>X-Rapport-Signature</code> ({key.data.algorithm}) with the key from{' '}
          <code>GET /api/channels/webhook-signing-key</code>.
        </p>
      ) : null}
    </Card>
  );
}

type CapChannel = ArbitrationPolicyDocument['caps'][number]['channel'];
const CAP_CHANNELS: readonly CapChannel[] = ['all', 'email', 'sms', 'push', 'webhook'];
/** The select offers only CAP_CHANNELS; this tells the compiler so. */
const isCapChannel = (value: string): value is CapChannel =>
  (CAP_CHANNELS as readonly string[]).includes(value);

interface CapRow {
  channel: CapChannel;
  period: 'day' | 'week';
  limit: string;
}

/** What the form would send, or the problems to fix first (each naming its field). */
function policyFromForm(
  caps: CapRow[],
  quiet: { on: boolean; start: string; end: string },
  zone: string,
  holdout = '',
): { policy?: ArbitrationPolicyDocument; problems: string[] } {
  const problems: string[] = [];
  caps.forEach((cap, i) => {
    const limit = Number(cap.limit);
    if (cap.limit.trim() === '' || !Number.isInteger(limit) || limit < 0)
      problems.push(`Cap ${i + 1} limit: a whole number, 0 or more (got “${cap.limit}”)`);
  });
  if (quiet.on) {
    if (!/^\d\d:\d\d$/.test(quiet.start)) problems.push('Quiet hours start: a time like 21:00');
    if (!/^\d\d:\d\d$/.test(quiet.end)) problems.push('Quiet hours end: a time like 08:00');
    if (quiet.start === quiet.end)
      problems.push('Quiet hours: start and end are the same; switch them off instead');
  }
  if (zone.trim() === '') problems.push('Default time zone: required, e.g. Europe/Paris');
  const holdoutPercent = Number(holdout);
  if (holdout.trim() !== '' && !(holdoutPercent >= 0 && holdoutPercent <= 50))
    problems.push(`Global holdout: a percentage from 0 to 50 (got “${holdout}”)`);
  if (problems.length > 0) return { problems };
  return {
    problems,
    policy: {
      caps: caps.map((cap) => ({ channel: cap.channel, period: cap.period, limit: Number(cap.limit) })),
      ...(quiet.on ? { quietHours: { start: quiet.start, end: quiet.end } } : {}),
      defaultTimeZone: zone.trim(),
      ...(holdout.trim() !== '' && holdoutPercent > 0 ? { globalHoldout: { percent: holdoutPercent } } : {}),
    },
  };
}

function Policy() {
  const current = useApi(() => api.arbitrationPolicy(), []);
  const [caps, setCaps] = useState<CapRow[]>([]);
  const [quiet, setQuiet] = useState({ on: false, start: '21:00', end: '08:00' });
  const [zone, setZone] = useState('UTC');
  const [holdout, setHoldout] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<string>();
  useEffect(() => {
    const policy = current.data?.policy;
    if (!policy) return;
    setCaps(policy.caps.map((cap) => ({ ...cap, limit: String(cap.limit) })));
    setQuiet(
      policy.quietHours
        ? { on: true, start: policy.quietHours.start, end: policy.quietHours.end }
        : { on: false, start: '21:00', end: '08:00' },
    );
    setZone(policy.defaultTimeZone);
    setHoldout(policy.globalHoldout ? String(policy.globalHoldout.percent) : '');
  }, [current.data]);
  const editable = current.data?.editable ?? false;
  const updateCap = (i: number, change: Partial<CapRow>) =>
    setCaps((rows) => rows.map((row, j) => (j === i ? { ...row, ...change } : row)));
  async function save(event: FormEvent) {
    event.preventDefault();
    setSaved(undefined);
    setError(undefined);
    const checked = policyFromForm(caps, quiet, zone, holdout);
    setProblems(checked.problems);
    if (!checked.policy) return;
    try {
      const result = await api.saveArbitrationPolicy(checked.policy);
      setSaved(`Saved ${when(result.updatedAt)}; the next arbitration decision uses it.`);
      current.reload();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Card title="Fatigue caps and quiet hours" id="policy" wide>
      {current.error ? <ErrorNote error={current.error} /> : null}
      {!current.data && !current.error ? <Loading /> : null}
      {current.data ? (
        <p className="small muted">
          {current.data.source === 'file'
            ? `Set by ${current.data.origin}: read-only here. Edit the file and restart, or unset the variable to manage the policy on this page.`
            : current.data.source === 'default'
              ? 'No policy saved yet: no caps, no quiet hours. Caps count marketing messages per person across all journeys, in calendar days and ISO weeks of the person’s zone.'
              : `Saved ${when(current.data.updatedAt)}. Caps count marketing messages per person across all journeys, in calendar days and ISO weeks of the person’s zone.`}
        </p>
      ) : null}
      {current.data ? (
        <form onSubmit={save} aria-label="Arbitration policy">
          <fieldset disabled={!editable}>
            <legend>Caps</legend>
            {caps.length === 0 ? (
              <p className="small muted">No caps: add one to limit messages per person.</p>
            ) : null}
            {caps.map((cap, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions in the list being edited
              <div className="row" key={i} data-testid="cap-row">
                <div>
                  <label htmlFor={`cap-${i}-channel`}>Cap {i + 1} channel</label>
                  <select
                    id={`cap-${i}-channel`}
                    value={cap.channel}
                    onChange={(e) => {
                      const channel = e.target.value;
                      if (isCapChannel(channel)) updateCap(i, { channel });
                    }}
                  >
                    {CAP_CHANNELS.map((channel) => (
                      <option key={channel} value={channel}>
                        {channel === 'all' ? 'all channels' : channel}
                      </option>
                    ))}
                  </select>
                </div>
                <div>
                  <label htmlFor={`cap-${i}-period`}>Cap {i + 1} period</label>
                  <select
                    id={`cap-${i}-period`}
                    value={cap.period}
                    onChange={(e) => updateCap(i, { period: e.target.value as CapRow['period'] })}
                  >
                    <option value="day">per day</option>
                    <option value="week">per week</option>
                  </select>
                </div>
                <div>
                  <label htmlFor={`cap-${i}-limit`}>Cap {i + 1} limit</label>
                  <input
                    id={`cap-${i}-limit`}
                    // No min/step: the page's own check names the field in words (a native
                    // bubble would stop the submit without saying it to every reader).
                    type="number"
                    value={cap.limit}
                    onChange={(e) => updateCap(i, { limit: e.target.value })}
                  />
                </div>
                <button
                  type="button"
                  onClick={() => setCaps((rows) => rows.filter((_, j) => j !== i))}
                  aria-label={`Remove cap ${i + 1}`}
                >
                  Remove
                </button>
              </div>
            ))}
            <button
              type="button"
              onClick={() => setCaps((rows) => [...rows, { channel: 'email', period: 'day', limit: '2' }])}
            >
              Add a cap
            </button>
          </fieldset>
          <fieldset disabled={!editable}>
            <legend>Quiet hours (marketing waits until they end, in the person’s zone)</legend>
            <div className="row">
              <div>
                <label htmlFor="quiet-on">
                  <input
                    id="quiet-on"
                    type="checkbox"
                    checked={quiet.on}
                    onChange={(e) => setQuiet({ ...quiet, on: e.target.checked })}
                  />{' '}
                  Quiet hours on
                </label>
              </div>
              <div>
                <label htmlFor="quiet-start">Quiet hours start</label>
                <input
                  id="quiet-start"
                  type="time"
                  value={quiet.start}
                  disabled={!quiet.on}
                  onChange={(e) => setQuiet({ ...quiet, start: e.target.value })}
                />
              </div>
              <div>
                <label htmlFor="quiet-end">Quiet hours end</label>
                <input
                  id="quiet-end"
                  type="time"
                  value={quiet.end}
                  disabled={!quiet.on}
                  onChange={(e) => setQuiet({ ...quiet, end: e.target.value })}
                />
              </div>
              <div>
                <label htmlFor="policy-zone">Default time zone (for people whose zone is unknown)</label>
                <input
                  id="policy-zone"
                  value={zone}
                  onChange={(e) => setZone(e.target.value)}
                  placeholder="Europe/Paris"
                />
              </div>
              <div>
                <label htmlFor="policy-holdout">
                  Global holdout, % of people who get no marketing (to measure its lift)
                </label>
                <input
                  id="policy-holdout"
                  inputMode="decimal"
                  value={holdout}
                  onChange={(e) => setHoldout(e.target.value)}
                  placeholder="0"
                />
              </div>
            </div>
          </fieldset>
          {editable && can('marketing:write') ? (
            <button type="submit" className="primary" style={{ marginTop: '0.75rem' }}>
              Save policy
            </button>
          ) : null}
          {problems.length > 0 ? (
            <div className="error" role="alert">
              <ul>
                {problems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
            </div>
          ) : null}
          {error ? <ErrorNote error={error} /> : null}
          {saved ? (
            <p role="status" className="small">
              {saved}
            </p>
          ) : null}
        </form>
      ) : null}
    </Card>
  );
}

export default function Settings() {
  return (
    <>
      <PageHeader title="Settings" />
      <div className="grid">
        <CredentialPanel kind={WRITE_KEYS} />
        <Can needs="admin">
          <CredentialPanel kind={ADMIN_TOKENS} />
        </Can>
        <Channels />
        <Policy />
        <ConsentPurposesCard />
      </div>
    </>
  );
}
