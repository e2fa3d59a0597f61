import { type FormEvent, useRef, useState } from 'react';
import { Can } from '../access.tsx';
import { api, download, type ErasureJob, type Profile360 } from '../api.ts';
import { LoyaltyLedger } from '../components/LoyaltyLedger.tsx';
import { SurveyLink } from '../components/SurveyLink.tsx';
import { traitOrigin } from '../components/trait-origin.ts';
import { Card, Empty, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { num, pct, show, when } from '../format.ts';
import { isNotFound, useApi } from '../hooks.ts';
import { personApi } from '../people-api.ts';
import { Link } from '../router.tsx';

function displayName(profile: Profile360): string {
  const t = profile.traits;
  const label = t.name ?? ([t.first_name, t.last_name].filter(Boolean).join(' ') || t.email);
  return typeof label === 'string' && label ? label : profile.profileId;
}

function Traits(props: { profile: Profile360 }) {
  const entries = Object.entries(props.profile.traits);
  if (entries.length === 0) return <p className="muted">No traits yet: an identify call sets them.</p>;
  // The table can be wider than its card (long values and message ids): keyboard users scroll it.
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus (axe-core)
    <section className="table-wrap" aria-label="Traits, scrollable" tabIndex={0}>
      <table>
        <thead>
          <tr>
            <th>Trait</th>
            <th>Value</th>
            <th>Source</th>
            <th>Set</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([key, value]) => {
            const source = props.profile.traitSources[key];
            const origin = source ? traitOrigin(source.source, source.messageId) : undefined;
            return (
              <tr key={key}>
                <td>{key}</td>
                <td>{show(value)}</td>
                <td className="small" data-testid={`trait-source-${key}`}>
                  {origin?.href ? <Link href={origin.href}>{origin.text}</Link> : (origin?.text ?? '–')}
                  {source ? <span className="muted"> · message {source.messageId}</span> : null}
                </td>
                <td className="small nowrap">{when(source?.at)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Identities(props: { profile: Profile360 }) {
  const { profile } = props;
  return (
    <>
      <ul>
        {profile.identities.map((identity) => (
          <li key={`${identity.kind}:${identity.value}`}>
            <strong>{identity.kind}</strong> {identity.value}{' '}
            <span className="muted small">since {when(identity.firstSeen)}</span>
          </li>
        ))}
      </ul>
      <h3>Merges</h3>
      {profile.merges.length === 0 ? (
        <p className="muted">No merges: every identifier arrived on this profile.</p>
      ) : (
        <ul>
          {profile.merges.map((merge) => (
            <li key={merge.id}>
              {when(merge.at)} · {merge.outcome}: {merge.loserId} into {merge.winnerId}{' '}
              <span className="muted small">({merge.reason})</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Consent(props: { profileId: string }) {
  const consent = useApi(() => api.consent(props.profileId), [props.profileId]);
  const [changes, setChanges] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string>();
  const [error, setError] = useState<unknown>();
  async function save(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      await api.setConsent(props.profileId, changes, 'changed in the dashboard');
      setSaved('Saved: the change goes through the ingest log and shows here within a second.');
      setChanges({});
      setTimeout(consent.reload, 800);
    } catch (e) {
      setError(e);
    }
  }
  if (consent.error) return <ErrorNote error={consent.error} />;
  if (!consent.data) return <Loading />;
  const purposes = Object.entries(consent.data.consent);
  return (
    <form onSubmit={save}>
      {purposes.length === 0 ? (
        <p className="muted">No consent purposes are configured (RAPPORT_CONSENT_PURPOSES).</p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th>Purpose</th>
            <th>State</th>
            <th>Sending allowed</th>
          </tr>
        </thead>
        <tbody>
          {purposes.map(([purpose, current]) => (
            <tr key={purpose}>
              <td>
                <label htmlFor={`consent-${purpose}`} style={{ margin: 0 }}>
                  {purpose}
                </label>
              </td>
              <td>
                <select
                  id={`consent-${purpose}`}
                  value={changes[purpose] ?? current.state}
                  onChange={(e) => setChanges({ ...changes, [purpose]: e.target.value })}
                >
                  <option value="granted">granted</option>
                  <option value="denied">denied</option>
                  <option value="unknown">unknown</option>
                </select>
              </td>
              <td>{current.allowed === undefined ? '–' : current.allowed ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row" style={{ marginTop: '0.5rem' }}>
        <Can needs="privacy:write">
          <button type="submit" disabled={Object.keys(changes).length === 0}>
            Save consent
          </button>
        </Can>
        {saved ? (
          <span className="ok" role="status">
            {saved}
          </span>
        ) : null}
      </div>
      {error ? <ErrorNote error={error} /> : null}
      <h3>History</h3>
      {consent.data.history.length === 0 ? (
        <p className="muted">No decisions recorded.</p>
      ) : (
        <ul className="small">
          {consent.data.history
            .slice(-20)
            .reverse()
            .map((h) => (
              <li key={h.id}>
                {when(h.at)} · {h.purpose} <span className={`badge ${h.state}`}>{h.state}</span> via{' '}
                {h.source}
              </li>
            ))}
        </ul>
      )}
    </form>
  );
}

async function membershipsOf(profileId: string) {
  const { segments } = await api.segments();
  const shown = segments.slice(0, 20);
  const answers = await Promise.all(shown.map((s) => api.why(s.id, profileId).catch(() => null)));
  return shown.map((segment, i) => {
    return { segment, member: answers[i]?.member ?? null };
  });
}

function Segments(props: { profileId: string }) {
  const result = useApi(() => membershipsOf(props.profileId), [props.profileId]);
  if (result.error) return <ErrorNote error={result.error} />;
  if (!result.data) return <Loading />;
  if (result.data.length === 0)
    return (
      <p className="muted">
        No segments defined. <Link href="/segments">Build one</Link>.
      </p>
    );
  const inside = result.data.filter((r) => r.member);
  return (
    <>
      {inside.length === 0 ? <p className="muted">In none of the {result.data.length} segments.</p> : null}
      <ul>
        {inside.map(({ segment }) => (
          <li key={segment.id}>
            <Link href={`/segments/${encodeURIComponent(segment.id)}`}>{segment.name}</Link>
          </li>
        ))}
      </ul>
    </>
  );
}

function Journeys(props: { profileId: string }) {
  const journeys = useApi(() => api.profileJourneys(props.profileId), [props.profileId]);
  if (journeys.error) return <ErrorNote error={journeys.error} />;
  if (!journeys.data) return <Loading />;
  if (journeys.data.items.length === 0)
    return (
      <p className="muted">
        Not in any journey yet. People enter a journey when its entry event, segment or schedule matches them;
        see <Link href="/journeys">Journeys</Link>.
      </p>
    );
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Journey</th>
            <th>Status</th>
            <th>Step</th>
            <th>Entered</th>
            <th>Left</th>
          </tr>
        </thead>
        <tbody>
          {journeys.data.items.map((j) => (
            <tr key={j.instanceId}>
              <td>
                <Link href={`/journeys/${encodeURIComponent(j.journeyId)}`}>{j.name}</Link>{' '}
                <span className="muted small">v{j.version}</span>
              </td>
              <td>
                <span className={`badge ${j.status}`}>{j.status}</span>
                {j.exitReason && j.exitReason !== j.status ? (
                  <span className="muted small"> ({j.exitReason})</span>
                ) : null}
              </td>
              <td>
                <code>{j.currentStep}</code>
              </td>
              <td>{when(j.enteredAt)}</td>
              <td>{when(j.exitedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Computed(props: { profile: Profile360 }) {
  const computed = props.profile.computedProperties;
  // The stage is the segments processor's (the profile's lifecycleStage), not a computed value.
  const stage = props.profile.lifecycleStage;
  const entries = Object.entries(computed);
  const lead = computed.lead_explanation;
  const value = computed.value_explanation;
  return (
    <>
      <p data-testid="lifecycle-stage">
        Lifecycle stage: <strong>{stage ? stage.stage : '–'}</strong>
        {stage ? <span className="muted small"> (since {when(stage.since)})</span> : null}
      </p>
      {value ? (
        <p data-testid="value-explanation">
          Value score, why: <strong>{show(value.value)}</strong>{' '}
          <span className="muted small">
            (<Link href="/value">how scores are made</Link>)
          </span>
        </p>
      ) : null}
      {lead ? (
        <p data-testid="lead-breakdown">
          Lead score, how it is made up: <strong>{show(lead.value)}</strong>
        </p>
      ) : null}
      {entries.length === 0 ? (
        <p className="muted">
          No computed values yet: value scores appear after a refresh (<strong>Recompute now</strong> on the{' '}
          <Link href="/value">Value</Link> page).
        </p>
      ) : (
        <dl className="kv">
          {entries.map(([key, { value, computedAt }]) => (
            <div key={key} style={{ display: 'contents' }}>
              <dt>{key}</dt>
              <dd>
                {show(value)} <span className="muted small">({when(computedAt)})</span>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </>
  );
}

function Channels(props: { profileId: string }) {
  const prefs = useApi(() => api.channelsOf(props.profileId), [props.profileId]);
  if (prefs.error) return <ErrorNote error={prefs.error} />;
  if (!prefs.data) return <Loading />;
  return (
    <>
      <p>{prefs.data.best ? <strong>{prefs.data.best.explanation}</strong> : 'No preferred channel yet.'}</p>
      <table>
        <thead>
          <tr>
            <th>Channel</th>
            <th className="num">Engagement</th>
            <th>Consent</th>
          </tr>
        </thead>
        <tbody>
          {prefs.data.estimates.map((e) => (
            <tr key={e.channel}>
              <td>{e.channel}</td>
              <td className="num">
                {pct(e.rate)}{' '}
                <span className="muted small">
                  ({e.engaged} of {e.sent})
                </span>
              </td>
              <td>{e.consented ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Timeline(props: { profileId: string }) {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useApi(() => api.timeline(props.profileId, cursor, 15), [props.profileId, cursor]);
  return (
    <>
      {page.error ? <ErrorNote error={page.error} /> : null}
      {page.loading && !page.data ? <Loading /> : null}
      {page.data ? (
        <ol className="small" aria-label="Events, newest first" style={{ paddingLeft: '1.2rem' }}>
          {page.data.items.map((event) => (
            <li key={event.seq}>
              <strong>{event.name ?? event.type}</strong>{' '}
              <span className="muted">{when(event.timestamp)}</span>{' '}
              <span className="muted">
                {Object.entries(event.properties)
                  .filter(([, v]) => typeof v !== 'object')
                  .slice(0, 4)
                  .map(([k, v]) => `${k}: ${show(v)}`)
                  .join(' · ')}
              </span>
            </li>
          ))}
        </ol>
      ) : null}
      <nav className="pager" aria-label="Timeline pages">
        <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
          ← Newer
        </button>
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}
        >
          Older →
        </button>
      </nav>
    </>
  );
}

function Arbitration(props: { profileId: string }) {
  const log = useApi(() => api.decisions({ profileId: props.profileId, limit: 20 }), [props.profileId]);
  if (log.error) return <ErrorNote error={log.error} />;
  if (!log.data) return <Loading />;
  if (log.data.items.length === 0) return <p className="muted">No message was considered for this person.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>When</th>
          <th>Journey</th>
          <th>Channel</th>
          <th>Decision</th>
          <th>Why</th>
        </tr>
      </thead>
      <tbody>
        {log.data.items.map((d) => (
          <tr key={d.id}>
            <td className="small">{when(d.at)}</td>
            <td className="small">{d.journeyId ?? '–'}</td>
            <td>{d.channel ?? '–'}</td>
            <td>
              <span className={`badge ${d.action}`}>{d.action}</span>
            </td>
            <td className="small">{d.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Erase(props: { profile: Profile360; onGone: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const [job, setJob] = useState<ErasureJob>();
  const [error, setError] = useState<unknown>();
  async function erase(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      let current = await api.erase(props.profile.profileId);
      setJob(current);
      for (let i = 0; i < 120 && current.status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        current = await api.erasureJob(current.id);
        setJob(current);
      }
    } catch (e) {
      setError(e);
    }
  }
  return (
    <>
      <button type="button" className="danger" onClick={() => dialog.current?.showModal()}>
        Erase…
      </button>
      <dialog ref={dialog} aria-labelledby="erase-title">
        <form onSubmit={erase}>
          <h2 id="erase-title">Erase this person?</h2>
          <p>
            Everything held about <strong>{displayName(props.profile)}</strong> is deleted from every store,
            and messages carrying their identifiers are dropped from now on. This cannot be undone.
          </p>
          <label htmlFor="erase-confirm">Type the profile id ({props.profile.profileId}) to confirm</label>
          <input
            id="erase-confirm"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            style={{ width: '100%' }}
          />
          {job ? (
            <p role="status">
              Erasure {job.status}
              {job.status === 'complete' ? `: ${job.steps.length} steps done.` : '…'}
            </p>
          ) : null}
          {error ? <ErrorNote error={error} /> : null}
          <div className="row" style={{ marginTop: '0.75rem' }}>
            {job?.status === 'complete' ? (
              <button type="button" className="primary" onClick={props.onGone}>
                Back to people
              </button>
            ) : (
              <>
                <button
                  type="submit"
                  className="danger"
                  disabled={typed !== props.profile.profileId || job !== undefined}
                >
                  Erase permanently
                </button>
                <button type="button" onClick={() => dialog.current?.close()}>
                  Cancel
                </button>
              </>
            )}
          </div>
        </form>
      </dialog>
    </>
  );
}

function Surveys(props: { profileId: string }) {
  const answers = useApi(
    () => Promise.all([personApi.surveyAnswers(props.profileId), personApi.surveyTitles()]),
    [props.profileId],
  );
  if (answers.error) return <ErrorNote error={answers.error} />;
  if (!answers.data) return <Loading />;
  const [mine, surveys] = answers.data;
  const titles = new Map(surveys.surveys.map((s) => [s.id, s.title]));
  if (mine.items.length === 0)
    return (
      <p className="muted">
        No survey answers. A survey's link (<Link href="/surveys">Surveys</Link>) in an email asks them.
      </p>
    );
  return (
    <ul data-testid="survey-answers">
      {mine.items.map((answer) => (
        <li key={`${answer.surveyId}:${answer.answeredAt}`}>
          <strong>{titles.get(answer.surveyId) ?? answer.surveyId}</strong>{' '}
          <span className="muted small">
            {when(answer.answeredAt)}
            {answer.channel ? ` · by ${answer.channel}` : ''}
          </span>
          <dl className="kv small">
            {Object.entries(answer.answers).map(([question, value]) => (
              <div key={question} style={{ display: 'contents' }}>
                <dt>{question}</dt>
                <dd>{show(value)}</dd>
              </div>
            ))}
          </dl>
        </li>
      ))}
    </ul>
  );
}

export default function Person(props: { id: string; onGone: () => void }) {
  const profile = useApi(() => api.profile(props.id), [props.id]);
  const [exportError, setExportError] = useState<unknown>();
  if (profile.error) {
    return (
      <>
        <PageHeader title="Person" />
        {isNotFound(profile.error) ? (
          <Empty title="No such person">
            <p>
              There is no profile {props.id} (it may have been erased).{' '}
              <Link href="/people">Search people</Link>.
            </p>
          </Empty>
        ) : (
          <ErrorNote error={profile.error} />
        )}
      </>
    );
  }
  if (!profile.data) return <Loading what="the profile" />;
  const p = profile.data;
  return (
    <>
      <PageHeader title={displayName(p)}>
        <Can needs="people:export">
          <button
            type="button"
            onClick={() =>
              download(
                `/api/profiles/${encodeURIComponent(p.profileId)}/export`,
                `${p.profileId}.json`,
              ).catch(setExportError)
            }
          >
            Export (JSON)
          </button>
        </Can>
        <Can needs="privacy:write">
          <Erase profile={p} onGone={props.onGone} />
        </Can>
      </PageHeader>
      {exportError ? <ErrorNote error={exportError} /> : null}
      <p className="muted small">
        <Link href="/people">People</Link> / {p.profileId} · first seen {when(p.firstSeen)} · last seen{' '}
        {when(p.lastSeen)} · {num(p.eventCount)} events
      </p>
      <div className="grid">
        <Card title="Traits" id="traits" wide>
          <Traits profile={p} />
        </Card>
        <Card title="Identities" id="identities">
          <Identities profile={p} />
        </Card>
        <Card title="Consent" id="consent">
          <Consent profileId={p.profileId} />
        </Card>
        <Card title="Stage and value" id="value">
          <Computed profile={p} />
        </Card>
        <Card title="Segments" id="segments">
          <Segments profileId={p.profileId} />
        </Card>
        <Card title="Channel preferences" id="channels">
          <Channels profileId={p.profileId} />
        </Card>
        <Card title="Journeys" id="journeys">
          <Journeys profileId={p.profileId} />
        </Card>
        <Card title="Loyalty points" id="loyalty">
          <LoyaltyLedger profileId={p.profileId} />
        </Card>
        <Card title="Survey answers" id="surveys">
          <Surveys profileId={p.profileId} />
          <SurveyLink profileId={p.profileId} />
        </Card>
        <Card title="Timeline" id="timeline">
          <Timeline profileId={p.profileId} />
        </Card>
        <Card title="Arbitration log" id="arbitration" wide>
          <Arbitration profileId={p.profileId} />
        </Card>
      </div>
    </>
  );
}
