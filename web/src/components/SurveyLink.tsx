// A person's own link to a survey's hosted page, for a channel Rapport does not send through
// (a call, a chat, a letter): `POST /api/survey-links`, signed so it names them. The link is
// shown to copy, never opened from here (opening it is answering as them).
import { type FormEvent, useState } from 'react';
import { Can } from '../access.tsx';
import { request } from '../api.ts';
import { useApi } from '../hooks.ts';
import { ErrorNote } from './ui.tsx';

export function SurveyLink(props: { profileId: string }) {
  const surveys = useApi(
    () => request<{ surveys: Array<{ id: string; title: string; status?: string }> }>('GET', '/api/surveys'),
    [],
  );
  const open = (surveys.data?.surveys ?? []).filter((s) => s.status !== 'closed');
  const [chosen, setChosen] = useState('');
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState<unknown>();
  const surveyId = chosen || open[0]?.id || '';
  async function make(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    setUrl(undefined);
    try {
      const answer = await request<{ url: string }>('POST', '/api/survey-links', {
        body: { surveyId, profileId: props.profileId },
      });
      setUrl(answer.url);
    } catch (e) {
      setError(e);
    }
  }
  if (open.length === 0) return null;
  return (
    <Can needs="marketing:write">
      <form className="row" onSubmit={make} aria-label="Survey link">
        <div>
          <label htmlFor="survey-link-survey">A link for this person to</label>
          <select id="survey-link-survey" value={surveyId} onChange={(e) => setChosen(e.target.value)}>
            {open.map((s) => (
              <option key={s.id} value={s.id}>
                {s.title}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Make link</button>
      </form>
      {url ? (
        <p className="small">
          <label htmlFor="survey-link-url">
            Their link (answers count as theirs; send it, do not open it)
          </label>
          <input id="survey-link-url" readOnly value={url} size={60} onFocus={(e) => e.target.select()} />
        </p>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </Can>
  );
}
