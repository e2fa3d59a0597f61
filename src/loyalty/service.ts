// What the loyalty API and schedule do, apart from HTTP. Earning, referrals and badges happen in
// the log processor (processor.ts) as events arrive. A run (`run()`), as numbered steps:
//  1. catch up: the processor's pending slices (so "Earn now" shows what has arrived)
//  2. expire: earned points past their date that were not spent leave the balance
//  3. announce: each badge awarded and not yet announced becomes a `Badge Awarded` event
//  4. tiers and traits: per person with entries or challenge steps, the tier the qualifying
//     points reach, the badges held and each challenge's progress; when these differ from the
//     traits, an identify (`points_balance`, `loyalty_tier`, `loyalty_badges`,
//     `challenge_<badge>`), and on a tier change a `Loyalty Tier Changed` event the conductor
//     can trigger on
// Traits and events go through the log, like every other change to a person.
import { randomBytes } from 'node:crypto';
import { RapportError } from '../errors/index.ts';
import type { LogEntry, StateStore } from '../store/index.ts';
import {
  type Badge,
  badgeTarget,
  badgeWindowStart,
  EMPTY_PROGRAMME,
  type Programme,
  pointsToExpire,
  profileProgress,
  programmeIssues,
  type Tier,
  tierFor,
} from './programme.ts';
import { referralCode, referrerOf } from './referral.ts';
import type { LedgerEntry, LoyaltyStore, NewEntry } from './store.ts';

export const LOYALTY_SOURCE = 'rapport:loyalty';

/** RAPPORT_LOYALTY_RUN_SECONDS: seconds between runs (default 60); 0 turns the schedule off. */
export const TIER_EVENT = 'Loyalty Tier Changed';
export const BADGE_EVENT = 'Badge Awarded';
export const REFERRAL_OPENED_EVENT = 'Referral Link Opened';
const DAY_MS = 86_400_000;

export interface LoyaltyDeps {
  store: LoyaltyStore;
  state: Pick<StateStore, 'getProfile' | 'identitiesOfProfiles'>;
  append: (entries: LogEntry[]) => Promise<unknown>;
  /** Runs the log processor's pending slices (between the loop's steps); resolves how many entries. */
  catchUp?: () => Promise<number>;
  /**
   * Waits (bounded) until profiles show what the log holds now: a run compares standings with
   * traits, and the previous run's identify may not be applied yet (two runs back to back wrote
   * the same tier change twice).
   */
  traitsCaughtUp?: () => Promise<void>;
  now?: () => Date;
}

export interface BadgeProgress {
  id: string;
  name: string;
  description: string | null;
  progress: number;
  target: number;
  awardedAt: string | null;
}

export interface RunSummary {
  at: string;
  /** Log entries the processor caught up on in this run (it also reads them as they arrive). */
  eventsRead: number;
  /** Earn entries written since the last run (by the processor as events arrived), and their points. */
  earned: number;
  pointsEarned: number;
  expired: number;
  tierChanges: number;
  traitsWritten: number;
  badgesAnnounced: number;
}

export interface PersonLoyalty {
  profileId: string;
  balance: number;
  qualifyingPoints: number;
  tier: Tier | null;
  entries: LedgerEntry[];
  badges: BadgeProgress[];
}

