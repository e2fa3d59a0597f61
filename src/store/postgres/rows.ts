// Row mappers: database rows (snake_case, bigint as string, timestamptz as Date) to the
// store's types (camelCase, numbers, ISO strings). Pure, unit-tested without a database.
import type {
  Credential,
  CredentialKind,
  IdentityRow,
  MergeOutcome,
  ProfileRow,
  StoredDeadLetter,
  StoredEvent,
  StoredMergeRecord,
} from '../types.ts';
import { toIso, toIsoOrNull, toNumber } from './sql.ts';

type Timestamp = Date | string;
type BigIntValue = string | number;

export interface DeadLetterDbRow {
  id: BigIntValue;
  received_at: Timestamp;
  source: string;
  code: string;
  field: string;
  reason: string;
  body: string;
}

export interface ProfileDbRow {
  profile_id: string;
  created_at: Timestamp;
  first_seen: Timestamp;
  last_seen: Timestamp;
  event_count: BigIntValue;
  traits: ProfileRow['traits'];
  groups: ProfileRow['groups'];
  /** Absent only in rows built by hand (tests); the column defaults to '{}'. */
  consent?: ProfileRow['consent'];
  merged_into: string | null;
}

export interface IdentityDbRow {
  kind: string;
  value: string;
  profile_id: string;
  first_seen: Timestamp;
}

export interface MergeDbRow {
  id: BigIntValue;
  at: Timestamp;
  outcome: MergeOutcome;
  winner_id: string;
  loser_id: string;
  message_id: string;
  reason: string;
}

export interface CredentialDbRow {
  id: string;
  kind: CredentialKind;
  name: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface EventDbRow {
  seq: BigIntValue;
  message_id: string;
  profile_id: string;
  type: string;
  name: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  timestamp: Timestamp;
  received_at: Timestamp;
  properties: Record<string, unknown> | null;
  message: Record<string, unknown>;
}

export function toDeadLetter(row: DeadLetterDbRow): StoredDeadLetter {
  return {
    id: toNumber(row.id),
    receivedAt: toIso(row.received_at),
    source: row.source,
    code: row.code,
    field: row.field,
    reason: row.reason,
    body: row.body,
  };
}

export function toProfile(row: ProfileDbRow): ProfileRow {
  return {
    profileId: row.profile_id,
    createdAt: toIso(row.created_at),
    firstSeen: toIso(row.first_seen),
    lastSeen: toIso(row.last_seen),
    eventCount: toNumber(row.event_count),
    traits: row.traits,
    groups: row.groups,
    consent: row.consent ?? {},
    mergedInto: row.merged_into,
  };
}

export function toIdentity(row: IdentityDbRow): IdentityRow {
  return { kind: row.kind, value: row.value, profileId: row.profile_id, firstSeen: toIso(row.first_seen) };
}

export function toMerge(row: MergeDbRow): StoredMergeRecord {
  return {
    id: toNumber(row.id),
    at: toIso(row.at),
    outcome: row.outcome,
    winnerId: row.winner_id,
    loserId: row.loser_id,
    messageId: row.message_id,
    reason: row.reason,
  };
}

export function toCredential(row: CredentialDbRow): Credential {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    createdAt: toIso(row.created_at),
    revokedAt: toIsoOrNull(row.revoked_at),
  };
}

export function toEvent(row: EventDbRow): StoredEvent {
  return {
    seq: toNumber(row.seq),
    messageId: row.message_id,
    profileId: row.profile_id,
    type: row.type,
    name: row.name,
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    timestamp: toIso(row.timestamp),
    receivedAt: toIso(row.received_at),
    properties: row.properties ?? {},
    message: row.message,
  };
}
