// One step of each processor: read the next slice of the log after the processor's own
// offset, apply it, and commit the result together with the new offset. A crash between
// steps replays the slice; nothing is applied twice because the offset moves atomically
// with what the slice produced.
import { randomUUID } from 'node:crypto';
import type { SegmentMessage } from '../events/index.ts';
import {
  DEFAULT_IDENTITY_CONFIG,
  type IdentityConfig,
  IdentityGraph,
  identityKeysOf,
  keyString,
  lookupKeysOf,
  resolveIdentity,
} from '../identity/index.ts';
import { applyConsent, applyMessage, DEFAULT_CONSENT_PURPOSES } from '../profiles/index.ts';
import type {
  ConsentRecord,
  EventStore,
  IdentityKey,
  LogRecord,
  ProfileTransaction,
  StateStore,
  StoredEvent,
} from '../store/index.ts';
import { failIfInjected, type InjectedFault } from './faults.ts';
import type { ResolvedSlice, SliceCache } from './slices.ts';

export const PROFILES_PROCESSOR = 'profiles';
export const WAREHOUSE_PROCESSOR = 'warehouse';

export interface StepOptions {
  batchSize: number;
  identity: IdentityConfig;
  /** Consent purposes decisions may name (DEFAULT_CONSENT_PURPOSES when absent). */
  consentPurposes?: readonly string[];
  newProfileId?: () => string;
  /** Shared by processors in one thread so a slice is read, parsed and resolved once. */
  slices?: SliceCache;
  /** Tests only (faults.ts): fail on chosen messages, as a bug would. */
  faults?: readonly InjectedFault[];
}

export const DEFAULT_STEP_OPTIONS: StepOptions = { batchSize: 2000, identity: DEFAULT_IDENTITY_CONFIG };

export function parse(records: LogRecord[]): SegmentMessage[] {
  return records.map((record) => JSON.parse(record.json) as SegmentMessage);
}

/** Resolves identities and updates profiles for the next slice. Returns how many it applied. */
export async function runProfilesStep(
  state: StateStore,
  options: StepOptions = DEFAULT_STEP_OPTIONS,
): Promise<number> {
  // The consumers of the slices are far behind: let them catch up (see SliceCache.holding).
  if (options.slices?.holding()) return 0;
  let slice: ResolvedSlice | undefined;
  const applied = await state.withProcessorLock(PROFILES_PROCESSOR, async (tx, offset) => {
    const records = await state.log.read(offset, options.batchSize);
    if (records.length === 0) return 0;
    const messages = parse(records);
    const identifiers = messages.map((message) => identityKeysOf(message, options.identity));
    const graph = await applyProfileSlice(tx, records, messages, options, identifiers);
    await tx.setOffset((records.at(-1) as LogRecord).seq);
    if (options.slices) slice = { after: offset, records, messages, owners: ownersIn(graph, identifiers) };
    return records.length;
  });
  // Only a committed slice may be shared: the warehouse copies only what profiles resolved.
  if (slice && applied) options.slices?.put(slice);
  return applied ?? 0;
}

/**
 * Identity resolution and traits for these messages, written in the caller's transaction;
 * the offset is the caller's (a replay of a quarantined message leaves it where it is).
 * `identifiers`: each message's identityKeysOf, computed once for the whole step.
 */
export async function applyProfileSlice(
  tx: ProfileTransaction,
  records: LogRecord[],
  messages: SegmentMessage[],
  options: StepOptions,
  identifiers: IdentityKey[][] = messages.map((message) => identityKeysOf(message, options.identity)),
): Promise<IdentityGraph> {
  const known = await tx.findIdentities(lookupKeysOf(messages, options.identity, identifiers));
  const profileIds = [...new Set(known.map((identity) => identity.profileId))];
  const graph = new IdentityGraph(
    await tx.identitiesOfProfiles(profileIds),
    await tx.loadProfiles(profileIds),
  );
  const ctx = {
    config: options.identity,
    newProfileId: options.newProfileId ?? randomUUID,
    now: new Date().toISOString(),
  };
  const purposes = options.consentPurposes ?? DEFAULT_CONSENT_PURPOSES;
  const consentHistory: ConsentRecord[] = [];
  messages.forEach((message, index) => {
    failIfInjected(options.faults, PROFILES_PROCESSOR, message);
    const profileId = resolveIdentity(graph, message, ctx, identifiers[index]);
    const source = (records[index] as LogRecord).source;
    applyMessage(graph.profile(profileId), message, source);
    consentHistory.push(...applyConsent(graph.profile(profileId), message, source, purposes));
  });
  await tx.write({ ...graph.changes(), consentHistory });
  return graph;
}

