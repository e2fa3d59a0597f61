// The experiments at run time: definitions (store.ts), assignment with its exposure event, and
// results read from the warehouse (sql/metrics.ts) and turned into statistics (results.ts).
import { createHash } from 'node:crypto';
import { parsePayload } from '../events/index.ts';
import type { LogEntry } from '../store/index.ts';
import { type AssignmentOutcome, assignment, unitKey } from './assign.ts';
import { checkExperiment, type Experiment, metricsOf } from './definition.ts';
import { type ExperimentResults, experimentResults } from './results.ts';
import { armRows, type Engine, type ExposureSource, metricQuery } from './sql/metrics.ts';
import { ExperimentStore, type SettingsPort } from './store.ts';

/** Segment's spec event for an exposure; recommendations log theirs with the same shape. */
export const EXPOSURE_EVENT = 'Experiment Viewed';
export const EXPERIMENTS_SOURCE = 'rapport-experiments';

export interface ExperimentServiceDeps {
  settings: SettingsPort;
  events: { query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> };
  engine: Engine;
  profileMap(): Promise<Map<string, string>>;
  appendToLog(entries: LogEntry[]): Promise<unknown>;
  now?: () => Date;
  warn?: (message: string) => void;
}

export interface AssignRequest {
  experimentId: string;
  userId?: string | undefined;
  anonymousId?: string | undefined;
}

export class ExperimentService {
  readonly store: ExperimentStore;

  constructor(private readonly deps: ExperimentServiceDeps) {
    this.store = new ExperimentStore(deps.settings);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Event names the warehouse has seen, to refuse a metric with a misspelt event. */
  async knownEvents(): Promise<Set<string>> {
    const rows = await this.deps.events.query("SELECT DISTINCT name FROM events WHERE type = 'track'");
    return new Set(rows.map((row) => String(row.name)));
  }

  async save(input: unknown): Promise<Experiment> {
    const experiment = checkExperiment(input, await this.knownEvents());
    await this.store.put(experiment);
    return experiment;
  }

  /** The arm, and for a running experiment the exposure in the log (once per person: its id is fixed). */
  async assign(
    request: AssignRequest,
  ): Promise<AssignmentOutcome & { experiment: Experiment; unit: string }> {
    const experiment = await this.store.get(request.experimentId);
    const unit = unitKey(request) as string;
    const outcome = assignment(experiment, unit, this.now());
    if (outcome.inExperiment) await this.logExposure(experiment, outcome.arm, request, unit);
    return { ...outcome, experiment, unit };
  }

  private async logExposure(
    experiment: Experiment,
    arm: Experiment['arms'][number],
    request: AssignRequest,
    unit: string,
  ): Promise<void> {
    const receivedAt = this.now();
    const messageId = `exposure:${createHash('sha256').update(`${experiment.id}\u0000${unit}`).digest('hex').slice(0, 32)}`;
    const parsed = parsePayload(
      {
        ...(request.userId ? { userId: request.userId } : {}),
        ...(request.anonymousId ? { anonymousId: request.anonymousId } : {}),
        type: 'track',
        event: EXPOSURE_EVENT,
        messageId,
        timestamp: receivedAt.toISOString(),
        properties: {
          experiment_id: experiment.id,
          experiment_name: experiment.name,
          variation_id: arm.id,
          variation_name: arm.name,
        },
      },
      'track',
      { receivedAt },
    );
    const accepted = parsed.accepted[0];
    if (!accepted) return;
    await this.deps.appendToLog([
      { messageId, source: EXPERIMENTS_SOURCE, receivedAt: receivedAt.toISOString(), json: accepted.json },
    ]);
  }

  async results(id: string): Promise<ExperimentResults> {
    const experiment = await this.store.get(id);
    const profileMap = await this.deps.profileMap();
    const exposure = exposureSource(experiment);
    const rowsByMetric = [];
    for (const { metric, role } of metricsOf(experiment)) {
      const query = metricQuery({ engine: this.deps.engine, exposure, metric, profileMap });
      rowsByMetric.push({
        metric,
        role,
        rows: armRows(await this.deps.events.query(query.text, query.params)),
      });
    }
    return experimentResults(experiment, rowsByMetric);
  }
}

export function exposureSource(experiment: Experiment): ExposureSource {
  const attachment = experiment.attachment;
  if (attachment.kind === 'journey') {
    return { kind: 'journey', journeyId: attachment.journeyId, stepId: attachment.stepId };
  }
  return { kind: 'experiment', experimentId: experiment.id };
}
