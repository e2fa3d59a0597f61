import { useState } from 'react';
import { api } from '../api.ts';
import { MessageStatsPanel } from '../components/MessageStatsPanel.tsx';
import { PersonLink } from '../components/PersonLink.tsx';
import { Card, Empty, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { when } from '../format.ts';
import { useApi } from '../hooks.ts';
import { Link } from '../router.tsx';

const PAGE = 25;

function DecisionLog() {
  const [action, setAction] = useState('');
  const [befores, setBefores] = useState<Array<number | null>>([null]);
  const before = befores[befores.length - 1] ?? null;
  const log = useApi(() => api.decisions({ limit: PAGE, before }), [before]);
  const items = (log.data?.items ?? []).filter((d) => !action || d.action === action);
  const last = log.data?.items[log.data.items.length - 1];
  return (
    <Card title="Arbitration log: every send, deferral and drop, with why" id="decisions" wide>
      <div className="row">
        <div>
          <label htmlFor="decision-action">Show</label>
          <select id="decision-action" value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">every decision</option>
            <option value="send">sent</option>
            <option value="defer">deferred</option>
            <option value="drop">suppressed (dropped)</option>
            <option value="fail">failed</option>
          </select>
        </div>
      </div>
      {log.error ? <ErrorNote error={log.error} /> : null}
      {!log.data && !log.error ? <Loading /> : null}
      {log.data && log.data.items.length === 0 && befores.length === 1 ? (
        <Empty title="No messages yet">
          <p>
            Messages are sent by journeys. Create one with a send step on{' '}
            <Link href="/journeys">Journeys</Link>, or try a message on{' '}
            <Link href="/templates">Templates</Link>
            with a test send.
          </p>
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Person</th>
                <th>Journey / step</th>
                <th>Channel</th>
                <th>Decision</th>
                <th>Code</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id}>
                  <td className="small">{when(d.at)}</td>
                  <td className="small">
                    {d.code === 'test_send' ? (
                      // A Settings "Send test": addressed to no person.
                      <span className="muted">no person</span>
                    ) : (
                      <PersonLink profileId={d.profileId} />
                    )}
                  </td>
                  <td className="small">
                    {d.journeyId
                      ? `${d.journeyId} / ${d.stepId ?? ''}`
                      : d.code === 'test_send'
                        ? 'Settings test send'
                        : 'API'}
                  </td>
                  <td>{d.channel ?? '–'}</td>
                  <td>
                    <span className={`badge ${d.action}`}>{d.action}</span>
                  </td>
                  <td className="small">{d.code}</td>
                  <td className="small">
                    {d.reason}
                    {d.until ? ` (until ${when(d.until)})` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav className="pager" aria-label="Decision pages">
        <button type="button" disabled={befores.length < 2} onClick={() => setBefores(befores.slice(0, -1))}>
          ← Newer
        </button>
        <button
          type="button"
          disabled={!last || (log.data?.items.length ?? 0) < PAGE}
          onClick={() => last && setBefores([...befores, last.id])}
        >
          Older →
        </button>
      </nav>
    </Card>
  );
}

function Outbox() {
  const [status, setStatus] = useState('deferred');
  const outbox = useApi(() => api.outbox({ status, limit: 15 }), [status]);
  return (
    <Card title="Outbox" id="outbox">
      <label htmlFor="outbox-status">Status</label>
      <select id="outbox-status" value={status} onChange={(e) => setStatus(e.target.value)}>
        {['queued', 'deferred', 'sending', 'sent', 'dropped', 'failed', 'dead'].map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
      {outbox.error ? <ErrorNote error={outbox.error} /> : null}
      {outbox.data && outbox.data.items.length === 0 ? <p className="muted">No {status} messages.</p> : null}
      {outbox.data && outbox.data.items.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th>Created</th>
              <th>Channel</th>
              <th>Journey</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {outbox.data.items.map((m) => (
              <tr key={m.id}>
                <td className="small">{when(m.createdAt)}</td>
                <td>{m.channel ?? m.kind}</td>
                <td className="small">{m.journeyId ?? m.origin}</td>
                <td className="small">{m.decisionReason ?? m.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Card>
  );
}

function Tasks() {
  const tasks = useApi(() => api.tasks({ status: 'open', limit: 15 }), []);
  return (
    <Card title="Task queue (open)" id="tasks">
      <p className="small">
        Claim, mark done or skip them on the <Link href="/tasks">Tasks</Link> page.
      </p>
      {tasks.error ? <ErrorNote error={tasks.error} /> : null}
      {tasks.data && tasks.data.items.length === 0 ? (
        <p className="muted">
          No open tasks. A journey's createTask step puts work here for people to act on.
        </p>
      ) : null}
      {tasks.data && tasks.data.items.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th>Queue</th>
              <th>Task</th>
              <th>Due</th>
            </tr>
          </thead>
          <tbody>
            {tasks.data.items.map((t) => (
              <tr key={t.id}>
                <td>{t.queue}</td>
                <td>
                  <Link href={`/people/${encodeURIComponent(t.profileId)}`}>{t.title}</Link>
                </td>
                <td className="small">{when(t.dueAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Card>
  );
}

/** One kept email: who it was for, its text and its HTML in a frame that runs nothing and follows no link. */
function CapturedMessage(props: { id: string }) {
  const email = useApi(() => api.sandboxEmail(props.id), [props.id]);
  if (email.error) return <ErrorNote error={email.error} />;
  if (!email.data) return <Loading />;
  const { to, from, subject, text, html } = email.data;
  return (
    <section className="sandbox-message" aria-label={`Kept email: ${subject}`}>
      <p className="small">
        From {from} to {to}: <strong>{subject}</strong>
      </p>
      {html ? (
        <iframe
          title={`HTML of ${subject}`}
          sandbox=""
          srcDoc={html}
          style={{ width: '100%', height: 280 }}
        />
      ) : null}
      {text ? <pre className="small">{text}</pre> : null}
    </section>
  );
}

function SandboxInbox() {
  const [befores, setBefores] = useState<Array<string | null>>([null]);
  const [open, setOpen] = useState<string | null>(null);
  const before = befores[befores.length - 1] ?? null;
  const inbox = useApi(() => api.sandboxEmails({ limit: PAGE, before }), [before]);
  if (inbox.error) return null;
  if (!inbox.data || (!inbox.data.sandbox && inbox.data.items.length === 0 && befores.length === 1))
    return null;
  const items = inbox.data.items;
  const last = items[items.length - 1];
  return (
    <Card title="Sandbox inbox: emails kept here, sent to no one" id="sandbox" wide>
      <p role="note">
        {inbox.data.sandbox ? 'The email channel is a sandbox. ' : 'The email sandbox is off now. '}
        These messages were built exactly as they would be sent (tracking links, unsubscribe) and kept in
        Rapport: <strong>none of them reached a real inbox.</strong> An operator connects a real mail server
        with RAPPORT_SMTP_URL (docs/channels.md).
      </p>
      {items.length === 0 ? <p className="muted">No email kept yet.</p> : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Kept</th>
                <th>Person</th>
                <th>Journey / step</th>
                <th>Subject</th>
              </tr>
            </thead>
            <tbody>
              {items.map((email) => (
                <tr key={email.id}>
                  <td className="small">{when(email.capturedAt)}</td>
                  <td className="small">
                    <PersonLink profileId={email.profileId} />
                  </td>
                  <td className="small">
                    {email.journeyId ? `${email.journeyId} / ${email.stepId ?? ''}` : 'API'}
                  </td>
                  <td>
                    <button type="button" onClick={() => setOpen(open === email.id ? null : email.id)}>
                      {email.subject}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {open ? <CapturedMessage id={open} /> : null}
      <nav className="pager" aria-label="Sandbox inbox pages">
        <button type="button" disabled={befores.length < 2} onClick={() => setBefores(befores.slice(0, -1))}>
          ← Newer
        </button>
        <button
          type="button"
          disabled={!last || items.length < PAGE}
          onClick={() => last && setBefores([...befores, last.id])}
        >
          Older →
        </button>
      </nav>
    </Card>
  );
}

export default function Messages() {
  return (
    <>
      <PageHeader title="Messages and arbitration" />
      <div className="grid">
        <MessageStatsPanel />
        <SandboxInbox />
        <DecisionLog />
        <Outbox />
        <Tasks />
      </div>
    </>
  );
}
