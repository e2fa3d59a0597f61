// The loyalty processor (offset `loyalty`): reads the ingest log through the shared processor
// machinery (offsets, quarantine, the guarded loop: src/pipeline), behind the profiles
// processor so every message's person is resolved, and for each message
//   1. credits what the earn rules give a tracked event (key: message and rule);
//   2. attributes a referee to the referrer a signed `properties.referral_code` names (not
//      oneself, not a customer who already bought, the first code wins);
//   3. on a first `Order Completed`: records the first purchase and settles the person's
//      referral: both sides credited, or `capped` past the programme's cap;
//   4. steps the person's challenges (events, referrals, profile traits) and awards a badge,
//      with its points, the moment its target is reached, once.
// A slice's writes commit in one ledger transaction (serialised across processes on
// PostgreSQL), then its offset in the state store's processor_offsets under the processor's lock. Every write is idempotent (keys per message,
// per person, per badge), so a crash between the two replays the slice and changes nothing:
// exactly once. A message that fails on its own is set aside in quarantine with the offset.
import type { SegmentMessage } from '../events/index.ts';
import type { IdentityConfig } from '../identity/index.ts';
import {
  failIfInjected,
  type InjectedFault,
  lookupOwners,
  PROFILES_PROCESSOR,
  type QuarantinableProcessor,
  recordOf,
} from '../pipeline/index.ts';
import type { LogRecord, StateStore } from '../store/index.ts';
import {
  type Badge,
  badgesStepped,
  badgeTarget,
  badgeWindowStart,
  earningsFor,
  type Programme,
  profileProgress,
} from './programme.ts';
import { referrerOf } from './referral.ts';
import type { LoyaltyStore, LoyaltyTransaction, NewEntry } from './store.ts';

export const LOYALTY_PROCESSOR = 'loyalty';
const ORDER = 'Order Completed';
const DAY_MS = 86_400_000;

export interface LoyaltyProcessorOptions {
  /** A state store of the processor's own (its lock holds a transaction on its connection). */
  state: StateStore;
  store: LoyaltyStore;
  identity: IdentityConfig;
  batchSize: number;
  /** The programme now; undefined until one is saved (the processor then reads nothing). */
  programme: () => Promise<Programme | undefined>;
  secret: () => Promise<string>;
  /** Tests only (src/pipeline/faults.ts). */
  faults?: readonly InjectedFault[];
}

interface Context {
  programme: Programme;
  secret: string;
  options: LoyaltyProcessorOptions;
  tx: LoyaltyTransaction;
}

/** The processor as the shared loop and quarantine see it. */
export function loyaltyProcessor(options: LoyaltyProcessorOptions): QuarantinableProcessor {
  const { state } = options;
  return {
    name: LOYALTY_PROCESSOR,
    batchSize: options.batchSize,
    log: state.log,
    quarantine: state.quarantine,
    step: (limit) => runLoyaltyStep(options, limit ?? options.batchSize),
    offset: () => state.getOffset(LOYALTY_PROCESSOR),
    withOffset: (work) =>
      state.withProcessorLock(LOYALTY_PROCESSOR, (tx, offset) =>
        work(
          {
            consecutiveAt: (seq) => tx.quarantine.consecutiveAt(LOYALTY_PROCESSOR, seq),
            put: (entry) => tx.quarantine.put(entry),
            setOffset: (seq) => tx.setOffset(seq),
          },
          offset,
        ),
      ),
    async replay(id) {
      const programme = await options.programme();
      const result = await state.withProcessorLock(LOYALTY_PROCESSOR, async (tx) => {
        const entry = await tx.quarantine.get(id);
        if (!entry || entry.processor !== LOYALTY_PROCESSOR) return { outcome: 'gone' as const };
        if (programme) await applyRecords(options, programme, [recordOf(entry)]);
        await tx.quarantine.release(id);
        return { outcome: 'replayed' as const, entry };
      });
      return result ?? { outcome: 'busy', reason: 'another process is running the loyalty processor' };
    },
  };
}

