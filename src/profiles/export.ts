// Export (GDPR art. 15 and 20): everything Rapport holds about one person as one JSON document,
// written piece by piece so a long event history streams instead of filling memory.
import type { EventReader, StateStore, StoredDeadLetter, StoredQuarantineEntry } from '../store/index.ts';
import { mentionsAny } from './erasure.ts';
import { buildProfileView, type ProfileView } from './view.ts';

const EVENT_PAGE = 1000;

export interface ExportOptions {
  purposes: readonly string[];
}

/** The profile view the export starts with, or undefined for an unknown profile (check first). */
export async function exportHeader(
  state: StateStore,
  events: Pick<EventReader, 'eventsOf'>,
  profileId: string,
  options: ExportOptions,
): Promise<ProfileView | undefined> {
  return buildProfileView(state, events as EventReader, profileId, {
    eventLimit: 0,
    purposes: options.purposes,
  });
}

async function deadLettersMentioning(state: StateStore, values: Set<string>): Promise<StoredDeadLetter[]> {
  const found: StoredDeadLetter[] = [];
  for (let beforeId: number | undefined; ; ) {
    const page = await state.log.listDeadLetters({ limit: 500, ...(beforeId ? { beforeId } : {}) });
    if (page.length === 0) return found;
    for (const dead of page) if (mentionsAny(dead.body, values)) found.push(dead);
    beforeId = (page.at(-1) as StoredDeadLetter).id;
  }
}

/** Quarantined log entries (docs/quarantine.md) mentioning the person: messages not yet applied. */
async function quarantinedMentioning(
  state: StateStore,
  values: Set<string>,
): Promise<StoredQuarantineEntry[]> {
  const found: StoredQuarantineEntry[] = [];
  for (let afterId = 0; ; ) {
    const page = await state.quarantine.list({ limit: 500, afterId });
    if (page.length === 0) return found;
    for (const entry of page) if (mentionsAny(entry.body, values)) found.push(entry);
    afterId = (page.at(-1) as StoredQuarantineEntry).id;
  }
}

/**
 * What another capability holds about the person (the loyalty ledger, referrals), added to the
 * export under its own keys: every table with a person's data is in the export.
 */
export type ExportSection = (profileIds: string[]) => Promise<Record<string, unknown>>;

/** The export document as chunks of JSON text. */
export async function* exportProfile(
  state: StateStore,
  events: Pick<EventReader, 'eventsOf'>,
  view: ProfileView,
  sections: readonly ExportSection[] = [],
): AsyncGenerator<string> {
  const { lastEvents: _none, ...profile } = view;
  const allIds = [view.profileId, ...view.mergedFrom];
  const values = new Set(view.identities.map((identity) => identity.value));
  const head = {
    format: 'rapport-profile-export/1',
    exportedAt: new Date().toISOString(),
    profile,
    consentHistory: await state.consentHistoryOf(allIds),
    deadLetters: await deadLettersMentioning(state, values),
    quarantined: await quarantinedMentioning(state, values),
  };
  for (const section of sections) Object.assign(head, await section(allIds));
  yield `${JSON.stringify(head).slice(0, -1)},"events":[`;
  let before: { timestamp: string; seq: number } | undefined;
  let first = true;
  for (;;) {
    const page = await events.eventsOf({
      profileIds: allIds,
      limit: EVENT_PAGE,
      ...(before ? { before } : {}),
    });
    if (page.length === 0) break;
    const text = page.map((event) => JSON.stringify(event)).join(',');
    yield first ? text : `,${text}`;
    first = false;
    const last = page.at(-1) as (typeof page)[number];
    before = { timestamp: last.timestamp, seq: last.seq };
  }
  yield ']}';
}
