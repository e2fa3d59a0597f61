import { type FormEvent, useState } from 'react';
import { Can } from '../access.tsx';
import { num, when } from '../format.ts';
import { useApi } from '../hooks.ts';
import { loyaltyApi } from '../loyalty-api.ts';
import { ErrorNote, Loading } from './ui.tsx';

/**
 * Redeeming points for a person (a voucher, a gift), as a service agent does at the desk: the
 * balance before and after is shown before anything is written, a redemption larger than the
 * balance is refused here and by the server (409, nothing written: the balance may have moved
 * since the page loaded), and each submit carries its own request id, so a retried call
 * redeems once.
 */
function RedeemPoints(props: { profileId: string; balance: number; onDone: () => void }) {
  const [points, setPoints] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<{ points: number; before: number; after: number }>();
  const wanted = Math.floor(Number(points));
  const valid = Number.isFinite(wanted) && wanted >= 1;
  const short = valid && wanted > props.balance;
  async function redeem(event: FormEvent) {
    event.preventDefault();
    if (!valid || short) return;
    const after = props.balance - wanted;
    if (
      !window.confirm(
        `Redeem ${num(wanted)} points? The balance goes from ${num(props.balance)} to ${num(after)}.`,
      )
    )
      return;
    setError(undefined);
    setDone(undefined);
    try {
      const answer = await loyaltyApi.redeem(props.profileId, {
        points: wanted,
        requestId: crypto.randomUUID(),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      setDone({ points: wanted, before: props.balance, after: answer.balance });
      setPoints('');
      setReason('');
    } catch (e) {
      setError(e);
    }
    props.onDone();
  }
  return (
    <form onSubmit={redeem} aria-label="Redeem points" className="row">
      <div>
        <label htmlFor="redeem-points">Redeem (points)</label>
        <input
          id="redeem-points"
          type="number"
          min={1}
          value={points}
          aria-describedby="redeem-after"
          onChange={(e) => {
            setPoints(e.target.value);
            setDone(undefined);
          }}
        />
      </div>
      <div>
        <label htmlFor="redeem-reason">For (optional)</label>
        <input
          id="redeem-reason"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder="a £5 voucher"
        />
      </div>
      <button type="submit" className="primary" disabled={!valid || short}>
        Redeem
      </button>
      <p id="redeem-after" className={short ? 'error' : 'small'} role={short ? 'alert' : undefined}>
        {!valid
          ? `Balance ${num(props.balance)} points.`
          : short
            ? `Not enough points: the balance is ${num(props.balance)}, ${num(wanted - props.balance)} short.`
            : `Balance ${num(props.balance)} → ${num(props.balance - wanted)} after redeeming.`}
      </p>
      {done ? (
        <p className="ok" role="status" data-testid="redeemed">
          Redeemed {num(done.points)} points: balance {num(done.before)} → {num(done.after)}.
        </p>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

/** A person's points on their 360: balance, tier, the ledger, redeeming, and an adjustment with a reason. */
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
      <Can needs="marketing:write">
        <RedeemPoints profileId={props.profileId} balance={p.balance} onDone={person.reload} />
      </Can>
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
