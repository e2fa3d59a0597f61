import type { ReactNode } from 'react';
import { ApiError } from '../api.ts';
import type { Loaded } from '../hooks.ts';
import { Link } from '../router.tsx';

export function PageHeader(props: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1 tabIndex={-1} id="page-title">
        {props.title}
      </h1>
      {props.children ? <div className="page-actions">{props.children}</div> : null}
    </header>
  );
}

export function Card(props: { title?: string; children: ReactNode; wide?: boolean; id?: string }) {
  const headingId = props.id ? `${props.id}-title` : undefined;
  return (
    <section className={props.wide ? 'card wide' : 'card'} aria-labelledby={headingId} id={props.id}>
      {props.title ? <h2 id={headingId}>{props.title}</h2> : null}
      {props.children}
    </section>
  );
}

export function Stat(props: { label: string; value: ReactNode; hint?: string }) {
  return (
    <div className="stat">
      <div className="stat-value">{props.value}</div>
      <div className="stat-label">{props.label}</div>
      {props.hint ? <div className="stat-hint">{props.hint}</div> : null}
    </div>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <p className="muted" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

export function ErrorNote(props: { error: unknown }) {
  const error = props.error;
  const message =
    error instanceof ApiError
      ? `${error.body.error ?? `HTTP ${error.status}`}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  const issues = error instanceof ApiError ? (error.body.issues ?? []) : [];
  return (
    <div className="error" role="alert">
      <p>{message}</p>
      {issues.length > 0 ? (
        <ul>
          {issues.map((issue, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: issues have no id
            <li key={i}>
              {typeof issue === 'string' ? (
                issue
              ) : (
                <>
                  {[issue.stepId, issue.field ?? issue.path].filter(Boolean).join(' ')} {issue.message}
                  {issue.snippet ? <pre>{issue.snippet}</pre> : null}
                </>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/**
 * Where a useApi call stands when it has nothing to show yet: its error, or Loading while the
 * first answer is awaited (a reload keeps the last answer on screen instead).
 */
export function LoadStatus(props: { state: Pick<Loaded<unknown>, 'data' | 'error' | 'loading'> }) {
  const { data, error, loading } = props.state;
  return (
    <>
      {error ? <ErrorNote error={error} /> : null}
      {loading && !data ? <Loading /> : null}
    </>
  );
}

/** What a newcomer should do next when there is nothing to show. */
export function Empty(props: { title: string; children: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{props.title}</p>
      <div>{props.children}</div>
    </div>
  );
}

/** An honest placeholder for a view whose admin API does not exist yet. */
export function NotAvailable(props: { what: string; api: string }) {
  return (
    <div className="not-available" role="note">
      <p>
        <strong>Not available yet:</strong> {props.what}
      </p>
      <p className="muted">
        Waiting for the admin API <code>{props.api}</code>.
      </p>
    </div>
  );
}

export function DemoHint() {
  return (
    <>
      <p>
        Create a write key under <Link href="/settings">Settings</Link> and give it to your website’s or app’s
        tracking (any Segment-compatible library, such as analytics.js): people and events appear here as they
        arrive.
      </p>
      <p>
        To look around first, ask whoever runs this server to fill it with a simulated shop (
        <code>rapport demo</code>, docs/demo.md).
      </p>
    </>
  );
}

export function Pager(props: {
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  label: string;
}) {
  return (
    <nav className="pager" aria-label={props.label}>
      <button type="button" onClick={props.onPrevious} disabled={!props.hasPrevious}>
        ← Newer
      </button>
      <button type="button" onClick={props.onNext} disabled={!props.hasNext}>
        Older →
      </button>
    </nav>
  );
}
