// Erasure (GDPR art. 17) as a tracked, resumable job. The order is what makes it complete
// while messages for the person keep arriving:
//   1 suppress    hashes of every identifier (and profile id) are stored and put in force at
//                 ingest: from here on, messages carrying them are dropped and counted
//   2 drain       wait until appends queued before that are committed and every processor has
//                 passed the log head; pick up identities, merges or internal events about the
//                 person they added meanwhile, and wait again until a round finds none
//   3 events      delete the person's events from the event store
//   4 log         delete log entries carrying any of the person's identifiers
//   5 deadLetters delete dead letters mentioning any of them
//   6 quarantine  delete quarantined log entries (docs/quarantine.md) carrying or mentioning any
//   7 audit       redact the person from the audit log (docs/access.md): entries about them or
//                 mentioning an identifier lose their subject and changes; who did what stays
//   8 state       delete profiles, identities, merges, consent history, computed properties
// Every step is idempotent and the job (with its step list) is saved after each, so a job
// interrupted by a crash resumes where it stopped.
import { randomUUID } from 'node:crypto';
import { RapportError } from '../errors/index.ts';
import type { SegmentMessage } from '../events/index.ts';
import { type IdentityConfig, keyString, lookupKeysOf } from '../identity/index.ts';
import type { ErasureJob, ErasureStep, IdentityKey, StateStore, Suppression } from '../store/index.ts';
import { identifierHash, type SuppressionList } from './suppression.ts';
import { mergedIdsOf, survivorOf } from './view.ts';

export const ERASURE_STEPS = [
  'suppress',
  'drain',
  'events',
  'log',
  'deadLetters',
  'quarantine',
  'audit',
  'state',
] as const;
export type ErasureStepName = (typeof ERASURE_STEPS)[number];

export interface ErasureDeps {
  state: StateStore;
  events: { deleteEventsOf(profileIds: string[]): Promise<number> };
  suppressions: SuppressionList;
  identity: IdentityConfig;
  /** The audit log's redaction (the access store's redactAudit); absent where there is none. */
  audit?: { redactAudit(profileIds: string[], values: string[], at: string): Promise<number> };
  /** Resolves once every append queued before the call is committed to the log. */
  drainAppends(): Promise<void>;
  /** Whether every processor has applied the log up to seq. */
  processorsPassed(seq: number): Promise<boolean>;
  /** How long other processes may take to see a new suppression (their refresh interval). */
  propagationMs: number;
  pollMs?: number;
  onError?(message: string): void;
}

const PAGE = 2000;
const MAX_DRAIN_ROUNDS = 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => new Date().toISOString();

function newJob(profileIds: string[], identities: IdentityKey[]): ErasureJob {
  const at = now();
  return {
    id: randomUUID(),
    status: 'running',
    steps: ERASURE_STEPS.map((name): ErasureStep => ({ name, status: 'pending', doneAt: null, count: 0 })),
    requestedAt: at,
    updatedAt: at,
    completedAt: null,
    suppressedCount: 0,
    error: null,
    work: { profileIds, identities, logHead: null },
  };
}

function suppressionsOf(job: ErasureJob, identities: IdentityKey[], profileIds: string[]): Suppression[] {
  const erasedAt = now();
  return [
    ...identities.map(({ kind, value }) => ({
      kind,
      valueHash: identifierHash(kind, value),
      erasedAt,
      jobId: job.id,
    })),
    ...profileIds.map((id) => ({
      kind: 'profile_id',
      valueHash: identifierHash('profile_id', id),
      erasedAt,
      jobId: job.id,
    })),
  ];
}

/** Every string (and number) anywhere in a JSON value. */
function leavesOf(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (typeof value === 'number') into.push(String(value));
  else if (Array.isArray(value)) for (const item of value) leavesOf(item, into);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) leavesOf(item, into);
  return into;
}

