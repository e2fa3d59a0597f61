// The dead-letter, quarantine and log routes the Operations page calls (docs/tracking-api.md,
// docs/quarantine.md, docs/architecture.md "Retention and compaction"). Their types are the
// server's TypeBox schemas' (types only).
import type {
  DeadLetterAnswer as DeadLetter,
  DeadLetterPage,
  DeadLetterReplay,
} from '../../src/ingest/schema.ts';
import type {
  CompactionReport,
  LogStatus,
  QuarantinedEntry,
  QuarantinePage,
  QuarantineReplayed,
} from '../../src/pipeline/schema.ts';
import { request } from './api.ts';

export type {
  CompactionReport,
  DeadLetter,
  DeadLetterPage,
  DeadLetterReplay,
  LogStatus,
  QuarantinedEntry,
  QuarantinePage,
};

export const operations = {
  log: () => request<LogStatus>('GET', '/api/log'),
  compactLog: () => request<CompactionReport>('POST', '/api/log/compact'),
  deadLetters: (limit: number, before?: number) =>
    request<DeadLetterPage>('GET', '/api/dead-letters', { query: { limit, before } }),
  replayDeadLetter: (id: number, message?: unknown) =>
    request<DeadLetterReplay>('POST', `/api/dead-letters/${id}/replay`, {
      body: message === undefined ? {} : { message },
    }),
  discardDeadLetter: (id: number) => request<void>('DELETE', `/api/dead-letters/${id}`),
  quarantine: (limit: number, processor?: string, after?: number) =>
    request<QuarantinePage>('GET', '/api/quarantine', { query: { limit, processor, after } }),
  replayQuarantined: (id: number) => request<QuarantineReplayed>('POST', `/api/quarantine/${id}/replay`),
  discardQuarantined: (id: number) => request<void>('DELETE', `/api/quarantine/${id}`),
};
