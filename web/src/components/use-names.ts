// The names the pickers offer, from the server's catalog (GET /api/names). One request serves
// every picker on screen; it is asked again after a minute, as new names arrive.
import { useEffect, useState } from 'react';
import { api, type Names } from '../api.ts';

const FRESH_MS = 60_000;
let cached: { at: number; names: Promise<Names> } | undefined;

function load(): Promise<Names> {
  if (!cached || Date.now() - cached.at > FRESH_MS) {
    const names = api.names();
    cached = { at: Date.now(), names };
    names.catch(() => {
      cached = undefined;
    });
  }
  return cached.names;
}

export function useNames(): Names | undefined {
  const [names, setNames] = useState<Names>();
  useEffect(() => {
    let live = true;
    load()
      .then((found) => {
        if (live) setNames(found);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return names;
}
