import { type FormEvent, useEffect, useState } from 'react';
import { Can } from '../access.tsx';
import { BadgeRow, CampaignRow, newCampaign } from '../components/LoyaltyEditors.tsx';
import { Card, Empty, ErrorNote, Loading, PageHeader, Stat } from '../components/ui.tsx';
import { num, when } from '../format.ts';
import { useApi } from '../hooks.ts';
import { type EarnRule, loyaltyApi, type Programme, type Tier } from '../loyalty-api.ts';
import { Link } from '../router.tsx';

/** A starting point a marketer can edit: orders, reviews, referrals and bug reports earn. */
const EXAMPLE: Programme = {
  earnRules: [
    { id: 'orders', event: 'Order Completed', pointsPerUnit: 1 },
    { id: 'reviews', event: 'Product Reviewed', points: 50 },
    { id: 'referrals', event: 'Referral Sent', points: 100 },
    { id: 'bug-reports', event: 'Bug Reported', points: 25 },
  ],
  campaigns: [],
  tiers: [
    { id: 'silver', name: 'Silver', minPoints: 200 },
    { id: 'gold', name: 'Gold', minPoints: 1000, benefits: ['free shipping'] },
  ],
  tierWindowDays: 365,
  expiryDays: 730,
  referralPoints: 100,
  refereePoints: 50,
  referralCap: 20,
  badges: [
    {
      id: 'regular',
      name: 'Regular',
      description: 'Buy 3 times in 30 days',
      challenge: { kind: 'events', event: 'Order Completed', count: 3, withinDays: 30 },
      points: 100,
    },
    {
      id: 'advocate',
      name: 'Advocate',
      description: 'Refer a friend who buys',
      challenge: { kind: 'referrals', count: 1 },
    },
    {
      id: 'complete-profile',
      name: 'Complete profile',
      description: 'Give your name and email',
      challenge: { kind: 'profile', traits: ['email', 'first_name'] },
      points: 20,
    },
  ],
  allowNegative: false,
};

function EarnRuleRow(props: { rule: EarnRule; index: number; onChange: (rule: EarnRule | null) => void }) {
  const { rule, index } = props;
  const perUnit = rule.pointsPerUnit !== undefined;
  return (
    <tr>
      <td>
        <input
          aria-label={`Rule ${index + 1} id`}
          value={rule.id}
          onChange={(e) => props.onChange({ ...rule, id: e.target.value })}
        />
      </td>
      <td>
        <input
          aria-label={`Rule ${index + 1} event`}
          value={rule.event}
          onChange={(e) => props.onChange({ ...rule, event: e.target.value })}
        />
      </td>
      <td>
        <select
          aria-label={`Rule ${index + 1} kind`}
          value={perUnit ? 'unit' : 'event'}
          onChange={(e) =>
            props.onChange(
              e.target.value === 'unit'
                ? { id: rule.id, event: rule.event, pointsPerUnit: rule.points ?? 1 }
                : { id: rule.id, event: rule.event, points: rule.pointsPerUnit ?? 1 },
            )
          }
        >
          <option value="event">points per event</option>
          <option value="unit">points per currency unit</option>
        </select>
      </td>
      <td>
        <input
          aria-label={`Rule ${index + 1} points`}
          type="number"
          step="any"
          value={perUnit ? rule.pointsPerUnit : rule.points}
          onChange={(e) =>
            props.onChange(
              perUnit
                ? { ...rule, pointsPerUnit: Number(e.target.value) }
                : { ...rule, points: Number(e.target.value) },
            )
          }
        />
      </td>
      <td>
        <button type="button" onClick={() => props.onChange(null)}>
          Remove
        </button>
      </td>
    </tr>
  );
}

function TierRow(props: { tier: Tier; index: number; onChange: (tier: Tier | null) => void }) {
  const { tier, index } = props;
  return (
    <tr>
      <td>
        <input
          aria-label={`Tier ${index + 1} id`}
          value={tier.id}
          onChange={(e) => props.onChange({ ...tier, id: e.target.value })}
        />
      </td>
      <td>
        <input
          aria-label={`Tier ${index + 1} name`}
          value={tier.name}
          onChange={(e) => props.onChange({ ...tier, name: e.target.value })}
        />
      </td>
      <td>
        <input
          aria-label={`Tier ${index + 1} minimum points`}
          type="number"
          value={tier.minPoints}
          onChange={(e) => props.onChange({ ...tier, minPoints: Number(e.target.value) })}
        />
      </td>
      <td>
        <button type="button" onClick={() => props.onChange(null)}>
          Remove
        </button>
      </td>
    </tr>
  );
}

function replaceAt<T>(items: T[], index: number, item: T | null): T[] {
  return item === null ? items.filter((_, i) => i !== index) : items.map((x, i) => (i === index ? item : x));
}

