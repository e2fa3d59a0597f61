// Personas from data (docs/personas.md): fit clusters of people on what they did, read each
// persona's card, and turn one into a segment. The types are the server's own (src/personas).
import { type FormEvent, useState } from 'react';
import type { PersonaCard, PersonaFit } from '../../../src/personas/model.ts';
import { Can } from '../access.tsx';
import { request } from '../api.ts';
import { Card, Empty, ErrorNote, Loading, PageHeader, Stat } from '../components/ui.tsx';
import { num, pct, when } from '../format.ts';
import { isNotFound, useApi } from '../hooks.ts';

const personasApi = {
  latest: () => request<PersonaFit>('GET', '/api/personas'),
  fit: (body: { traits?: string[]; k?: number; scale: boolean }) =>
    request<PersonaFit>('POST', '/api/personas/fit', { body }),
  makeSegment: (persona: PersonaCard) =>
    request<{ id: string }>('POST', '/api/segments', {
      body: { name: `Persona: ${persona.name}`, text: `computed persona = "${persona.id}"` },
    }),
};

function FitForm(props: { onFitted: (fit: PersonaFit) => void }) {
  const [traits, setTraits] = useState('');
  const [k, setK] = useState('auto');
  const [scale, setScale] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const names = traits
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      props.onFitted(
        await personasApi.fit({
          scale,
          ...(names.length ? { traits: names } : {}),
          ...(k === 'auto' ? {} : { k: Number(k) }),
        }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} aria-label="Fit personas">
      <label htmlFor="persona-traits">Numeric traits to add (comma-separated, optional)</label>
      <input
        id="persona-traits"
        value={traits}
        placeholder="age, household_size"
        onChange={(e) => setTraits(e.target.value)}
      />
      <label htmlFor="persona-k">Number of personas</label>
      <select id="persona-k" value={k} onChange={(e) => setK(e.target.value)}>
        <option value="auto">Let the data choose (silhouette)</option>
        {[2, 3, 4, 5, 6, 7, 8].map((n) => (
          <option key={n} value={String(n)}>
            {n}
          </option>
        ))}
      </select>
      <label htmlFor="persona-scale">
        <input
          id="persona-scale"
          type="checkbox"
          checked={scale}
          onChange={(e) => setScale(e.target.checked)}
        />{' '}
        Standardise the features (recommended)
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Fitting…' : 'Fit personas'}
      </button>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

function PersonaCardView(props: { persona: PersonaCard }) {
  const { persona } = props;
  const [segment, setSegment] = useState<string>();
  const [error, setError] = useState<unknown>();
  return (
    <Card title={persona.name}>
      <p>
        <strong>{num(persona.size)}</strong> people ({pct(persona.share)}) · id <code>{persona.id}</code>
      </p>
      {persona.standsOut.length === 0 ? (
        <p className="muted">Like the population as a whole.</p>
      ) : (
        <ul aria-label={`What sets ${persona.name} apart`}>
          {persona.standsOut.map((s) => (
            <li key={s.feature}>
              {s.direction === 'higher' ? 'More' : 'Fewer'} {s.label}: mean {s.mean.toLocaleString('en')}{' '}
              against {s.populationMean.toLocaleString('en')} for everyone ({s.sd > 0 ? '+' : ''}
              {s.sd.toFixed(1)} sd)
            </li>
          ))}
        </ul>
      )}
      {persona.typicalJourney ? (
        <p className="small">
          Typical journey: {persona.typicalJourney.steps.join(' → ')} ({pct(persona.typicalJourney.share)} of
          them)
        </p>
      ) : null}
      {persona.preferredChannel ? (
        <p className="small">
          Preferred channel: {persona.preferredChannel.channel} ({pct(persona.preferredChannel.share)} of
          their engagement)
        </p>
      ) : null}
      <Can needs="marketing:write">
        {segment ? (
          <p className="small">
            Saved as a segment: <a href={`/segments/${encodeURIComponent(segment)}`}>open it</a>
          </p>
        ) : (
          <button
            type="button"
            onClick={() =>
              personasApi.makeSegment(persona).then(
                (s) => setSegment(s.id),
                (e) => setError(e),
              )
            }
          >
            Make a segment of these people
          </button>
        )}
      </Can>
      {error ? <ErrorNote error={error} /> : null}
    </Card>
  );
}

export default function Personas() {
  const latest = useApi(personasApi.latest, []);
  const [fitted, setFitted] = useState<PersonaFit>();
  const fit = fitted ?? latest.data;
  return (
    <>
      <PageHeader title="Personas" />
      <p className="muted">
        Who your customers are, from what they did rather than from who we imagine them to be: people
        clustered on recency, orders, revenue, views, email engagement and active days (docs/personas.md).
      </p>
      <Can needs="marketing:write">
        <Card title="Fit personas from the data">
          <FitForm onFitted={setFitted} />
        </Card>
      </Can>
      {latest.loading && !fit ? <Loading what="personas" /> : null}
      {latest.error && !isNotFound(latest.error) && !fit ? <ErrorNote error={latest.error} /> : null}
      {!fit && !latest.loading && (!latest.error || isNotFound(latest.error)) ? (
        <Empty title="No personas yet">
          Fit them above: the data chooses how many, and each card says what sets its people apart.
        </Empty>
      ) : null}
      {fit ? (
        <>
          <div className="stats">
            <Stat label="Personas" value={fit.k} />
            <Stat label="People" value={num(fit.people)} />
            <Stat
              label="Silhouette"
              value={fit.silhouette.toFixed(3)}
              hint="how well separated, from −1 to 1"
            />
            <Stat label="Fitted" value={when(fit.fittedAt)} />
          </div>
          <div className="grid">
            {fit.personas.map((persona) => (
              <PersonaCardView key={persona.id} persona={persona} />
            ))}
          </div>
          <Card title="How many personas">
            <table>
              <caption className="small muted">
                Each number of personas tried, with its silhouette (higher is better)
              </caption>
              <thead>
                <tr>
                  <th scope="col">Personas</th>
                  <th scope="col">Silhouette</th>
                  <th scope="col">Inertia</th>
                </tr>
              </thead>
              <tbody>
                {fit.tried.map((t) => (
                  <tr key={t.k}>
                    <td>{t.k}</td>
                    <td>{t.silhouette.toFixed(3)}</td>
                    <td>{t.inertia.toFixed(1)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        </>
      ) : null}
    </>
  );
}
