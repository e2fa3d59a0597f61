// Identity resolution over an in-memory working set. The runner loads every identity and
// profile a batch can touch, this code decides, and the runner writes the result back in
// the same transaction. Nothing here does I/O.
import type { SegmentMessage } from '../events/index.ts';
import { mergeProfiles, newProfile } from '../profiles/model.ts';
import type { IdentityKey, IdentityRow, MergeRecord, ProfileChanges, ProfileRow } from '../store/index.ts';
import { type IdentityConfig, identityKeysOf, keyString, previousIdCandidates } from './keys.ts';

export class IdentityGraph {
  /**
   * Owner rows by kind, then value: no key string is built for a lookup, and the values are
   * the messages' own strings, whose hashes V8 keeps (ownerOf runs several times a message).
   */
  private readonly owners = new Map<string, Map<string, IdentityRow>>();
  private readonly keysByProfile = new Map<string, Set<IdentityRow>>();
  private readonly profiles = new Map<string, ProfileRow>();
  private readonly changedProfiles = new Set<string>();
  private readonly changedIdentities = new Map<string, IdentityKey>();
  private readonly merges: MergeRecord[] = [];

  constructor(identities: IdentityRow[], profiles: ProfileRow[]) {
    for (const profile of profiles) this.profiles.set(profile.profileId, profile);
    for (const identity of identities) this.own(identity);
  }

  profile(profileId: string): ProfileRow {
    const profile = this.profiles.get(profileId);
    if (!profile) throw new Error(`profile ${profileId} is not in the working set`);
    return profile;
  }

  ownerOf(key: IdentityKey): string | undefined {
    return this.owners.get(key.kind)?.get(key.value)?.profileId;
  }

  touch(profileId: string): void {
    this.changedProfiles.add(profileId);
  }

  changes(): ProfileChanges {
    return {
      profiles: [...this.changedProfiles].map((id) => this.profile(id)),
      identities: [...this.changedIdentities.values()].map((key) => this.ownerRow(key)!),
      merges: this.merges,
    };
  }

  private ownerRow(key: IdentityKey): IdentityRow | undefined {
    return this.owners.get(key.kind)?.get(key.value);
  }

  private own(identity: IdentityRow): void {
    let ofKind = this.owners.get(identity.kind);
    if (!ofKind) {
      ofKind = new Map();
      this.owners.set(identity.kind, ofKind);
    }
    const previous = ofKind.get(identity.value);
    if (previous) this.keysByProfile.get(previous.profileId)?.delete(previous);
    ofKind.set(identity.value, identity);
    let keys = this.keysByProfile.get(identity.profileId);
    if (!keys) {
      keys = new Set();
      this.keysByProfile.set(identity.profileId, keys);
    }
    keys.add(identity);
  }

  addProfile(profile: ProfileRow): void {
    this.profiles.set(profile.profileId, profile);
    this.keysByProfile.set(profile.profileId, new Set());
    this.touch(profile.profileId);
  }

  assign(key: IdentityKey, profileId: string, firstSeen: string): void {
    const existing = this.ownerRow(key);
    this.own({ kind: key.kind, value: key.value, profileId, firstSeen: existing?.firstSeen ?? firstSeen });
    this.changedIdentities.set(keyString(key), key);
  }

  countOfKind(profileId: string, kind: string): number {
    let count = 0;
    for (const identity of this.keysByProfile.get(profileId) ?? []) if (identity.kind === kind) count++;
    return count;
  }

  keysOf(profileId: string): IdentityRow[] {
    return [...(this.keysByProfile.get(profileId) ?? [])];
  }

  record(merge: MergeRecord): void {
    this.merges.push(merge);
  }
}

export interface ResolveContext {
  config: IdentityConfig;
  newProfileId: () => string;
  now: string;
}

/**
 * The limits a message is held to. An alias is the sender saying in so many words that its
 * previousId and userId are one person (Segment re-keys previousId to userId), so the userId
 * limit, a guard against identify calls on shared devices, does not refuse it; every other
 * limit (emails) still does.
 */
function limitsOf(message: SegmentMessage, config: IdentityConfig): Record<string, number> {
  if (message.type !== 'alias') return config.limits;
  const { user_id: _userIdLimit, ...others } = config.limits;
  return others;
}

/** Which identity limit, if any, a merge of a and b would break. */
function brokenLimit(
  graph: IdentityGraph,
  a: string,
  b: string,
  limits: Record<string, number>,
): string | undefined {
  for (const [kind, limit] of Object.entries(limits)) {
    const values = new Set(
      [...graph.keysOf(a), ...graph.keysOf(b)].filter((k) => k.kind === kind).map((k) => k.value),
    );
    if (values.size > limit) return `${kind} limit ${limit} per profile (would hold ${values.size})`;
  }
  return undefined;
}

/** The survivor of a merge: an identified profile beats an anonymous one, then the older. */
function chooseWinner(graph: IdentityGraph, a: string, b: string): [string, string] {
  const aKnown = graph.countOfKind(a, 'user_id') > 0;
  const bKnown = graph.countOfKind(b, 'user_id') > 0;
  if (aKnown !== bKnown) return aKnown ? [a, b] : [b, a];
  const pa = graph.profile(a);
  const pb = graph.profile(b);
  if (pa.createdAt !== pb.createdAt) return pa.createdAt < pb.createdAt ? [a, b] : [b, a];
  return a < b ? [a, b] : [b, a];
}

