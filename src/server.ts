// The composition root: opens the stores, starts the pipeline worker, and wires the routes.
// Nothing else lives here.
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { adminRoutes, corsOptions, installErrorHandler } from './api/index.ts';
import { attributionRoutes } from './attribution/index.ts';
import { AuditService, auditRoutes } from './audit/index.ts';
import {
  accessRoutes,
  adminTokenRoutes,
  CredentialCache,
  installAccess,
  requestForLog,
} from './auth/index.ts';
import {
  ChannelRuntime,
  channelAdminRoutes,
  channelSettingsRoutes,
  sandboxRoutes,
  trackingRoutes,
} from './channels/index.ts';
import {
  type ArbitrationPolicy,
  ArbitrationPolicyStore,
  arbitrationPolicyRoutes,
  type Conductor,
  type Channel as DeliveryChannel,
  journeyRoutes,
  pinnedPolicyFromEnvironment,
  type SalesLead,
  startConductor,
} from './conductor/runtime/index.ts';
import type { RapportConfig } from './config/index.ts';
import { ExperimentService, experimentRoutes } from './experiments/index.ts';
import {
  deadLetterRoutes,
  GroupCommitLog,
  IngestByteBudget,
  ingestRoutes,
  ThreadedLogWriter,
  WriteKeyRateLimits,
} from './ingest/index.ts';
import { LoyaltyStore, loyaltyRoutes, startLoyalty } from './loyalty/index.ts';
import { lifecycleStageIds, nameRoutes } from './names/index.ts';
import { pathRoutes } from './paths/index.ts';
import { peopleRoutes } from './people/index.ts';
import { PersonaService, personaRoutes } from './personas/index.ts';
import type { InjectedFault } from './pipeline/faults.ts';
import {
  DEFAULT_QUARANTINE_POLICY,
  everyProcessorPassed,
  logRoutes,
  type Pipeline,
  QuarantineReplays,
  quarantineRoutes,
  startPipeline,
  statusRoutes,
  type TestClock,
} from './pipeline/index.ts';
import { PersonCache, PlacementService, placementRoutes } from './placements/index.ts';
import {
  ErasureService,
  PurposeCatalog,
  privacyScreen,
  purposeRoutes,
  SuppressionList,
} from './profiles/index.ts';
import { recommendationRoutes } from './recommendations/index.ts';
import { recheckSegmentsOnComputedWrites, SegmentService, segmentRoutes } from './segments/index.ts';
import { statsRoutes } from './stats/index.ts';
import {
  openAccessStore,
  openChannelStore,
  openSegmentStore,
  openSpendStore,
  openStateStore,
  openTemplateStore,
  type StateStore,
  sqlitePathsIn,
} from './store/index.ts';
import { SurveyService, SurveyStore, surveyRoutes } from './surveys/index.ts';
import { TemplateService, templateRoutes } from './templates/index.ts';
import { transferRoutes } from './transfer/index.ts';
import { valueRoutes } from './value/index.ts';
import { serveDashboard } from './web/index.ts';

export interface RapportServer {
  app: FastifyInstance;
  state: StateStore;
  pipeline: Pipeline;
  ingestLog: GroupCommitLog;
  erasure: ErasureService;
  /** The delivery side: the outbox calls `channels.get(name).deliver(message)`. */
  channels: ChannelRuntime;
  /** Placements and offers behind `/v1/decide`. */
  placements: PlacementService;
  /** Experiments, their live plans (placement arms, bandit weights) and results. */
  experiments: ExperimentService;
  /** Journeys, timers, the outbox and arbitration (src/conductor/runtime/). */
  conductor: Conductor;
  /** Starts listening; resolves the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Tests only: the processors read time from this instead of the wall clock. */
  clock?: TestClock;
  /** Channels added to the registry (tests register an in-process one). */
  channels?: DeliveryChannel[];
  /**
   * Pins the arbitration policy, as RAPPORT_ARBITRATION_POLICY does (read-only over the API).
   * Without either, the policy stored through PUT /api/arbitration-policy applies.
   */
  arbitrationPolicy?: ArbitrationPolicy;
  conductorPollMs?: number;
  /** Benchmarks only: how long the processors let the log gather between small steps (src/pipeline/loop.ts). */
  pipelineGatherMs?: number;
  /** How often experiments' live plans (placement arms, bandit weights) are recomputed; 0: on save only. */
  experimentRefreshMs?: number;
  /** Tests only (src/pipeline/faults.ts): processors fail on chosen messages, as a bug would. */
  faults?: InjectedFault[];
}

