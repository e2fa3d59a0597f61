import { type ComponentType, type FormEvent, lazy, Suspense, useEffect, useState } from 'react';
import {
  ApiError,
  access,
  can,
  currentSession,
  hasToken,
  onTokenChange,
  setSession,
  setToken,
} from './api.ts';
import { Loading } from './components/ui.tsx';
import { Link, usePath } from './router.tsx';

/**
 * `needs`: the permission a page is for (docs/access.md); pages without one need `read`.
 * `section`: pages that share one are listed together under its name in the navigation.
 */
const pages: Array<{
  path: string;
  label: string;
  needs?: string;
  section?: string;
  page: ComponentType<{ path: string }>;
}> = [
  { path: '/', label: 'Overview', page: lazy(() => import('./pages/Overview.tsx')) },
  { path: '/people', label: 'People', page: lazy(() => import('./pages/People.tsx')) },
  { path: '/segments', label: 'Segments', page: lazy(() => import('./pages/Segments.tsx')) },
  { path: '/funnel', label: 'Funnel and paths', page: lazy(() => import('./pages/Funnel.tsx')) },
  { path: '/journeys', label: 'Journeys', page: lazy(() => import('./pages/Journeys.tsx')) },
  { path: '/messages', label: 'Messages', page: lazy(() => import('./pages/Messages.tsx')) },
  { path: '/tasks', label: 'Tasks', page: lazy(() => import('./pages/Tasks.tsx')) },
  { path: '/templates', label: 'Templates', page: lazy(() => import('./pages/Templates.tsx')) },
  { path: '/placements', label: 'Placements', page: lazy(() => import('./pages/Placements.tsx')) },
  { path: '/value', label: 'Value', page: lazy(() => import('./pages/Value.tsx')) },
  { path: '/experiments', label: 'Experiments', page: lazy(() => import('./pages/Experiments.tsx')) },
  { path: '/measure', label: 'Measure', page: lazy(() => import('./pages/Measure.tsx')) },
  {
    path: '/personas',
    label: 'Personas',
    section: 'Understand',
    page: lazy(() => import('./pages/Personas.tsx')),
  },
  {
    path: '/beliefs',
    label: 'Assumption audit',
    section: 'Understand',
    page: lazy(() => import('./pages/Beliefs.tsx')),
  },
  {
    path: '/surveys',
    label: 'Surveys',
    section: 'Understand',
    page: lazy(() => import('./pages/Surveys.tsx')),
  },
  {
    path: '/recommendations',
    label: 'Recommendations',
    page: lazy(() => import('./pages/Recommendations.tsx')),
  },
  { path: '/loyalty', label: 'Loyalty', page: lazy(() => import('./pages/Loyalty.tsx')) },
  { path: '/settings', label: 'Settings', page: lazy(() => import('./pages/Settings.tsx')) },
  { path: '/operations', label: 'Operations', page: lazy(() => import('./pages/Operations.tsx')) },
  { path: '/users', label: 'Users and roles', needs: 'admin', page: lazy(() => import('./pages/Users.tsx')) },
  { path: '/audit', label: 'Audit log', needs: 'audit:read', page: lazy(() => import('./pages/Audit.tsx')) },
  {
    path: '/account',
    label: 'Your account',
    needs: 'signed-in',
    page: lazy(() => import('./pages/Account.tsx')),
  },
];

type Page = (typeof pages)[number];

/** The navigation's entries: a page alone, or a section's pages together where its first one sits. */
function navigationEntries(visible: readonly Page[]): Array<{ section?: string; pages: Page[] }> {
  const entries: Array<{ section?: string; pages: Page[] }> = [];
  for (const page of visible) {
    const entry = page.section ? entries.find((e) => e.section === page.section) : undefined;
    if (entry) entry.pages.push(page);
    else entries.push(page.section ? { section: page.section, pages: [page] } : { pages: [page] });
  }
  return entries;
}

function pageFor(path: string) {
  if (path === '/') return pages[0]!;
  return pages.find((page) => page.path !== '/' && (path === page.path || path.startsWith(`${page.path}/`)));
}

/**
 * One form, two ways in: a user's name and password (a session cookie), or an admin token
 * (scripts' credential, kept in this tab's sessionStorage). Whichever is filled in is used.
 */
