// What the loyalty API and schedule do, apart from HTTP. A run (`run()`), as numbered steps:
//  1. earn: tracked events past the earn offset that an earn rule names, in seq order from the
//     event store, become ledger entries keyed by message and rule (a replayed event earns
//     nothing), stored with the new offset in one transaction
//  2. expire: earned points past their date that were not spent leave the balance
//  3. tiers and traits: per person with entries, the tier the qualifying points reach; when the
//     balance or tier differs from the traits, an identify (`points_balance`, `loyalty_tier`),
//     and on a tier change a `Loyalty Tier Changed` event the conductor can trigger on
// Traits and events go through the log, like every other change to a person.
import { randomBytes } from 'node:crypto';
import { RapportError } from '../errors/index.ts';
import type { EventReader, LogEntry, StateStore } from '../store/index.ts';
import { mergeResolver } from '../value/index.ts';
import {
  EMPTY_PROGRAMME,
  earningsFor,
  type Programme,
  pointsToExpire,
  programmeIssues,
  type Tier,
  tierFor,
} from './programme.ts';
import { referralCode, referrerOf } from './referral.ts';
import type { LedgerEntry, LoyaltyStore, NewEntry } from './store.ts';

export const LOYALTY_SOURCE = 'rapport:loyalty';

/** RAPPORT_LOYALTY_RUN_SECONDS: seconds between runs (default 60); 0 turns the schedule off. */
export function loyaltyRunMsFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.RAPPORT_LOYALTY_RUN_SECONDS;
  const seconds = raw === undefined || raw.trim() === '' ? 60 : Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RapportError(
      'RAPPORT_CONFIG_INVALID',
      `RAPPORT_LOYALTY_RUN_SECONDS "${raw}" must be a number ≥ 0`,
    );
  }
  return seconds * 1000;
}
export const TIER_EVENT = 'Loyalty Tier Changed';
const DAY_MS = 86_400_000;
const PAGE = 5000;

export interface LoyaltyDeps {
  store: LoyaltyStore;
  events: Pick<EventReader, 'query'>;
  state: Pick<StateStore, 'getProfile' | 'mergesOf' | 'identitiesOfProfiles'>;
  append: (entries: LogEntry[]) => Promise<unknown>;
  now?: () => Date;
}

export interface RunSummary {
  at: string;
  eventsRead: number;
  earned: number;
  pointsEarned: number;
  expired: number;
  tierChanges: number;
  traitsWritten: number;
  referrals: number;
  referralRewards: number;
}

export interface PersonLoyalty {
  profileId: string;
  balance: number;
  qualifyingPoints: number;
  tier: Tier | null;
  entries: LedgerEntry[];
}

