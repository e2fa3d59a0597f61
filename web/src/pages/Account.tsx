// Your account: who you are signed in as, your role, and your password.
import { type FormEvent, useState } from 'react';
import { access, currentSession } from '../api.ts';
import { Card, ErrorNote, PageHeader } from '../components/ui.tsx';

export default function Account() {
  const session = currentSession();
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    setDone(false);
    try {
      await access.changePassword(current, password);
      setDone(true);
      setCurrent('');
      setPassword('');
    } catch (e) {
      setError(e);
    }
  }
  return (
    <>
      <PageHeader title="Your account" />
      <Card title="Signed in as" id="whoami">
        <p>
          {session?.name}, role <strong>{session?.role}</strong> (
          {session?.kind === 'token' ? 'admin token' : 'user'})
        </p>
      </Card>
      {session?.kind === 'user' ? (
        <Card title="Change your password" id="password">
          <form onSubmit={submit} aria-label="Change your password">
            <label htmlFor="current-password">Current password</label>
            <input
              id="current-password"
              type="password"
              autoComplete="current-password"
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
              required
            />
            <label htmlFor="new-password">New password (at least 10 characters)</label>
            <input
              id="new-password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
            <div style={{ marginTop: '0.5rem' }}>
              <button type="submit" className="primary" disabled={!current || password.length < 10}>
                Change password
              </button>
            </div>
          </form>
          {error ? <ErrorNote error={error} /> : null}
          {done ? <p role="status">Changed. Your other sessions have been signed out.</p> : null}
        </Card>
      ) : (
        <p className="muted">An admin token has no password: revoke it and make another in Settings.</p>
      )}
    </>
  );
}
