// Dashboard users: create, sign in (a session), change a password. The rules live here so the
// routes and the CLI share them; the store holds only the scrypt hash and session hashes.
import { randomBytes, randomUUID } from 'node:crypto';
import { RapportError } from '../errors/index.ts';
import type { AccessStore, StoredUser, UserRow } from '../store/index.ts';
import type { Role } from './access.ts';
import { hashSecret } from './credentials.ts';
import { decoyHash, hashPassword, passwordRefusal, verifyPassword } from './passwords.ts';

/** A session lasts a working day; signing in again starts a new one. */
export const SESSION_HOURS = 12;

const NAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/;

export function normalName(name: string): string {
  return name.trim().toLowerCase();
}

function refuse(field: string, message: string): never {
  throw new RapportError('RAPPORT_API_BAD_REQUEST', message, { field });
}

export function publicUser(user: StoredUser | UserRow): UserRow {
  const { id, name, role, createdAt, passwordChangedAt, disabledAt } = user;
  return { id, name, role, createdAt, passwordChangedAt, disabledAt };
}

export async function createUser(
  store: AccessStore,
  input: { name: string; role: Role; password: string },
): Promise<UserRow> {
  const name = normalName(input.name);
  if (!NAME.test(name)) {
    refuse('name', 'name: 2 to 64 characters, letters, digits and . _ @ - (an email address works)');
  }
  const refusal = passwordRefusal(input.password, name);
  if (refusal) refuse('password', refusal);
  const at = new Date().toISOString();
  const user: StoredUser = {
    id: randomUUID(),
    name,
    role: input.role,
    createdAt: at,
    passwordChangedAt: at,
    disabledAt: null,
    passwordHash: await hashPassword(input.password),
  };
  if (!(await store.addUser(user))) {
    throw new RapportError('RAPPORT_API_CONFLICT', `a user named ${name} exists already`, { field: 'name' });
  }
  return publicUser(user);
}

/**
 * The user whose name and password these are, or undefined. An unknown name is checked against
 * a decoy hash, so a wrong name takes as long as a wrong password and names cannot be probed.
 */
export async function checkPassword(
  store: AccessStore,
  name: string,
  password: string,
): Promise<StoredUser | undefined> {
  const user = await store.findUserByName(normalName(name));
  const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  return user && matches && user.disabledAt === null ? user : undefined;
}

/** A new session for the user; the token goes in the cookie, only its hash in the store. */
export async function startSession(store: AccessStore, userId: string, now = new Date()) {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3600_000);
  await store.addSession({
    idHash: hashSecret(token),
    userId,
    createdAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
  });
  return { token, expiresAt };
}

/** Sets a new password; every other session of the user ends (a stolen one with it). */
export async function setPassword(
  store: AccessStore,
  user: { id: string; name: string },
  password: string,
  keepSession?: string,
): Promise<void> {
  const refusal = passwordRefusal(password, user.name);
  if (refusal) refuse('password', refusal);
  await store.updateUser(user.id, {
    passwordHash: await hashPassword(password),
    passwordChangedAt: new Date().toISOString(),
  });
  await store.deleteSessionsOf(user.id, keepSession);
}