/** The next slice (at most `limit` entries). Returns how many log entries it consumed. */
export async function runLoyaltyStep(options: LoyaltyProcessorOptions, limit: number): Promise<number> {
  const { state } = options;
  // Until a programme is saved there is nothing to earn, and no offset: compaction is not held
  // back by a processor nobody uses, and the first programme earns on what the log still holds.
  const programme = await options.programme();
  if (!programme) return 0;
  const resolvedUpTo = await state.getOffset(PROFILES_PROCESSOR);
  const offset = await state.getOffset(LOYALTY_PROCESSOR);
  if (resolvedUpTo <= offset) return 0;
  const records = (await state.log.read(offset, limit)).filter((record) => record.seq <= resolvedUpTo);
  if (records.length === 0) return 0;
  // The slice is applied before the offset's lock is taken: on SQLite that lock is the state
  // file's write lock, which the profiles and realtime processors wait for. Applying twice (a
  // crash before the offset moved, another process on the same slice) changes nothing.
  await applyRecords(options, programme, records);
  const moved = await state.withProcessorLock(LOYALTY_PROCESSOR, async (tx, current) => {
    if (current !== offset) return false;
    await tx.setOffset((records.at(-1) as LogRecord).seq);
    return true;
  });
  return moved ? records.length : 0;
}

async function applyRecords(
  options: LoyaltyProcessorOptions,
  programme: Programme,
  records: LogRecord[],
): Promise<void> {
  const messages = records.map((record) => JSON.parse(record.json) as SegmentMessage);
  const owners = await lookupOwners(options.state, messages, options);
  const secret = await options.secret();
  await options.store.slice(async (tx) => {
    const context: Context = { programme, secret, options, tx };
    for (const [index, message] of messages.entries()) {
      failIfInjected(options.faults, LOYALTY_PROCESSOR, message);
      const owner = owners[index];
      if (owner) await applyMessage(context, owner, message);
    }
  });
}

async function applyMessage(context: Context, owner: string, message: SegmentMessage): Promise<void> {
  const at = new Date(message.timestamp ?? Date.now()).toISOString();
  if (message.type === 'identify') await stepProfileBadges(context, owner, message);
  if (message.type !== 'track' || !message.event) return;
  const properties = (message.properties ?? {}) as Record<string, unknown>;
  for (const credit of creditsOf(context.programme, owner, message, at)) await context.tx.credit(credit);
  if (properties.referral_code !== undefined) await attribute(context, owner, message, at);
  if (message.event === ORDER) await firstOrder(context, owner, message, at);
  for (const badge of badgesStepped(context.programme, message.event)) {
    await context.tx.addProgress(owner, badge.id, message.messageId, at);
    const count = await context.tx.progressCount(owner, badge.id, badgeWindowStart(badge, at), at);
    if (count >= badgeTarget(badge)) await award(context, owner, badge, at, message.messageId);
  }
}

function expiresAt(programme: Programme, at: string): string | null {
  return programme.expiryDays > 0
    ? new Date(Date.parse(at) + programme.expiryDays * DAY_MS).toISOString()
    : null;
}

function creditsOf(programme: Programme, owner: string, message: SegmentMessage, at: string): NewEntry[] {
  const event = {
    messageId: message.messageId,
    name: message.event as string,
    timestamp: at,
    properties: (message.properties ?? {}) as Record<string, unknown>,
  };
  return earningsFor(programme, event).map((earning) => ({
    key: `earn:${event.messageId}:${earning.ruleId}`,
    profileId: owner,
    kind: 'earn' as const,
    points: earning.points,
    reason: null,
    sourceMessageId: event.messageId,
    ruleId: earning.ruleId,
    campaignId: earning.campaignId,
    at,
    expiresAt: expiresAt(programme, at),
  }));
}

