// Who may do what: the roles, the permissions a route declares, and the one matrix between
// them (docs/access.md). A route declares the permission it needs in its config
// (`config: { access: 'marketing:write' }`); the guard (./guard.ts) checks it for every
// request, and refuses a route under /api/ that declares nothing.

export const ROLES = ['owner', 'marketer', 'analyst', 'privacy'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route needs. `public` routes take no admin credential (tracking, health, the
 * dashboard's files; write-key routes check their key themselves); `signed-in` ones take any
 * role (your own session, your own password).
 */
export const PERMISSIONS = [
  'public',
  'signed-in',
  'read',
  'marketing:write',
  'people:export',
  'privacy:write',
  'audit:read',
  'admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What each permission covers, for the documentation and the dashboard's users page. */
export const PERMISSION_MEANING: Record<Permission, string> = {
  public: 'no admin credential (tracking, health, the dashboard’s files)',
  'signed-in': 'any signed-in person: their own session and password',
  read: 'read reports, people, segments, journeys, messages, settings and status',
  'marketing:write':
    'change segments, funnels, journeys, messages, placements and offers, the arbitration policy, tasks; refresh value scores',
  'people:export': 'export personal data (a person’s export, profile and event exports, member lists)',
  'privacy:write': 'record consent decisions and erase people',
  'audit:read': 'read the audit log',
  admin: 'manage users, admin tokens, write keys, channel settings, the log and quarantine',
};

/** The matrix. The owner may everything; nobody else manages people's access. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  marketer: ['public', 'signed-in', 'read', 'marketing:write'],
  analyst: ['public', 'signed-in', 'read'],
  privacy: ['public', 'signed-in', 'read', 'people:export', 'privacy:write', 'audit:read'],
};

export const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  marketer: 'Marketer',
  analyst: 'Analyst',
  privacy: 'Privacy officer',
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export function may(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request goes into the audit log: every change (a write under any permission but
 * `public`, whose routes record their own, and `read`, whose POSTs only compute, like a segment preview) and every personal-data export,
 * which is a read the privacy officer must be able to account for.
 */
export function isAudited(method: string, permission: Permission): boolean {
  if (permission === 'public') return false;
  if (permission === 'people:export') return true;
  return !SAFE_METHODS.has(method.toUpperCase()) && permission !== 'read';
}
