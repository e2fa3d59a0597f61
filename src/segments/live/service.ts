// What the admin API and `rapport apply` do with segments and funnels. Saving checks the rule
// against the other segments (unknown references, cycles) and stores it as `building`, all
// or nothing; the realtime processor builds it and makes it live (live/processor.ts).
// Preview, members, CSV and "why" read the store and the event store, never saving anything.
import { RapportError } from '../../errors/index.ts';
import type {
  EventReader,
  FunnelCohortFilter,
  SegmentRow,
  SegmentStore,
  StateStore,
} from '../../store/index.ts';
import type { SegmentRule } from '../ast.ts';
import { checkRuleJson, checkRuleText } from '../check.ts';
import { explainMembership } from '../explain.ts';
import { emptyProfileState, type ProfileSegmentState } from '../incremental/state.ts';
import type { RuleIssue } from '../issues.ts';
import {
  checkFunnel,
  describeFunnel,
  ECOMMERCE_FUNNEL,
  type FunnelDefinition,
  NONPROFIT_FUNNEL,
} from '../lifecycle.ts';
import { printRule } from '../print.ts';
import { duckDbDialect } from '../sql/duckdb.ts';
import { postgresDialect } from '../sql/postgres.ts';
import { referencedSegments } from '../walk.ts';
import { type FunnelReport, reportFromTallies } from './funnel-report.ts';
import { dailySizes, lastDays, type MembershipPoint } from './history.ts';
import { ReportCache } from './report-cache.ts';
import { gatherRelations, recomputeQuery } from './sql.ts';

export interface SegmentInput {
  id?: string;
  name?: string;
  rule?: unknown;
  text?: string;
}

export interface SegmentServiceOptions {
  store: SegmentStore;
  state: StateStore;
  events: Pick<EventReader, 'query'>;
  engine: 'duckdb' | 'postgres';
  /** Tells the processors something changed. */
  wake: () => void;
  now?: () => Date;
  /**
   * How long a funnel report is served from memory (wall-clock ms): fresh for `freshMs`,
   * then served while a recompute runs in the background, until `maxAgeMs`.
   */
  funnelReportAge?: { freshMs: number; maxAgeMs: number };
}

/** At 1M profiles a funnel report is seconds of SQL: one recompute per 15 s per funnel and cohort at most. */
export const FUNNEL_REPORT_AGE = { freshMs: 15_000, maxAgeMs: 300_000 };

const PRESETS: Record<string, FunnelDefinition> = {
  ecommerce: ECOMMERCE_FUNNEL,
  nonprofit: NONPROFIT_FUNNEL,
};

