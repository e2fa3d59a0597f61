import { type FormEvent, useState } from 'react';
import { Can } from '../access.tsx';
import { api, type ProfileSummary } from '../api.ts';
import { ConditionEditor } from '../components/ConditionEditor.tsx';
import { personLabel } from '../components/PersonLink.tsx';
import { blank, type Condition, combine, toRule } from '../components/rule-form.ts';
import { Card, DemoHint, Empty, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { useNames } from '../components/use-names.ts';
import { num, show, when } from '../format.ts';
import { useApi } from '../hooks.ts';
import { peopleApi } from '../people-api.ts';
import { Link, navigate } from '../router.tsx';
import Person from './Person.tsx';

const FIXED_COLUMNS = [
  { key: 'eventCount', label: 'Events', num: true },
  { key: 'firstSeen', label: 'First seen', num: false },
  { key: 'lastSeen', label: 'Last seen', num: false },
] as const;
const PAGE_SIZES = [25, 50, 100, 200];

function nameOf(profile: ProfileSummary): string {
  return personLabel(profile.traits) ?? '(anonymous)';
}

/** The saved explorer state in the page's address, so a reload or a shared link keeps it. */
function initialQuery(): string {
  return new URLSearchParams(location.search).get('q') ?? '';
}

function SortHeader(props: {
  label: string;
  sortKey: string;
  sort: { key: string; descending: boolean };
  onSort: (key: string, descending: boolean) => void;
  num?: boolean;
}) {
  const active = props.sort.key === props.sortKey;
  const direction = active ? (props.sort.descending ? 'descending' : 'ascending') : 'none';
  return (
    <th className={props.num ? 'num' : undefined} aria-sort={direction}>
      <button
        type="button"
        className="sort"
        onClick={() =>
          props.onSort(props.sortKey, active ? !props.sort.descending : props.sortKey === 'lastSeen')
        }
      >
        {props.label}
        <span aria-hidden="true">{active ? (props.sort.descending ? ' ▼' : ' ▲') : ''}</span>
      </button>
    </th>
  );
}

function ColumnChooser(props: { columns: string[]; onChange: (columns: string[]) => void }) {
  const names = useNames();
  const offered = [...new Set([...props.columns, ...(names?.traits ?? []).map((t) => t.name)])]
    .filter((name) => name !== 'name' && name !== 'first_name' && name !== 'last_name')
    .slice(0, 40);
  return (
    <details className="columns">
      <summary>Columns ({props.columns.length} traits shown)</summary>
      <fieldset>
        <legend className="small">Traits to show as columns (sortable, and in the CSV)</legend>
        {offered.length === 0 ? <p className="muted small">No traits have arrived yet.</p> : null}
        <div className="checks">
          {offered.map((trait) => (
            <label key={trait} className="check">
              <input
                type="checkbox"
                checked={props.columns.includes(trait)}
                onChange={(e) =>
                  props.onChange(
                    e.target.checked ? [...props.columns, trait] : props.columns.filter((c) => c !== trait),
                  )
                }
              />{' '}
              {trait}
            </label>
          ))}
        </div>
      </fieldset>
    </details>
  );
}

function MakeSegment(props: { ruleText: string | null; searching: boolean; total: number }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const reason = props.searching
    ? 'The search box is not part of a segment rule: clear it, or add it as a trait filter.'
    : props.ruleText === null
      ? 'Add a filter first: a segment is the people a rule holds.'
      : null;
  async function save(event: FormEvent) {
    event.preventDefault();
    if (!props.ruleText) return;
    setSaving(true);
    setError(undefined);
    try {
      const created = await api.createSegment({ name: name.trim(), text: props.ruleText });
      navigate(`/segments/${encodeURIComponent(created.id)}`);
    } catch (e) {
      setError(e);
      setSaving(false);
    }
  }
  return (
    <form onSubmit={save} className="row make-segment" aria-label="Make a segment from this list">
      <div>
        <label htmlFor="list-segment-name">New segment's name</label>
        <input
          id="list-segment-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          disabled={reason !== null}
        />
      </div>
      <button type="submit" disabled={reason !== null || !name.trim() || saving}>
        Make a segment from this list ({num(props.total)})
      </button>
      {reason ? <p className="small muted">{reason}</p> : null}
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

/**
 * What the search box says: words written `city=Utrecht` (or `trait.city=Utrecht`) are trait
 * conditions, the rest a search.
 */
export function searchQuery(text: string): { q: string; traits: Record<string, string> } {
  const traits: Record<string, string> = {};
  const rest: string[] = [];
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const trait = /^(?:trait\.)?([^=\s@]+)=(.*)$/.exec(word);
    if (trait?.[2]) traits[trait[1] as string] = trait[2];
    else rest.push(word);
  }
  return { q: rest.join(' '), traits };
}

/** The search box's trait words and the filter forms as one rule (all must hold); none: undefined. */
function ruleOf(traits: Record<string, string>, conditions: Condition[], all: boolean): unknown {
  const words = Object.entries(traits).map(([trait, value]) => toRule({ ...blank('trait'), trait, value }));
  const parts = [...words, ...(conditions.length > 0 ? [combine(conditions, all)] : [])];
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { kind: 'and', rules: parts };
}

function Explorer() {
  const [draft, setDraft] = useState(initialQuery);
  const [typed, setTyped] = useState(draft.trim());
  const [q, setQ] = useState(searchQuery(draft).q);
  const [conditions, setConditions] = useState<Condition[]>([]);
  const [all, setAll] = useState(true);
  const [rule, setRule] = useState<unknown>(() => ruleOf(searchQuery(draft).traits, [], true));
  const [sort, setSort] = useState({ key: 'lastSeen', descending: true });
  const [columns, setColumns] = useState<string[]>(['email']);
  const [offset, setOffset] = useState(0);
  const [limit, setLimit] = useState(25);
  const [exportError, setExportError] = useState<unknown>();
  const filter = { ...(q ? { q } : {}), ...(rule !== undefined ? { rule } : {}) };
  const body = { ...filter, sort: sort.key, descending: sort.descending, offset, limit };
  const page = useApi(() => peopleApi.search(body), [JSON.stringify(body)]);
  function apply(event: FormEvent) {
    event.preventDefault();
    setOffset(0);
    const words = searchQuery(draft);
    setTyped(draft.trim());
    setQ(words.q);
    setRule(ruleOf(words.traits, conditions, all));
    history.replaceState(
      null,
      '',
      draft.trim() ? `/people?q=${encodeURIComponent(draft.trim())}` : '/people',
    );
  }
  function onSort(key: string, descending: boolean) {
    setSort({ key, descending });
    setOffset(0);
  }
  async function downloadCsv() {
    setExportError(undefined);
    try {
      await peopleApi.exportCsv(filter, { sort: sort.key, descending: sort.descending }, columns);
    } catch (e) {
      setExportError(e);
    }
  }
  // Rows of the previous request are not shown under the new one's heading while it loads.
  const fresh = page.loading ? undefined : page.data;
  const total = fresh?.total ?? 0;
  const shownTo = Math.min(offset + limit, total);
  const filtered = Boolean(q) || rule !== undefined;
  return (
    <>
      <PageHeader title="People" />
      <search className="card" aria-label="Find people">
        <form onSubmit={apply}>
          <div className="row">
            <div style={{ flex: 1, minWidth: 0 }}>
              <label htmlFor="people-q">
                Search by name, email, user id, profile id or any trait value; trait=value for an exact trait
              </label>
              <input
                id="people-q"
                value={draft}
                onChange={(e) => setDraft(e.target.value)}
                placeholder="Ada Lovelace, ada@example.org, store-7-u12, Utrecht, plan=pro"
                style={{ width: '100%' }}
              />
            </div>
          </div>
          <fieldset className="filters">
            <legend>Filters</legend>
            {conditions.length > 1 ? (
              <div>
                <label htmlFor="filters-combine">People who match</label>
                <select
                  id="filters-combine"
                  value={all ? 'all' : 'any'}
                  onChange={(e) => setAll(e.target.value === 'all')}
                >
                  <option value="all">all of these</option>
                  <option value="any">any of these</option>
                </select>
              </div>
            ) : null}
            {conditions.map((c, i) => (
              <ConditionEditor
                // biome-ignore lint/suspicious/noArrayIndexKey: conditions are edited in place by position
                key={i}
                index={i}
                idPrefix="filter"
                value={c}
                onChange={(next) => setConditions(conditions.map((old, j) => (j === i ? next : old)))}
                onRemove={() => setConditions(conditions.filter((_, j) => j !== i))}
              />
            ))}
            <div className="row">
              <button type="button" onClick={() => setConditions([...conditions, blank('in_segment')])}>
                + Segment
              </button>
              <button type="button" onClick={() => setConditions([...conditions, blank('stage')])}>
                + Stage
              </button>
              <button type="button" onClick={() => setConditions([...conditions, blank('trait')])}>
                + Trait
              </button>
              <button type="button" onClick={() => setConditions([...conditions, blank('performed')])}>
                + Event
              </button>
            </div>
          </fieldset>
          <div className="row">
            <button type="submit" className="primary">
              Search
            </button>
            <ColumnChooser columns={columns} onChange={setColumns} />
          </div>
        </form>
      </search>
      <div style={{ height: '1rem' }} />
      <Card
        title={typed ? `Results for “${typed}”` : filtered ? 'People matching the filters' : 'Everyone'}
        id="results"
      >
        {page.error ? <ErrorNote error={page.error} /> : null}
        {page.loading ? <Loading what="the people" /> : null}
        {fresh ? (
          <p aria-live="polite">
            <strong data-testid="people-total">{num(total)}</strong> {total === 1 ? 'person' : 'people'}
            {total > 0 ? (
              <span className="muted">
                {' '}
                · showing {num(offset + 1)}–{num(shownTo)}
              </span>
            ) : null}
          </p>
        ) : null}
        {fresh && fresh.items.length === 0 ? (
          filtered ? (
            <Empty title="Nobody matches">
              <p>
                Try part of a name, an email, an exact user id, or a trait value; or loosen a filter. Names
                and values match as typed, case aside.
              </p>
            </Empty>
          ) : (
            <Empty title="No profiles yet">
              <DemoHint />
            </Empty>
          )
        ) : null}
        {fresh && fresh.items.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <SortHeader label="Name" sortKey="trait:name" sort={sort} onSort={onSort} />
                  {columns.map((trait) => (
                    <SortHeader
                      key={trait}
                      label={trait}
                      sortKey={`trait:${trait}`}
                      sort={sort}
                      onSort={onSort}
                    />
                  ))}
                  {FIXED_COLUMNS.map((column) => (
                    <SortHeader
                      key={column.key}
                      label={column.label}
                      sortKey={column.key}
                      sort={sort}
                      onSort={onSort}
                      num={column.num}
                    />
                  ))}
                </tr>
              </thead>
              <tbody>
                {fresh.items.map((profile) => (
                  <tr key={profile.profileId}>
                    <td>
                      <Link href={`/people/${encodeURIComponent(profile.profileId)}`}>{nameOf(profile)}</Link>
                    </td>
                    {columns.map((trait) => (
                      <td key={trait}>{show(profile.traits[trait])}</td>
                    ))}
                    <td className="num">{num(profile.eventCount)}</td>
                    <td className="nowrap">{when(profile.firstSeen)}</td>
                    <td className="nowrap">{when(profile.lastSeen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <nav className="pager" aria-label="Result pages">
          <button
            type="button"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - limit))}
          >
            ← Previous
          </button>
          <button type="button" disabled={offset + limit >= total} onClick={() => setOffset(offset + limit)}>
            Next →
          </button>
          <label htmlFor="page-size" className="inline">
            Per page
          </label>
          <select
            id="page-size"
            value={limit}
            onChange={(e) => {
              setLimit(Number(e.target.value));
              setOffset(0);
            }}
          >
            {PAGE_SIZES.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </nav>
        <div className="row" style={{ marginTop: '0.75rem' }}>
          <Can needs="people:export">
            <button type="button" onClick={downloadCsv} disabled={total === 0}>
              Download CSV ({num(total)})
            </button>
          </Can>
        </div>
        {exportError ? <ErrorNote error={exportError} /> : null}
        <Can needs="marketing:write">
          <MakeSegment ruleText={fresh?.ruleText ?? null} searching={Boolean(q)} total={total} />
        </Can>
      </Card>
    </>
  );
}

export default function People(props: { path: string }) {
  const id = props.path.startsWith('/people/')
    ? decodeURIComponent(props.path.slice('/people/'.length))
    : null;
  if (id) return <Person id={id} onGone={() => navigate('/people')} />;
  return <Explorer />;
}
