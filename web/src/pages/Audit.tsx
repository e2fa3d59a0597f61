// The audit log (owner, privacy officer): every admin write, export, sign-in and refusal,
// newest first, filtered by who, route, person and outcome; paged by id.
import { type FormEvent, useState } from 'react';
import { type AuditEntry, access } from '../api.ts';
import { Card, LoadStatus, PageHeader } from '../components/ui.tsx';
import { useApi } from '../hooks.ts';

const PAGE = 25;

function Changes(props: { entry: AuditEntry }) {
  const { entry } = props;
  if (entry.redactedAt)
    return (
      <span className="muted small">erased person: details removed {entry.redactedAt.slice(0, 10)}</span>
    );
  if (!entry.changes) return null;
  return (
    <details>
      <summary>what changed</summary>
      <pre className="code">{JSON.stringify(entry.changes, null, 2)}</pre>
    </details>
  );
}

export default function Audit() {
  const [draft, setDraft] = useState({ actor: '', route: '', subject: '', outcome: '' });
  const [filter, setFilter] = useState(draft);
  const [befores, setBefores] = useState<Array<number | undefined>>([undefined]);
  const before = befores.at(-1);
  const log = useApi(
    () =>
      access.audit({
        limit: PAGE,
        before,
        actor: filter.actor || undefined,
        route: filter.route || undefined,
        subject: filter.subject || undefined,
        outcome: filter.outcome || undefined,
      }),
    [filter, before],
  );
  function apply(event: FormEvent) {
    event.preventDefault();
    setFilter(draft);
    setBefores([undefined]);
  }
  const items = log.data?.items ?? [];
  return (
    <>
      <PageHeader title="Audit log" />
      <Card id="audit-filter">
        <form className="row" onSubmit={apply} aria-label="Filter the audit log">
          <label>
            Who <input value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} />
          </label>
          <label>
            Route starts with{' '}
            <input
              value={draft.route}
              placeholder="/api/segments"
              onChange={(e) => setDraft({ ...draft, route: e.target.value })}
            />
          </label>
          <label>
            Person (profile id){' '}
            <input value={draft.subject} onChange={(e) => setDraft({ ...draft, subject: e.target.value })} />
          </label>
          <label>
            Outcome{' '}
            <select value={draft.outcome} onChange={(e) => setDraft({ ...draft, outcome: e.target.value })}>
              <option value="">any</option>
              <option value="done">done</option>
              <option value="refused">refused</option>
            </select>
          </label>
          <button type="submit">Apply</button>
        </form>
      </Card>
      <Card id="audit" wide>
        <LoadStatus state={log} />
        <table>
          <thead>
            <tr>
              <th>When (UTC)</th>
              <th>Who</th>
              <th>What</th>
              <th>Outcome</th>
              <th>Person</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {items.map((entry) => (
              <tr key={entry.id}>
                <td>{entry.at.replace('T', ' ').slice(0, 19)}</td>
                <td>
                  {entry.actorName}{' '}
                  <span className="small muted">
                    {entry.role ?? ''} {entry.actorKind}
                  </span>
                </td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td>
                  {entry.status === 403
                    ? 'refused'
                    : entry.status >= 400
                      ? `failed (${entry.status})`
                      : 'done'}
                </td>
                <td>{entry.subject ?? ''}</td>
                <td>
                  <Changes entry={entry} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {log.data && items.length === 0 ? <p className="muted">Nothing recorded matches.</p> : null}
        <div className="row">
          <button
            type="button"
            disabled={befores.length < 2}
            onClick={() => setBefores(befores.slice(0, -1))}
          >
            Newer
          </button>
          <button
            type="button"
            disabled={items.length < PAGE}
            onClick={() => setBefores([...befores, items.at(-1)?.id])}
          >
            Older
          </button>
        </div>
      </Card>
    </>
  );
}
