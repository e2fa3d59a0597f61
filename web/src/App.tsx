import { type ComponentType, type FormEvent, lazy, Suspense, useEffect, useState } from 'react';
import { ApiError, hasToken, onTokenChange, request, type Status, setToken } from './api.ts';
import { Loading } from './components/ui.tsx';
import { Link, usePath } from './router.tsx';

const pages: Array<{ path: string; label: string; page: ComponentType<{ path: string }> }> = [
  { path: '/', label: 'Overview', page: lazy(() => import('./pages/Overview.tsx')) },
  { path: '/people', label: 'People', page: lazy(() => import('./pages/People.tsx')) },
  { path: '/segments', label: 'Segments', page: lazy(() => import('./pages/Segments.tsx')) },
  { path: '/funnel', label: 'Funnel and paths', page: lazy(() => import('./pages/Funnel.tsx')) },
  { path: '/journeys', label: 'Journeys', page: lazy(() => import('./pages/Journeys.tsx')) },
  { path: '/messages', label: 'Messages', page: lazy(() => import('./pages/Messages.tsx')) },
  { path: '/placements', label: 'Placements', page: lazy(() => import('./pages/Placements.tsx')) },
  { path: '/value', label: 'Value', page: lazy(() => import('./pages/Value.tsx')) },
  { path: '/experiments', label: 'Experiments', page: lazy(() => import('./pages/Experiments.tsx')) },
  { path: '/measure', label: 'Measure', page: lazy(() => import('./pages/Measure.tsx')) },
  {
    path: '/recommendations',
    label: 'Recommendations',
    page: lazy(() => import('./pages/Recommendations.tsx')),
  },
  { path: '/loyalty', label: 'Loyalty', page: lazy(() => import('./pages/Loyalty.tsx')) },
  { path: '/settings', label: 'Settings', page: lazy(() => import('./pages/Settings.tsx')) },
];

function pageFor(path: string) {
  if (path === '/') return pages[0]!;
  return pages.find((page) => page.path !== '/' && (path === page.path || path.startsWith(`${page.path}/`)));
}

function Login() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // Checked by the server: a call that needs the admin token.
      await request<Status>('GET', '/api/status', { auth: `Bearer ${value.trim()}` });
      setToken(value.trim());
    } catch (e) {
      setError(
        e instanceof ApiError && (e.status === 401 || e.status === 403)
          ? 'That admin token was refused. Use the rk_admin_… token printed when the server first started.'
          : `Could not reach the server: ${(e as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  }
  return (
    <main className="login">
      <form onSubmit={submit} className="card" aria-labelledby="login-title">
        <h1 id="login-title">Rapport</h1>
        <p>
          Sign in with an admin token. It stays in this tab's memory only: reloading the page signs you out.
        </p>
        <label htmlFor="token">Admin token</label>
        <input
          id="token"
          type="password"
          autoComplete="current-password"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="rk_admin_…"
          required
          // biome-ignore lint/a11y/noAutofocus: the only field on the page
          autoFocus
        />
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy || value.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="muted small">
          The token is printed once when the server starts on an empty data directory (<code>npm start</code>
          ).
        </p>
      </form>
    </main>
  );
}

export default function App() {
  const [signedIn, setSignedIn] = useState(hasToken());
  useEffect(() => onTokenChange(() => setSignedIn(hasToken())), []);
  const { path } = usePath();
  const current = pageFor(path);
  useEffect(() => {
    document.title = current ? `${current.label} · Rapport` : 'Rapport';
  }, [current]);
  if (!signedIn) return <Login />;
  const Page = current?.page;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Rapport</div>
        <ul>
          {pages.map((page) => (
            <li key={page.path}>
              <Link href={page.path} aria-current={page === current ? 'page' : undefined}>
                {page.label}
              </Link>
            </li>
          ))}
        </ul>
        <button type="button" className="signout" onClick={() => setToken(null)}>
          Sign out
        </button>
      </nav>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>
          {Page ? (
            <Page path={path} />
          ) : (
            <p>
              No page at {path}. <Link href="/">Go to the overview</Link>.
            </p>
          )}
        </Suspense>
      </main>
    </div>
  );
}
