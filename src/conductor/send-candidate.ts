// The bridge from a journey's send action to the arbitration candidate, once the channel is
// known (a named one, or the best channel chosen at send time).
import type { SendCandidate } from './arbitration/types.ts';
import type { SendAction } from './journey/actions.ts';
import type { Channel } from './journey/definition.ts';

export function candidateFromSend(action: SendAction, channel: Channel): SendCandidate {
  if (action.channel !== 'best' && action.channel !== channel) {
    throw new Error(`send ${action.idempotencyKey} is for ${action.channel}, not ${channel}`);
  }
  return {
    id: action.idempotencyKey,
    channel,
    purpose: action.purpose,
    kind: action.kind,
    priority: action.priority,
    expectedValue: action.expectedValue,
    onCapped: action.onCapped,
    journeyId: action.journeyId,
  };
}
