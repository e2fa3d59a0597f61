// The people explorer: live profiles filtered by a segment rule (the builder's conditions) and
// a search, ordered by a column or any trait, counted and paged; and the same list as CSV.
// The rule's members come from the segments' own recompute, so a segment saved from the
// explorer's filters holds exactly the people the explorer counted.
import { stringify } from 'csv-stringify/sync';
import { RapportError } from '../errors/index.ts';
import type { IdentityConfig } from '../identity/index.ts';
import {
  mergedIdsOf,
  type ProfileSummary,
  profilesNamedBy,
  summariesOf,
  survivorOf,
} from '../profiles/index.ts';
import type { ProfileListOrder, ProfileListQuery, ProfileRow, StateStore } from '../store/index.ts';

/** The segments' answer for a rule (JSON or text): every member now, and the rule printed. */
export type RuleMembers = (input: {
  rule?: unknown;
  text?: string;
}) => Promise<{ ids: string[]; text: string }>;

/** A survey answer as a person's 360 shows it. */
export interface SurveyAnswer {
  surveyId: string;
  answers: Record<string, unknown>;
  channel: string | null;
  answeredAt: string;
}

export interface PeopleDeps {
  state: StateStore;
  identity: IdentityConfig;
  ruleMembers: RuleMembers;
  /** The survey answers these profiles gave (the surveys' store); omitted: none are kept. */
  surveyAnswers?: (profileIds: string[]) => Promise<SurveyAnswer[]>;
}

/** Everything a person answered, under their own id and every id merged into it; undefined: no such person. */
export async function surveyAnswersOf(
  deps: PeopleDeps,
  profileId: string,
): Promise<{ profileId: string; items: SurveyAnswer[] } | undefined> {
  const person = await survivorOf(deps.state, profileId);
  if (!person) return undefined;
  const ids = [person.profileId, ...(await mergedIdsOf(deps.state, person.profileId))];
  const answers = deps.surveyAnswers ? await deps.surveyAnswers(ids) : [];
  const items = answers
    .map(({ surveyId, answers, channel, answeredAt }) => ({ surveyId, answers, channel, answeredAt }))
    .sort((a, b) => b.answeredAt.localeCompare(a.answeredAt));
  return { profileId: person.profileId, items };
}

