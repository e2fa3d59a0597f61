// The journey processor (offset `journeys`): reads the log behind the profiles processor, so
// every message's person is resolved, and for each tracked event
//   1. records channel suppressions carried by delivery events (unsubscribes, hard bounces);
//   2. hands the event to the person's active journey instances (goals, `waitForEvent`);
//   3. enters the person into every active journey whose entry trigger it matches.
// All of a slice's instance writes, timers and outbox rows commit with the offset in one
// conductor transaction; the events the journeys emit go to the log first (see runner.ts).
import type { SegmentMessage } from '../../events/index.ts';
import type { IdentityConfig } from '../../identity/index.ts';
import {
  failIfInjected,
  type InjectedFault,
  JOURNEYS_PROCESSOR,
  lookupOwners,
  PROFILES_PROCESSOR,
  parse,
  type QuarantinableProcessor,
  recordOf,
} from '../../pipeline/index.ts';
import type { ConductorTransaction, SparseLogRecord } from '../../store/index.ts';
import { matchesEntryTrigger } from '../journey/entry.ts';
import type { JourneyEvent } from '../journey/filters.ts';
import { loadPerson } from './person.ts';
import { prepareEntry, runInput, withHistoryRetry } from './runner.ts';
import type { ConductorState } from './state.ts';
import {
  BOUNCED_EVENTS,
  COMPLAINED_EVENTS,
  suppressionFromEvent,
  UNSUBSCRIBED_EVENTS,
} from './suppressions.ts';

/**
 * Every tracked event's log JSON contains this: the log holds messages as JSON.stringify wrote
 * them (no spaces). An entry without it is not a track; one with it may still not be (a nested
 * property), which journeyEventOf sorts out after the parse.
 */
const TRACK_MARK = '"type":"track"';

/**
 * The event names that record a suppression, quoted as JSON writes them (they hold nothing JSON
 * escapes): a track whose JSON holds none of them cannot be one, since its "event" value would
 * be there. One regular expression, not an `includes` per name: a scan of a two-byte string
 * (any non-ASCII character makes one) costs ≈ 0.7 µs per `includes` against 0.5-0.6 for all names.
 */
const SUPPRESSION_MARK = new RegExp(
  `"(?:${[...UNSUBSCRIBED_EVENTS, ...BOUNCED_EVENTS, ...COMPLAINED_EVENTS]
    .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|')})"`,
);

function mayRecordSuppression(json: string): boolean {
  return SUPPRESSION_MARK.test(json);
}

/**
 * With no journey active and nobody on a journey, an event can only record a suppression: no
 * trigger can enter anyone and no trip waits for it. The step then parses and looks up only
 * the events named like a suppression, instead of every tracked event (most of this step's
 * cost on the HTTP thread under ingest load). Tests that inject faults see every event.
 */
async function onlySuppressionsMatter(
  conductor: ConductorState,
  tx: ConductorTransaction,
  options: JourneyStepOptions,
): Promise<boolean> {
  if (options.faults && options.faults.length > 0) return false;
  if ((await conductor.catalog.active()).length > 0) return false;
  return !(await tx.anyActiveInstance());
}

export interface JourneyStepOptions {
  batchSize: number;
  identity: IdentityConfig;
  /** Stop a slice after this much work (ms) and commit what was done; unbounded when absent. */
  budgetMs?: number;
  /** Tests only (faults.ts): fail on chosen messages, as a bug would. */
  faults?: readonly InjectedFault[];
}

/** A track message as journeys see it; segment events carry `segment_id`, triggers read `segmentId`. */
export function journeyEventOf(message: SegmentMessage): JourneyEvent | undefined {
  if (message.type !== 'track' || !message.event) return undefined;
  const properties = { ...(message.properties ?? {}) };
  if (properties.segmentId === undefined && properties.segment_id !== undefined)
    properties.segmentId = properties.segment_id;
  return { name: message.event, messageId: message.messageId, timestamp: message.timestamp, properties };
}

/**
 * Applies the next slice of the log to journeys. Returns how many log entries it consumed.
 * The slice ends early once `budgetMs` of work is spent: this runs on the HTTP thread, whose
 * requests wait while it works, so each step is kept short and the loop yields between steps.
 */
