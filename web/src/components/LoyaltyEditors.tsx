import { useState } from 'react';
import type { Badge, Campaign, Challenge, EarnRule } from '../loyalty-api.ts';

/** ISO instant ↔ the value of a `datetime-local` input, read and written as UTC. */
export function toLocalInput(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? '' : at.toISOString().slice(0, 16);
}
export function fromLocalInput(value: string): string {
  return value ? new Date(`${value}:00Z`).toISOString() : '';
}

/** A Delete button that asks first: the row goes only on "Yes, delete". */
function DeleteWithConfirmation(props: { what: string; onDelete: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" onClick={() => setAsking(true)}>
        Delete
      </button>
    );
  return (
    <span role="alertdialog" aria-label={`Delete ${props.what}?`}>
      Delete {props.what}?{' '}
      <button type="button" className="danger" onClick={props.onDelete}>
        Yes, delete
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}

export function CampaignRow(props: {
  campaign: Campaign;
  index: number;
  rules: EarnRule[];
  onChange: (campaign: Campaign | null) => void;
}) {
  const { campaign, index } = props;
  const n = index + 1;
  const set = (patch: Partial<Campaign>) => props.onChange({ ...campaign, ...patch });
  const rule = campaign.rules?.[0] ?? '';
  return (
    <tr>
      <td>
        <input
          aria-label={`Campaign ${n} id`}
          value={campaign.id}
          onChange={(e) => set({ id: e.target.value })}
        />
      </td>
      <td>
        <select
          aria-label={`Campaign ${n} multiplies`}
          value={rule}
          onChange={(e) => {
            const { rules: _rules, ...rest } = campaign;
            props.onChange(e.target.value ? { ...rest, rules: [e.target.value] } : rest);
          }}
        >
          <option value="">every earn rule</option>
          {props.rules.map((r) => (
            <option key={r.id} value={r.id}>
              {r.id} ({r.event})
            </option>
          ))}
        </select>
      </td>
      <td>
        <input
          aria-label={`Campaign ${n} multiplier`}
          type="number"
          step="0.1"
          min="1.1"
          max="10"
          value={campaign.multiplier}
          onChange={(e) => set({ multiplier: Number(e.target.value) })}
        />
      </td>
      <td>
        <input
          aria-label={`Campaign ${n} from (UTC)`}
          type="datetime-local"
          value={toLocalInput(campaign.from)}
          onChange={(e) => set({ from: fromLocalInput(e.target.value) })}
        />
      </td>
      <td>
        <input
          aria-label={`Campaign ${n} until (UTC)`}
          type="datetime-local"
          value={toLocalInput(campaign.until)}
          onChange={(e) => set({ until: fromLocalInput(e.target.value) })}
        />
      </td>
      <td>
        <DeleteWithConfirmation what={`campaign ${campaign.id}`} onDelete={() => props.onChange(null)} />
      </td>
    </tr>
  );
}

/** A new campaign: double points on every rule for the next week. */
export function newCampaign(count: number, now = new Date()): Campaign {
  const from = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  return {
    id: `campaign-${count + 1}`,
    multiplier: 2,
    from: from.toISOString(),
    until: new Date(from.getTime() + 7 * 86_400_000).toISOString(),
  };
}

function challengeOf(kind: Challenge['kind'], previous: Challenge): Challenge {
  const count = 'count' in previous ? previous.count : 1;
  if (kind === 'events') return { kind, event: 'Order Completed', count: Math.max(count, 1) };
  if (kind === 'referrals') return { kind, count };
  return { kind, traits: ['email', 'first_name'] };
}

export function BadgeRow(props: { badge: Badge; index: number; onChange: (badge: Badge | null) => void }) {
  const { badge, index } = props;
  const n = index + 1;
  const challenge = badge.challenge;
  const set = (patch: Partial<Badge>) => props.onChange({ ...badge, ...patch });
  const setChallenge = (next: Challenge) => set({ challenge: next });
  return (
    <tr>
      <td>
        <input aria-label={`Badge ${n} id`} value={badge.id} onChange={(e) => set({ id: e.target.value })} />
      </td>
      <td>
        <input
          aria-label={`Badge ${n} name`}
          value={badge.name}
          onChange={(e) => set({ name: e.target.value })}
        />
      </td>
      <td>
        <select
          aria-label={`Badge ${n} challenge`}
          value={challenge.kind}
          onChange={(e) => setChallenge(challengeOf(e.target.value as Challenge['kind'], challenge))}
        >
          <option value="events">events (buy 3 times in 30 days)</option>
          <option value="referrals">referrals (refer a friend who buys)</option>
          <option value="profile">profile (complete these traits)</option>
        </select>
      </td>
      <td>
        {challenge.kind === 'events' ? (
          <>
            <input
              aria-label={`Badge ${n} event`}
              value={challenge.event}
              onChange={(e) => setChallenge({ ...challenge, event: e.target.value })}
            />{' '}
            <input
              aria-label={`Badge ${n} times`}
              type="number"
              min="1"
              style={{ width: '5em' }}
              value={challenge.count}
              onChange={(e) => setChallenge({ ...challenge, count: Number(e.target.value) })}
            />{' '}
            times within{' '}
            <input
              aria-label={`Badge ${n} within days`}
              type="number"
              min="1"
              placeholder="ever"
              style={{ width: '5em' }}
              value={challenge.withinDays ?? ''}
              onChange={(e) => {
                const { withinDays: _days, ...rest } = challenge;
                setChallenge(e.target.value ? { ...rest, withinDays: Number(e.target.value) } : rest);
              }}
            />{' '}
            days
          </>
        ) : challenge.kind === 'referrals' ? (
          <input
            aria-label={`Badge ${n} referrals`}
            type="number"
            min="1"
            value={challenge.count}
            onChange={(e) => setChallenge({ ...challenge, count: Number(e.target.value) })}
          />
        ) : (
          <input
            aria-label={`Badge ${n} traits`}
            value={challenge.traits.join(', ')}
            onChange={(e) =>
              setChallenge({
                ...challenge,
                traits: e.target.value
                  .split(',')
                  .map((t) => t.trim())
                  .filter(Boolean),
              })
            }
          />
        )}
      </td>
      <td>
        <input
          aria-label={`Badge ${n} points`}
          type="number"
          min="0"
          style={{ width: '6em' }}
          value={badge.points ?? 0}
          onChange={(e) => set({ points: Number(e.target.value) })}
        />
      </td>
      <td>
        <DeleteWithConfirmation what={`badge ${badge.id}`} onDelete={() => props.onChange(null)} />
      </td>
    </tr>
  );
}
