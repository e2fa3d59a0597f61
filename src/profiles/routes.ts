// Profile routes of the admin API: the 360 view, list and search, the event timeline,
// consent, erasure (GDPR art. 17) and export (art. 15, 20). Handlers call the profiles door.
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorSchema, RapportError, type Typed } from '../errors/index.ts';
import type { IdentityConfig } from '../identity/index.ts';
import {
  type ErasureJob,
  type EventReader,
  type LogEntry,
  openSegmentStore,
  type StateStore,
  type StorageLocation,
} from '../store/index.ts';
import { adminConsentChange } from './admin-consent.ts';
import type { ErasureService } from './erasure.ts';
import { type ExportSection, exportHeader, exportProfile } from './export.ts';
import {
  ConsentAccepted,
  ConsentHistory,
  consentBody,
  ErasureJob as ErasureJobAnswer,
  exportSchema,
  idParams,
  lookupQuery,
  Profile360,
  ProfileList,
  profileListQuery,
  profileQuery,
  Timeline,
  timelineQuery,
} from './schema.ts';
import { profileTimeline, searchProfiles } from './search.ts';
import { buildProfileView, lookupProfileId, survivorOf } from './view.ts';

export interface ProfileApiOptions {
  state: StateStore;
  /** The pipeline as these routes use it: the events it reads, and a wake after an erasure. */
  pipeline: EventReader & { wake(): void };
  erasure: ErasureService;
  /** Appends to the ingest log (group-committed): admin consent changes travel through it. */
  appendToLog(entries: LogEntry[]): Promise<void>;
  identity: IdentityConfig;
  consentPurposes: readonly string[];
  /** Where the segments processor keeps memberships and stages, shown on a profile; omitted: not shown. */
  storage?: StorageLocation;
  /** Other capabilities' data about the person, added to the export (the loyalty ledger). */
  exportSections?: ExportSection[];
}

const LOOKUP_FIELDS = { userId: 'user_id', anonymousId: 'anonymous_id', email: 'email' } as const;

/** The export is streamed JSON (exportProfile writes it, past the serializer); exportSchema documents it. */
const exportAnswer: Typed<Readable> & typeof exportSchema = Type.Unsafe(exportSchema) as never;

/** The job without the identifiers it keeps while running. */
function publicJob(job: ErasureJob): Omit<ErasureJob, 'work'> {
  const { work: _identifiers, ...rest } = job;
  return rest;
}

