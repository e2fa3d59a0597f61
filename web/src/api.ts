// The typed client of the admin API. Two ways in: a user's session, an httpOnly cookie the
// browser sends by itself (page scripts never see it; it survives a reload), or an admin token
// sent as a bearer token and kept in this tab's sessionStorage, so a reload keeps it while
// another tab, a closed tab, a URL or a log never sees it (docs/dashboard.md, "Signing in"). Either way the server checks every call (docs/access.md); `can()`
// only decides what the pages show.
// The answers' types come from the server's schema files (types only: nothing of the server
// reaches the bundle); test/web/shared-types.test.ts keeps them from being copied here again.
import type {
  AccessMatrix,
  AdminToken,
  AuditEntry,
  Credential,
  NewAdminToken,
  NewCredential,
  Session,
  User,
} from '../../src/auth/schema.ts';
import type {
  CapturedEmailDetail,
  CapturedEmailSummary,
  ChannelInfo,
  ChannelPreferences,
  ChannelTestSend,
  ConsentPurposes,
  Task,
} from '../../src/channels/schema.ts';
import type {
  ArbitrationPolicyDocument,
  ArbitrationPolicyView,
} from '../../src/conductor/arbitration/policy.ts';
import type {
  JourneyDefinition,
  Step as JourneyStep,
  MessageTemplate,
} from '../../src/conductor/journey/definition.ts';
import type {
  Decision,
  JourneyAnswer as Journey,
  JourneyIssue,
  JourneyStats,
  JourneyVersion,
  JourneyVersionDocument,
  OutboxItem,
  ProfileJourney,
  RenderedTemplate as TemplatePreview,
  TemplateTestSendAnswer as TemplateTestSend,
} from '../../src/conductor/schema.ts';
import type { ApiErrorBody, ErrorIssue } from '../../src/errors/schema.ts';
import type { Experiment, MetricDefinition as ExperimentMetric } from '../../src/experiments/definition.ts';
import type {
  BanditHistory,
  BanditView,
  ExperimentResults,
  HoldoutLift,
  ProgrammeLift,
} from '../../src/experiments/results-schema.ts';
import type { Names, SeenName } from '../../src/names/schema.ts';
import type { PathNode, Paths } from '../../src/paths/schema.ts';
import type { Status } from '../../src/pipeline/status-schema.ts';
import type { Offer, Placements } from '../../src/placements/schema.ts';
import type {
  ConsentAccepted,
  ConsentHistory,
  ErasureJob,
  Profile360,
  ProfileList,
  ProfileSummary,
  PurposeConsent,
  Timeline,
  TimelineEvent,
} from '../../src/profiles/schema.ts';
import type {
  Funnel,
  FunnelList,
  FunnelReport,
  FunnelSaved,
  FunnelStageReport,
  MembershipPoint,
  Preview,
  RuleExplanation,
  SavedSegment,
  Segment,
  SegmentHistory,
  SegmentList,
  SegmentMembers,
  SegmentWhy,
} from '../../src/segments/schema.ts';
import type {
  EventsPerDay,
  MessageCounts,
  MessageMetric,
  MessageStats,
  MessageTypeName,
  OfferStats,
  PlacementStats,
} from '../../src/stats/schema.ts';
import type { ValueMetric } from '../../src/value/distribution.ts';
import type {
  Budget,
  ChurnModel,
  HoldoutRow,
  Ranking,
  RankingItem,
  Renewals,
  ValueDistribution,
  ValueScatter,
  ValueValidation,
} from '../../src/value/schema.ts';