export async function createServer(
  config: RapportConfig,
  options: ServerOptions = {},
): Promise<RapportServer> {
  const location = { databaseUrl: config.databaseUrl, dataDir: config.dataDir };
  const state = await openStateStore(location);
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: { req: requestForLog },
    },
    // Per-request lines at tens of thousands of events a second would cost more than ingest.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const quarantine = { ...DEFAULT_QUARANTINE_POLICY, maxConsecutive: config.quarantineMaxConsecutive };
  const pipeline = await startPipeline(
    new URL('./pipeline-worker-entry.mjs', import.meta.url),
    {
      location,
      identity: config.identity,
      consentPurposes: config.consentPurposes,
      batchSize: 2000,
      pollMs: 250,
      ...(options.pipelineGatherMs !== undefined ? { gatherMs: options.pipelineGatherMs } : {}),
      runProcessors: config.processors,
      logRetentionMs: config.logRetentionMs,
      logCompactionIntervalMs: config.logCompactionIntervalMs,
      ...(options.clock ? { clock: options.clock.buffer } : {}),
      quarantine,
      ...(options.faults ? { faults: options.faults } : {}),
    },
    { error: (message) => app.log.error(message) },
  );
  // The quarantine's replays: the journeys and loyalty runtimes register theirs; the worker's
  // processors answer every other name.
  const quarantineReplays = new QuarantineReplays((processor, id) =>
    pipeline.replayQuarantined(processor, id),
  );
  // Embedded: commits happen on a writer thread so their fsync does not stop this one.
  const logWriter =
    state.engine === 'sqlite'
      ? await ThreadedLogWriter.start(sqlitePathsIn(config.dataDir).logPath)
      : undefined;
  const ingestLog = new GroupCommitLog(logWriter ?? state.log, {
    maxPendingMessages: 200_000,
    maxBatchMessages: 20_000,
    onCommit: () => pipeline.wake(),
  });
  const credentials = new CredentialCache(state);
  // Users, sessions, token roles and the audit log (docs/access.md).
  const access = await openAccessStore(location);
  // Other processes on one PostgreSQL add suppressions too: refresh, and let an erasure wait
  // one refresh before it trusts that every process drops the person's messages.
  const suppressionRefreshMs = state.engine === 'postgres' ? 1000 : 0;
  const suppressions = new SuppressionList(state, config.identity);
  await suppressions.load(suppressionRefreshMs);
  const erasure = new ErasureService({
    state,
    events: pipeline,
    suppressions,
    identity: config.identity,
    audit: access,
    drainAppends: () => ingestLog.append([]),
    processorsPassed: everyProcessorPassed(state, pipeline),
    propagationMs: suppressionRefreshMs,
    onError: (message) => app.log.error(message),
  });

  let publicUrl = config.publicUrl;
  const channels = await ChannelRuntime.start({
    config,
    state,
    store: await openChannelStore(location),
    log: ingestLog,
    reader: pipeline,
    publicUrl: () => publicUrl ?? `http://${config.host}:${config.port}`,
  });
  const people = new PersonCache(state);
  erasure.onErased(({ identities }) => people.forgetIdentities(identities));
  const placements = await new PlacementService({
    store: channels.store,
    people,
    log: ingestLog,
    signer: channels.signer,
    publicUrl: () => publicUrl ?? `http://${config.host}:${config.port}`,
    warn: (message) => app.log.warn(message),
  }).start();

  // The loyalty ledger: erasure reaches it before the job says complete, the export includes it.
  // Its processor reads the log through the shared loop (offset `loyalty`, quarantine).
  const loyalty = await LoyaltyStore.open(location);
  const loyaltyRuntime = await startLoyalty({
    location,
    store: loyalty,
    identity: config.identity,
    append: (entries) => ingestLog.append(entries),
    runLoops: config.processors,
    runEveryMs: config.loyaltyRunMs,
    quarantine,
    quarantineReplays,
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.clock ? { now: () => options.clock!.now() } : {}),
    onError: (error) => app.log.error(error instanceof Error ? error : { error }, 'loyalty failed'),
  });
  app.addHook('onClose', async () => loyaltyRuntime.stop());
  erasure.onErased(async ({ profileIds }) => {
    await loyalty.eraseProfiles(profileIds);
  });
  // Survey answers: erased with the person, included in the export.
  const surveyStore = await SurveyStore.open(location);
  app.addHook('onClose', async () => surveyStore.close());
  erasure.onErased(async ({ profileIds }) => {
    await surveyStore.eraseProfiles(profileIds);
  });

  installErrorHandler(app);
  // Before every route plugin: the guard and the audit writer reach only routes registered after.
  const guard = installAccess(app, { credentials, access, origins: () => (publicUrl ? [publicUrl] : []) });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Rapport API', version: '0.1.0' },
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'rapport_session' },
          writeKey: {
            type: 'http',
            scheme: 'basic',
            description: 'write key as the username, empty password',
          },
        },
      },
    },
  });
  await app.register(cors, corsOptions(config.adminCorsOrigins));
  await app.register(accessRoutes, {
    store: access,
    guard,
    secureCookies: () => publicUrl?.startsWith('https:') ?? false,
  });
  await app.register(ingestRoutes, {
    log: ingestLog,
    budget: new IngestByteBudget(config.ingestMaxBytes),
    credentials,
    screen: privacyScreen(suppressions, config.consentPurposes),
    ...(config.rateLimit ? { rateLimits: new WriteKeyRateLimits(config.rateLimit) } : {}),
  });
  await app.register(deadLetterRoutes, {
    store: state.log,
    append: (entries, deadLetters) => ingestLog.append(entries, deadLetters),
    screen: privacyScreen(suppressions, config.consentPurposes),
  });
  await app.register(statusRoutes, { state, pipeline });
  await app.register(adminRoutes, {
    state,
    pipeline,
    credentials,
    profiles: {
      erasure,
      appendToLog: (entries) => ingestLog.append(entries),
      identity: config.identity,
      consentPurposes: config.consentPurposes,
      storage: location,
      exportSections: [
        (profileIds) => loyalty.exportOf(profileIds),
        (profileIds) => surveyStore.exportOf(profileIds),
        (profileIds) => channels.exportOf(profileIds),
        // The conductor starts later in this function; an export is asked for only once it runs.
        (profileIds) => conductor.exportOf(profileIds),
      ],
    },
  });
  // One segment store on this thread: the segment API and `GET /api/export/profiles?segment=`.
  const segments = await openSegmentStore(location);
  app.addHook('onClose', async () => segments.close());
  await app.register(transferRoutes, { state, events: pipeline, credentials, segments });
  const spend = await openSpendStore(location);
  app.addHook('onClose', async () => spend.close());
  await app.register(attributionRoutes, {
    credentials,
    events: pipeline,
    engine: location.databaseUrl ? 'postgres' : 'duckdb',
    profileMap: () => segments.profileMap(),
    spend,
    segments,
    now: () => (options.clock ? options.clock.now() : new Date()),
    // The experiments service is built below; it is only called once requests arrive.
    journeyIncrements: async (input) => (await experiments?.journeyIncrements(input)) ?? [],
  });
  // Computed properties are written without an event: the live segments re-read them.
  const computedWriter = recheckSegmentsOnComputedWrites(state, segments, () =>
    options.clock ? options.clock.now() : new Date(),
  );
  await app.register(personaRoutes, {
    personas: new PersonaService(
      { events: pipeline, state: computedWriter, profileMap: () => segments.profileMap() },
      () => (options.clock ? options.clock.now() : new Date()),
    ),
  });
  const surveys = new SurveyService({
    store: surveyStore,
    signer: channels.signer,
    state,
    append: (entries) => ingestLog.append(entries),
    events: pipeline,
    profileMap: () => segments.profileMap(),
    ...(options.clock ? { now: () => options.clock!.now() } : {}),
  });
  await app.register(surveyRoutes, {
    surveys,
    credentials,
    publicUrl: () => publicUrl ?? `http://${config.host}:${config.port}`,
  });
  // Survey offers in placements: the survey shown, its impression recorded as the survey's ask.
  placements.attachSurveys(async (surveyId, key, placementId) => {
    const shown = await surveys.forPlacement(surveyId, key, placementId);
    if ('unavailable' in shown) return shown;
    const base = publicUrl ?? `http://${config.host}:${config.port}`;
    return { survey: { ...shown.survey, pageUrl: `${base}${shown.survey.pageUrl}` } };
  });
  const audit = new AuditService(
    { events: pipeline, state, profileMap: () => segments.profileMap() },
    () => (options.clock ? options.clock.now() : new Date()),
    (entries) => ingestLog.append(entries),
  );
  await app.register(auditRoutes, { audit });
  if (config.beliefsRetestIntervalMs !== null) {
    const stopRetest = audit.retestEvery(config.beliefsRetestIntervalMs, (error) =>
      app.log.error({ err: error }, 'testing the beliefs again failed'),
    );
    app.addHook('onClose', async () => stopRetest());
  }
  const explorerSegments = new SegmentService({
    store: segments,
    state,
    events: pipeline,
    engine: location.databaseUrl ? 'postgres' : 'duckdb',
    wake: () => pipeline.wake(),
    now: () => (options.clock ? options.clock.now() : new Date()),
  });
  await app.register(peopleRoutes, {
    state,
    identity: config.identity,
    ruleMembers: (input) => explorerSegments.ruleMembers(input),
    surveyAnswers: (profileIds) => surveyStore.responsesOf(profileIds),
  });
  await app.register(segmentRoutes, {
    state,
    pipeline,
    credentials,
    location,
    store: segments,
    clock: options.clock,
  });
  // Paths read the warehouse with the segment store's merge map and a segment's members as filter.
  await app.register(pathRoutes, {
    events: pipeline,
    engine: location.databaseUrl ? 'postgres' : 'duckdb',
    profileMap: () => segments.profileMap(),
    segmentMembers: (id) => explorerSegments.allMembers(id),
    now: () => (options.clock ? options.clock.now() : new Date()),
  });
  // The conductor starts below, after the routes; a refresh can only run once the server listens.
  let salesTasks: ((leads: SalesLead[]) => Promise<number>) | undefined;
  await app.register(valueRoutes, {
    state: computedWriter,
    events: pipeline,
    credentials,
    refreshHours: config.valueRefreshHours,
    onLeadActions: async (actions) => salesTasks?.(actions),
    erasures: erasure,
  });
  await app.register(recommendationRoutes, {
    events: pipeline,
    state,
    settings: channels.store,
    append: (entries) => ingestLog.append(entries),
    credentials,
    schedule: config.processors,
    ...(options.clock ? { now: () => options.clock!.now() } : {}),
  });
  await app.register(loyaltyRoutes, { loyalty: loyaltyRuntime, credentials });
  await app.register(trackingRoutes, {
    signer: channels.signer,
    events: channels.events,
    warn: (m) => app.log.warn(m),
  });
  await app.register(channelAdminRoutes, { channels, credentials });
  await app.register(sandboxRoutes, { channels });
  if (channels.emailSandbox)
    app.log.warn('the email sandbox is on: emails are kept in Rapport, sent to no inbox');
  await app.register(placementRoutes, { placements, credentials });
  for (const channel of options.channels ?? []) channels.register(channel);
  const clock = options.clock;
  const now = () => (clock ? clock.now() : new Date()).toISOString();
  // Precedence (docs/arbitration.md): a policy pinned by the file or the option, else the stored one.
  const pinnedPolicy = options.arbitrationPolicy
    ? { policy: options.arbitrationPolicy, origin: 'the server’s arbitrationPolicy option' }
    : pinnedPolicyFromEnvironment();
  const policies = new ArbitrationPolicyStore(channels.store, pinnedPolicy);
  // Created below, once the pipeline it reads is up; the conductor asks it for bandit weights.
  let experiments: ExperimentService | undefined;
  const conductor = await startConductor({
    location,
    identity: config.identity,
    events: pipeline,
    channels,
    policy: await policies.policy(),
    ...(pinnedPolicy ? {} : { loadPolicy: () => policies.policy() }),
    ...(clock ? { clock: () => clock.now() } : {}),
    experiments: {
      splitWeights: (journeyId, stepId) => experiments?.splitWeights(journeyId, stepId),
      channelArm: (journeyId, profileId) => experiments?.channelArm(journeyId, profileId),
    },
    offers: (offerId) =>
      placements.current.offers.find((offer) => offer.id === offerId)?.content as
        | Record<string, unknown>
        | undefined,
    pollMs: options.conductorPollMs ?? 250,
    runLoops: config.processors,
    onError: (error) => app.log.error(error instanceof Error ? error : { error }, 'conductor step failed'),
    onLogAppended: () => pipeline.wake(),
    quarantine,
    quarantineReplays,
    ...(options.faults ? { faults: options.faults } : {}),
  });
  salesTasks = (leads) => conductor.service.createSalesTasks(leads);
  await app.register(journeyRoutes, { journeys: conductor.service, credentials });
  const templateStore = await openTemplateStore(location);
  app.addHook('onClose', async () => templateStore.close());
  const templates = new TemplateService({
    store: templateStore,
    uses: () => conductor.service.templateUses(),
    render: (input) => conductor.service.previewFor(input),
    testSend: (channel, input) => conductor.service.testSendOn(channel, input),
    now,
  });
  conductor.service.attachTemplateLibrary(templates);
  await app.register(templateRoutes, { templates });
  await app.register(quarantineRoutes, {
    quarantine: state.quarantine,
    credentials,
    replays: quarantineReplays,
  });
  await app.register(statsRoutes, {
    events: pipeline,
    engine: location.databaseUrl ? 'postgres' : 'duckdb',
    log: state.log,
    decisions: conductor.store,
    offers: () => placements.current.offers,
    credentials,
    ...(clock ? { now: () => clock.now() } : {}),
  });
  experiments = await new ExperimentService({
    settings: channels.store,
    events: pipeline,
    engine: location.databaseUrl ? 'postgres' : 'duckdb',
    profileMap: () => segments.profileMap(),
    appendToLog: (entries) => ingestLog.append(entries),
    ...(clock ? { now: () => clock.now() } : {}),
    globalHoldout: async () => (await policies.policy()).globalHoldout,
    offers: () => placements.current.offers,
    warn: (message) => app.log.warn(message),
    ...(options.experimentRefreshMs !== undefined ? { planRefreshMs: options.experimentRefreshMs } : {}),
  }).start();
  app.addHook('onClose', async () => experiments?.stop());
  erasure.onErased(({ identities }) => experiments?.forgetIdentities(identities));
  placements.attachExperiments((placementId, key, nowMs) =>
    experiments?.placementArm(placementId, key, nowMs),
  );
  await app.register(experimentRoutes, { credentials, experiments });
  await app.register(adminTokenRoutes, { state, credentials, guard });
  await app.register(logRoutes, {
    state,
    pipeline,
    credentials,
    retentionMs: config.logRetentionMs,
    compactionIntervalMs: config.logCompactionIntervalMs,
  });
  // Purposes seeded by RAPPORT_CONSENT_PURPOSES, changed through the API: one live array.
  const purposes = await new PurposeCatalog({
    settings: channels.store,
    live: config.consentPurposes,
    usesOf: async (purpose) => [
      ...channels
        .names()
        .filter((name) => channels.get(name)?.purpose.toLowerCase() === purpose.toLowerCase())
        .map((name) => `the ${name} channel`),
      ...(await conductor.service.purposeUses(purpose)),
    ],
    onChange: (active) => pipeline.setConsentPurposes(active),
    now,
  }).load();
  await app.register(purposeRoutes, { purposes });
  await app.register(channelSettingsRoutes, {
    channels,
    credentials,
    consentPurposes: config.consentPurposes,
    purposeEntries: () => purposes.list(),
    logDecisions: (rows) => conductor.store.logDecisions(rows),
    now,
  });
  await app.register(arbitrationPolicyRoutes, { policies, credentials, wake: () => conductor.wake(), now });
  await app.register(nameRoutes, {
    sources: {
      engine: location.databaseUrl ? 'postgres' : 'duckdb',
      query: (sql, params) => pipeline.query(sql, params),
      segments: async () => (await segments.listSegments()).map(({ id, name }) => ({ id, name })),
      stages: async () => lifecycleStageIds(await segments.listFunnels()),
      purposes: () => config.consentPurposes,
      channels: () => channels.names(),
    },
  });
  app.get(
    '/health',
    { config: { access: 'public' }, schema: { tags: ['operations'], summary: 'Ready to take traffic' } },
    async () => ({
      status: 'ok',
    }),
  );
  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  await serveDashboard(app);
  await erasure.resumeUnfinished();

  return {
    app,
    state,
    pipeline,
    ingestLog,
    erasure,
    channels,
    placements,
    experiments,
    conductor,
    async listen() {
      const url = await app.listen({ port: config.port, host: config.host });
      publicUrl ??= url;
      return url;
    },
    async close() {
      await app.close();
      await access.close();
      suppressions.stop();
      await erasure.close();
      await ingestLog.close();
      await logWriter?.close();
      // The outbox delivers through the channels: stop it before they close.
      await conductor.stop();
      placements.stop();
      await channels.close();
      await pipeline.stop();
      await state.close();
    },
  };
}
