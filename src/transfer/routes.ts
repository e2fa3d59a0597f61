// The export endpoints of the admin API: GET /api/export/events and /api/export/profiles
// stream NDJSON, read from the stores in pages of a few thousand rows as the client consumes
// them (Readable.from pulls the next page only when the socket drains), so neither side
// holds more than a page whatever the size of the export.
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import type { EventReader, SegmentStore, StateStore } from '../store/index.ts';
import { type EventFilters, eventLine, eventPageQuery, profileLines } from './pages.ts';

export interface TransferRouteOptions {
  state: StateStore;
  events: EventReader;
  credentials: CredentialCache;
  /** Rows read per page from a store. */
  pageSize?: number;
  /** Segment membership, for `?segment=` on the profile export. */
  segments?: Pick<SegmentStore, 'getSegment' | 'listMembers'>;
}

const NDJSON = 'application/x-ndjson';
/** Readable.from buffers 16 chunks by default: 16 pages; hold one, read the next on demand. */
const ONE_PAGE_AHEAD = { objectMode: true, highWaterMark: 1 } as const;

const eventLineSchema = Type.Object(
  {},
  {
    description: 'A Segment message as stored, with context.rapport.profileId set to its profile',
    additionalProperties: true,
  },
);

const profileLineSchema = Type.Object({
  profileId: Type.String(),
  createdAt: Type.String(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  eventCount: Type.Integer(),
  identities: Type.Record(Type.String(), Type.Array(Type.String())),
  traits: Type.Record(Type.String(), Type.Unknown()),
});

const EventExportQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ description: 'events at or after this time (ISO 8601)' })),
    to: Type.Optional(Type.String({ description: 'events before this time (ISO 8601)' })),
    name: Type.Optional(Type.String({ description: 'track event or page/screen name' })),
    type: Type.Optional(
      Type.Union(['track', 'identify', 'page', 'screen', 'group', 'alias'].map((t) => Type.Literal(t))),
    ),
  },
  { additionalProperties: false },
);

const ProfileExportQuery = Type.Object(
  { segment: Type.Optional(Type.String({ description: 'only the members of this segment (its id)' })) },
  { additionalProperties: false },
);

function isoOrThrow(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) {
    throw new RapportError(
      'RAPPORT_API_BAD_REQUEST',
      `${name}: expected a date or time such as 2024-01-31 (got ${JSON.stringify(value)})`,
      {
        field: name,
      },
    );
  }
  return new Date(millis).toISOString();
}

async function* eventStream(
  events: EventReader,
  engine: StateStore['engine'],
  filters: EventFilters,
  pageSize: number,
) {
  let afterSeq = 0;
  for (;;) {
    const { sql, params } = eventPageQuery(engine, filters, afterSeq, pageSize);
    const rows = await events.query(sql, params);
    if (rows.length === 0) return;
    yield rows.map(eventLine).join('');
    afterSeq = Number(rows[rows.length - 1]?.seq);
    if (rows.length < pageSize) return;
  }
}

async function* profileStream(state: StateStore, pageSize: number) {
  let after: string | undefined;
  for (;;) {
    const profiles = await state.searchProfiles({
      ...(after !== undefined ? { afterId: after } : {}),
      limit: pageSize,
    });
    if (profiles.length === 0) return;
    const identities = await state.identitiesOfProfiles(profiles.map((p) => p.profileId));
    yield profileLines(profiles, identities);
    after = profiles[profiles.length - 1]?.profileId;
    if (profiles.length < pageSize) return;
  }
}

/** A segment's members, page by page in profile id order, with their profiles and identities. */
async function* segmentProfileStream(
  state: StateStore,
  segments: Pick<SegmentStore, 'listMembers'>,
  segmentId: string,
  pageSize: number,
) {
  let after: string | undefined;
  for (;;) {
    const members = await segments.listMembers(segmentId, {
      ...(after !== undefined ? { afterId: after } : {}),
      limit: pageSize,
    });
    if (members.length === 0) return;
    const ids = members.map((m) => m.profileId);
    const profiles = await state.searchProfiles({ profileIds: ids, limit: ids.length });
    if (profiles.length > 0) {
      const identities = await state.identitiesOfProfiles(profiles.map((p) => p.profileId));
      yield profileLines(profiles, identities);
    }
    after = members[members.length - 1]?.profileId;
    if (members.length < pageSize) return;
  }
}

export const transferRoutes: FastifyPluginAsyncTypebox<TransferRouteOptions> = async (app, options) => {
  const { state, events, credentials } = options;
  const pageSize = options.pageSize ?? 5000;
  const security = [{ adminToken: [] }];

  app.get(
    '/api/export/events',
    {
      config: { access: 'people:export' },
      schema: {
        tags: ['export'],
        summary: 'Every event in log order as NDJSON (one Segment message a line), streamed',
        security,
        querystring: EventExportQuery,
        response: {
          200: {
            description: 'NDJSON, one event a line',
            content: { [NDJSON]: { schema: Type.Unsafe<Readable>(eventLineSchema) } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const query = request.query;
      const filters: EventFilters = {
        from: isoOrThrow('from', query.from),
        to: isoOrThrow('to', query.to),
        name: query.name,
        type: query.type,
      };
      reply.type(NDJSON);
      return reply.send(Readable.from(eventStream(events, state.engine, filters, pageSize), ONE_PAGE_AHEAD));
    },
  );

  app.get(
    '/api/export/profiles',
    {
      config: { access: 'people:export' },
      schema: {
        tags: ['export'],
        summary: 'Every live (unmerged) profile as NDJSON with identities and trait values, streamed',
        security,
        querystring: ProfileExportQuery,
        response: {
          200: {
            description: 'NDJSON, one profile a line',
            // The reply is a stream of these lines.
            content: { [NDJSON]: { schema: Type.Unsafe<Readable>(profileLineSchema) } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { segment } = request.query;
      if (segment === undefined) {
        reply.type(NDJSON);
        return reply.send(Readable.from(profileStream(state, pageSize), ONE_PAGE_AHEAD));
      }
      // Checked before the first byte: an unknown segment is a 404, not an empty file.
      if (!options.segments || !(await options.segments.getSegment(segment))) {
        throw new RapportError('RAPPORT_SEGMENT_NOT_FOUND', `no segment ${segment}`, { field: 'segment' });
      }
      reply.type(NDJSON);
      return reply.send(
        Readable.from(segmentProfileStream(state, options.segments, segment, pageSize), ONE_PAGE_AHEAD),
      );
    },
  );
};