const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function invalid(issues: RuleIssue[], what = 'the rule'): RapportError {
  const first = issues[0];
  const where =
    first?.line !== undefined ? `line ${first.line}, column ${first.column}` : first?.path || '(rule)';
  return new RapportError(
    'RAPPORT_SEGMENT_INVALID_RULE',
    `${what} was refused: ${where}: ${first?.message ?? ''}`,
    {
      issues,
    },
  );
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

/** First seen in that UTC month; a month that is not 01-12 has no one (no instant prints so). */
function firstSeenIn(year: number, month: number): FunnelCohortFilter {
  if (month < 1 || month > 12) return { kind: 'firstSeen', fromMs: 0, toMs: 0 };
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const start = new Date(0);
  start.setUTCFullYear(year, month - 1, 1);
  const end = new Date(0);
  end.setUTCFullYear(year, month, 1);
  return { kind: 'firstSeen', fromMs: start.getTime(), toMs: end.getTime() };
}

export class SegmentService {
  private readonly now: () => Date;
  private readonly funnelReports: ReportCache<FunnelReport>;

  constructor(private readonly options: SegmentServiceOptions) {
    this.now = options.now ?? (() => new Date());
    // Wall-clock, not `now`: staleness is real time even when the rules' clock is simulated.
    // A failed background recompute keeps the stale answer; the first call past maxAgeMs
    // recomputes in the foreground and reports the error.
    this.funnelReports = new ReportCache<FunnelReport>({
      ...(options.funnelReportAge ?? FUNNEL_REPORT_AGE),
      maxEntries: 200,
      now: () => Date.now(),
    });
  }

  private async rules(): Promise<Map<string, SegmentRule>> {
    return new Map((await this.options.store.listSegments()).map((s) => [s.id, s.rule as SegmentRule]));
  }

  /** The rule of an input, checked against the other segments; throws with every issue. */
  async checkInput(input: SegmentInput, segmentId?: string): Promise<SegmentRule> {
    const rules = await this.rules();
    const context = {
      lookupSegment: (id: string) => rules.get(id),
      ...(segmentId ? { segmentId } : {}),
    };
    if (input.text === undefined && input.rule === undefined)
      throw invalid([{ path: '', message: 'give the rule as JSON (`rule`) or text (`text`)' }]);
    const checked =
      input.text !== undefined ? checkRuleText(input.text, context) : checkRuleJson(input.rule, context);
    if (!checked.ok) throw invalid(checked.issues);
    return checked.value;
  }

  async create(input: SegmentInput): Promise<SegmentRow> {
    const id = input.id ?? slug(input.name ?? '');
    if (!ID.test(id))
      throw new RapportError(
        'RAPPORT_API_BAD_REQUEST',
        'a segment id is lowercase letters, digits, - and _ (at most 63); give `id` or a `name`',
      );
    if (await this.options.store.getSegment(id))
      throw new RapportError(
        'RAPPORT_SEGMENT_EXISTS',
        `segment "${id}" exists; update it with PUT /api/segments/${id}`,
      );
    const rule = await this.checkInput(input, id);
    const at = this.now().toISOString();
    const row: SegmentRow = {
      id,
      name: input.name ?? id,
      rule,
      text: printRule(rule),
      version: 1,
      status: 'building',
      createdAt: at,
      updatedAt: at,
    };
    await this.options.store.saveSegment(row);
    this.options.wake();
    return row;
  }

  async update(id: string, input: SegmentInput): Promise<SegmentRow> {
    const existing = await this.get(id);
    const rule = await this.checkInput(input, id);
    const row: SegmentRow = {
      ...existing,
      name: input.name ?? existing.name,
      rule,
      text: printRule(rule),
      version: existing.version + 1,
      status: 'building',
      updatedAt: this.now().toISOString(),
    };
    await this.options.store.saveSegment(row);
    this.options.wake();
    return row;
  }

  async get(id: string): Promise<SegmentRow> {
    const row = await this.options.store.getSegment(id);
    if (!row) throw new RapportError('RAPPORT_SEGMENT_NOT_FOUND', `there is no segment "${id}"`);
    return row;
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    const users = [...(await this.rules())].filter(
      ([other, rule]) => other !== id && referencedSegments(rule).includes(id),
    );
    if (users.length > 0)
      throw new RapportError(
        'RAPPORT_SEGMENT_IN_USE',
        `segment "${id}" is used by ${users.map(([other]) => `"${other}"`).join(', ')}; change those first`,
      );
    await this.options.store.deleteSegment(id);
    this.options.wake();
  }

  async list(): Promise<Array<SegmentRow & { size: number }>> {
    const counts = await this.options.store.memberCounts();
    return (await this.options.store.listSegments()).map((s) => ({ ...s, size: counts.get(s.id) ?? 0 }));
  }

  /**
   * The segment's size at the end of each of the last `days` UTC days (today: now), with the
   * entries and exits of each day, from the recorded membership history.
   */
  async history(id: string, days: number): Promise<{ segmentId: string; points: MembershipPoint[] }> {
    await this.get(id);
    const window = lastDays(this.now(), days);
    const changes = await this.options.store.membershipByDay(window[0] as string, id);
    const size = (await this.options.store.memberCounts()).get(id) ?? 0;
    return { segmentId: id, points: dailySizes(size, changes, window) };
  }

  /** Every segment with its size and, for the list's sparklines, its last `days` days. */
  async listWithTrend(days: number): Promise<Array<SegmentRow & { size: number; trend: MembershipPoint[] }>> {
    const segments = await this.list();
    const window = lastDays(this.now(), days);
    const changes = await this.options.store.membershipByDay(window[0] as string);
    return segments.map((s) => ({
      ...s,
      trend: dailySizes(
        s.size,
        changes.filter((c) => c.segmentId === s.id),
        window,
      ),
    }));
  }

  /** Size and a sample of the members the rule would have now, from history; nothing saved. */
  async preview(
    input: SegmentInput,
    sampleSize = 20,
  ): Promise<{ size: number; sample: string[]; text: string }> {
    const rule = await this.checkInput(input, input.id);
    const members = await this.recompute(rule, this.now());
    return { size: members.length, sample: members.slice(0, sampleSize), text: printRule(rule) };
  }

  /** Everyone a rule holds for now (a fresh recompute) and the rule as text: the people explorer's filter. */
  async ruleMembers(input: SegmentInput): Promise<{ ids: string[]; text: string }> {
    const rule = await this.checkInput(input);
    return { ids: await this.recompute(rule, this.now()), text: printRule(rule) };
  }

  /** The members a rule has at `now` by a fresh SQL recompute over the event store. */
  async recompute(rule: SegmentRule, now: Date): Promise<string[]> {
    const dialect = this.options.engine === 'duckdb' ? duckDbDialect : postgresDialect;
    const relations = await gatherRelations(rule, { store: this.options.store, state: this.options.state });
    const query = recomputeQuery(rule, dialect, relations);
    const rows = await this.options.events.query(query.text, query.params(now));
    return rows.map((r) => String(r.profile_id));
  }

  async members(id: string, cursor: string | undefined, limit: number) {
    await this.get(id);
    const members = await this.options.store.listMembers(id, {
      ...(cursor ? { afterId: cursor } : {}),
      limit,
    });
    return { members, nextCursor: members.length === limit ? (members.at(-1)?.profileId ?? null) : null };
  }

  /** Every member's profile id (a filter for other reports); throws for an unknown segment. */
  async allMembers(id: string): Promise<string[]> {
    await this.get(id);
    const ids: string[] = [];
    for (let after = ''; ; ) {
      const page = await this.options.store.listMembers(id, { afterId: after, limit: 10_000 });
      for (const m of page) ids.push(m.profileId);
      if (page.length < 10_000) return ids;
      after = page.at(-1)?.profileId ?? '';
    }
  }

  async *membersCsv(id: string): AsyncGenerator<string> {
    await this.get(id);
    yield 'profile_id,since,reason\n';
    const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    for (let after = ''; ; ) {
      const page = await this.options.store.listMembers(id, { afterId: after, limit: 5000 });
      if (page.length > 0)
        yield page.map((m) => `${quote(m.profileId)},${m.since},${quote(m.reason)}\n`).join('');
      if (page.length < 5000) return;
      after = page.at(-1)?.profileId ?? '';
    }
  }

  /** "Why is this person in this segment": the rule evaluated on their state now, node by node. */
  async why(id: string, profileId: string) {
    const segment = await this.get(id);
    const canonical = (await this.options.store.profileMap()).get(profileId) ?? profileId;
    const row = (await this.options.store.loadStates([canonical])).get(canonical);
    if (!row)
      throw new RapportError(
        'RAPPORT_API_NOT_FOUND',
        `no profile ${profileId} has been seen by the segments processor`,
      );
    const stored = (row.state as ProfileSegmentState | undefined) ?? emptyProfileState();
    // Computed properties (CLV, churn risk…) are written by other processors without an event:
    // read today's, as the rule would, not those the state held at its last event.
    const computed: Record<string, unknown> = {};
    for (const property of await this.options.state.computedPropertiesOf([canonical]))
      computed[`computed:${property.name}`] = property.value;
    const facts = Object.fromEntries(
      Object.entries(stored.facts).filter(([key]) => !key.startsWith('computed:')),
    );
    const state = { ...stored, facts: { ...facts, ...computed } };
    const evaluatedAt = new Date(Math.max(this.now().getTime(), row.evaluatedAt ?? 0));
    const [member] = await this.options.store.membersOf(id, [canonical]);
    return {
      segmentId: id,
      profileId: canonical,
      member: member !== undefined,
      since: member?.since ?? null,
      reason: member?.reason ?? null,
      at: evaluatedAt.toISOString(),
      explanation: explainMembership(segment.rule as SegmentRule, state, evaluatedAt),
      history: await this.options.store.historyOf(id, canonical),
    };
  }

  // ---- funnels ----

  /**
   * Saves a funnel: `{id, name, stages}`, or `{id, preset: "ecommerce" | "nonprofit"}` for a
   * built-in one under that id. No funnel runs until one is saved: stage changes are events in
   * every profile's history, so they are switched on, not imposed.
   */
  async saveFunnel(input: unknown): Promise<{ funnel: FunnelDefinition; changed: boolean }> {
    const body = (input ?? {}) as { id?: string; preset?: string };
    if (body.preset !== undefined) {
      const preset = PRESETS[body.preset];
      if (!preset)
        throw new RapportError(
          'RAPPORT_API_BAD_REQUEST',
          `preset is one of ${Object.keys(PRESETS).join(', ')}`,
        );
      const funnel = { ...preset, id: body.id ?? preset.id };
      return { funnel, changed: await this.saveFunnelDefinition(funnel) };
    }
    const rules = await this.rules();
    const checked = checkFunnel(input, { lookupSegment: (id) => rules.get(id) });
    if (!checked.ok) throw invalid(checked.issues, 'the funnel');
    return { funnel: checked.value, changed: await this.saveFunnelDefinition(checked.value) };
  }

  private async saveFunnelDefinition(funnel: FunnelDefinition): Promise<boolean> {
    const existing = (await this.options.store.listFunnels()).find((f) => f.id === funnel.id);
    if (existing && JSON.stringify(existing.definition) === JSON.stringify(funnel)) return false;
    await this.options.store.saveFunnel({
      id: funnel.id,
      definition: funnel,
      version: (existing?.version ?? 0) + 1,
      status: 'building',
      updatedAt: this.now().toISOString(),
    });
    this.funnelReports.clear();
    this.options.wake();
    return true;
  }

  async funnels() {
    return (await this.options.store.listFunnels()).map((f) => ({
      ...describeFunnel(f.definition as FunnelDefinition),
      version: f.version,
      status: f.status,
    }));
  }

  async funnel(id: string): Promise<FunnelDefinition> {
    const row = (await this.options.store.listFunnels()).find((f) => f.id === id);
    if (!row) throw new RapportError('RAPPORT_SEGMENT_NOT_FOUND', `there is no funnel "${id}"`);
    return row.definition as FunnelDefinition;
  }

  async deleteFunnel(id: string): Promise<void> {
    if (!(await this.options.store.deleteFunnel(id)))
      throw new RapportError('RAPPORT_SEGMENT_NOT_FOUND', `there is no funnel "${id}"`);
    this.funnelReports.clear();
    this.options.wake();
  }

  /**
   * Counts, conversion and median time in stage; cohort `first_seen_month:2026-01`, `source:web`
   * or `segment:vip`. Counted by the state store in SQL (funnelTallies: the same numbers as
   * funnel-report.ts's funnelReport over the rows) and served from memory for a while, since
   * at 1M profiles that is seconds of SQL: `computedAt` says as of when (FUNNEL_REPORT_AGE).
   */
  async funnelReport(id: string, cohort?: string): Promise<FunnelReport & { computedAt: string }> {
    const funnel = await this.funnel(id);
    // Checked before the cache: an unknown segment or a malformed cohort is an error at once.
    const chosen = cohort ? await this.cohort(cohort) : null;
    const key = JSON.stringify([id, cohort ?? null]);
    const compute = async () =>
      reportFromTallies(
        funnel,
        await this.options.store.funnelTallies(
          id,
          funnel.stages.map((s) => s.id),
          chosen === null ? null : await chosen(),
        ),
        cohort ?? null,
      );
    // While the funnel is being built its stages are partial: never kept, so the first answer
    // once it is live is the whole funnel, not the zeros of the moment it was switched on.
    const building = (await this.options.store.listFunnels()).some((f) => f.id === id && f.status !== 'live');
    if (building) return { ...(await compute()), computedAt: this.now().toISOString() };
    const cached = await this.funnelReports.get(key, compute);
    return { ...cached.value, computedAt: new Date(cached.computedAtMs).toISOString() };
  }

  /** The cohort a spec names, checked now, resolved when the report is computed. */
  private async cohort(spec: string): Promise<() => Promise<FunnelCohortFilter>> {
    const [kind, value = ''] = spec.split(/:(.*)/s);
    if (kind === 'segment') {
      await this.get(value);
      return async () => ({ kind: 'segment', segmentId: value });
    }
    const month = kind === 'first_seen_month' ? /^(\d{4})-(\d{2})$/.exec(value) : null;
    if (month) return async () => firstSeenIn(Number(month[1]), Number(month[2]));
    if (kind === 'source' && value !== '')
      return async () => ({ kind: 'profiles', profileIds: [...(await this.sourceCohort(value))] });
    throw new RapportError(
      'RAPPORT_API_BAD_REQUEST',
      `cohort "${spec}" is not one of first_seen_month:YYYY-MM, source:NAME, segment:ID`,
    );
  }

  /** Profiles whose first event came with this first-touch UTM source (context.campaign.source). */
  private async sourceCohort(source: string): Promise<Set<string>> {
    const field =
      this.options.engine === 'duckdb'
        ? "json_extract_string(message, '$.context.campaign.source')"
        : "message #>> '{context,campaign,source}'";
    const map = await this.options.store.profileMap();
    const rows = await this.options.events.query(
      `SELECT profile_id FROM (
         SELECT profile_id, ${field} AS source,
                row_number() OVER (PARTITION BY profile_id ORDER BY timestamp, seq) AS n
         FROM events) first_events
       WHERE n = 1 AND source = $1`,
      [source],
    );
    return new Set(rows.map((r) => map.get(String(r.profile_id)) ?? String(r.profile_id)));
  }
}