export const SORT_COLUMNS = ['lastSeen', 'firstSeen', 'eventCount', 'profileId'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

export interface PeopleFilter {
  /** A name, email, identifier, profile id, or text any trait value contains. */
  q?: string;
  /** A segment rule as JSON (the builder's conditions) … */
  rule?: unknown;
  /** … or as text. */
  text?: string;
}

export interface PeopleSort {
  /** A column, or `trait:NAME` for a trait's value. */
  sort?: string;
  descending?: boolean;
}

export interface PeopleRequest extends PeopleFilter, PeopleSort {
  offset?: number;
  limit?: number;
}

export interface PeoplePage {
  total: number;
  offset: number;
  limit: number;
  items: ProfileSummary[];
  /** The rule as the segments print it, when one was given: what a saved segment would hold. */
  ruleText: string | null;
}

const TRAIT_NAME = /^[^"\\]{1,200}$/;
const COLUMN_OF: Record<SortColumn, ProfileListOrder> = {
  lastSeen: { column: 'last_seen' },
  firstSeen: { column: 'first_seen' },
  eventCount: { column: 'event_count' },
  profileId: { column: 'profile_id' },
};

/** `lastSeen` or `trait:plan` as the store's order; a 400 naming `sort` otherwise. */
export function orderOf(sort: string | undefined): ProfileListOrder {
  if (sort === undefined) return COLUMN_OF.lastSeen;
  if ((SORT_COLUMNS as readonly string[]).includes(sort)) return COLUMN_OF[sort as SortColumn];
  const trait = sort.startsWith('trait:') ? sort.slice('trait:'.length) : undefined;
  if (trait !== undefined && TRAIT_NAME.test(trait)) return { trait };
  throw new RapportError(
    'RAPPORT_API_BAD_REQUEST',
    `sort: one of ${SORT_COLUMNS.join(', ')} or trait:NAME (a name without " or \\), not ${JSON.stringify(sort)}`,
    { field: 'sort' },
  );
}

/** The order a request asks for; newest first when it names none, as the table opens. */
export function sortOf(request: PeopleSort): Pick<ProfileListQuery, 'order' | 'descending'> {
  const order = orderOf(request.sort);
  return { order, descending: request.descending ?? ('column' in order && order.column === 'last_seen') };
}

type FilterPart = Pick<ProfileListQuery, 'profileIds' | 'search'>;

async function filterOf(
  deps: PeopleDeps,
  filter: PeopleFilter,
): Promise<FilterPart & { ruleText: string | null }> {
  const part: FilterPart & { ruleText: string | null } = { ruleText: null };
  if (filter.rule !== undefined || filter.text !== undefined) {
    const input = filter.text !== undefined ? { text: filter.text } : { rule: filter.rule };
    const members = await deps.ruleMembers(input);
    part.profileIds = members.ids;
    part.ruleText = members.text;
  }
  const q = filter.q?.trim();
  if (q) part.search = { text: q, ids: await profilesNamedBy(deps.state, deps.identity, q) };
  return part;
}

export async function explorePeople(deps: PeopleDeps, request: PeopleRequest): Promise<PeoplePage> {
  const { ruleText, ...filter } = await filterOf(deps, request);
  const offset = request.offset ?? 0;
  const limit = request.limit ?? 25;
  const page = await deps.state.listProfiles({
    ...filter,
    ...sortOf(request),
    offset,
    limit,
    withTotal: true,
  });
  return { total: page.total ?? 0, offset, limit, items: await summariesOf(deps.state, page.rows), ruleText };
}

/** The columns every export has, before the traits asked for. */
export const CSV_FIXED_COLUMNS = ['profile_id', 'name', 'email', 'first_seen', 'last_seen', 'event_count'];
const CSV_PAGE = 2000;

/** What people call a person: name, first and last name, or nothing. */
export function displayNameOf(traits: Record<string, unknown>): string {
  if (typeof traits.name === 'string' && traits.name) return traits.name;
  return [traits.first_name, traits.last_name].filter((part) => typeof part === 'string' && part).join(' ');
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function csvRow(row: ProfileRow, traits: string[]): string[] {
  const values = Object.fromEntries(Object.entries(row.traits).map(([key, trait]) => [key, trait.value]));
  return [
    row.profileId,
    displayNameOf(values),
    cell(values.email),
    row.firstSeen,
    row.lastSeen,
    String(row.eventCount),
    ...traits.map((trait) => cell(values[trait])),
  ];
}

/**
 * Every person the filter matches as CSV, in the order the table shows them (its sort, or
 * newest first), read in pages as the client consumes them. Ordered by profile id, the pages
 * walk the id index from the last id; in any other order they are read by offset, so a person
 * whose sorted value changes during a long export can move between pages. Cells that a
 * spreadsheet would run as a formula (=, +, -, @ first) are prefixed with a quote.
 */
export async function* peopleCsv(
  deps: PeopleDeps,
  request: PeopleFilter & PeopleSort,
  traits: string[],
): AsyncGenerator<string> {
  for (const trait of traits) orderOf(`trait:${trait}`);
  const sort = sortOf(request);
  const part = await filterOf(deps, request);
  const byId =
    'column' in sort.order && sort.order.column === 'profile_id' && !sort.descending && !part.search;
  const options = { escape_formulas: true } as const;
  yield stringify([[...CSV_FIXED_COLUMNS, ...traits.map((trait) => `trait.${trait}`)]], options);
  let afterId: string | undefined;
  for (let offset = 0; ; offset += CSV_PAGE) {
    const { rows } = await deps.state.listProfiles({
      ...(part.profileIds ? { profileIds: part.profileIds } : {}),
      ...(part.search ? { search: part.search } : {}),
      ...(byId && afterId !== undefined ? { afterId } : {}),
      ...sort,
      offset: byId ? 0 : offset,
      limit: CSV_PAGE,
      withTotal: false,
    });
    if (rows.length > 0)
      yield stringify(
        rows.map((row) => csvRow(row, traits)),
        options,
      );
    if (rows.length < CSV_PAGE) return;
    afterId = rows.at(-1)?.profileId;
  }
}