/** Fraud guards: a forged code, one's own code, a customer who already bought: no referral. */
async function attribute(context: Context, owner: string, message: SegmentMessage, at: string) {
  const properties = message.properties as Record<string, unknown>;
  const referrerId = referrerOf(context.secret, properties.referral_code);
  if (!referrerId || referrerId === owner) return;
  if (await context.tx.hasFirst(owner, 'order')) return;
  const [referrer] = await lookupReferrer(context, referrerId);
  if (referrer === owner) return;
  await context.tx.addReferral({ refereeId: owner, referrerId, sourceMessageId: message.messageId, at });
}

/** The referrer as they are now: a code names the profile it was made for, perhaps since merged. */
async function lookupReferrer(context: Context, referrerId: string): Promise<string[]> {
  const profile = await context.options.state.getProfile(referrerId);
  return [profile?.mergedInto ?? referrerId];
}

async function firstOrder(context: Context, owner: string, message: SegmentMessage, at: string) {
  if (!(await context.tx.addFirst(owner, 'order', at, message.messageId))) return;
  const referral = await context.tx.referralOf(owner);
  if (!referral || referral.settled) return;
  const { programme, tx } = context;
  const capped =
    programme.referralCap > 0 && (await tx.rewardedReferrals(referral.referrerId)) >= programme.referralCap;
  await tx.settleReferral(owner, capped ? 'capped' : 'rewarded', at);
  if (capped) return;
  const credit = (profileId: string, key: string, points: number, reason: string): NewEntry => ({
    key,
    profileId,
    kind: 'earn',
    points,
    reason,
    sourceMessageId: message.messageId,
    ruleId: 'referral',
    campaignId: null,
    at,
    expiresAt: expiresAt(programme, at),
  });
  if (programme.referralPoints > 0)
    await tx.credit(
      credit(
        referral.referrerId,
        `referral:${owner}`,
        programme.referralPoints,
        `referred ${owner}, who made a first purchase`,
      ),
    );
  if (programme.refereePoints > 0)
    await tx.credit(
      credit(
        owner,
        `referred:${owner}`,
        programme.refereePoints,
        `referred by ${referral.referrerId}: first purchase`,
      ),
    );
  for (const badge of programme.badges ?? []) {
    if (badge.challenge.kind !== 'referrals') continue;
    await tx.addProgress(referral.referrerId, badge.id, owner, at);
    if ((await tx.progressCount(referral.referrerId, badge.id, null, null)) >= badge.challenge.count)
      await award(context, referral.referrerId, badge, at, message.messageId);
  }
}

async function stepProfileBadges(context: Context, owner: string, message: SegmentMessage) {
  const profileBadges = (context.programme.badges ?? []).filter(
    (badge) => badge.challenge.kind === 'profile',
  );
  if (profileBadges.length === 0) return;
  // Only an identify changes traits; the profiles processor has applied it already.
  const profile = await context.options.state.getProfile(owner);
  if (!profile) return;
  const traits = Object.fromEntries(
    Object.entries(profile.traits).map(([name, trait]) => [name, trait.value]),
  );
  const at = new Date(message.timestamp ?? Date.now()).toISOString();
  for (const badge of profileBadges) {
    if (profileProgress(badge, traits) >= badgeTarget(badge))
      await award(context, owner, badge, at, message.messageId);
  }
}

async function award(context: Context, profileId: string, badge: Badge, at: string, sourceId: string) {
  if (!(await context.tx.award(profileId, badge.id, at, sourceId))) return;
  if (!badge.points) return;
  await context.tx.credit({
    key: `badge:${badge.id}`,
    profileId,
    kind: 'earn',
    points: badge.points,
    reason: `badge ${badge.name}`,
    sourceMessageId: sourceId,
    ruleId: `badge:${badge.id}`,
    campaignId: null,
    at,
    expiresAt: expiresAt(context.programme, at),
  });
}