export class LoyaltyService {
  #running: Promise<RunSummary> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LoyaltyDeps) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  async programme(): Promise<Programme> {
    const stored = await this.deps.store.getSetting('programme');
    return stored ? { ...EMPTY_PROGRAMME, ...JSON.parse(stored) } : EMPTY_PROGRAMME;
  }

  async saveProgramme(programme: Programme): Promise<Programme> {
    const issues = programmeIssues(programme);
    if (issues.length > 0) {
      throw new RapportError('RAPPORT_LOYALTY_INVALID', `the programme was refused: ${issues.join('; ')}`, {
        issues,
      });
    }
    await this.deps.store.putSetting('programme', JSON.stringify(programme));
    return programme;
  }

  async lastRun(): Promise<RunSummary | null> {
    const stored = await this.deps.store.getSetting('last_run');
    return stored ? (JSON.parse(stored) as RunSummary) : null;
  }

  async person(profileId: string): Promise<PersonLoyalty> {
    const programme = await this.programme();
    const since = new Date(this.now().getTime() - programme.tierWindowDays * DAY_MS).toISOString();
    const entries = await this.deps.store.entries(profileId, 500);
    const qualifyingPoints = entries
      .filter((entry) => entry.kind === 'earn' && entry.at >= since)
      .reduce((sum, entry) => sum + entry.points, 0);
    return {
      profileId,
      balance: await this.deps.store.balance(profileId),
      qualifyingPoints,
      tier: tierFor(programme, qualifyingPoints),
      entries,
    };
  }

  /** Redemption: refused with the ledger untouched when the balance is short. */
  async redeem(profileId: string, points: number, requestId: string, reason: string | null) {
    return this.debit({ profileId, kind: 'redeem', points: -points, key: `redeem:${requestId}`, reason });
  }

  /** An admin's adjustment with its reason; down only as far as the programme allows. */
  async adjust(profileId: string, points: number, requestId: string, reason: string) {
    return this.debit({ profileId, kind: 'adjust', points, key: `adjust:${requestId}`, reason });
  }

  private async debit(input: Pick<NewEntry, 'profileId' | 'kind' | 'points' | 'key' | 'reason'>) {
    const profile = await this.deps.state.getProfile(input.profileId);
    if (!profile) throw new RapportError('RAPPORT_API_NOT_FOUND', `no profile ${input.profileId}`);
    const programme = await this.programme();
    const entry: NewEntry = {
      ...input,
      sourceMessageId: null,
      ruleId: null,
      campaignId: null,
      at: this.now().toISOString(),
      expiresAt: null,
    };
    const result = await this.deps.store.debit(entry, input.kind === 'adjust' && programme.allowNegative);
    if (!result.ok) {
      throw new RapportError(
        'RAPPORT_LOYALTY_INSUFFICIENT_POINTS',
        `${input.profileId} has ${result.balance} points; ${-input.points} cannot be taken (nothing was written)`,
        { balance: result.balance },
      );
    }
    return result;
  }

  leaderboard(limit: number) {
    return this.deps.store.leaderboard(limit);
  }

  /** One run at a time; a call while one runs answers with that one. */
  run(): Promise<RunSummary> {
    this.#running ??= this.runOnce().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  private async runOnce(): Promise<RunSummary> {
    const programme = await this.programme();
    const now = this.now();
    const summary: RunSummary = {
      at: now.toISOString(),
      eventsRead: 0,
      earned: 0,
      pointsEarned: 0,
      expired: 0,
      tierChanges: 0,
      traitsWritten: 0,
      referrals: 0,
      referralRewards: 0,
    };
    await this.earn(programme, summary);
    await this.referrals(programme, now, summary);
    await this.expire(now, summary);
    await this.tiersAndTraits(programme, now, summary);
    await this.deps.store.putSetting('last_run', JSON.stringify(summary));
    return summary;
  }

  /** Step 1, a page at a time. */
  private async earn(programme: Programme, summary: RunSummary): Promise<void> {
    const names = [...new Set(programme.earnRules.map((rule) => rule.event))];
    if (names.length === 0) return;
    for (;;) {
      const offset = Number((await this.deps.store.getSetting('earn_offset')) ?? 0);
      const marks = names.map((_, i) => `$${i + 3}`).join(', ');
      const rows = await this.deps.events.query(
        `SELECT seq, message_id, profile_id, name, CAST(properties AS VARCHAR) AS properties,
                extract(epoch FROM timestamp) AS at
         FROM events WHERE type = 'track' AND seq > $1 AND name IN (${marks}) ORDER BY seq LIMIT $2`,
        [offset, PAGE, ...names],
      );
      if (rows.length === 0) return;
      summary.eventsRead += rows.length;
      const resolve = await mergeResolver(this.deps.state, [
        ...new Set(rows.map((row) => String(row.profile_id))),
      ]);
      const credits = rows.flatMap((row) => this.creditsOf(programme, row, resolve));
      summary.earned += await this.deps.store.appendCredits(credits, Number(rows.at(-1)!.seq));
      summary.pointsEarned += credits.reduce((sum, credit) => sum + credit.points, 0);
      if (rows.length < PAGE) return;
    }
  }

  private creditsOf(
    programme: Programme,
    row: Record<string, unknown>,
    resolve: (id: string) => string,
  ): NewEntry[] {
    const at = new Date(Number(row.at) * 1000).toISOString();
    const event = {
      messageId: String(row.message_id),
      name: String(row.name),
      timestamp: at,
      properties: row.properties ? (JSON.parse(String(row.properties)) as Record<string, unknown>) : {},
    };
    const expiresAt =
      programme.expiryDays > 0
        ? new Date(Date.parse(at) + programme.expiryDays * DAY_MS).toISOString()
        : null;
    return earningsFor(programme, event).map((earning) => ({
      key: `earn:${event.messageId}:${earning.ruleId}`,
      profileId: resolve(String(row.profile_id)),
      kind: 'earn' as const,
      points: earning.points,
      reason: null,
      sourceMessageId: event.messageId,
      ruleId: earning.ruleId,
      campaignId: earning.campaignId,
      at,
      expiresAt,
    }));
  }

  private secret(): Promise<string> {
    return this.deps.store.settingOnce('referral_secret', randomBytes(32).toString('base64url'));
  }

  /** A person's signed referral code and whom they referred. */
  async referral(profileId: string) {
    const profile = await this.deps.state.getProfile(profileId);
    if (!profile) throw new RapportError('RAPPORT_API_NOT_FOUND', `no profile ${profileId}`);
    return {
      code: referralCode(await this.secret(), profileId),
      referred: await this.deps.store.referralsBy(profileId),
    };
  }

  /**
   * Step 1b: events carrying `properties.referral_code` attribute their person to the referrer
   * (a forged or self-made code is ignored; the first valid code wins); a referee's first
   * `Order Completed` rewards the referrer once.
   */
  private async referrals(programme: Programme, now: Date, summary: RunSummary): Promise<void> {
    const secret = await this.secret();
    for (;;) {
      const offset = Number((await this.deps.store.getSetting('referral_offset')) ?? 0);
      const rows = await this.deps.events.query(
        `SELECT seq, message_id, profile_id, (properties->>'referral_code') AS code, extract(epoch FROM timestamp) AS at
         FROM events WHERE type = 'track' AND seq > $1 AND (properties->>'referral_code') IS NOT NULL ORDER BY seq LIMIT $2`,
        [offset, PAGE],
      );
      if (rows.length === 0) break;
      const resolve = await mergeResolver(this.deps.state, [
        ...new Set(rows.map((row) => String(row.profile_id))),
      ]);
      const found = rows.flatMap((row) => {
        const referrerId = referrerOf(secret, row.code);
        const refereeId = resolve(String(row.profile_id));
        if (!referrerId || referrerId === refereeId) return [];
        const at = new Date(Number(row.at) * 1000).toISOString();
        return [{ refereeId, referrerId, sourceMessageId: String(row.message_id), at }];
      });
      summary.referrals += await this.deps.store.addReferrals(found, Number(rows.at(-1)!.seq));
      if (rows.length < PAGE) break;
    }
    const pending = await this.deps.store.unrewardedReferrals();
    if (pending.length === 0) return;
    const marks = pending.map((_, i) => `$${i + 2}`).join(', ');
    const buyers = new Set(
      (
        await this.deps.events.query(
          `SELECT DISTINCT profile_id FROM events WHERE type = 'track' AND name = $1 AND profile_id IN (${marks})`,
          ['Order Completed', ...pending.map((p) => p.refereeId)],
        )
      ).map((row) => String(row.profile_id)),
    );
    const at = now.toISOString();
    for (const referral of pending.filter((p) => buyers.has(p.refereeId))) {
      const credit: NewEntry | null =
        programme.referralPoints > 0
          ? {
              key: `referral:${referral.refereeId}`,
              profileId: referral.referrerId,
              kind: 'earn',
              points: programme.referralPoints,
              reason: `referred ${referral.refereeId}, who made a first purchase`,
              sourceMessageId: null,
              ruleId: 'referral',
              campaignId: null,
              at,
              expiresAt:
                programme.expiryDays > 0
                  ? new Date(now.getTime() + programme.expiryDays * DAY_MS).toISOString()
                  : null,
            }
          : null;
      await this.deps.store.rewardReferral(referral.refereeId, credit, at);
      if (credit) summary.referralRewards++;
    }
  }

  /** Step 2. The key names the total expired so far, so a rerun expires nothing twice. */
  private async expire(now: Date, summary: RunSummary): Promise<void> {
    for (const standing of await this.deps.store.standings(now.toISOString(), now.toISOString())) {
      const points = pointsToExpire(standing.expired, standing.spent, standing.balance);
      if (points <= 0) continue;
      const result = await this.deps.store.debit({
        key: `expire:${standing.profileId}:${standing.expired}`,
        profileId: standing.profileId,
        kind: 'expire',
        points: -points,
        reason: 'points past their expiry date',
        sourceMessageId: null,
        ruleId: null,
        campaignId: null,
        at: now.toISOString(),
        expiresAt: null,
      });
      if (result.ok && result.inserted) summary.expired += points;
    }
  }

  /** Step 3. */
  private async tiersAndTraits(programme: Programme, now: Date, summary: RunSummary): Promise<void> {
    const since = new Date(now.getTime() - programme.tierWindowDays * DAY_MS).toISOString();
    const at = now.toISOString();
    const entries: LogEntry[] = [];
    for (const standing of await this.deps.store.standings(since, at)) {
      const profile = await this.deps.state.getProfile(standing.profileId);
      if (!profile) continue;
      const tier = tierFor(programme, standing.qualifying)?.id ?? null;
      const shownBalance = profile.traits.points_balance?.value;
      const shownTier = profile.traits.loyalty_tier?.value ?? null;
      if (shownBalance === standing.balance && shownTier === tier) continue;
      const identity = await this.identityOf(standing.profileId);
      if (!identity) continue;
      const envelope = {
        ...identity,
        context: { rapport: { profileId: standing.profileId, internal: true } },
      };
      const message = (body: Record<string, unknown>): LogEntry => ({
        messageId: String(body.messageId),
        source: LOYALTY_SOURCE,
        receivedAt: at,
        json: JSON.stringify({ ...body, timestamp: at, receivedAt: at, ...envelope }),
      });
      entries.push(
        message({
          type: 'identify',
          messageId: `loyalty:${at}:${standing.profileId}`,
          traits: { points_balance: standing.balance, loyalty_tier: tier },
        }),
      );
      summary.traitsWritten++;
      if (shownTier !== tier && !(shownTier === null && tier === null)) {
        const rank = (id: unknown) => programme.tiers.findIndex((t) => t.id === id);
        entries.push(
          message({
            type: 'track',
            messageId: `loyalty-tier:${at}:${standing.profileId}`,
            event: TIER_EVENT,
            properties: {
              from: shownTier,
              to: tier,
              direction: rank(tier) > rank(shownTier) ? 'upgrade' : 'downgrade',
              qualifying_points: standing.qualifying,
            },
          }),
        );
        summary.tierChanges++;
      }
    }
    if (entries.length > 0) await this.deps.append(entries);
  }

  private async identityOf(
    profileId: string,
  ): Promise<{ userId: string } | { anonymousId: string } | undefined> {
    const identities = await this.deps.state.identitiesOfProfiles([profileId]);
    const user = identities.find((identity) => identity.kind === 'user_id');
    if (user) return { userId: user.value };
    const anonymous = identities.find((identity) => identity.kind === 'anonymous_id');
    return anonymous ? { anonymousId: anonymous.value } : undefined;
  }

  /** Runs every `everyMs` (earning is then at most that late). */
  schedule(everyMs: number, onError: (error: unknown) => void): void {
    this.#timer = setInterval(() => this.run().catch(onError), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
