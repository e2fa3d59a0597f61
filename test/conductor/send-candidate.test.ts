import { describe, expect, it } from 'vitest';
import { candidateFromSend, type SendAction } from '../../src/conductor/index.ts';

const action: SendAction = {
  type: 'send',
  idempotencyKey: 'j:i:s:1',
  profileId: 'p',
  journeyId: 'j',
  instanceId: 'i',
  stepId: 's',
  channel: 'best',
  channels: ['email', 'sms'],
  template: { body: 'x' },
  offerId: undefined,
  purpose: 'marketing',
  kind: 'marketing',
  priority: 7,
  expectedValue: 3,
  onCapped: 'drop',
};

describe('candidateFromSend', () => {
  it('carries the idempotency key, ranking and cap policy into arbitration', () => {
    expect(candidateFromSend(action, 'sms')).toEqual({
      id: 'j:i:s:1',
      channel: 'sms',
      purpose: 'marketing',
      kind: 'marketing',
      priority: 7,
      expectedValue: 3,
      onCapped: 'drop',
      journeyId: 'j',
    });
  });

  it('refuses to move a send named for one channel onto another', () => {
    expect(() => candidateFromSend({ ...action, channel: 'email' }, 'sms')).toThrow(/is for email, not sms/);
  });
});