export type {
  AccessMatrix,
  AdminToken,
  ApiErrorBody,
  ArbitrationPolicyDocument,
  ArbitrationPolicyView,
  AuditEntry,
  BanditHistory,
  BanditView,
  Budget,
  ChannelInfo,
  ChannelPreferences,
  ChannelTestSend,
  ChurnModel,
  ConsentAccepted,
  ConsentHistory,
  ConsentPurposes,
  Credential,
  Decision,
  ErasureJob,
  ErrorIssue,
  EventsPerDay,
  Experiment,
  ExperimentMetric,
  ExperimentResults,
  Funnel,
  FunnelList,
  FunnelReport,
  FunnelSaved,
  FunnelStageReport,
  HoldoutLift,
  HoldoutRow,
  Journey,
  JourneyDefinition,
  JourneyIssue,
  JourneyStats,
  JourneyStep,
  JourneyVersion,
  MembershipPoint,
  MessageCounts,
  MessageMetric,
  MessageStats,
  MessageTemplate,
  MessageTypeName,
  Names,
  NewAdminToken,
  NewCredential,
  Offer,
  OfferStats,
  OutboxItem,
  PathNode,
  Paths,
  PlacementStats,
  Placements,
  Preview,
  Profile360,
  ProfileJourney,
  ProfileList,
  ProfileSummary,
  ProgrammeLift,
  PurposeConsent,
  Ranking,
  RankingItem,
  Renewals,
  RuleExplanation,
  SavedSegment,
  SeenName,
  Segment,
  SegmentHistory,
  SegmentList,
  SegmentMembers,
  SegmentWhy,
  Session,
  Task,
  TemplatePreview,
  TemplateTestSend,
  Timeline,
  TimelineEvent,
  User,
  ValueDistribution,
  ValueMetric,
  ValueScatter,
  ValueValidation,
};
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message || `HTTP ${status}`);
  }
}

const TOKEN_KEY = 'rapport.adminToken';
/** The tab's storage, absent when the browser refuses it (then a reload asks again). */
function tabStorage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}
let token: string | null = tabStorage()?.getItem(TOKEN_KEY) ?? null;
const listeners = new Set<() => void>();

let session: Session | null = null;

