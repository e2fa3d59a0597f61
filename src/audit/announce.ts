// A belief whose verdict flips is announced in the log as a `Belief Flipped` event, so the conductor
// can act on it like on any event (a journey whose entry is `{ kind: 'event', event: 'Belief
// Flipped' }` opens a task for the analysts, posts a webhook to the team's chat…). Journeys run per
// person, so the event belongs to one profile standing for the audit itself (userId
// `rapport-audit`), marked by the trait `rapport_internal` so the audit does not count it among the
// customers. Message ids come from the flip (belief, instant, verdicts): a retried announcement is
// deduplicated by the log.
import { createHash } from 'node:crypto';
import { parsePayload } from '../events/index.ts';
import { INTERNAL_TRAIT } from '../profiles/index.ts';
import type { LogEntry } from '../store/index.ts';
import type { FlipOf, TestResult } from './types.ts';

export const BELIEF_FLIPPED = 'Belief Flipped';
export const AUDIT_USER_ID = 'rapport-audit';
export const AUDIT_SOURCE = 'rapport-audit';

export interface Announced extends FlipOf {
  result: TestResult;
}

const idOf = (...parts: string[]) =>
  `rapport-belief-${createHash('sha256').update(parts.join('\u0001')).digest('hex').slice(0, 40)}`;

function entry(message: Record<string, unknown>, type: 'track' | 'identify', receivedAt: Date): LogEntry {
  const parsed = parsePayload(message, type, { receivedAt });
  const accepted = parsed.accepted[0];
  if (!accepted)
    throw new Error(`belief event invalid: ${parsed.rejected[0]?.field}: ${parsed.rejected[0]?.reason}`);
  return {
    messageId: String(message.messageId),
    source: AUDIT_SOURCE,
    receivedAt: receivedAt.toISOString(),
    json: accepted.json,
  };
}

/** The log entries that announce these flips: the audit profile's mark, then one event per flip. */
export function flipEntries(flips: readonly Announced[], receivedAt: Date): LogEntry[] {
  if (flips.length === 0) return [];
  const mark = entry(
    {
      type: 'identify',
      userId: AUDIT_USER_ID,
      messageId: idOf('identity'),
      traits: { [INTERNAL_TRAIT]: 'audit', name: 'The assumption audit' },
      timestamp: flips[0]!.at,
    },
    'identify',
    receivedAt,
  );
  const events = flips.map((flip) =>
    entry(
      {
        type: 'track',
        userId: AUDIT_USER_ID,
        event: BELIEF_FLIPPED,
        messageId: idOf(flip.beliefId, flip.at, flip.from, flip.to),
        timestamp: flip.at,
        properties: {
          belief_id: flip.beliefId,
          statement: flip.statement,
          from_verdict: flip.from,
          to_verdict: flip.to,
          estimate: Number.isNaN(flip.estimate) ? null : flip.estimate,
          low: flip.result.low,
          high: flip.result.high,
          threshold: flip.result.threshold,
          people: flip.people,
          evidence: flip.result.evidence,
        },
        context: { rapport: { internal: true } },
      },
      'track',
      receivedAt,
    ),
  );
  return [mark, ...events];
}