function merge(
  graph: IdentityGraph,
  a: string,
  b: string,
  message: SegmentMessage,
  ctx: ResolveContext,
): string {
  // An alias keeps the profile its userId names: previousId is the identity re-keyed into it.
  const aliasTarget = message.type === 'alias' && graph.keysOf(a).some(isUserId(message.userId));
  const [winnerId, loserId] = aliasTarget ? [a, b] : chooseWinner(graph, a, b);
  const broken = brokenLimit(graph, a, b, limitsOf(message, ctx.config));
  const why = message.type === 'alias' ? 'alias' : `${message.type} carried identifiers of both profiles`;
  if (broken) {
    graph.record({
      at: ctx.now,
      outcome: 'refused',
      winnerId,
      loserId,
      messageId: message.messageId,
      reason: `${why}; refused: ${broken}`,
    });
    return a;
  }
  for (const identity of graph.keysOf(loserId)) graph.assign(identity, winnerId, identity.firstSeen);
  mergeProfiles(graph.profile(winnerId), graph.profile(loserId));
  graph.touch(winnerId);
  graph.touch(loserId);
  graph.record({
    at: ctx.now,
    outcome: 'merged',
    winnerId,
    loserId,
    messageId: message.messageId,
    reason: why,
  });
  return winnerId;
}

function isUserId(userId: string | undefined): (key: IdentityKey) => boolean {
  return (key) => key.kind === 'user_id' && key.value === userId;
}

function messageKeys(graph: IdentityGraph, message: SegmentMessage, keys: IdentityKey[]): IdentityKey[] {
  const candidates = previousIdCandidates(message);
  if (candidates.length === 0) return keys;
  const known = candidates.find((key) => graph.ownerOf(key) !== undefined);
  // An unknown previousId is most often a browser's anonymousId seen for the first time.
  return [...keys, known ?? (candidates[1] as IdentityKey)];
}

/**
 * Resolves the profile a message belongs to, merging the profiles its identifiers point at
 * where the identity limits allow, and recording every merge and refusal. `identifiers`:
 * identityKeysOf(message, ctx.config), when the caller has it already.
 */
export function resolveIdentity(
  graph: IdentityGraph,
  message: SegmentMessage,
  ctx: ResolveContext,
  identifiers: IdentityKey[] = identityKeysOf(message, ctx.config),
): string {
  const keys = messageKeys(graph, message, identifiers);
  const owners: string[] = [];
  for (const key of keys) {
    const owner = graph.ownerOf(key);
    if (owner !== undefined && !owners.includes(owner)) owners.push(owner);
  }
  let profileId = owners[0];
  if (profileId === undefined) {
    profileId = ctx.newProfileId();
    graph.addProfile(newProfile(profileId, ctx.now, message.timestamp));
  }
  for (const other of owners.slice(1)) {
    const survivor = merge(graph, profileId, other, message, ctx);
    if (survivor !== profileId && graph.profile(profileId).mergedInto === survivor) profileId = survivor;
  }
  const limits = limitsOf(message, ctx.config);
  const strongest = keys[0];
  if (
    strongest &&
    graph.ownerOf(strongest) === undefined &&
    wouldBreakLimit(graph, profileId, strongest, limits)
  ) {
    // A new userId arriving on a device that belongs to someone else: a new person, not
    // a new identifier for the device's owner.
    profileId = ctx.newProfileId();
    graph.addProfile(newProfile(profileId, ctx.now, message.timestamp));
  }
  for (const key of keys) {
    if (graph.ownerOf(key) !== undefined) continue;
    const limit = limits[key.kind];
    if (limit !== undefined && graph.countOfKind(profileId, key.kind) >= limit) {
      graph.record({
        at: ctx.now,
        outcome: 'refused',
        winnerId: profileId,
        loserId: '',
        messageId: message.messageId,
        reason: `new ${key.kind} not linked: ${key.kind} limit ${limit} per profile reached`,
      });
      continue;
    }
    graph.assign(key, profileId, message.timestamp);
  }
  graph.touch(profileId);
  return profileId;
}

function wouldBreakLimit(
  graph: IdentityGraph,
  profileId: string,
  key: IdentityKey,
  limits: Record<string, number>,
): boolean {
  const limit = limits[key.kind];
  return limit !== undefined && graph.countOfKind(profileId, key.kind) >= limit;
}

/** Every identifier a batch could look up, for loading the working set in one go. */
export function lookupKeysOf(
  messages: SegmentMessage[],
  config: IdentityConfig,
  identifiers: IdentityKey[][] = messages.map((message) => identityKeysOf(message, config)),
): IdentityKey[] {
  // Seen values by kind, not a joined key string: joining and hashing a new string for every
  // key of every message was 6% of the pipeline worker with every person returning
  // (docs/performance.md, "Ingest", session 10); the values' own hashes V8 keeps.
  const seen = new Map<string, Set<string>>();
  const keys: IdentityKey[] = [];
  const add = (key: IdentityKey) => {
    let values = seen.get(key.kind);
    if (!values) {
      values = new Set();
      seen.set(key.kind, values);
    }
    if (values.has(key.value)) return;
    values.add(key.value);
    keys.push(key);
  };
  for (let index = 0; index < messages.length; index++) {
    for (const key of identifiers[index] as IdentityKey[]) add(key);
    const message = messages[index] as SegmentMessage;
    if (message.type === 'alias') for (const key of previousIdCandidates(message)) add(key);
  }
  return keys;
}