/** Whether a dead letter's body (any JSON, possibly truncated) mentions one of the values. */
export function mentionsAny(body: string, values: Set<string>): boolean {
  try {
    return leavesOf(JSON.parse(body)).some(
      (leaf) => values.has(leaf) || values.has(leaf.trim().toLowerCase()),
    );
  } catch {
    return [...values].some((value) => body.includes(JSON.stringify(value)));
  }
}

/**
 * Whether a log entry's message carries one of these identity keys; undefined when it is not a
 * message that can be read (not JSON, or not an object): a processor may have set such an
 * entry aside, and the caller falls back to looking for the values anywhere in the text.
 */
function carries(json: string, keys: Set<string>, identity: IdentityConfig): boolean | undefined {
  let message: SegmentMessage;
  try {
    message = JSON.parse(json) as SegmentMessage;
    if (message === null || typeof message !== 'object') return undefined;
    return lookupKeysOf([message], identity).some((key) => keys.has(keyString(key)));
  } catch {
    return undefined;
  }
}

/** Thrown inside a job when the server stops: the job stays running and resumes on restart. */
class Stopping extends Error {}

/** Whom a completed erasure removed: what in-memory caches must forget. */
export interface ErasedPerson {
  profileIds: string[];
  identities: IdentityKey[];
}

export class ErasureService {
  private readonly running = new Map<string, Promise<void>>();
  private readonly erasedListeners: Array<(erased: ErasedPerson) => void | Promise<void>> = [];
  private stopping = false;

  constructor(private readonly deps: ErasureDeps) {}

  /**
   * Calls `listener` when a job has removed a person from the stores, before the job says
   * complete: every cache of this process that holds people (the value ranking, the placement
   * people) forgets them there, so nothing serves an erased person once the job is done.
   */
  onErased(listener: (erased: ErasedPerson) => void | Promise<void>): void {
    this.erasedListeners.push(listener);
  }

  /**
   * Starts erasing the person a profile id (or a merged-away id) belongs to. An id already
   * erased, or being erased, answers with that job instead of starting another.
   */
  async request(profileId: string): Promise<{ job: ErasureJob; existing: boolean }> {
    const { state } = this.deps;
    const existing = await this.jobErasing(profileId);
    if (existing) return { job: existing, existing: true };
    const profile = await survivorOf(state, profileId);
    if (!profile) throw new RapportError('RAPPORT_API_NOT_FOUND', `no profile ${profileId} to erase`);
    const profileIds = [profile.profileId, ...(await mergedIdsOf(state, profile.profileId))];
    const identities = (await state.identitiesOfProfiles(profileIds)).map(({ kind, value }) => ({
      kind,
      value,
    }));
    const job = newJob(profileIds, identities);
    await state.saveErasureJob(job);
    this.start(job);
    return { job, existing: false };
  }

  /** The job that erased (or is erasing) this profile id, if any. */
  async jobErasing(profileId: string): Promise<ErasureJob | undefined> {
    const { state } = this.deps;
    const suppression = await state.findSuppression('profile_id', identifierHash('profile_id', profileId));
    return suppression ? state.getErasureJob(suppression.jobId) : undefined;
  }

  /** Runs the jobs a crash (or a failure) left unfinished. */
  async resumeUnfinished(): Promise<number> {
    const jobs = await this.deps.state.listUnfinishedErasureJobs();
    for (const job of jobs) this.start({ ...job, status: 'running', error: null });
    return jobs.length;
  }

  /** Resolves when the job running in this process (if any) has ended. */
  async settled(jobId: string): Promise<void> {
    await this.running.get(jobId);
  }