function Login() {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [token, setTokenValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (token.trim()) {
        const session = await access.session(`Bearer ${token.trim()}`);
        setToken(token.trim());
        setSession(session);
      } else {
        setSession(await access.signIn(name.trim(), password));
      }
    } catch (e) {
      setError(
        e instanceof ApiError && (e.status === 401 || e.status === 403)
          ? token.trim()
            ? 'That admin token was refused. Use the rk_admin_… token printed when the server first started.'
            : 'That name and password were refused.'
          : `Could not reach the server: ${(e as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  }
  const ready = token.trim() !== '' || (name.trim() !== '' && password !== '');
  return (
    <main className="login">
      <form onSubmit={submit} className="card" aria-labelledby="login-title">
        <h1 id="login-title">Rapport</h1>
        <p>Sign in with your name and password.</p>
        <label htmlFor="login-name">Name</label>
        <input
          id="login-name"
          autoComplete="username"
          value={name}
          onChange={(e) => setName(e.target.value)}
          // biome-ignore lint/a11y/noAutofocus: the first field of the page
          autoFocus
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <p className="muted small">
          Or, before the first user exists (or from a script), an admin token. This tab keeps it until you
          sign out or close the tab; other tabs never see it.
        </p>
        <label htmlFor="token">Admin token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setTokenValue(e.target.value)}
          placeholder="rk_admin_…"
        />
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy || !ready}>
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

async function signOut(): Promise<void> {
  if (currentSession()?.kind === 'user') await access.signOut().catch(() => undefined);
  setToken(null);
}

export default function App() {
  const [signedIn, setSignedIn] = useState(currentSession() !== null);
  // A session cookie (or this tab's admin token) from before survives a reload: ask the server
  // whether it still holds; a token it refuses is forgotten.
  const [checking, setChecking] = useState(true);
  useEffect(() => onTokenChange(() => setSignedIn(currentSession() !== null)), []);
  useEffect(() => {
    access
      .session()
      .then(setSession)
      .catch(() => {
        if (hasToken()) setToken(null);
      })
      .finally(() => setChecking(false));
  }, []);
  const { path } = usePath();
  const current = pageFor(path);
  // On a narrow screen the navigation folds behind a Menu button; following a link folds it.
  const [menuOpen, setMenuOpen] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new path is the reason to fold
  useEffect(() => setMenuOpen(false), [path]);
  useEffect(() => {
    document.title = current ? `${current.label} · Rapport` : 'Rapport';
  }, [current]);
  if (checking) return <Loading what="your session" />;
  if (!signedIn) return <Login />;
  const session = currentSession();
  const visible = pages.filter((page) => can(page.needs ?? 'read'));
  const Page = current && visible.includes(current) ? current.page : undefined;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <nav className={menuOpen ? 'sidebar open' : 'sidebar'} aria-label="Main">
        <div className="brand-row">
          <div className="brand">Rapport</div>
          <button
            type="button"
            className="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="nav-links"
            onClick={() => setMenuOpen(!menuOpen)}
          >
            Menu
          </button>
        </div>
        <ul id="nav-links">
          {navigationEntries(visible).map((entry) => {
            const links = entry.pages.map((page) => (
              <li key={page.path}>
                <Link
                  href={page.path}
                  aria-current={page === current ? 'page' : undefined}
                  // Choosing the page already shown changes no path: fold the menu here too.
                  onClick={() => setMenuOpen(false)}
                >
                  {page.label}
                </Link>
              </li>
            ));
            if (!entry.section) return links;
            return (
              <li key={entry.section} className="nav-section">
                <span className="nav-section-name">{entry.section}</span>
                <ul aria-label={entry.section}>{links}</ul>
              </li>
            );
          })}
        </ul>
        <p className="muted small signed-in-as">
          {session?.name} · {session?.role}
        </p>
        <button type="button" className="signout" onClick={() => void signOut()}>
          Sign out
        </button>
      </nav>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>
          {Page ? (
            <Page path={path} />
          ) : (
            <p>
              {current
                ? `Your role (${session?.role}) does not show ${current.label}.`
                : `No page at ${path}.`}{' '}
              <Link href="/">Go to the overview</Link>.
            </p>
          )}
        </Suspense>
      </main>
    </div>
  );
}