function ProgrammeForm(props: { programme: Programme; onSaved: () => void }) {
  const [draft, setDraft] = useState(props.programme);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  useEffect(() => setDraft(props.programme), [props.programme]);
  const set = (patch: Partial<Programme>) => {
    setSaved(false);
    setDraft({ ...draft, ...patch });
  };
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      await loyaltyApi.saveProgramme(draft);
      setSaved(true);
      props.onSaved();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <form onSubmit={submit} aria-label="Programme">
      {draft.earnRules.length === 0 ? (
        <p>
          No earn rules: nobody earns points.{' '}
          <button type="button" onClick={() => setDraft(EXAMPLE)}>
            Start from the example programme
          </button>
        </p>
      ) : null}
      <h3>Earn rules</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Event</th>
            <th scope="col">Earns</th>
            <th scope="col">Points</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {draft.earnRules.map((rule, i) => (
            <EarnRuleRow
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
              key={i}
              rule={rule}
              index={i}
              onChange={(next) => set({ earnRules: replaceAt(draft.earnRules, i, next) })}
            />
          ))}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() =>
          set({
            earnRules: [
              ...draft.earnRules,
              { id: `rule-${draft.earnRules.length + 1}`, event: '', points: 10 },
            ],
          })
        }
      >
        Add an earn rule
      </button>
      <h3>Tiers</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Name</th>
            <th scope="col">Points in the window</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {draft.tiers.map((tier, i) => (
            <TierRow
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
              key={i}
              tier={tier}
              index={i}
              onChange={(next) => set({ tiers: replaceAt(draft.tiers, i, next) })}
            />
          ))}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() =>
          set({
            tiers: [...draft.tiers, { id: `tier-${draft.tiers.length + 1}`, name: 'New tier', minPoints: 0 }],
          })
        }
      >
        Add a tier
      </button>
      <label htmlFor="tier-window">Tier qualification window (days)</label>
      <input
        id="tier-window"
        type="number"
        value={draft.tierWindowDays}
        onChange={(e) => set({ tierWindowDays: Number(e.target.value) })}
      />
      <label htmlFor="expiry">Points expire after (days, 0: never)</label>
      <input
        id="expiry"
        type="number"
        value={draft.expiryDays}
        onChange={(e) => set({ expiryDays: Number(e.target.value) })}
      />
      <label htmlFor="referral-points">
        Referral reward (points to the referrer on a referee's first purchase)
      </label>
      <input
        id="referral-points"
        type="number"
        value={draft.referralPoints ?? 0}
        onChange={(e) => set({ referralPoints: Number(e.target.value) })}
      />
      <label htmlFor="referee-points">Welcome points (to the referred person on their first purchase)</label>
      <input
        id="referee-points"
        type="number"
        value={draft.refereePoints ?? 0}
        onChange={(e) => set({ refereePoints: Number(e.target.value) })}
      />
      <label htmlFor="referral-cap">Most rewarded referrals per person (0: no cap)</label>
      <input
        id="referral-cap"
        type="number"
        value={draft.referralCap ?? 0}
        onChange={(e) => set({ referralCap: Number(e.target.value) })}
      />
      <label htmlFor="referral-landing">Referral links send visitors to (web address)</label>
      <input
        id="referral-landing"
        type="url"
        placeholder="https://shop.example/welcome"
        value={draft.referralLandingUrl ?? ''}
        onChange={(e) => {
          const { referralLandingUrl: _url, ...rest } = draft;
          setSaved(false);
          setDraft(e.target.value ? { ...rest, referralLandingUrl: e.target.value } : rest);
        }}
      />
      <h3>Bonus campaigns</h3>
      {draft.campaigns.length === 0 ? <p className="muted">No bonus campaigns.</p> : null}
      <table aria-label="Bonus campaigns">
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Multiplies</th>
            <th scope="col">×</th>
            <th scope="col">From (UTC)</th>
            <th scope="col">Until (UTC)</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {draft.campaigns.map((campaign, i) => (
            <CampaignRow
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
              key={i}
              campaign={campaign}
              index={i}
              rules={draft.earnRules}
              onChange={(next) => set({ campaigns: replaceAt(draft.campaigns, i, next) })}
            />
          ))}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() => set({ campaigns: [...draft.campaigns, newCampaign(draft.campaigns.length)] })}
      >
        Add a bonus campaign
      </button>
      <h3>Badges and challenges</h3>
      {(draft.badges ?? []).length === 0 ? <p className="muted">No badges.</p> : null}
      <table aria-label="Badges">
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Name</th>
            <th scope="col">Challenge</th>
            <th scope="col">Target</th>
            <th scope="col">Points</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {(draft.badges ?? []).map((badge, i) => (
            <BadgeRow
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
              key={i}
              badge={badge}
              index={i}
              onChange={(next) => set({ badges: replaceAt(draft.badges ?? [], i, next) })}
            />
          ))}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() =>
          set({
            badges: [
              ...(draft.badges ?? []),
              {
                id: `badge-${(draft.badges ?? []).length + 1}`,
                name: 'New badge',
                challenge: { kind: 'events', event: 'Order Completed', count: 3, withinDays: 30 },
                points: 0,
              },
            ],
          })
        }
      >
        Add a badge
      </button>
      <div style={{ marginTop: '0.5rem' }}>
        <Can needs="marketing:write">
          <button type="submit" className="primary">
            Save programme
          </button>
        </Can>{' '}
        {saved ? <span role="status">Saved.</span> : null}
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