export class LoyaltyService {
  #running: Promise<RunSummary> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LoyaltyDeps) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  async programme(): Promise<Programme> {
    return (await this.savedProgramme()) ?? EMPTY_PROGRAMME;
  }

  /** The programme as saved, or undefined before the first save. */
  async savedProgramme(): Promise<Programme | undefined> {
    const stored = await this.deps.store.getSetting('programme');
    return stored ? { ...EMPTY_PROGRAMME, ...JSON.parse(stored) } : undefined;
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
      badges: await this.badgeProgress(programme, profileId),
    };
  }

  /** Every badge of the programme with the person's progress now, and when it was awarded. */
  async badgeProgress(programme: Programme, profileId: string): Promise<BadgeProgress[]> {
    const awarded = new Map(
      (await this.deps.store.badgesOf(profileId)).map((award) => [award.badgeId, award.awardedAt]),
    );
    const now = this.now().toISOString();
    let traits: Record<string, unknown> | undefined;
    const result: BadgeProgress[] = [];
    for (const badge of programme.badges ?? []) {
      const target = badgeTarget(badge);
      const awardedAt = awarded.get(badge.id) ?? null;
      let progress: number;
      if (awardedAt) progress = target;
      else if (badge.challenge.kind === 'profile') {
        traits ??= await this.traitsOf(profileId);
        progress = profileProgress(badge, traits);
      } else
        progress = await this.deps.store.progress(profileId, badge.id, badgeWindowStart(badge, now), now);
      result.push({
        id: badge.id,
        name: badge.name,
        description: badge.description ?? null,
        progress: Math.min(progress, target),
        target,
        awardedAt,
      });
    }
    return result;
  }

  private async traitsOf(profileId: string): Promise<Record<string, unknown>> {
    const profile = await this.deps.state.getProfile(profileId);
    return Object.fromEntries(
      Object.entries(profile?.traits ?? {}).map(([name, trait]) => [name, trait.value]),
    );
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

  async overview() {
    return { badges: await this.deps.store.badgeCounts(), referrals: await this.deps.store.referralCounts() };
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
    const eventsRead = (await this.deps.catchUp?.()) ?? 0;
    const programme = await this.programme();
    const now = this.now();
    const summary: RunSummary = {
      at: now.toISOString(),
      eventsRead,
      ...(await this.earnedSinceLastRun()),
      expired: 0,
      tierChanges: 0,
      traitsWritten: 0,
      badgesAnnounced: 0,
    };
    await this.expire(now, summary);
    await this.announceBadges(now, summary);
    await this.deps.traitsCaughtUp?.();
    await this.tiersAndTraits(programme, now, summary);
    await this.deps.store.putSetting('last_run', JSON.stringify(summary));
    return summary;
  }

  private async earnedSinceLastRun(): Promise<{ earned: number; pointsEarned: number }> {
    const mark = Number((await this.deps.store.getSetting('earn_mark')) ?? 0);
    const since = await this.deps.store.earnedAfter(mark);
    await this.deps.store.putSetting('earn_mark', String(since.lastId));
    return { earned: since.entries, pointsEarned: since.points };
  }

  secret(): Promise<string> {
    return this.deps.store.settingOnce('referral_secret', randomBytes(32).toString('base64url'));
  }

  /**
   * A referral link opened (`GET /r/CODE`): a `Referral Link Opened` event on the referrer and
   * where to send the visitor (the landing page with `ref=CODE`). Undefined for a forged code.
   */
  async openReferralLink(code: string): Promise<{ location: string | null } | undefined> {
    const referrerId = referrerOf(await this.secret(), code);
    if (!referrerId) return undefined;
    const identity = await this.identityOf(referrerId);
    if (!identity) return undefined;
    const landing = (await this.programme()).referralLandingUrl;
    if (!landing) return { location: null };
    const at = this.now().toISOString();
    await this.deps.append([
      this.message(at, referrerId, identity, {
        type: 'track',
        messageId: `referral-open:${randomBytes(9).toString('base64url')}`,
        event: REFERRAL_OPENED_EVENT,
        properties: { referral_code: code },
      }),
    ]);
    const url = new URL(landing);
    url.searchParams.set('ref', code);
    return { location: url.toString() };
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

  /** Step 3: awarded first (in the processor), announced after; the event's id makes a retry one event. */
  private async announceBadges(now: Date, summary: RunSummary): Promise<void> {
    const programme = await this.programme();
    const names = new Map((programme.badges ?? []).map((badge) => [badge.id, badge.name]));
    const at = now.toISOString();
    for (;;) {
      const awards = await this.deps.store.unannouncedBadges(500);
      if (awards.length === 0) return;
      const entries: LogEntry[] = [];
      for (const award of awards) {
        const identity = await this.identityOf(award.profileId);
        if (!identity) continue;
        entries.push(
          this.message(at, award.profileId, identity, {
            type: 'track',
            messageId: `loyalty-badge:${award.profileId}:${award.badgeId}`,
            event: BADGE_EVENT,
            properties: {
              badge_id: award.badgeId,
              badge_name: names.get(award.badgeId) ?? award.badgeId,
              awarded_at: award.awardedAt,
            },
          }),
        );
      }
      if (entries.length > 0) await this.deps.append(entries);
      await this.deps.store.markAnnounced(awards, at);
      summary.badgesAnnounced += awards.length;
      if (awards.length < 500) return;
    }
  }

  /** Step 4. */
  private async tiersAndTraits(programme: Programme, now: Date, summary: RunSummary): Promise<void> {
    const since = new Date(now.getTime() - programme.tierWindowDays * DAY_MS).toISOString();
    const at = now.toISOString();
    const entries: LogEntry[] = [];
    const standings = new Map(
      (await this.deps.store.standings(since, at)).map((standing) => [standing.profileId, standing]),
    );
    const people = new Set([...standings.keys(), ...(await this.deps.store.peopleWithChallenges())]);
    const counted = (programme.badges ?? []).filter((badge) => badge.challenge.kind !== 'profile');
    for (const profileId of people) {
      const profile = await this.deps.state.getProfile(profileId);
      if (!profile) continue;
      const shown = (name: string) => profile.traits[name]?.value ?? null;
      const differs = (name: string, value: unknown) => !(name in profile.traits) || shown(name) !== value;
      const traits: Record<string, unknown> = {};
      const standing = standings.get(profileId);
      const tier = standing ? (tierFor(programme, standing.qualifying)?.id ?? null) : null;
      if (standing) {
        if (differs('points_balance', standing.balance)) traits.points_balance = standing.balance;
        if (differs('loyalty_tier', tier)) traits.loyalty_tier = tier;
      }
      for (const [name, value] of Object.entries(await this.challengeTraits(counted, profileId, at)))
        if (differs(name, value)) traits[name] = value;
      if (Object.keys(traits).length === 0) continue;
      const identity = await this.identityOf(profileId);
      if (!identity) continue;
      entries.push(
        this.message(at, profileId, identity, {
          type: 'identify',
          messageId: `loyalty:${at}:${profileId}`,
          traits,
        }),
      );
      summary.traitsWritten++;
      const shownTier = shown('loyalty_tier');
      if (standing && shownTier !== tier) {
        const rank = (id: unknown) => programme.tiers.findIndex((t) => t.id === id);
        entries.push(
          this.message(at, profileId, identity, {
            type: 'track',
            messageId: `loyalty-tier:${at}:${profileId}`,
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

  /**
   * `loyalty_badges`: the badges held, comma-separated (an offer rule tests it with contains);
   * `challenge_<badge>`: steps done now towards each counted challenge (its target once awarded),
   * so a placement can show "one more order for Regular" to those at 2 of 3.
   */
  private async challengeTraits(badges: Badge[], profileId: string, now: string) {
    const awarded = new Set((await this.deps.store.badgesOf(profileId)).map((award) => award.badgeId));
    const traits: Record<string, unknown> = {
      loyalty_badges: awarded.size > 0 ? [...awarded].sort().join(',') : null,
    };
    for (const badge of badges) {
      traits[`challenge_${badge.id}`] = awarded.has(badge.id)
        ? badgeTarget(badge)
        : await this.deps.store.progress(profileId, badge.id, badgeWindowStart(badge, now), now);
    }
    return traits;
  }

  private message(
    at: string,
    profileId: string,
    identity: { userId: string } | { anonymousId: string },
    body: Record<string, unknown>,
  ): LogEntry {
    return {
      messageId: String(body.messageId),
      source: LOYALTY_SOURCE,
      receivedAt: at,
      json: JSON.stringify({
        ...body,
        timestamp: at,
        receivedAt: at,
        ...identity,
        context: { rapport: { profileId, internal: true } },
      }),
    };
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
