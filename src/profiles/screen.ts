// What the tracking routes run on accepted messages before appending them: drop (and count)
// messages of erased people, and warn about consent entries the processor will ignore.
import type { AcceptedMessage, IngestWarning, ScreenedMessages } from '../events/index.ts';
import { consentChoicesOf } from './consent.ts';
import type { SuppressionList } from './suppression.ts';

export function privacyScreen(
  suppressions: SuppressionList,
  purposes: readonly string[],
): (accepted: AcceptedMessage[]) => ScreenedMessages {
  return (accepted) => {
    const { kept, droppedByJob } = suppressions.screen(accepted);
    const warnings: IngestWarning[] = [];
    for (const { message } of kept) {
      for (const problem of consentChoicesOf(message, purposes).problems) {
        warnings.push({ messageId: message.messageId, code: 'RAPPORT_CONSENT_INVALID', ...problem });
      }
    }
    const suppressed = accepted.length - kept.length;
    return {
      kept,
      suppressed,
      warnings,
      // A failed count must not fail the request: the client would resend and be counted twice.
      ...(suppressed > 0 ? { afterAppend: () => suppressions.record(droppedByJob).catch(() => {}) } : {}),
    };
  };
}
