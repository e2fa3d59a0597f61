// The dead-letter and quarantine routes the Operations page calls (docs/tracking-api.md,
// docs/quarantine.md). The dead letters' types are the server's TypeBox schemas' (types only);
// the quarantine's and the log's answers have no TypeBox source with required fields yet.
import type { DeadLetterAnswer as DeadLetter, DeadLetterReplay } from '../../src/ingest/schema.ts';
import { request } from './api.ts';

export type { DeadLetter, DeadLetterReplay };

export interface DeadLetterPage {
  total: number;
  items: DeadLetter[];
}
export interface QuarantinedEntry {
  id: number;
  processor: string;
  seq: number;
  messageId: string;
  source: string;
  receivedAt: string;
  body: string;
  error: string;
  stack: string | null;
  firstFailedAt: string;
  lastFailedAt: string;
  attempts: number;
  consecutive: number;
}
export interface QuarantinePage {
  total: number;
  byProcessor: Record<string, number>;
  items: QuarantinedEntry[];
  nextCursor: number | null;
}

export interface CompactionReport {
  startedAt: string;
  finishedAt: string;
  cutoff: string | null;
  readersAt: number;
  heldBackBy: string[];
  removed: number;
  chunks: number;
  removedThrough: number | null;
  reclaimedBytes: number;
}
export interface LogStatus {
  retentionMs: number | null;
  compactionIntervalMs: number;
  entries: number;
  oldestSeq: number | null;
  oldestReceivedAt: string | null;
  headSeq: number;
  compactedThrough: number;
  removedTotal: number;
  lastCompactedAt: string | null;
  sizeBytes: number;
  freeBytes: number | null;
  readers: Array<{ name: string; offset: number }>;
  readersAt: number;
  heldBackBy: string[];
  lastRun: CompactionReport | null;
}

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
  replayQuarantined: (id: number) =>
    request<{ outcome: 'replayed'; entry: QuarantinedEntry }>('POST', `/api/quarantine/${id}/replay`),
  discardQuarantined: (id: number) => request<void>('DELETE', `/api/quarantine/${id}`),
};
