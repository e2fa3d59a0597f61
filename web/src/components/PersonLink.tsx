// A person in a list, by name: the name, first and last name, or email their traits give, else
// the start of their profile id. Names are fetched once per id (GET /api/profiles?q=ID) and kept
// for the session, so a list of 25 people asks 25 small questions, once.
import { useEffect, useState } from 'react';
import { api, type ProfileSummary } from '../api.ts';
import { Link } from '../router.tsx';

const names = new Map<string, Promise<string | null>>();

export function personLabel(traits: Record<string, unknown>): string | null {
  const label =
    traits.name ?? ([traits.first_name, traits.last_name].filter(Boolean).join(' ') || traits.email);
  return typeof label === 'string' && label ? label : null;
}

function nameOf(profileId: string): Promise<string | null> {
  let name = names.get(profileId);
  if (!name) {
    name = api
      .profiles({ q: profileId, limit: 1 })
      .then((page) => {
        const found = page.items.find((p: ProfileSummary) => p.profileId === profileId) ?? page.items[0];
        return found ? personLabel(found.traits) : null;
      })
      .catch(() => null);
    names.set(profileId, name);
  }
  return name;
}

export function PersonLink(props: { profileId: string }) {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    nameOf(props.profileId).then((found) => current && setName(found));
    return () => {
      current = false;
    };
  }, [props.profileId]);
  return (
    <Link href={`/people/${encodeURIComponent(props.profileId)}`}>
      {name ?? <span title={props.profileId}>{`${props.profileId.slice(0, 8)}…`}</span>}
    </Link>
  );
}
