// Small journey documents for the conductor tests: a valid base and helpers to bend it.
import type { JourneyDefinition, Step } from '../../src/conductor/index.ts';

export function journey(steps: Step[], overrides: Partial<JourneyDefinition> = {}): JourneyDefinition {
  return {
    format: 1,
    id: 'welcome',
    version: 1,
    name: 'Welcome',
    entry: { kind: 'event', event: 'Signed Up' },
    reentry: { mode: 'once' },
    defaultTimeZone: 'Europe/Paris',
    start: steps[0]?.id ?? 'start',
    steps,
    ...overrides,
  };
}

export function send(id: string, next: string, extra: Partial<Extract<Step, { type: 'send' }>> = {}): Step {
  return {
    id,
    type: 'send',
    channel: 'email',
    purpose: 'marketing',
    template: { subject: 'Hello {{ traits.first_name }}', body: 'Welcome, {{ traits.first_name }}!' },
    next,
    ...extra,
  };
}

export const exit = (id = 'done'): Step => ({ id, type: 'exit' });