/** Signs out of the token (null) or keeps it; the session goes with it either way. */
export function setToken(value: string | null): void {
  token = value;
  if (value === null) tabStorage()?.removeItem(TOKEN_KEY);
  else tabStorage()?.setItem(TOKEN_KEY, value);
  if (value === null) session = null;
  for (const listener of listeners) listener();
}
export function setSession(value: Session | null): void {
  session = value;
  for (const listener of listeners) listener();
}
export function currentSession(): Session | null {
  return session;
}
/** Whether the signed-in role has this permission (src/auth/access.ts). */
export function can(permission: string): boolean {
  return session?.permissions.includes(permission) ?? false;
}
export function hasToken(): boolean {
  return token !== null;
}
export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(
  method: string,
  path: string,
  options: { query?: Query; body?: unknown; auth?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  const auth = options.auth ?? (token ? `Bearer ${token}` : undefined);
  if (auth) headers.authorization = auth;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(withQuery(path, options.query), {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = { error: 'RAPPORT_NOT_JSON', message: text.slice(0, 200) };
  }
  if (!response.ok) {
    if (response.status === 401 && !options.auth && path !== '/api/session') setToken(null);
    const body = (parsed ?? {
      error: `HTTP_${response.status}`,
      message: response.statusText,
    }) as ApiErrorBody;
    throw new ApiError(response.status, body);
  }
  return parsed as T;
}

/** Fetches a download with the token in a header and hands it to the browser as a file. */
export async function download(path: string, filename: string): Promise<void> {
  const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok)
    throw new ApiError(response.status, { error: `HTTP_${response.status}`, message: await response.text() });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file the server makes from a JSON body (the people explorer's CSV), saved as `filename`. */
export async function downloadPosted(path: string, body: unknown, filename: string): Promise<void> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new ApiError(response.status, { error: `HTTP_${response.status}`, message: await response.text() });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- Shapes (from the OpenAPI document at /api/openapi.json) ----

// ---- Calls ----

/** An email the sandbox kept instead of sending (docs/channels.md, "The email sandbox"). */
export type CapturedEmail = CapturedEmailSummary;

export const api = {
  bandit: (placement: string, days?: number) =>
    request<BanditView>('GET', `/api/bandits/${encodeURIComponent(placement)}`, { query: { days } }),
  banditHistory: (placement: string, days?: number) =>
    request<BanditHistory>('GET', `/api/bandits/${encodeURIComponent(placement)}/history`, {
      query: { days },
    }),
  experiments: () => request<{ items: Experiment[] }>('GET', '/api/experiments'),
  saveExperiment: (experiment: Experiment) =>
    request<Experiment>('PUT', `/api/experiments/${encodeURIComponent(experiment.id)}`, { body: experiment }),
  deleteExperiment: (id: string) => request<void>('DELETE', `/api/experiments/${encodeURIComponent(id)}`),
  deleteFunnel: (id: string) => request<void>('DELETE', `/api/funnels/${encodeURIComponent(id)}`),
  experimentResults: (id: string) =>
    request<ExperimentResults>('GET', `/api/experiments/${encodeURIComponent(id)}/results`),
  holdoutLift: (event: string, days: number) =>
    request<ProgrammeLift | null>('GET', '/api/holdout/lift', { query: { event, days } }),
  status: () => request<Status>('GET', '/api/status'),
  eventsPerDay: (days: number) =>
    request<EventsPerDay>('GET', '/api/stats/events', { query: { by: 'day', days } }),
  messageStats: (range: { from?: string; to?: string } = {}) =>
    request<MessageStats>('GET', '/api/messages/stats', { query: range }),
  placementStats: (query: { from?: string; to?: string; goal?: string; window?: number } = {}) =>
    request<PlacementStats>('GET', '/api/placements/stats', { query }),
  deadLetters: (limit: number) => request<unknown>('GET', '/api/dead-letters', { query: { limit } }),
  profiles: (query: {
    q?: string;
    traits?: Record<string, string>;
    cursor?: string | null;
    limit?: number;
  }) => {
    const { traits = {}, ...rest } = query;
    const byTrait = Object.fromEntries(
      Object.entries(traits).map(([name, value]) => [`trait.${name}`, value]),
    );
    return request<ProfileList>('GET', '/api/profiles', {
      query: { ...rest, ...byTrait, limit: query.limit ?? 25 },
    });
  },
  lookup: (field: 'userId' | 'anonymousId' | 'email', value: string) =>
    request<Profile360>('GET', '/api/profiles/lookup', { query: { [field]: value } }),
  profile: (id: string) =>
    request<Profile360>('GET', `/api/profiles/${encodeURIComponent(id)}`, { query: { events: 0 } }),
  timeline: (id: string, cursor: string | null, limit = 20) =>
    request<Timeline>('GET', `/api/profiles/${encodeURIComponent(id)}/events`, { query: { cursor, limit } }),
  profileJourneys: (id: string, limit = 20) =>
    request<{ profileId: string; items: ProfileJourney[] }>(
      'GET',
      `/api/profiles/${encodeURIComponent(id)}/journeys`,
      { query: { limit } },
    ),
  consent: (id: string) => request<ConsentHistory>('GET', `/api/profiles/${encodeURIComponent(id)}/consent`),
  setConsent: (id: string, purposes: Record<string, string>, note?: string) =>
    request<ConsentAccepted>('PUT', `/api/profiles/${encodeURIComponent(id)}/consent`, {
      body: { purposes, ...(note ? { note } : {}) },
    }),
  erase: (id: string) => request<ErasureJob>('DELETE', `/api/profiles/${encodeURIComponent(id)}`),
  erasureJob: (id: string) => request<ErasureJob>('GET', `/api/erasure-jobs/${encodeURIComponent(id)}`),
  channelsOf: (id: string) =>
    request<ChannelPreferences>('GET', `/api/profiles/${encodeURIComponent(id)}/channels`),
  segments: () => request<SegmentList>('GET', '/api/segments'),
  segment: (id: string) => request<Segment>('GET', `/api/segments/${encodeURIComponent(id)}`),
  createSegment: (body: { id?: string; name: string; rule?: unknown; text?: string }) =>
    request<SavedSegment>('POST', '/api/segments', { body }),
  deleteSegment: (id: string) => request<void>('DELETE', `/api/segments/${encodeURIComponent(id)}`),
  updateSegment: (id: string, body: { name: string; rule?: unknown; text?: string }) =>
    request<SavedSegment>('PUT', `/api/segments/${encodeURIComponent(id)}`, { body }),
  preview: (body: { rule?: unknown; text?: string }, sample = 10) =>
    request<Preview>('POST', '/api/segments/preview', { query: { sample }, body }),
  segmentMembers: (id: string, cursor: string | null, limit = 20) =>
    request<SegmentMembers>('GET', `/api/segments/${encodeURIComponent(id)}/members`, {
      query: { cursor, limit },
    }),
  segmentsWithTrend: (days: number) =>
    request<{ segments: Array<Segment & { trend: MembershipPoint[] }> }>('GET', '/api/segments', {
      query: { trendDays: days },
    }),
  segmentHistory: (id: string, days: number) =>
    request<SegmentHistory>('GET', `/api/segments/${encodeURIComponent(id)}/history`, { query: { days } }),
  why: (segmentId: string, profileId: string) =>
    request<SegmentWhy>(
      'GET',
      `/api/segments/${encodeURIComponent(segmentId)}/members/${encodeURIComponent(profileId)}/why`,
    ),
  paths: (query: {
    from?: string;
    to?: string;
    steps?: number;
    top?: number;
    start?: string;
    segment?: string;
  }) => request<Paths>('GET', '/api/paths', { query }),
  funnels: () => request<FunnelList>('GET', '/api/funnels'),
  putFunnel: (id: string, body: unknown) =>
    request<FunnelSaved>('PUT', `/api/funnels/${encodeURIComponent(id)}`, { body }),
  funnel: (funnel: string, cohort?: string) =>
    request<FunnelReport>('GET', '/api/funnel', { query: { funnel, cohort } }),
  journeys: () => request<Journey[]>('GET', '/api/journeys'),
  journey: (id: string) => request<Journey>('GET', `/api/journeys/${encodeURIComponent(id)}`),
  saveJourney: (definition: unknown) => request<Journey>('POST', '/api/journeys', { body: definition }),
  previewTemplate: (input: {
    template: { subject?: string; body: string; html?: string };
    traits?: Record<string, unknown>;
  }) => request<TemplatePreview>('POST', '/api/templates/preview', { body: input }),
  previewTemplateFor: (input: { template: MessageTemplate; profileId: string }) =>
    request<TemplatePreview>('POST', '/api/templates/preview', { body: input }),
  testSendTemplate: (input: { template: MessageTemplate; to: string; profileId?: string }) =>
    request<TemplateTestSend>('POST', '/api/templates/test-send', { body: input }),
  names: () => request<Names>('GET', '/api/names'),
  checkJourney: (definition: unknown) =>
    request<{ ok: boolean; issues: JourneyIssue[] }>('POST', '/api/journeys/check', { body: definition }),
  journeyVersions: (id: string) =>
    request<JourneyVersion[]>('GET', `/api/journeys/${encodeURIComponent(id)}/versions`),
  journeyVersion: (id: string, version: number) =>
    request<JourneyVersionDocument>('GET', `/api/journeys/${encodeURIComponent(id)}/versions/${version}`),
  journeyStats: (id: string) => request<JourneyStats>('GET', `/api/journeys/${encodeURIComponent(id)}/stats`),
  allJourneyStats: () => request<Array<JourneyStats & { journeyId: string }>>('GET', '/api/journey-stats'),
  deleteJourney: (id: string) => request<void>('DELETE', `/api/journeys/${encodeURIComponent(id)}`),
  pauseJourney: (id: string) => request<Journey>('POST', `/api/journeys/${encodeURIComponent(id)}/pause`),
  resumeJourney: (id: string) => request<Journey>('POST', `/api/journeys/${encodeURIComponent(id)}/resume`),
  decisions: (query: { profileId?: string; journeyId?: string; limit?: number; before?: number | null }) =>
    request<{ items: Decision[] }>('GET', '/api/decisions', { query: { limit: 25, ...query } }),
  outbox: (query: { status?: string; profileId?: string; limit?: number; before?: number | null }) =>
    request<{ items: OutboxItem[] }>('GET', '/api/outbox', { query: { limit: 25, ...query } }),
  tasks: (query: { queue?: string; status?: string; limit?: number }) =>
    request<{ items: Task[] }>('GET', '/api/tasks', { query: { limit: 25, ...query } }),
  sandboxEmails: (query: {
    profileId?: string;
    journeyId?: string;
    before?: string | null;
    limit?: number;
  }) =>
    request<{ sandbox: boolean; items: CapturedEmail[] }>('GET', '/api/sandbox/emails', {
      query: { limit: 25, ...query },
    }),
  sandboxEmail: (id: string) =>
    request<CapturedEmailDetail>('GET', `/api/sandbox/emails/${encodeURIComponent(id)}`),
  placements: () => request<Placements>('GET', '/api/placements'),
  decide: (writeKey: string, placement: string, who: { userId?: string; anonymousId?: string }) =>
    request<Record<string, unknown>>('GET', '/v1/decide', {
      query: { placement, ...who },
      auth: `Basic ${btoa(`${writeKey}:`)}`,
    }),
  ranking: (order: 'top' | 'bottom', limit: number) =>
    request<Ranking>('GET', '/api/value/ranking', { query: { order, limit } }),
  renewals: (months: number) => request<Renewals>('GET', '/api/value/renewals', { query: { months } }),
  churnModel: () => request<ChurnModel>('GET', '/api/value/churn'),
  budget: (amount: number, costPerCustomer: number) =>
    request<Budget>('GET', '/api/value/budget', { query: { amount, costPerCustomer } }),
  refreshValue: () => request<Record<string, unknown>>('POST', '/api/value/refresh'),
  valueDistribution: (metric: ValueMetric, bins: number) =>
    request<ValueDistribution>('GET', '/api/value/distribution', { query: { metric, bins } }),
  valueScatter: (limit: number) => request<ValueScatter>('GET', '/api/value/scatter', { query: { limit } }),
  valueValidation: () => request<ValueValidation>('GET', '/api/value/validation'),
  adminTokens: () => request<AdminToken[]>('GET', '/api/admin-tokens'),
  createAdminToken: (name: string, role?: string) =>
    request<NewAdminToken>('POST', '/api/admin-tokens', { body: role ? { name, role } : { name } }),
  revokeAdminToken: (id: string, own = false) =>
    request<void>('DELETE', `/api/admin-tokens/${encodeURIComponent(id)}`, {
      query: own ? { confirm: 'revoke-self' } : undefined,
    }),
  channels: () => request<{ items: ChannelInfo[] }>('GET', '/api/channels'),
  testChannel: (name: string, to: string) =>
    request<ChannelTestSend>('POST', `/api/channels/${encodeURIComponent(name)}/test`, { body: { to } }),
  consentPurposes: () => request<ConsentPurposes>('GET', '/api/consent-purposes'),
  arbitrationPolicy: () => request<ArbitrationPolicyView>('GET', '/api/arbitration-policy'),
  saveArbitrationPolicy: (policy: ArbitrationPolicyDocument) =>
    request<ArbitrationPolicyView>('PUT', '/api/arbitration-policy', { body: policy }),
  writeKeys: () => request<Credential[]>('GET', '/api/write-keys'),
  createWriteKey: (name: string) => request<NewCredential>('POST', '/api/write-keys', { body: { name } }),
  revokeWriteKey: (id: string) => request<void>('DELETE', `/api/write-keys/${encodeURIComponent(id)}`),
  signingKey: () => request<{ key: string; algorithm: string }>('GET', '/api/channels/webhook-signing-key'),
  sendMessage: (body: Record<string, unknown>) =>
    request<{ idempotencyKey: string; profileId: string; queued: boolean }>('POST', '/api/messages', {
      body,
    }),
};

// ---- People and roles (docs/access.md) ----

export const access = {
  /** The session the cookie (or the token given) stands for; 401 when there is none. */
  session: (auth?: string) => request<Session>('GET', '/api/session', auth ? { auth } : {}),
  signIn: (name: string, password: string) =>
    request<Session>('POST', '/api/session', { body: { name, password }, auth: '' }),
  signOut: () => request<void>('DELETE', '/api/session'),
  changePassword: (current: string, password: string) =>
    request<void>('PUT', '/api/session/password', { body: { current, password } }),
  matrix: () => request<AccessMatrix>('GET', '/api/access'),
  users: () => request<User[]>('GET', '/api/users'),
  createUser: (name: string, role: string, password: string) =>
    request<User>('POST', '/api/users', { body: { name, role, password } }),
  updateUser: (id: string, changes: { role?: string; disabled?: boolean; password?: string }) =>
    request<User>('PATCH', `/api/users/${encodeURIComponent(id)}`, { body: changes }),
  audit: (query: Record<string, string | number | undefined>) =>
    request<{ items: AuditEntry[] }>('GET', '/api/audit', { query }),
};
