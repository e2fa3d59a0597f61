// Files the API makes, as buttons: a segment's members as CSV, and the bulk exports of events
// and profiles as NDJSON (`people:export`: the owner and the privacy officer). The token goes
// in a header (download()), never in the URL.
import { type FormEvent, useState } from 'react';
import { Can } from '../access.tsx';
import { api, download } from '../api.ts';
import { useApi } from '../hooks.ts';
import { Card, ErrorNote } from './ui.tsx';

function useDownload(): [(path: string, filename: string) => Promise<void>, unknown] {
  const [error, setError] = useState<unknown>();
  const run = async (path: string, filename: string) => {
    setError(undefined);
    try {
      await download(path, filename);
    } catch (e) {
      setError(e);
    }
  };
  return [run, error];
}

/** A segment's members (profile id, since, reason) as a CSV file. */
export function MembersCsvButton(props: { segmentId: string }) {
  const [run, error] = useDownload();
  return (
    <Can needs="people:export">
      <button
        type="button"
        onClick={() =>
          void run(
            `/api/segments/${encodeURIComponent(props.segmentId)}/members.csv`,
            `${props.segmentId}-members.csv`,
          )
        }
      >
        Download members (CSV)
      </button>
      {error ? <ErrorNote error={error} /> : null}
    </Can>
  );
}

const EXPORT_EVENTS = '/api/export/events';
const EXPORT_PROFILES = '/api/export/profiles';

const query = (fields: Record<string, string>) => {
  const params = new URLSearchParams(Object.entries(fields).filter(([, value]) => value.trim() !== ''));
  const text = params.toString();
  return text ? `?${text}` : '';
};

/** Every event (filtered by time, name, type) or every profile (optionally one segment's), as NDJSON. */
export function BulkExportCard() {
  const segments = useApi(() => api.segments(), []);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [name, setName] = useState('');
  const [type, setType] = useState('');
  const [segment, setSegment] = useState('');
  const [run, error] = useDownload();
  const events = (event: FormEvent) => {
    event.preventDefault();
    void run(EXPORT_EVENTS + query({ from, to, name, type }), 'events.ndjson');
  };
  const profiles = (event: FormEvent) => {
    event.preventDefault();
    void run(
      EXPORT_PROFILES + query({ segment }),
      segment ? `profiles-${segment}.ndjson` : 'profiles.ndjson',
    );
  };
  return (
    <Can needs="people:export">
      <Card title="Export everything" id="bulk-export" wide>
        <p className="small muted">
          Files with one JSON object a line (NDJSON), streamed by the server: events as the Segment messages
          that arrived, in log order; profiles with their identities and traits. They hold personal data: keep
          them as carefully as the data itself (docs/import-export.md).
        </p>
        <form className="row" onSubmit={events} aria-label="Export events">
          <div>
            <label htmlFor="export-from">Events from (date or time, UTC)</label>
            <input
              id="export-from"
              value={from}
              placeholder="2026-01-01"
              onChange={(e) => setFrom(e.target.value)}
            />
          </div>
          <div>
            <label htmlFor="export-to">before</label>
            <input id="export-to" value={to} placeholder="any time" onChange={(e) => setTo(e.target.value)} />
          </div>
          <div>
            <label htmlFor="export-name">Event name</label>
            <input
              id="export-name"
              value={name}
              placeholder="every name"
              onChange={(e) => setName(e.target.value)}
            />
          </div>
          <div>
            <label htmlFor="export-type">Type</label>
            <select id="export-type" value={type} onChange={(e) => setType(e.target.value)}>
              <option value="">every type</option>
              {['track', 'identify', 'page', 'screen', 'group', 'alias'].map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </div>
          <button type="submit">Download events</button>
        </form>
        <form className="row" onSubmit={profiles} aria-label="Export profiles">
          <div>
            <label htmlFor="export-segment">Profiles of</label>
            <select id="export-segment" value={segment} onChange={(e) => setSegment(e.target.value)}>
              <option value="">everyone</option>
              {(segments.data?.segments ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Download profiles</button>
        </form>
        {error ? <ErrorNote error={error} /> : null}
      </Card>
    </Can>
  );
}
