// The beliefs a marketer wrote, each with its last test and its flips, kept as one report (claims
// and aggregates only, no person's data: erasure has nothing to reach here). Saving a belief tests
// it at once; `testAll` re-tests every belief on one read of the evidence and records the flips.
import { readPeople } from '../personas/index.ts';
import type { LogEntry, StoredReport } from '../store/index.ts';
import { type Announced, flipEntries } from './announce.ts';
import { EvidenceReader, type EvidenceSources } from './evidence.ts';
import { type Belief, type Claim, conditionsOf, type RivalClaim, testClaim, withResult } from './model.ts';
import { compareSelf, type SelfComparison } from './self.ts';
import type { FlipOf } from './types.ts';

export type { FlipOf } from './types.ts';

export const BELIEFS_REPORT = 'beliefs';

export interface AuditStores extends EvidenceSources {
  state: EvidenceSources['state'] & {
    saveReport(report: StoredReport): Promise<void>;
    loadReport(name: string): Promise<StoredReport | undefined>;
  };
}

export interface BeliefInput {
  statement: string;
  claim: Claim;
}

export class BeliefNotFoundError extends Error {}

interface Kept {
  beliefs: Belief[];
}

export class AuditService {
  private readonly reader: EvidenceReader;
  /** Writes one at a time, so two saves never lose each other's belief. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly stores: AuditStores,
    private readonly now: () => Date = () => new Date(),
    /** Appends to the ingest log: where flips are announced (docs/assumption-audit.md). */
    private readonly announce?: (entries: LogEntry[]) => Promise<unknown>,
  ) {
    this.reader = new EvidenceReader(stores);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<Kept> {
    const report = await this.stores.state.loadReport(BELIEFS_REPORT);
    return (report?.body as Kept | undefined) ?? { beliefs: [] };
  }

  private async keep(kept: Kept): Promise<void> {
    await this.stores.state.saveReport({
      name: BELIEFS_REPORT,
      body: kept,
      savedAt: this.now().toISOString(),
    });
  }

  vocabulary(): Promise<{ events: string[]; traits: string[] }> {
    return this.reader.vocabulary();
  }

  /** Where the marketer's own description sits among the customers, feature by feature. */
  async compareSelf(values: Record<string, number>): Promise<SelfComparison> {
    return compareSelf(await readPeople(this.stores, [], this.now()), values);
  }

  async list(): Promise<{ beliefs: Belief[]; flips: FlipOf[] }> {
    const { beliefs } = await this.load();
    return { beliefs, flips: flipsOf(beliefs) };
  }

  /** Creates a belief (no id) or replaces one; tests it before it is kept. */
  save(input: BeliefInput, id?: string): Promise<Belief> {
    return this.serial(async () => {
      const kept = await this.load();
      const existing = id === undefined ? undefined : kept.beliefs.find((b) => b.id === id);
      if (id !== undefined && !existing) throw new BeliefNotFoundError(`no belief "${id}"`);
      const now = this.now();
      const evidence = await this.reader.read(conditionsOf(input.claim), rivalsOf([input.claim]));
      const result = testClaim(input.claim, evidence, now);
      // A changed claim is a new belief to test: the earlier flips were about something else.
      const belief: Belief = {
        id: existing?.id ?? nextId(kept.beliefs),
        statement: input.statement,
        claim: input.claim,
        createdAt: existing?.createdAt ?? now.toISOString(),
        result,
        flips: [],
      };
      kept.beliefs = existing
        ? kept.beliefs.map((b) => (b.id === belief.id ? belief : b))
        : [...kept.beliefs, belief];
      await this.keep(kept);
      return belief;
    });
  }

  remove(id: string): Promise<void> {
    return this.serial(async () => {
      const kept = await this.load();
      if (!kept.beliefs.some((b) => b.id === id)) throw new BeliefNotFoundError(`no belief "${id}"`);
      await this.keep({ beliefs: kept.beliefs.filter((b) => b.id !== id) });
    });
  }

  /**
   * Tests every belief again every `intervalMs` (flips recorded as on demand); answers the stop.
   * A failed round is reported to `onError` and the next one still runs.
   */
  retestEvery(intervalMs: number, onError: (error: unknown) => void): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.testAll()
        .catch(onError)
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Tests every belief again on today's data; answers the beliefs and the flips this test made. */
  testAll(): Promise<{ beliefs: Belief[]; flipped: FlipOf[] }> {
    return this.serial(async () => {
      const kept = await this.load();
      const now = this.now();
      const claims = kept.beliefs.map((b) => b.claim);
      const evidence = await this.reader.read(claims.flatMap(conditionsOf), rivalsOf(claims));
      const flipped: Announced[] = [];
      kept.beliefs = kept.beliefs.map((belief) => {
        const result = testClaim(belief.claim, evidence, now);
        const next = withResult(belief, result);
        if (next.flip)
          flipped.push({ ...next.flip, beliefId: belief.id, statement: belief.statement, result });
        return next.belief;
      });
      // Announced before kept: a failed keep re-announces at the next test (the same flip again,
      // at a later instant), where the other order could lose the announcement.
      if (this.announce && flipped.length > 0) await this.announce(flipEntries(flipped, now));
      await this.keep(kept);
      return { beliefs: kept.beliefs, flipped: flipped.map(({ result: _, ...flip }) => flip) };
    });
  }
}

function rivalsOf(claims: readonly Claim[]): RivalClaim[] {
  return claims.filter(
    (c): c is RivalClaim => c.kind === 'preferred_channel' || c.kind === 'most_valuable_persona',
  );
}

function nextId(beliefs: readonly Belief[]): string {
  const used = new Set(beliefs.map((b) => b.id));
  let n = beliefs.length + 1;
  while (used.has(`b${n}`)) n++;
  return `b${n}`;
}

/** Every belief's flips, newest first. */
function flipsOf(beliefs: readonly Belief[]): FlipOf[] {
  return beliefs
    .flatMap((b) => b.flips.map((f) => ({ ...f, beliefId: b.id, statement: b.statement })))
    .sort((a, b) => b.at.localeCompare(a.at));
}
