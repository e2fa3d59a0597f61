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
  StateStore,
  StoredEvent,
} from '../store/index.ts';

export const PROFILES_PROCESSOR = 'profiles';
export const WAREHOUSE_PROCESSOR = 'warehouse';

export interface StepOptions {
  batchSize: number;
  identity: IdentityConfig;
  /** Consent purposes decisions may name (DEFAULT_CONSENT_PURPOSES when absent). */
  consentPurposes?: readonly string[];
  newProfileId?: () => string;
  /** Shared by processors in one thread so a slice is read and parsed once, not once each. */
  slices?: SliceCache;
}

interface Slice {
  records: LogRecord[];
  messages: SegmentMessage[];
}

/**
 * The last few slices the profiles step committed, keyed by the offset they were read after.
 * The log is append-only, so `read(after, batchSize)` returns the same records whenever it
 * is asked again: the warehouse step, starting from the same offset, can take the parsed
 * slice instead of reading and parsing it a second time.
 */
export class SliceCache {
  private readonly slices = new Map<number, Slice>();

  constructor(private readonly capacity = 4) {}

  put(after: number, slice: Slice): void {
    this.slices.set(after, slice);
    while (this.slices.size > this.capacity) this.slices.delete(this.slices.keys().next().value as number);
  }

  /** The slice read after `after`, dropping it and anything older. */
  take(after: number): Slice | undefined {
    const slice = this.slices.get(after);
    for (const key of [...this.slices.keys()]) if (key <= after) this.slices.delete(key);
    return slice;
  }
}

export const DEFAULT_STEP_OPTIONS: StepOptions = { batchSize: 2000, identity: DEFAULT_IDENTITY_CONFIG };

function parse(records: LogRecord[]): SegmentMessage[] {
  return records.map((record) => JSON.parse(record.json) as SegmentMessage);
}

/** Resolves identities and updates profiles for the next slice. Returns how many it applied. */
export async function runProfilesStep(
  state: StateStore,
  options: StepOptions = DEFAULT_STEP_OPTIONS,
): Promise<number> {
  let slice: (Slice & { after: number }) | undefined;
  const applied = await state.withProcessorLock(PROFILES_PROCESSOR, async (tx, offset) => {
    const records = await state.log.read(offset, options.batchSize);
    if (records.length === 0) return 0;
    const messages = parse(records);
    slice = { after: offset, records, messages };
    const known = await tx.findIdentities(lookupKeysOf(messages, options.identity));
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
      const profileId = resolveIdentity(graph, message, ctx);
      const source = (records[index] as LogRecord).source;
      applyMessage(graph.profile(profileId), message, source);
      consentHistory.push(...applyConsent(graph.profile(profileId), message, source, purposes));
    });
    await tx.write({ ...graph.changes(), consentHistory });
    await tx.setOffset((records.at(-1) as LogRecord).seq);
    return records.length;
  });
  // Only a committed slice may be shared: the warehouse copies only what profiles resolved.
  if (slice && applied) options.slices?.put(slice.after, slice);
  return applied ?? 0;
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
  let cached = options.slices?.take(offset);
  if (cached && (cached.records.at(-1) as LogRecord).seq > resolvedUpTo) cached = undefined;
  const records =
    cached?.records ??
    (await state.log.read(offset, options.batchSize)).filter((record) => record.seq <= resolvedUpTo);
  if (records.length === 0) return 0;
  const messages = cached?.messages ?? parse(records);
  const lookups = new Map<string, IdentityKey>();
  const keysPerMessage = messages.map((message) => identityKeysOf(message, options.identity));
  for (const keys of keysPerMessage) for (const key of keys) lookups.set(keyString(key), key);
  const owners = new Map<string, string>();
  for (const identity of await state.findIdentities([...lookups.values()])) {
    owners.set(keyString(identity), identity.profileId);
  }
  const stored = messages.map((message, index) => {
    const keys = keysPerMessage[index] ?? [];
    const owner = keys.map((key) => owners.get(keyString(key))).find((id) => id !== undefined);
    return toStoredEvent(records[index] as LogRecord, message, owner ?? 'unresolved');
  });
  await events.appendWithOffset(WAREHOUSE_PROCESSOR, stored, (records.at(-1) as LogRecord).seq);
  return records.length;
}
