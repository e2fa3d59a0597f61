// Users and roles (owner only): who may sign in to the dashboard, with which role; create a
// user, change a role, disable or enable, set a new password. The role matrix comes from the
// server (GET /api/access), so this page and docs/access.md say the same.
import { type FormEvent, useState } from 'react';
import { access, currentSession, type User } from '../api.ts';
import { Card, ErrorNote, LoadStatus, PageHeader } from '../components/ui.tsx';
import { useApi } from '../hooks.ts';

const ROLES = [
  ['owner', 'Owner'],
  ['marketer', 'Marketer'],
  ['analyst', 'Analyst'],
  ['privacy', 'Privacy officer'],
] as const;

function RoleSelect(props: { id: string; value: string; onChange: (role: string) => void; label: string }) {
  return (
    <select
      id={props.id}
      aria-label={props.label}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
    >
      {ROLES.map(([role, label]) => (
        <option key={role} value={role}>
          {label}
        </option>
      ))}
    </select>
  );
}

function NewUser(props: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState('marketer');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [made, setMade] = useState<string>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      const user = await access.createUser(name.trim(), role, password);
      setMade(`${user.name} can sign in now as ${user.role}.`);
      setName('');
      setPassword('');
      props.onCreated();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Card title="Add a user" id="new-user">
      <form onSubmit={submit} aria-label="Add a user">
        <label htmlFor="new-user-name">Name (what they type to sign in; an email address works)</label>
        <input id="new-user-name" value={name} onChange={(e) => setName(e.target.value)} required />
        <label htmlFor="new-user-role">Role</label>
        <RoleSelect id="new-user-role" label="Role" value={role} onChange={setRole} />
        <label htmlFor="new-user-password">First password (at least 10 characters; tell it to them)</label>
        <input
          id="new-user-password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        <div style={{ marginTop: '0.5rem' }}>
          <button type="submit" className="primary" disabled={!name.trim() || password.length < 10}>
            Add user
          </button>
        </div>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      {made ? (
        <p role="status" className="small">
          {made}
        </p>
      ) : null}
    </Card>
  );
}

function UserRow(props: { user: User; onChanged: () => void }) {
  const { user } = props;
  const [error, setError] = useState<unknown>();
  const self = currentSession()?.kind === 'user' && currentSession()?.name === user.name;
  async function change(changes: { role?: string; disabled?: boolean; password?: string }) {
    setError(undefined);
    try {
      await access.updateUser(user.id, changes);
      props.onChanged();
    } catch (e) {
      setError(e);
    }
  }
  async function newPassword() {
    const password = window.prompt(`A new password for ${user.name} (at least 10 characters)`);
    if (password) await change({ password });
  }
  return (
    <tr>
      <td>{user.name}</td>
      <td>
        {self ? (
          user.role
        ) : (
          <RoleSelect
            id={`role-${user.id}`}
            label={`Role of ${user.name}`}
            value={user.role}
            onChange={(role) => void change({ role })}
          />
        )}
      </td>
      <td>{user.disabledAt ? `disabled ${user.disabledAt.slice(0, 10)}` : 'active'}</td>
      <td className="row">
        {self ? (
          <span className="muted small">you</span>
        ) : (
          <>
            <button type="button" onClick={() => void change({ disabled: user.disabledAt === null })}>
              {user.disabledAt ? `Enable ${user.name}` : `Disable ${user.name}`}
            </button>
            <button type="button" onClick={() => void newPassword()}>
              New password
            </button>
          </>
        )}
        {error ? <ErrorNote error={error} /> : null}
      </td>
    </tr>
  );
}

export default function Users() {
  const users = useApi(() => access.users(), []);
  const matrix = useApi(() => access.matrix(), []);
  return (
    <>
      <PageHeader title="Users and roles" />
      <Card title="Users" id="users" wide>
        <LoadStatus state={users} />
        {users.data ? (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Status</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <UserRow key={user.id} user={user} onChanged={users.reload} />
              ))}
            </tbody>
          </table>
        ) : null}
        {users.data?.length === 0 ? <p className="muted">No users yet: add the first one below.</p> : null}
      </Card>
      <NewUser onCreated={users.reload} />
      <Card title="What each role may do" id="matrix" wide>
        <LoadStatus state={matrix} />
        {matrix.data ? (
          <table>
            <thead>
              <tr>
                <th>Permission</th>
                {matrix.data.roles.map((role) => (
                  <th key={role.role}>{role.label}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {matrix.data.permissions
                .filter((p) => p.permission !== 'public')
                .map((p) => (
                  <tr key={p.permission}>
                    <td>
                      <code>{p.permission}</code> <span className="small muted">{p.meaning}</span>
                    </td>
                    {matrix.data?.roles.map((role) => (
                      <td key={role.role}>{role.permissions.includes(p.permission) ? '✓' : ''}</td>
                    ))}
                  </tr>
                ))}
            </tbody>
          </table>
        ) : null}
      </Card>
    </>
  );
}
