// The journeys step on its own, on either engine: a conductor with no loops of its own on a
// throwaway data directory (and database), its clock stopped at `now`, and the log applied
// through the profiles and journeys steps until neither has work.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, inject } from 'vitest';
import { type Conductor, runJourneysStep, startConductor } from '../../src/conductor/runtime/index.ts';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/identity/index.ts';
import { runProfilesStep } from '../../src/pipeline/index.ts';
import { type LogEntry, openStateStore } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';

export interface StepEngine {
  name: string;
  postgres: boolean;
  enabled: boolean;
}

export function stepEngines(): StepEngine[] {
  const clusterUrl = inject('postgresUrl');
  return [
    { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
    { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
  ];
}

export const STEP_OPTIONS = { batchSize: 200, identity: DEFAULT_IDENTITY_CONFIG };

export interface JourneysStepWorld {
  /** The conductor of the running test (set by the world's beforeEach). */
  readonly conductor: Conductor;
  /** Appends the entries, then runs both steps until neither has work; every entry is consumed. */
  applyLog(entries: LogEntry[]): Promise<void>;
  profileOf(userId: string): Promise<string>;
}

/** Registers the hooks that give each test of the calling describe block its own conductor. */
export function journeysStepWorld(engine: StepEngine, prefix: string, now: Date): JourneysStepWorld {
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let conductor: Conductor;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), prefix));
    let databaseUrl: string | undefined;
    if (engine.postgres) {
      const database = await createTestDatabase(inject('postgresUrl'));
      dropDatabase = database.drop;
      databaseUrl = database.url;
      // The state store's schema first, as the server opens it (the conductor's is IF NOT EXISTS).
      await (await openStateStore({ dataDir, databaseUrl })).close();
    }
    conductor = await startConductor({
      location: { dataDir, databaseUrl },
      identity: DEFAULT_IDENTITY_CONFIG,
      clock: () => now,
      runLoops: false,
      onError: (error) => {
        throw error;
      },
    });
  }, 60_000);
  afterEach(async () => {
    await conductor.stop();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  return {
    get conductor() {
      return conductor;
    },
    // The journeys step appends its own events (Journey Entered), which the profiles step then reads.
    async applyLog(entries) {
      const state = conductor.state.state;
      await state.log.append(entries);
      for (let round = 0; round < 10; round++) {
        let work = 0;
        for (let n = await runProfilesStep(state); n > 0; n = await runProfilesStep(state)) work += n;
        for (
          let n = await runJourneysStep(conductor.state, STEP_OPTIONS);
          n > 0;
          n = await runJourneysStep(conductor.state, STEP_OPTIONS)
        )
          work += n;
        if (work === 0) break;
      }
      expect(await conductor.offset()).toBe(await state.log.headSeq());
    },
    async profileOf(userId) {
      const [identity] = await conductor.state.state.findIdentities([{ kind: 'user_id', value: userId }]);
      return identity?.profileId as string;
    },
  };
}
