// Starts one throwaway PostgreSQL cluster for the whole run unless RAPPORT_TEST_DATABASE_URL
// names one. Tests read the URL with inject('postgresUrl'); an empty string means "skip, and
// here is why" (inject('postgresSkipReason')). Under CI a missing PostgreSQL is a failure.
import type { TestProject } from 'vitest/node';
import { type CitusNodeInfo, citusUnavailableReason, startThrowawayCitus } from './citus.ts';
import { postgresUnavailableReason, startThrowawayPostgres } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    postgresSkipReason: string;
    /** Set when the PostgreSQL tests run on a local Citus cluster (RAPPORT_TEST_CITUS=1). */
    citus: { coordinator: CitusNodeInfo; workers: CitusNodeInfo[] } | null;
  }
}

export default async function setup(project: TestProject) {
  project.provide('citus', null);
  if (process.env.RAPPORT_TEST_CITUS === '1') return startCitus(project);
  const given = process.env.RAPPORT_TEST_DATABASE_URL;
  if (given) {
    project.provide('postgresUrl', given);
    project.provide('postgresSkipReason', '');
    return;
  }
  const reason = postgresUnavailableReason();
  if (reason) {
    if (process.env.CI) throw new Error(`PostgreSQL tests must run in CI: ${reason}`);
    project.provide('postgresUrl', '');
    project.provide(
      'postgresSkipReason',
      `PostgreSQL tests skipped: ${reason} and RAPPORT_TEST_DATABASE_URL is unset`,
    );
    return;
  }
  const cluster = await startThrowawayPostgres();
  project.provide('postgresUrl', cluster.url);
  project.provide('postgresSkipReason', '');
  return () => cluster.stop();
}

/**
 * RAPPORT_TEST_CITUS=1: the PostgreSQL tests run on a coordinator and two workers. Where Citus is
 * not installed they skip and say why, except under CI, which installs it.
 */
async function startCitus(project: TestProject) {
  const reason = postgresUnavailableReason() ?? citusUnavailableReason();
  if (reason) {
    if (process.env.CI) throw new Error(`the Citus tests must run in CI: ${reason}`);
    project.provide('postgresUrl', '');
    project.provide('postgresSkipReason', `Citus tests skipped: ${reason}`);
    return;
  }
  const cluster = await startThrowawayCitus();
  project.provide('postgresUrl', cluster.coordinator.url);
  project.provide('postgresSkipReason', '');
  project.provide('citus', { coordinator: cluster.coordinator, workers: cluster.workers });
  return () => cluster.stop();
}
