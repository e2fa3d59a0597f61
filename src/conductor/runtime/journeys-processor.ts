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
import { awaitedEventNames, entryEventNames, nameTest } from '../journey/event-names.ts';
import type { JourneyEvent } from '../journey/filters.ts';
import type { ActiveJourney } from './catalog.ts';
import { loadPerson } from './person.ts';
import { gatheringRunner, prepareEntry, type RunnerContext, runInput, withHistoryRetry } from './runner.ts';
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

/** The event names that record a suppression (suppressionFromEvent). */
const SUPPRESSION_EVENTS = [...UNSUBSCRIBED_EVENTS, ...BOUNCED_EVENTS, ...COMPLAINED_EVENTS];

/** What a step reads once before the tracks: who can enter, whether anyone travels, which tracks can matter. */
interface StepScope {
  /** The active journeys: the ones this step enters people into. */
  journeys: ActiveJourney[];
  /** Somebody has a trip under way, in any journey (a paused one's too). */
  anyTrip: boolean;
  /** False for a track's JSON that no journey and no suppression can read: left unparsed. */
  mayMatter: (json: string) => boolean;
}

/**
 * An event matters to journeys only by its name (event-names.ts): an entry trigger of an
 * active journey, a goal or a wait of a trip under way, a suppression. Every other track is
 * consumed without a parse or an identity lookup, most of this step's cost on the HTTP thread
 * under ingest load. The active journeys' awaited names count even when nobody travels yet: a
 * person this step enters may meet their goal later in the same slice. Tests that inject
 * faults see every event.
 */
async function scopeOf(
  conductor: ConductorState,
  tx: ConductorTransaction,
  options: JourneyStepOptions,
): Promise<StepScope> {
  const journeys = await conductor.catalog.active();
  const anyTrip = await tx.anyActiveInstance();
  if (options.faults && options.faults.length > 0) return { journeys, anyTrip, mayMatter: () => true };
  const names = [...SUPPRESSION_EVENTS];
  for (const { definition } of journeys)
    names.push(...entryEventNames(definition.entry), ...awaitedEventNames(definition));
  if (anyTrip) names.push(...(await conductor.catalog.awaitedEventNames()));
  return { journeys, anyTrip, mayMatter: nameTest(names) };
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
      // Only tracked events reach journeys: the others arrive without their JSON. Of the
      // tracks, only those named as something reads them are parsed (scopeOf).
      const scope = await scopeOf(conductor, tx, options);
      const messages = records.map((record) =>
        record.json === null || !scope.mayMatter(record.json)
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
      const travelling =
        scope.anyTrip && owned.length > 0
          ? new Set((await tx.activeInstancesOf(owned)).map((instance) => instance.profileId))
          : new Set<string>();
      // The events the step's journeys emit go to the log in one append before the commit.
      const { runner, flush } = gatheringRunner(conductor.runner);
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
        if (profileId) await handleEvent(conductor, tx, profileId, event, { ...scope, travelling, runner });
      }
      await flush();
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
 * `step`, from a step of the processor: the active journeys it read once, the people known
 * to have a journey under way (the step's one query, kept up to date with the entries it
 * makes), and the runner that gathers the step's log entries. Without it (a replay) the
 * journeys are read here and the log written at once.
 */
async function handleEvent(
  conductor: ConductorState,
  tx: ConductorTransaction,
  profileId: string,
  event: JourneyEvent,
  step?: { journeys: ActiveJourney[]; travelling: Set<string>; runner: RunnerContext },
): Promise<void> {
  const runner = step?.runner ?? conductor.runner;
  const now = conductor.now();
  // 1. Suppressions from delivery events.
  const suppression = suppressionFromEvent(profileId, event, now);
  if (suppression) await tx.addSuppressions([suppression]);
  const journeys = step?.journeys ?? (await conductor.catalog.active());
  const travelling = step?.travelling;
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
    await runInput(runner, tx, definition, instance, { kind: 'event', now, profile: person, event }, person);
  }
  // 3. Entries.
  for (const { definition } of entering) {
    const entry = await prepareEntry(tx, definition, person, event, event.messageId, now);
    if ('refused' in entry) continue;
    travelling?.add(profileId);
    await runInput(runner, tx, definition, entry.instance, { kind: 'entered', now, profile: person }, person);
  }
}
