import { type FormEvent, useState } from 'react';
import { Can } from '../access.tsx';
import { num, when } from '../format.ts';
import { useApi } from '../hooks.ts';
import { loyaltyApi } from '../loyalty-api.ts';
import { ErrorNote, Loading } from './ui.tsx';

/** A person's points on their 360: balance, tier, the ledger, and an adjustment with a reason. */
export function LoyaltyLedger(props: { profileId: string }) {
  const person = useApi(() => loyaltyApi.person(props.profileId), [props.profileId]);
  const referral = useApi(() => loyaltyApi.referral(props.profileId), [props.profileId]);
  const [points, setPoints] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  async function adjust(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      await loyaltyApi.adjust(props.profileId, {
        points: Number(points),
        reason,
        requestId: crypto.randomUUID(),
      });
      setPoints('');
      setReason('');
      person.reload();
    } catch (e) {
      setError(e);
    }
  }
  if (person.error) return <ErrorNote error={person.error} />;
  if (!person.data) return <Loading />;
  const p = person.data;
  return (
    <>
      <p data-testid="points-balance">
        Balance: <strong>{num(p.balance)}</strong> points · tier {p.tier ? p.tier.name : 'none'} ·{' '}
        {num(p.qualifyingPoints)} qualifying
      </p>
      {p.badges.length > 0 ? (
        <ul aria-label="Badges" className="badges">
          {p.badges.map((badge) => (
            <li key={badge.id} data-testid={`badge-progress-${badge.id}`}>
              <strong>{badge.name}</strong>
              {badge.description ? ` (${badge.description})` : ''}:{' '}
              {badge.awardedAt ? (
                `awarded ${when(badge.awardedAt)}`
              ) : (
                <>
                  <progress value={badge.progress} max={badge.target} aria-label={`${badge.name} progress`} />{' '}
                  {num(badge.progress)} of {num(badge.target)}
                </>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {referral.data ? (
        <p className="small" data-testid="referral-link">
          Referral link: <code>{`${window.location.origin}/r/${referral.data.code}`}</code> ·{' '}
          {num(referral.data.referred.length)} referred,{' '}
          {num(referral.data.referred.filter((r) => r.outcome === 'rewarded').length)} rewarded
        </p>
      ) : null}
      {p.entries.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">Points</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {p.entries.slice(0, 20).map((entry) => (
              <tr key={entry.id}>
                <td>{when(entry.at)}</td>
                <td>{entry.kind}</td>
                <td>{entry.points > 0 ? `+${num(entry.points)}` : num(entry.points)}</td>
                <td>{entry.reason ?? entry.ruleId ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No points yet.</p>
      )}
      <form onSubmit={adjust} aria-label="Adjust points">
        <label htmlFor="adjust-points">Adjust by (points, negative to take)</label>
        <input id="adjust-points" type="number" value={points} onChange={(e) => setPoints(e.target.value)} />
        <label htmlFor="adjust-reason">Reason</label>
        <input id="adjust-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
        <div style={{ marginTop: '0.5rem' }}>
          <Can needs="marketing:write">
            <button type="submit" disabled={!points || Number(points) === 0 || reason.trim().length < 3}>
              Adjust
            </button>
          </Can>
        </div>
      </form>
      {error ? <ErrorNote error={error} /> : null}
    </>
  );
}
