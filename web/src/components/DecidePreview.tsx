// "What would this person see": a placement and a person found by name (or an unknown
// visitor), the offer the server would serve and every other offer with why it was not shown
// (`POST /api/placements/preview`: the decision /v1/decide makes, nothing recorded). Asked
// again whenever the definitions change, so an edit shows its effect at once.
import { type FormEvent, useState } from 'react';
import { api, type Placements, type ProfileSummary } from '../api.ts';
import { useApi } from '../hooks.ts';
import { type OfferVerdict, placementsApi } from '../placements-api.ts';
import { personLabel } from './PersonLink.tsx';
import { Card, ErrorNote, LoadStatus } from './ui.tsx';

const VERDICT: Record<OfferVerdict, string> = {
  chosen: 'shown',
  passed_over: 'eligible, ranked lower',
  default: 'default',
  not_started: 'not started',
  ended: 'ended',
  offer_cap: 'daily cap reached',
  person_cap: 'seen enough today',
  rule_not_met: 'rule not met',
  needs_consent: 'needs consent',
  unknown_person: 'unknown visitor',
};

function headlineOf(content: unknown): string {
  if (typeof content !== 'object' || content === null) return '';
  const c = content as Record<string, unknown>;
  return String(c.headline ?? c.text ?? '');
}

export function DecidePreview(props: { definitions: Placements }) {
  const placements = props.definitions.placements.map((p) => p.id);
  const [placement, setPlacement] = useState(placements[0] ?? '');
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<ProfileSummary[]>();
  const [person, setPerson] = useState<ProfileSummary>();
  const [error, setError] = useState<unknown>();
  const chosenPlacement = placements.includes(placement) ? placement : (placements[0] ?? '');
  const preview = useApi(
    () =>
      chosenPlacement
        ? placementsApi.preview({
            placement: chosenPlacement,
            ...(person ? { profileId: person.profileId } : {}),
          })
        : Promise.resolve(undefined),
    [chosenPlacement, person?.profileId, props.definitions],
  );
  async function search(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      setFound((await api.profiles({ q: query.trim(), limit: 10 })).items);
    } catch (e) {
      setError(e);
    }
  }
  const who = person ? (personLabel(person.traits) ?? person.profileId.slice(0, 8)) : 'An unknown visitor';
  const answer = preview.data;
  return (
    <Card title="What would this person see" id="preview" wide>
      <div className="row">
        <div>
          <label htmlFor="preview-placement">Placement</label>
          <select
            id="preview-placement"
            value={chosenPlacement}
            onChange={(e) => setPlacement(e.target.value)}
          >
            {placements.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </div>
        <form className="row" onSubmit={search}>
          <div>
            <label htmlFor="preview-person">Person (name, email or id)</label>
            <input id="preview-person" value={query} onChange={(e) => setQuery(e.target.value)} />
          </div>
          <button type="submit" disabled={!query.trim()}>
            Find
          </button>
        </form>
        <button type="button" aria-pressed={!person} onClick={() => setPerson(undefined)}>
          An unknown visitor
        </button>
      </div>
      {error ? <ErrorNote error={error} /> : null}
      {found && found.length === 0 ? <p className="small muted">No one matches “{query}”.</p> : null}
      {found && found.length > 0 ? (
        <ul aria-label="People found" className="plain-list">
          {found.map((p) => (
            <li key={p.profileId}>
              <button
                type="button"
                aria-pressed={person?.profileId === p.profileId}
                onClick={() => setPerson(p)}
              >
                {personLabel(p.traits) ?? p.profileId.slice(0, 8)}
                {typeof p.traits.email === 'string' ? ` (${p.traits.email})` : ''}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <LoadStatus state={preview} />
      {answer ? (
        <>
          <p id="preview-answer">
            <strong>{who}</strong> would see <strong>{answer.offer?.id ?? 'nothing'}</strong>
            {answer.offer && headlineOf(answer.offer.content)
              ? ` (“${headlineOf(answer.offer.content)}”)`
              : ''}{' '}
            on {answer.placement}: {answer.reason}
            {answer.personalization ? `. Consent for personalization: ${answer.personalization}.` : '.'}
          </p>
          <div className="table-wrap">
            <table id="preview-offers">
              <caption className="small">
                Every offer, best first, and why it was or was not shown. Nothing is recorded; a person’s own
                daily caps and experiments on the placement are not applied here.
              </caption>
              <thead>
                <tr>
                  <th>Offer</th>
                  <th>Verdict</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                {answer.offers.map((o) => (
                  <tr key={o.offerId} data-offer={o.offerId}>
                    <td>{o.offerId}</td>
                    <td>{VERDICT[o.verdict]}</td>
                    <td className="small">{o.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </Card>
  );
}
