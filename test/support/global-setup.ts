// Starts one throwaway PostgreSQL cluster for the whole run unless RAPPORT_TEST_DATABASE_URL
// names one. Tests read the URL with inject('postgresUrl'); an empty string means "skip, and
// here is why" (inject('postgresSkipReason')). Under CI a missing PostgreSQL is a failure.
import type { TestProject } from 'vitest/node';
import { postgresUnavailableReason, startThrowawayPostgres } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    postgresSkipReason: string;
  }
}

export default async function setup(project: TestProject) {
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
