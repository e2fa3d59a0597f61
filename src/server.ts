// The composition root: opens the stores, starts the pipeline worker, and wires the routes.
// Nothing else lives here.
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { adminRoutes } from './api/index.ts';
import { CredentialCache } from './auth/index.ts';
import type { RapportConfig } from './config/index.ts';
import { isRapportError } from './errors/index.ts';
import { GroupCommitLog, ingestRoutes } from './ingest/index.ts';
import { type Pipeline, startPipeline } from './pipeline/index.ts';
import { openStateStore, type StateStore } from './store/index.ts';
import { refreshHoursFrom, valueRoutes } from './value/index.ts';

export interface RapportServer {
  app: FastifyInstance;
  state: StateStore;
  pipeline: Pipeline;
  ingestLog: GroupCommitLog;
  /** Starts listening; resolves the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

function errorHandler(app: FastifyInstance) {
  app.setErrorHandler((error, request, reply) => {
    if (isRapportError(error)) {
      const retryAfter = error.details?.retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('Retry-After', String(retryAfter));
      if (error.kind !== 'user') request.log.warn({ code: error.code }, error.message);
      return reply.code(error.status).send(error.toJSON());
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) {
      return reply.code(status).send({ error: 'RAPPORT_API_BAD_REQUEST', message: (error as Error).message });
    }
    request.log.error(error);
    return reply.code(500).send({ error: 'RAPPORT_INTERNAL', message: 'internal error; it has been logged' });
  });
}

export async function createServer(config: RapportConfig): Promise<RapportServer> {
  const location = { databaseUrl: config.databaseUrl, dataDir: config.dataDir };
  const state = await openStateStore(location);
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    // Per-request lines at tens of thousands of events a second would cost more than ingest.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const pipeline = await startPipeline(
    { location, identity: config.identity, batchSize: 2000, pollMs: 250, runProcessors: config.processors },
    { error: (message) => app.log.error(message) },
  );
  const ingestLog = new GroupCommitLog(state.log, {
    maxPendingMessages: 200_000,
    maxBatchMessages: 20_000,
    onCommit: () => pipeline.wake(),
  });
  const credentials = new CredentialCache(state);

  errorHandler(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Rapport API', version: '0.1.0' },
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer' },
          writeKey: {
            type: 'http',
            scheme: 'basic',
            description: 'write key as the username, empty password',
          },
        },
      },
    },
  });
  await app.register(cors, {
    origin: true,
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Retry-Count'],
    maxAge: 86_400,
  });
  await app.register(ingestRoutes, { log: ingestLog, credentials });
  await app.register(adminRoutes, { state, pipeline, credentials });
  await app.register(valueRoutes, {
    state,
    events: pipeline,
    credentials,
    refreshHours: refreshHoursFrom(process.env),
  });
  app.get('/health', { schema: { tags: ['operations'], summary: 'Ready to take traffic' } }, async () => ({
    status: 'ok',
  }));
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return {
    app,
    state,
    pipeline,
    ingestLog,
    async listen() {
      return app.listen({ port: config.port, host: config.host });
    },
    async close() {
      await app.close();
      await ingestLog.close();
      await pipeline.stop();
      await state.close();
    },
  };
}
