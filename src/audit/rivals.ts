// Claims that one group beats every other: "email is the channel our buyers prefer" (per person,
// the share of their sends on a channel they engaged with, or whether they bought within 7 days
// of engaging there), "persona X is our most valuable" (revenue per person). Each rival is compared
// with the named group: channels on the people reached on both (paired differences: the same
// person on two channels), personas as independent groups (Welch's difference of means). Normal
// intervals at 95%. Supported when the named group beats every rival, contradicted when some
// rival beats it, otherwise not enough data. Pure: the per-person figures come in as evidence.
import jStat from 'jstat';
import { CONFIDENCE } from './stats.ts';
import type { Claim, Interval, RivalGroup, TestResult, Verdict } from './types.ts';

export type RivalClaim = Extract<Claim, { kind: 'preferred_channel' | 'most_valuable_persona' }>;

/** Per person: group → their figure (channels reached, or their one persona). */
export type PersonFigures = ReadonlyMap<string, ReadonlyMap<string, number>>;

const Z = jStat.normal.inv(1 - (1 - CONFIDENCE) / 2, 0, 1);

const meanOf = (values: readonly number[]) => values.reduce((s, x) => s + x, 0) / values.length;
/** The sample variance (n − 1). */
function varianceOf(values: readonly number[]): number {
  const mean = meanOf(values);
  return values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1);
}

/** The evidence a rival claim needs: which per-person figures, named so equal claims share one read. */
export function measureKey(claim: RivalClaim): string {
  if (claim.kind === 'most_valuable_persona') return 'persona-revenue';
  return JSON.stringify({ by: claim.by, conversion: claim.conversion ?? null });
}

function meanInterval(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) return { estimate: Number.NaN, low: Number.NaN, high: Number.NaN };
  const mean = meanOf(values);
  if (n < 2) return { estimate: mean, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY };
  const half = Z * Math.sqrt(varianceOf(values) / n);
  return { estimate: mean, low: mean - half, high: mean + half };
}

/** Welch: the difference of two independent means with its normal interval. */
function welch(a: readonly number[], b: readonly number[]): Interval {
  if (a.length < 2 || b.length < 2) return { estimate: Number.NaN, low: -Infinity, high: Infinity };
  const va = varianceOf(a) / a.length;
  const vb = varianceOf(b) / b.length;
  const d = meanOf(a) - meanOf(b);
  const half = Z * Math.sqrt(va + vb);
  return { estimate: d, low: d - half, high: d + half };
}

interface Rival extends Interval {
  name: string;
  /** People behind the comparison. */
  people: number;
}

function verdictOf(rivals: readonly Rival[]): Verdict {
  if (rivals.length === 0) return 'not_enough_data';
  if (rivals.some((r) => r.high < 0)) return 'contradicted';
  if (rivals.every((r) => r.low > 0)) return 'supported';
  return 'not_enough_data';
}

function groupsOf(people: readonly string[], figures: PersonFigures): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const id of people) {
    for (const [group, value] of figures.get(id) ?? []) {
      const list = groups.get(group);
      if (list) list.push(value);
      else groups.set(group, [value]);
    }
  }
  return groups;
}

function compare(
  claim: RivalClaim,
  people: readonly string[],
  figures: PersonFigures,
  named: string,
): Rival[] {
  const groups = groupsOf(people, figures);
  const mine = groups.get(named) ?? [];
  const rivals: Rival[] = [];
  for (const name of groups.keys()) {
    if (name === named) continue;
    if (claim.kind === 'most_valuable_persona') {
      const theirs = groups.get(name)!;
      rivals.push({ name, people: mine.length + theirs.length, ...welch(mine, theirs) });
      continue;
    }
    const paired: number[] = [];
    for (const id of people) {
      const own = figures.get(id);
      const a = own?.get(named);
      const b = own?.get(name);
      if (a !== undefined && b !== undefined) paired.push(a - b);
    }
    rivals.push({ name, people: paired.length, ...meanInterval(paired) });
  }
  return rivals;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const money = (x: number) => x.toFixed(2);

function describe(
  claim: RivalClaim,
  groups: RivalGroup[],
  closest: Rival | undefined,
  named: string,
): string {
  const show = claim.kind === 'most_valuable_persona' ? money : percent;
  const what =
    claim.kind === 'most_valuable_persona'
      ? 'revenue per person'
      : claim.by === 'engagement'
        ? 'share of sends engaged with, per person'
        : 'share of people who converted within 7 days of engaging';
  const list = groups
    .map(
      (g) =>
        `${g.name} ${show(g.value)} (${g.people} people, 95% interval ${show(g.low)} to ${show(g.high)})`,
    )
    .join('; ');
  if (!closest) return `${what}: ${list || 'no data yet'}; nothing to compare ${named} with`;
  const gap =
    claim.kind === 'most_valuable_persona' ? money : (x: number) => `${(x * 100).toFixed(1)} points`;
  return `${what}: ${list}. ${named} against its closest rival, ${closest.name}: ${gap(closest.estimate)} (95% interval ${gap(closest.low)} to ${gap(closest.high)}, ${closest.people} people)`;
}

/** Tests a rival claim on the people it is about and their per-person figures. */
export function testRivals(
  claim: RivalClaim,
  people: readonly string[],
  figures: PersonFigures,
  testedAt: string,
): TestResult {
  const named = claim.kind === 'most_valuable_persona' ? claim.persona : claim.channel;
  const rivals = compare(claim, people, figures, named);
  const groups: RivalGroup[] = [...groupsOf(people, figures)]
    .map(([name, values]) => {
      const interval = meanInterval(values);
      return {
        name,
        people: values.length,
        value: interval.estimate,
        low: interval.low,
        high: interval.high,
      };
    })
    .sort((a, b) => b.value - a.value || a.name.localeCompare(b.name));
  // The closest rival: the smallest lead (or the largest deficit) over the named group.
  const closest = [...rivals].sort((a, b) => (a.estimate || 0) - (b.estimate || 0))[0];
  const verdict = verdictOf(rivals);
  return {
    estimate: closest?.estimate ?? Number.NaN,
    low: Number.isFinite(closest?.low) ? closest!.low : -1,
    high: Number.isFinite(closest?.high) ? closest!.high : 1,
    verdict,
    threshold: 0,
    people: people.length,
    rivals: groups.map((g) => ({
      ...g,
      low: Number.isFinite(g.low) ? g.low : g.value,
      high: Number.isFinite(g.high) ? g.high : g.value,
    })),
    ...(closest ? { rival: closest.name } : {}),
    evidence: describe(claim, groups, closest, named),
    testedAt,
  };
}