export default function Loyalty() {
  const programme = useApi(() => loyaltyApi.programme(), []);
  const status = useApi(() => loyaltyApi.status(), []);
  const board = useApi(() => loyaltyApi.leaderboard(20), []);
  const overview = useApi(() => loyaltyApi.overview(), []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  async function run() {
    setBusy(true);
    setError(undefined);
    try {
      await loyaltyApi.run();
      status.reload();
      board.reload();
      overview.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const tiers = programme.data?.tiers ?? [];
  return (
    <>
      <PageHeader title="Loyalty">
        <Can needs="marketing:write">
          <button type="button" className="primary" onClick={run} disabled={busy}>
            {busy ? 'Running…' : 'Earn now'}
          </button>
        </Can>
      </PageHeader>
      {error ? <ErrorNote error={error} /> : null}
      <div className="grid">
        <Card title="Last run" id="last-run">
          {status.data?.last ? (
            <>
              <p data-testid="last-run-at">Ran {when(status.data.last.at)}</p>
              <div className="stats">
                <Stat label="entries earned" value={num(status.data.last.earned)} />
                <Stat label="points earned" value={num(status.data.last.pointsEarned)} />
                <Stat label="tier changes" value={num(status.data.last.tierChanges)} />
              </div>
            </>
          ) : status.data ? (
            <p className="muted">Not run yet; runs every minute once there are earn rules.</p>
          ) : (
            <Loading />
          )}
        </Card>
        <Card title="Tiers" id="tiers">
          {tiers.length === 0 ? (
            <p className="muted">No tiers.</p>
          ) : (
            <ul>
              {tiers.map((tier) => (
                <li key={tier.id}>
                  {tier.name}: {num(tier.minPoints)} points in {programme.data?.tierWindowDays} days
                  {tier.benefits?.length ? ` (${tier.benefits.join(', ')})` : ''}
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Badges and referrals" id="badges">
          {overview.data ? (
            <>
              {(programme.data?.badges ?? []).length === 0 ? (
                <p className="muted">No badges in the programme.</p>
              ) : (
                <ul>
                  {(programme.data?.badges ?? []).map((badge) => (
                    <li key={badge.id} data-testid={`badge-${badge.id}`}>
                      {badge.name}: {num(overview.data?.badges[badge.id] ?? 0)} people
                    </li>
                  ))}
                </ul>
              )}
              <p data-testid="referral-outcomes">
                Referrals: {num(overview.data.referrals.rewarded ?? 0)} rewarded,{' '}
                {num(overview.data.referrals.pending ?? 0)} waiting for a first purchase,{' '}
                {num(overview.data.referrals.capped ?? 0)} over the cap
              </p>
            </>
          ) : (
            <Loading />
          )}
        </Card>
        <Card title="Leaderboard" id="leaderboard" wide>
          {board.error ? <ErrorNote error={board.error} /> : null}
          {board.data && board.data.length === 0 ? (
            <Empty title="No points yet">
              <p>Save a programme with earn rules, then press Earn now.</p>
            </Empty>
          ) : null}
          {board.data && board.data.length > 0 ? (
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Person</th>
                  <th scope="col">Balance</th>
                  <th scope="col">Earned</th>
                </tr>
              </thead>
              <tbody>
                {board.data.map((row, i) => (
                  <tr key={row.profileId}>
                    <td>{i + 1}</td>
                    <td>
                      <Link href={`/people/${encodeURIComponent(row.profileId)}`}>{row.profileId}</Link>
                    </td>
                    <td>{num(row.balance)}</td>
                    <td>{num(row.earned)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Card>
        <Card title="Programme" id="programme" wide>
          {programme.error ? <ErrorNote error={programme.error} /> : null}
          {programme.data ? (
            <ProgrammeForm programme={programme.data} onSaved={programme.reload} />
          ) : (
            <Loading />
          )}
        </Card>
      </div>
    </>
  );
}