/** What a lookup of each message's identifiers answers once the slice's changes are written. */
function ownersIn(graph: IdentityGraph, identifiers: IdentityKey[][]) {
  return identifiers.map((keys) => {
    for (const key of keys) {
      const owner = graph.ownerOf(key);
      if (owner !== undefined) return owner;
    }
    return undefined;
  });
}

function eventName(message: SegmentMessage): string | null {
  if (message.type === 'track') return message.event ?? null;
  if (message.type === 'page' || message.type === 'screen') return message.name ?? null;
  return null;
}

function toStoredEvent(record: LogRecord, message: SegmentMessage, profileId: string): StoredEvent {
  return {
    seq: record.seq,
    messageId: message.messageId,
    profileId,
    type: message.type,
    name: eventName(message),
    userId: message.userId ?? null,
    anonymousId: message.anonymousId ?? null,
    timestamp: message.timestamp,
    receivedAt: message.receivedAt,
    properties: message.properties ?? {},
    message: message as unknown as Record<string, unknown>,
    messageJson: record.json,
  };
}

/** Each message's profile: the owner of the first of its identifiers that has one. */
export async function lookupOwners(
  state: StateStore,
  messages: SegmentMessage[],
  options: Pick<StepOptions, 'identity'>,
): Promise<Array<string | undefined>> {
  const lookups = new Map<string, IdentityKey>();
  const keysPerMessage = messages.map((message) => identityKeysOf(message, options.identity));
  for (const keys of keysPerMessage) for (const key of keys) lookups.set(keyString(key), key);
  const owners = new Map<string, string>();
  for (const identity of await state.findIdentities([...lookups.values()])) {
    owners.set(keyString(identity), identity.profileId);
  }
  return keysPerMessage.map((keys) =>
    keys.map((key) => owners.get(keyString(key))).find((id) => id !== undefined),
  );
}

/**
 * Copies the next slice into the event store, tagged with each message's profile. It only
 * reads what the profiles processor has already resolved, so every identifier it looks up
 * exists; after a merge the lookup finds the survivor.
 */
export async function runWarehouseStep(
  state: StateStore,
  events: EventStore,
  options: StepOptions = DEFAULT_STEP_OPTIONS,
): Promise<number> {
  const offset = await events.getOffset(WAREHOUSE_PROCESSOR);
  const resolvedUpTo = await state.getOffset(PROFILES_PROCESSOR);
  if (resolvedUpTo <= offset) return 0;
  const cached = options.slices?.run(WAREHOUSE_PROCESSOR, offset, options.batchSize, resolvedUpTo);
  const records =
    cached?.records ??
    (await state.log.read(offset, options.batchSize)).filter((record) => record.seq <= resolvedUpTo);
  if (records.length === 0) return 0;
  const messages = cached?.messages ?? parse(records);
  // A profile merged after the slice committed still reaches these events: readers follow
  // merges (the same holds when the lookup below runs just before a merge).
  const owners = cached?.owners ?? (await lookupOwners(state, messages, options));
  const stored = toStoredEvents(records, messages, owners, options);
  await events.appendWithOffset(WAREHOUSE_PROCESSOR, stored, (records.at(-1) as LogRecord).seq);
  return records.length;
}

function toStoredEvents(
  records: LogRecord[],
  messages: SegmentMessage[],
  owners: Array<string | undefined>,
  options: StepOptions,
): StoredEvent[] {
  return messages.map((message, index) => {
    failIfInjected(options.faults, WAREHOUSE_PROCESSOR, message);
    return toStoredEvent(records[index] as LogRecord, message, owners[index] ?? 'unresolved');
  });
}

/** The events these messages become, each tagged with the profile that owns it now. */
export async function warehouseEventsOf(
  state: StateStore,
  records: LogRecord[],
  messages: SegmentMessage[],
  options: StepOptions,
): Promise<StoredEvent[]> {
  return toStoredEvents(records, messages, await lookupOwners(state, messages, options), options);
}