export const profileRoutes: FastifyPluginAsyncTypebox<ProfileApiOptions> = async (app, options) => {
  const { state, pipeline, erasure } = options;
  const security = [{ adminToken: [] }];
  const purposes = options.consentPurposes;
  const segments = options.storage ? await openSegmentStore(options.storage) : undefined;
  if (segments) app.addHook('onClose', async () => segments.close());

  /** 410 with the job for an erased id, 404 otherwise. */
  async function missing(id: string, what = `no profile ${id}`): Promise<RapportError> {
    const job = await erasure.jobErasing(id);
    if (job) {
      return new RapportError(
        'RAPPORT_PROFILE_ERASED',
        `profile ${id} was erased (job ${job.id}, ${job.status})`,
        {
          jobId: job.id,
        },
      );
    }
    return new RapportError('RAPPORT_API_NOT_FOUND', what);
  }

  app.get(
    '/api/profiles',
    {
      config: { access: 'read' },
      schema: {
        tags: ['profiles'],
        summary: 'List and search profiles: by identifier, trait values (trait.NAME=value), last seen',
        security,
        querystring: profileListQuery,
        response: { 200: ProfileList, '4xx': errorSchema },
      },
    },
    async (request) => {
      const query = request.query;
      const traits: Record<string, string> = {};
      // trait.NAME=value pairs arrive beside the named fields (the schema's patternProperties).
      for (const [key, value] of Object.entries(query)) {
        if (key.startsWith('trait.') && typeof value === 'string') traits[key.slice(6)] = value;
      }
      return searchProfiles(state, options.identity, {
        ...(query.q !== undefined ? { q: query.q } : {}),
        ...(Object.keys(traits).length > 0 ? { traits } : {}),
        ...(query.lastSeenAfter !== undefined ? { lastSeenAfter: query.lastSeenAfter } : {}),
        ...(query.lastSeenBefore !== undefined ? { lastSeenBefore: query.lastSeenBefore } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
        limit: query.limit ?? 50,
      });
    },
  );

  app.get(
    '/api/profiles/lookup',
    {
      config: { access: 'read' },
      schema: {
        tags: ['profiles'],
        summary: 'Find a profile by userId, anonymousId or email',
        security,
        querystring: lookupQuery,
        response: { 200: Profile360, '4xx': errorSchema },
      },
    },
    async (request) => {
      const query = request.query;
      const field = (Object.keys(LOOKUP_FIELDS) as (keyof typeof LOOKUP_FIELDS)[]).find((f) => query[f]);
      const raw = field && query[field];
      if (!field || !raw)
        throw new RapportError('RAPPORT_API_BAD_REQUEST', 'give one of userId, anonymousId or email');
      const value = field === 'email' ? raw.trim().toLowerCase() : raw;
      const profileId = await lookupProfileId(state, { kind: LOOKUP_FIELDS[field], value });
      const view = profileId
        ? await buildProfileView(state, pipeline, profileId, { eventLimit: 20, purposes, segments })
        : undefined;
      if (!view)
        throw new RapportError('RAPPORT_API_NOT_FOUND', `no profile has ${field} ${JSON.stringify(raw)}`);
      return view;
    },
  );

  app.get(
    '/api/profiles/:id',
    {
      config: { access: 'read' },
      schema: {
        tags: ['profiles'],
        summary:
          'A profile (360): traits with their source, identities, merges, consent, computed properties, latest events',
        security,
        params: idParams,
        querystring: profileQuery,
        response: { 200: Profile360, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { events } = request.query;
      const view = await buildProfileView(state, pipeline, id, {
        eventLimit: events ?? 20,
        purposes,
        segments,
      });
      if (!view) throw await missing(id);
      return view;
    },
  );

  app.get(
    '/api/profiles/:id/events',
    {
      config: { access: 'read' },
      schema: {
        tags: ['profiles'],
        summary:
          "A profile's event timeline, newest first, across merged profiles, with filters and a cursor",
        security,
        params: idParams,
        querystring: timelineQuery,
        response: { 200: Timeline, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { limit, ...filters } = request.query;
      const timeline = await profileTimeline(state, pipeline, id, { ...filters, limit: limit ?? 50 });
      if (!timeline) throw await missing(id);
      return timeline;
    },
  );

  app.get(
    '/api/profiles/:id/consent',
    {
      config: { access: 'read' },
      schema: {
        tags: ['consent'],
        summary: 'Current consent per purpose and the full history of decisions',
        security,
        params: idParams,
        response: { 200: ConsentHistory, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const view = await buildProfileView(state, pipeline, id, { eventLimit: 0, purposes });
      if (!view) throw await missing(id);
      const history = await state.consentHistoryOf([view.profileId, ...view.mergedFrom]);
      return { profileId: view.profileId, consent: view.consent, history };
    },
  );

  app.put(
    '/api/profiles/:id/consent',
    {
      config: { access: 'privacy:write' },
      schema: {
        tags: ['consent'],
        summary:
          'Record consent decisions; they go through the ingest log (source admin-api) like SDK consent',
        security,
        params: idParams,
        body: consentBody,
        response: { 202: ConsentAccepted, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await survivorOf(state, id))) throw await missing(id);
      const change = await adminConsentChange(state, id, request.body, purposes, request.body.note);
      await options.appendToLog([change.entry]);
      pipeline.wake();
      const { profileId, messageId } = change;
      return reply.code(202).send({ profileId, messageId, purposes: change.purposes, status: 'queued' });
    },
  );

  app.delete(
    '/api/profiles/:id',
    {
      config: { access: 'privacy:write' },
      schema: {
        tags: ['privacy'],
        summary: 'Erase the person (GDPR art. 17) from every store; answers 202 with a job to follow',
        security,
        params: idParams,
        response: { 202: ErasureJobAnswer, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { job, existing } = await erasure.request(id);
      reply.header('Location', `/api/erasure-jobs/${job.id}`);
      if (existing) request.log.info({ jobId: job.id }, 'erase of an already erased profile id');
      return reply.code(202).send(publicJob(job));
    },
  );

  app.get(
    '/api/erasure-jobs/:id',
    {
      config: { access: 'read' },
      schema: {
        tags: ['privacy'],
        summary: 'An erasure job: status, each step, and messages dropped since',
        security,
        params: idParams,
        response: { 200: ErasureJobAnswer, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const job = await state.getErasureJob(id);
      if (!job) throw new RapportError('RAPPORT_API_NOT_FOUND', `no erasure job ${id}`);
      return publicJob(job);
    },
  );

  app.get(
    '/api/profiles/:id/export',
    {
      config: { access: 'people:export' },
      schema: {
        tags: ['privacy'],
        summary: 'Everything held about the person as JSON (GDPR art. 15 and 20), streamed',
        security,
        params: idParams,
        response: { 200: exportAnswer, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const view = await exportHeader(state, pipeline, id, { purposes });
      if (!view) throw await missing(id);
      reply.header('content-disposition', `attachment; filename="profile-${view.profileId}.json"`);
      return reply
        .type('application/json')
        .send(Readable.from(exportProfile(state, pipeline, view, options.exportSections)));
    },
  );
};