  /** Stops between steps (or while waiting); unfinished jobs resume at the next start. */
  async close(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.running.values());
  }

  private start(job: ErasureJob): void {
    if (this.running.has(job.id)) return;
    const run = this.run(job).finally(() => this.running.delete(job.id));
    this.running.set(job.id, run);
  }

  private async run(job: ErasureJob): Promise<void> {
    const { state } = this.deps;
    try {
      for (const step of job.steps) {
        if (step.status === 'done') continue;
        if (this.stopping) return;
        step.count = await this.runStep(step.name as ErasureStepName, job);
        step.status = 'done';
        step.doneAt = now();
        job.updatedAt = step.doneAt;
        await state.saveErasureJob(job);
      }
      if (job.work) {
        const erased = { profileIds: job.work.profileIds, identities: job.work.identities };
        for (const listener of this.erasedListeners) await listener(erased);
        // The identifiers were kept only so a crashed job could resume; the person is gone now.
        job.work = null;
        await state.saveErasureJob(job);
      }
      // After the job's own row lost the identifiers: its earlier versions go too.
      await state.scrubFreedSpace();
      job.status = 'complete';
      job.completedAt = now();
      job.updatedAt = job.completedAt;
      await state.saveErasureJob(job);
    } catch (error) {
      if (error instanceof Stopping) return;
      job.status = 'failed';
      job.error = error instanceof Error ? error.message : String(error);
      job.updatedAt = now();
      this.deps.onError?.(`erasure job ${job.id} failed: ${job.error}`);
      await state.saveErasureJob(job).catch(() => {});
    }
  }

  private async runStep(name: ErasureStepName, job: ErasureJob): Promise<number> {
    const work = job.work;
    if (!work) throw new Error('the job has no work left to resume from');
    switch (name) {
      case 'suppress':
        return this.suppress(job, work.identities, work.profileIds);
      case 'drain':
        return this.drain(job);
      case 'events':
        return this.deps.events.deleteEventsOf(work.profileIds);
      case 'log':
        return this.eraseLog(work.identities);
      case 'deadLetters':
        return this.eraseDeadLetters(work.identities);
      case 'quarantine':
        return this.eraseQuarantine(work.identities);
      case 'audit':
        return (
          this.deps.audit?.redactAudit(
            work.profileIds,
            work.identities.map((key) => key.value),
            now(),
          ) ?? 0
        );
      case 'state':
        return this.deps.state.eraseProfiles(work.profileIds);
    }
  }

  private async suppress(job: ErasureJob, identities: IdentityKey[], profileIds: string[]): Promise<number> {
    const rows = suppressionsOf(job, identities, profileIds);
    await this.deps.state.addSuppressions(rows);
    this.deps.suppressions.addLocal(rows);
    return rows.length;
  }

  /**
   * Waits until everything that got past suppression is applied, then looks again: the
   * processors may have linked new identifiers or merged profiles into the person, or (the
   * realtime processor) appended internal events about the person above the head. New
   * identifiers are suppressed too, and the wait repeats until a round finds nothing new.
   */
  private async drain(job: ErasureJob): Promise<number> {
    const work = job.work as NonNullable<ErasureJob['work']>;
    const { state } = this.deps;
    let checkedUpTo = work.logHead ?? 0;
    for (let round = 0; round < MAX_DRAIN_ROUNDS; round++) {
      if (this.deps.propagationMs > 0) await sleep(this.deps.propagationMs);
      await this.deps.drainAppends();
      const head = await state.log.headSeq();
      while (!(await this.deps.processorsPassed(head))) {
        if (this.stopping) throw new Stopping('server stopping');
        await sleep(this.deps.pollMs ?? 50);
      }
      const grown = await this.personNow(work.profileIds, work.identities);
      const emitted = round > 0 && (await this.logMentions(work.identities, checkedUpTo, head));
      checkedUpTo = head;
      work.logHead = head;
      work.profileIds.push(...grown.profileIds);
      work.identities.push(...grown.identities);
      await state.saveErasureJob(job);
      if (grown.identities.length > 0 || grown.profileIds.length > 0) {
        await this.suppress(job, grown.identities, grown.profileIds);
      } else if (round > 0 && !emitted) {
        return head;
      }
    }
    throw new Error(
      `the person kept gaining identities or events over ${MAX_DRAIN_ROUNDS} rounds; retry the erasure`,
    );
  }

  /** Whether a log entry in (after, upTo] carries one of the identities. */
  private async logMentions(identities: IdentityKey[], after: number, upTo: number): Promise<boolean> {
    return (await this.logSeqsOf(identities, after, upTo)).length > 0;
  }

  private async logSeqsOf(
    identities: IdentityKey[],
    after: number,
    upTo = Number.POSITIVE_INFINITY,
  ): Promise<number[]> {
    const { state, identity } = this.deps;
    const keys = new Set(identities.map(keyString));
    const seqs: number[] = [];
    for (let from = after; from < upTo; ) {
      const records = await state.log.read(from, PAGE);
      if (records.length === 0) break;
      const values = new Set(identities.map((key) => key.value));
      for (const record of records) {
        if (record.seq > upTo) break;
        if (carries(record.json, keys, identity) ?? mentionsAny(record.json, values)) seqs.push(record.seq);
      }
      from = (records.at(-1) as (typeof records)[number]).seq;
    }
    return seqs;
  }

  /** Profile ids and identities the person has now that the job does not know yet. */
  private async personNow(
    profileIds: string[],
    identities: IdentityKey[],
  ): Promise<{ profileIds: string[]; identities: IdentityKey[] }> {
    const { state } = this.deps;
    const known = new Set(profileIds);
    const ids = new Set(profileIds);
    for (const id of profileIds) {
      const survivor = await survivorOf(state, id);
      if (!survivor) continue;
      ids.add(survivor.profileId);
      for (const merged of await mergedIdsOf(state, survivor.profileId)) ids.add(merged);
    }
    const knownKeys = new Set(identities.map(keyString));
    const newIdentities = (await state.identitiesOfProfiles([...ids]))
      .map(({ kind, value }) => ({ kind, value }))
      .filter((key) => !knownKeys.has(keyString(key)));
    return { profileIds: [...ids].filter((id) => !known.has(id)), identities: newIdentities };
  }

  private async eraseLog(identities: IdentityKey[]): Promise<number> {
    return this.deps.state.log.deleteEntries(await this.logSeqsOf(identities, 0));
  }

  /**
   * Quarantined entries are copies of log entries a processor could not apply: malformed ones
   * among them. One goes when its identifiers are the person's, or when any value in it is one
   * of the person's identifiers (as for dead letters): a message that broke a processor may
   * carry them where identity resolution would not look.
   */
  private async eraseQuarantine(identities: IdentityKey[]): Promise<number> {
    const { quarantine } = this.deps.state;
    const keys = new Set(identities.map(keyString));
    const values = new Set(identities.map((key) => key.value));
    const ids: number[] = [];
    for (let afterId = 0; ; ) {
      const page = await quarantine.list({ limit: 500, afterId });
      if (page.length === 0) break;
      for (const entry of page)
        if (carries(entry.body, keys, this.deps.identity) || mentionsAny(entry.body, values))
          ids.push(entry.id);
      afterId = (page.at(-1) as (typeof page)[number]).id;
    }
    return quarantine.remove(ids);
  }

  private async eraseDeadLetters(identities: IdentityKey[]): Promise<number> {
    const { log } = this.deps.state;
    const values = new Set(identities.map((key) => key.value));
    const ids: number[] = [];
    for (let beforeId: number | undefined; ; ) {
      const page = await log.listDeadLetters({ limit: 500, ...(beforeId ? { beforeId } : {}) });
      if (page.length === 0) break;
      for (const dead of page) if (mentionsAny(dead.body, values)) ids.push(dead.id);
      beforeId = (page.at(-1) as (typeof page)[number]).id;
    }
    return log.deleteDeadLetters(ids);
  }
}
