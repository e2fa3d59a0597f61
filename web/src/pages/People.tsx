import { type FormEvent, useState } from 'react';
import { api, type ProfileSummary } from '../api.ts';
import { Card, DemoHint, Empty, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { num, when } from '../format.ts';
import { useApi } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import Person from './Person.tsx';

function name(profile: ProfileSummary): string {
  const t = profile.traits;
  const label = t.name ?? ([t.first_name, t.last_name].filter(Boolean).join(' ') || t.email);
  return typeof label === 'string' && label ? label : '(anonymous)';
}

/**
 * What the search box says, as the API's query: `trait.city=Utrecht` or `city=Utrecht` words
 * are trait filters, the rest an identifier or a name.
 */
export function searchQuery(text: string): { q?: string; traits: Record<string, string> } {
  const traits: Record<string, string> = {};
  const rest: string[] = [];
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const trait = /^(?:trait\.)?([^=\s@]+)=(.*)$/.exec(word);
    if (trait?.[2]) traits[trait[1] as string] = trait[2];
    else rest.push(word);
  }
  const q = rest.join(' ');
  return { ...(q ? { q } : {}), traits };
}

function Search() {
  const [draft, setDraft] = useState(new URLSearchParams(location.search).get('q') ?? '');
  const [query, setQuery] = useState(draft);
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useApi(() => api.profiles({ ...searchQuery(query), cursor, limit: 25 }), [query, cursor]);
  function submit(event: FormEvent) {
    event.preventDefault();
    setCursors([null]);
    setQuery(draft.trim());
    history.replaceState(
      null,
      '',
      draft.trim() ? `/people?q=${encodeURIComponent(draft.trim())}` : '/people',
    );
  }
  return (
    <>
      <PageHeader title="People" />
      <search className="card" aria-label="Find people">
        <form onSubmit={submit} className="row">
          <div style={{ flex: 1 }}>
            <label htmlFor="people-q">Search by user id, anonymous id, email, name or trait=value</label>
            <input
              id="people-q"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              placeholder="Ada Lovelace, ada@example.org, store-7-u12, city=Utrecht"
              style={{ width: '100%' }}
            />
          </div>
          <button type="submit" className="primary">
            Search
          </button>
        </form>
      </search>
      <div style={{ height: '1rem' }} />
      <Card title={query ? `Results for “${query}”` : 'Recently seen'} id="results">
        {page.error ? <ErrorNote error={page.error} /> : null}
        {page.loading && !page.data ? <Loading /> : null}
        {page.data && page.data.items.length === 0 ? (
          query ? (
            <Empty title="Nobody matches">
              <p>
                Try an exact identifier (user id, anonymous id, email), a name, or a trait:{' '}
                <code>plan=pro</code>.
              </p>
            </Empty>
          ) : (
            <Empty title="No profiles yet">
              <DemoHint />
            </Empty>
          )
        ) : null}
        {page.data && page.data.items.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Identifiers</th>
                  <th className="num">Events</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((profile) => (
                  <tr key={profile.profileId}>
                    <td>
                      <Link href={`/people/${encodeURIComponent(profile.profileId)}`}>{name(profile)}</Link>
                    </td>
                    <td className="small">
                      {profile.identities
                        .slice(0, 3)
                        .map((i) => `${i.kind}: ${i.value}`)
                        .join(' · ')}
                    </td>
                    <td className="num">{num(profile.eventCount)}</td>
                    <td>{when(profile.lastSeen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <nav className="pager" aria-label="Result pages">
          <button
            type="button"
            disabled={cursors.length < 2}
            onClick={() => setCursors(cursors.slice(0, -1))}
          >
            ← Previous
          </button>
          <button
            type="button"
            disabled={!page.data?.nextCursor}
            onClick={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}
          >
            Next →
          </button>
        </nav>
      </Card>
    </>
  );
}

export default function People(props: { path: string }) {
  const id = props.path.startsWith('/people/')
    ? decodeURIComponent(props.path.slice('/people/'.length))
    : null;
  if (id) return <Person id={id} onGone={() => navigate('/people')} />;
  return <Search />;
}
