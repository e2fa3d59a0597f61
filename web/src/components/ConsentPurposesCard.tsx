// The consent purposes on the Settings page (docs/privacy.md): each purpose with its description
// and what needs it; an admin with privacy rights adds one, describes one, or retires one after a
// confirmation (refused, with the reason shown, while a journey sends under it or a channel opts
// in with it). RAPPORT_CONSENT_PURPOSES still seeds the list at start.
import { type FormEvent, useState } from 'react';
import { api, type ConsentPurposes, can, request } from '../api.ts';
import { useApi } from '../hooks.ts';
import { Card, ErrorNote, Loading } from './ui.tsx';

type PurposeRow = ConsentPurposes['purposes'][number];

const purposesApi = {
  list: () => api.consentPurposes(),
  add: (name: string, description: string) =>
    request('POST', '/api/consent-purposes', { body: { name, ...(description ? { description } : {}) } }),
  describe: (name: string, description: string) =>
    request('PUT', `/api/consent-purposes/${encodeURIComponent(name)}`, { body: { description } }),
  retire: (name: string) => request('POST', `/api/consent-purposes/${encodeURIComponent(name)}/retire`),
};

function DescriptionCell(props: { row: PurposeRow; editable: boolean; onSaved: () => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(props.row.description ?? '');
  const [error, setError] = useState<unknown>();
  if (!editing)
    return (
      <>
        {props.row.description ?? <span className="muted">—</span>}{' '}
        {props.editable ? (
          <button type="button" className="link small" onClick={() => setEditing(true)}>
            Describe {props.row.purpose}
          </button>
        ) : null}
      </>
    );
  async function save(event: FormEvent) {
    event.preventDefault();
    try {
      await purposesApi.describe(props.row.purpose, text);
      setEditing(false);
      props.onSaved();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <form className="row" onSubmit={save}>
      <label htmlFor={`describe-${props.row.purpose}`}>Description of {props.row.purpose}</label>
      <input id={`describe-${props.row.purpose}`} value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit">Save</button>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

export function ConsentPurposesCard() {
  const purposes = useApi(() => purposesApi.list(), []);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const editable = (purposes.data?.editable ?? false) && can('privacy:write');

  async function run(work: () => Promise<unknown>, message: string) {
    setError(undefined);
    setDone(undefined);
    try {
      await work();
      setDone(message);
      purposes.reload();
    } catch (e) {
      setError(e);
    }
  }

  function add(event: FormEvent) {
    event.preventDefault();
    const trimmed = name.trim();
    void run(async () => {
      await purposesApi.add(trimmed, description.trim());
      setName('');
      setDescription('');
    }, `Added ${trimmed}: people can now grant or deny it.`);
  }

  function retire(purpose: string) {
    if (
      !window.confirm(
        `Retire “${purpose}”? It is no longer offered or accepted; choices people made for it are kept, and adding it again brings them back.`,
      )
    )
      return;
    void run(() => purposesApi.retire(purpose), `Retired ${purpose}.`);
  }

  return (
    <Card title="Consent purposes" id="purposes">
      {purposes.error ? <ErrorNote error={purposes.error} /> : null}
      {!purposes.data && !purposes.error ? <Loading /> : null}
      {purposes.data ? (
        <>
          <p className="small muted">
            What people can say yes or no to. <code>{purposes.data.configuredBy}</code> adds its purposes at
            start (docs/privacy.md); the rest are added here.
          </p>
          <div className="table-wrap">
            <table aria-label="Consent purposes">
              <thead>
                <tr>
                  <th>Purpose</th>
                  <th>Description</th>
                  <th>Needed by</th>
                  {editable ? <th /> : null}
                </tr>
              </thead>
              <tbody>
                {purposes.data.purposes.map((row) => (
                  <tr key={row.purpose}>
                    <td>
                      <code>{row.purpose}</code>
                      {row.configured ? null : (
                        <span
                          className="badge failed"
                          title="needed but not in the list: no one can grant it"
                        >
                          not configured
                        </span>
                      )}
                    </td>
                    <td className="small">
                      {row.configured ? (
                        <DescriptionCell row={row} editable={editable} onSaved={() => purposes.reload()} />
                      ) : null}
                    </td>
                    <td className="small">{row.usedBy.length > 0 ? row.usedBy.join('; ') : '—'}</td>
                    {editable ? (
                      <td>
                        {row.configured ? (
                          <button type="button" className="danger" onClick={() => retire(row.purpose)}>
                            Retire {row.purpose}
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {purposes.data.retired && purposes.data.retired.length > 0 ? (
            <p className="small muted" data-testid="retired-purposes">
              Retired: {purposes.data.retired.map((r) => r.purpose).join(', ')} (add one again to bring it
              back).
            </p>
          ) : null}
          {editable ? (
            <form className="row" onSubmit={add} aria-label="Add a consent purpose">
              <div>
                <label htmlFor="purpose-name">New purpose (letters, digits, _ or -)</label>
                <input id="purpose-name" required value={name} onChange={(e) => setName(e.target.value)} />
              </div>
              <div>
                <label htmlFor="purpose-description">What people agree to</label>
                <input
                  id="purpose-description"
                  value={description}
                  onChange={(e) => setDescription(e.target.value)}
                />
              </div>
              <button type="submit">Add purpose</button>
            </form>
          ) : null}
          {done ? (
            <p role="status" data-testid="purpose-status">
              {done}
            </p>
          ) : null}
          {error ? <ErrorNote error={error} /> : null}
          <ul className="small">
            {purposes.data.rules.map((rule) => (
              <li key={rule}>{rule}</li>
            ))}
          </ul>
        </>
      ) : null}
    </Card>
  );
}