export async function runJourneysStep(
  conductor: ConductorState,
  options: JourneyStepOptions,
): Promise<number> {
  const resolvedUpTo = await conductor.state.getOffset(PROFILES_PROCESSOR);
  // A read first: when there is nothing new, take no write lock (the loop polls often).
  if (resolvedUpTo <= (await conductor.store.getOffset(JOURNEYS_PROCESSOR))) return 0;
  const applied = await withHistoryRetry(conductor.runner, () =>
    conductor.store.withProcessor(JOURNEYS_PROCESSOR, async (tx, offset) => {
      if (resolvedUpTo <= offset) return 0;
      const records = (
        await conductor.state.log.readContaining(offset, options.batchSize, TRACK_MARK)
      ).filter((record) => record.seq <= resolvedUpTo);
      if (records.length === 0) return 0;
      // Only tracked events reach journeys: the others arrive without their JSON and are
      // consumed without a parse or an identity lookup. This step runs on the HTTP thread, and
      // reading and parsing every entry was most of its cost under ingest load.
      const idle = await onlySuppressionsMatter(conductor, tx, options);
      const messages = records.map((record) =>
        record.json === null || (idle && !mayRecordSuppression(record.json))
          ? undefined
          : (JSON.parse(record.json) as SegmentMessage),
      );
      const events = messages.map((message) => (message ? journeyEventOf(message) : undefined));
      const tracked = events.flatMap((event, index) => (event ? [{ event, index }] : []));
      const owners = await lookupOwners(
        conductor.state,
        tracked.map(({ index }) => messages[index] as SegmentMessage),
        options,
      );
      // One query for the slice's people with a journey under way; the others (most of them)
      // need no query of their own unless the event enters them into one.
      const owned = [...new Set(owners.filter((owner): owner is string => Boolean(owner)))];
      const travelling = idle
        ? new Set<string>()
        : new Set((await tx.activeInstancesOf(owned)).map((instance) => instance.profileId));
      let consumed = records.length;
      // The budget bounds the events' handling, not the read and lookup every step pays first:
      // timed from the read, a PostgreSQL round trip or two spent it, and each step handled one
      // event (35 entries/s behind a backlog; bench/journeys.ts).
      const deadline = performance.now() + (options.budgetMs ?? Number.POSITIVE_INFINITY);
      for (const [position, { event, index }] of tracked.entries()) {
        if (position > 0 && performance.now() > deadline) {
          consumed = index;
          break;
        }
        failIfInjected(options.faults, JOURNEYS_PROCESSOR, messages[index] as SegmentMessage);
        const profileId = owners[position];
        if (profileId) await handleEvent(conductor, tx, profileId, event, travelling);
      }
      await tx.setOffset((records[consumed - 1] as SparseLogRecord).seq);
      return consumed;
    }),
  );
  return applied ?? 0;
}

/**
 * The journeys processor as the quarantine sees it (quarantine-loop.ts): its conductor
 * transaction holds the quarantine row and the offset together. A replay hands the event to
 * journeys now; entries stay idempotent by messageId (an instance id is made from it).
 */
export function journeysProcessor(
  conductor: ConductorState,
  options: JourneyStepOptions,
): QuarantinableProcessor {
  return {
    name: JOURNEYS_PROCESSOR,
    batchSize: options.batchSize,
    log: conductor.state.log,
    quarantine: conductor.state.quarantine,
    step: (limit) =>
      runJourneysStep(conductor, limit === undefined ? options : { ...options, batchSize: limit }),
    offset: () => conductor.store.getOffset(JOURNEYS_PROCESSOR),
    withOffset: (work) =>
      conductor.store.withProcessor(JOURNEYS_PROCESSOR, (tx, offset) =>
        work(
          {
            consecutiveAt: (seq) => tx.quarantine.consecutiveAt(JOURNEYS_PROCESSOR, seq),
            put: (entry) => tx.quarantine.put(entry),
            setOffset: (seq) => tx.setOffset(seq),
          },
          offset,
        ),
      ),
    async replay(id) {
      const result = await withHistoryRetry(conductor.runner, () =>
        conductor.store.withProcessor(JOURNEYS_PROCESSOR, async (tx) => {
          const entry = await tx.quarantine.get(id);
          if (!entry || entry.processor !== JOURNEYS_PROCESSOR) return { outcome: 'gone' as const };
          const [message] = parse([recordOf(entry)]) as [SegmentMessage];
          const event = journeyEventOf(message);
          if (event) {
            failIfInjected(options.faults, JOURNEYS_PROCESSOR, message);
            const [profileId] = await lookupOwners(conductor.state, [message], options);
            if (profileId) await handleEvent(conductor, tx, profileId, event);
          }
          await tx.quarantine.release(id);
          return { outcome: 'replayed' as const, entry };
        }),
      );
      return result ?? { outcome: 'busy', reason: 'another process is running the journeys processor' };
    },
  };
}

/**
 * `travelling`: the people known to have a journey under way (the step's one query, kept up to
 * date with the entries it makes); without it every event reads the person's instances.
 */
async function handleEvent(
  conductor: ConductorState,
  tx: ConductorTransaction,
  profileId: string,
  event: JourneyEvent,
  travelling?: Set<string>,
): Promise<void> {
  const now = conductor.now();
  // 1. Suppressions from delivery events.
  const suppression = suppressionFromEvent(profileId, event, now);
  if (suppression) await tx.addSuppressions([suppression]);
  const journeys = await conductor.catalog.active();
  const entering = journeys.filter((journey) => matchesEntryTrigger(journey.definition.entry, event));
  if (entering.length === 0 && travelling && !travelling.has(profileId)) return;
  const instances = await tx.activeInstancesOf([profileId]);
  if (instances.length === 0 && entering.length === 0) return;
  const person = await loadPerson(conductor.state, profileId);
  if (!person.exists) return;
  // 2. The person's running journeys: goals and awaited events.
  for (const stored of instances) {
    const definition = await conductor.catalog.version(stored.journeyId, stored.journeyVersion);
    if (!definition) continue;
    const instance = stored.body as Parameters<typeof runInput>[3];
    await runInput(
      conductor.runner,
      tx,
      definition,
      instance,
      { kind: 'event', now, profile: person, event },
      person,
    );
  }
  // 3. Entries.
  for (const { definition } of entering) {
    const entry = await prepareEntry(tx, definition, person, event, event.messageId, now);
    if ('refused' in entry) continue;
    travelling?.add(profileId);
    await runInput(
      conductor.runner,
      tx,
      definition,
      entry.instance,
      { kind: 'entered', now, profile: person },
      person,
    );
  }
}
