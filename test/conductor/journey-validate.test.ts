import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/conductor/index.ts';
import { validateJourney } from '../../src/conductor/index.ts';
import { exit, journey, send } from './fixtures.ts';

function issuesOf(input: unknown, context = {}) {
  const result = validateJourney(input, context);
  return result.ok ? [] : result.issues;
}

describe('validateJourney', () => {
  it('accepts a straight journey', () => {
    expect(validateJourney(journey([send('hello', 'done'), exit()])).ok).toBe(true);
  });

  it('names the step and field of a shape error', () => {
    const bad = journey([
      { id: 'w', type: 'wait', duration: { amount: -1, unit: 'days' }, next: 'done' },
      exit(),
    ]);
    const issues = issuesOf(bad);
    expect(issues[0]).toMatchObject({
      code: 'invalid_shape',
      stepId: 'w',
      field: '/steps/0/duration/amount',
    });
  });

  it('refuses a reference to a step that does not exist', () => {
    const issues = issuesOf(journey([send('hello', 'nowhere'), exit()]));
    expect(issues).toContainEqual(
      expect.objectContaining({ code: 'unknown_step', stepId: 'hello', field: '/steps/0/next' }),
    );
  });

  it('says an edge left unconnected (an empty reference) at its step and field, as the builder draws it', () => {
    const hold = {
      id: 'hold',
      type: 'waitForEvent' as const,
      event: 'Order Completed',
      timeout: { amount: 2, unit: 'days' as const },
      next: 'done',
      onTimeout: '',
    };
    const issues = issuesOf(journey([hold, exit()]));
    expect(issues).toEqual([
      {
        code: 'unknown_step',
        stepId: 'hold',
        field: '/steps/0/onTimeout',
        message: 'step hold is not connected: its onTimeout goes to no step',
      },
    ]);
  });

  it('says a send with no message, or an empty text, at its step', () => {
    const { template: _, ...noTemplate } = send('hello', 'done') as Extract<Step, { type: 'send' }>;
    expect(issuesOf({ ...journey([exit()]), start: 'hello', steps: [noTemplate, exit()] })).toEqual([
      expect.objectContaining({
        code: 'invalid_template',
        stepId: 'hello',
        field: '/steps/0/template',
        message: 'step hello sends nothing: choose a template from the library or write a message',
      }),
    ]);
    const empty = send('hello', 'done', { template: { subject: 'Hi', body: '' } });
    expect(issuesOf(journey([empty, exit()]))).toEqual([
      expect.objectContaining({
        code: 'invalid_template',
        stepId: 'hello',
        field: '/steps/0/template/body',
        message: 'step hello sends nothing: its message text is empty',
      }),
    ]);
  });

  it('refuses an unknown start', () => {
    const issues = issuesOf(journey([send('hello', 'done'), exit()], { start: 'missing' }));
    expect(issues).toContainEqual(expect.objectContaining({ code: 'unknown_step', field: '/start' }));
  });

  it('refuses duplicate step ids', () => {
    const issues = issuesOf(journey([send('hello', 'done'), send('hello', 'done'), exit()]));
    expect(issues).toContainEqual(expect.objectContaining({ code: 'duplicate_step', field: '/steps/1/id' }));
  });

  it('refuses unreachable steps', () => {
    const issues = issuesOf(journey([send('hello', 'done'), send('orphan', 'done'), exit()]));
    expect(issues).toEqual([expect.objectContaining({ code: 'unreachable_step', stepId: 'orphan' })]);
  });

  it('refuses a cycle with no wait on it and names its steps', () => {
    const steps = [
      send('a', 'b'),
      { id: 'b', type: 'branch' as const, cases: [{ rule: {}, next: 'a' }], otherwise: 'done' },
      exit(),
    ];
    const issues = issuesOf(journey(steps));
    expect(issues).toEqual([expect.objectContaining({ code: 'cycle_without_wait', stepId: 'a' })]);
    expect(issues[0]?.message).toContain('a → b → a');
  });

  it('accepts a cycle that passes through a wait', () => {
    const steps = [
      send('a', 'w'),
      { id: 'w', type: 'wait' as const, duration: { amount: 1, unit: 'days' as const }, next: 'b' },
      { id: 'b', type: 'branch' as const, cases: [{ rule: {}, next: 'a' }], otherwise: 'done' },
      exit(),
    ];
    expect(issuesOf(journey(steps))).toEqual([]);
  });

  it('refuses a journey with no exit, and steps that cannot reach one', () => {
    const loop = [
      { id: 'w', type: 'wait' as const, duration: { amount: 1, unit: 'days' as const }, next: 'a' },
      send('a', 'w'),
    ];
    expect(issuesOf(journey(loop)).map((i) => i.code)).toContain('no_exit');
    const trapped = [
      { id: 'b', type: 'branch' as const, cases: [{ rule: {}, next: 'w' }], otherwise: 'done' },
      ...loop,
      exit(),
    ];
    const issues = issuesOf(journey(trapped));
    expect(issues.filter((i) => i.code === 'no_exit').map((i) => i.stepId)).toEqual(['w', 'a']);
  });

  it('refuses splits whose percentages do not add up to 100', () => {
    const split = {
      id: 's',
      type: 'split' as const,
      arms: [
        { name: 'a', percent: 45, next: 'done' },
        { name: 'b', percent: 45, next: 'done' },
      ],
      holdout: { percent: 5, next: 'done' },
    };
    const issues = issuesOf(journey([split, exit()]));
    expect(issues).toEqual([
      expect.objectContaining({ code: 'split_not_100', stepId: 's', field: '/steps/0/arms' }),
    ]);
    split.holdout.percent = 10;
    expect(issuesOf(journey([split, exit()]))).toEqual([]);
  });

  it('refuses a holdout path that sends', () => {
    const split = {
      id: 's',
      type: 'split' as const,
      arms: [{ name: 'a', percent: 90, next: 'done' }],
      holdout: { percent: 10, next: 'mail' },
    };
    const issues = issuesOf(journey([split, send('mail', 'done'), exit()]));
    expect(issues).toEqual([expect.objectContaining({ code: 'holdout_sends', stepId: 's' })]);
  });

  it('refuses templates that do not parse, at save, naming the field', () => {
    const issues = issuesOf(
      journey([send('hello', 'done', { template: { subject: 'Hi', body: 'Hi {% if x %}' } }), exit()]),
    );
    expect(issues).toEqual([
      expect.objectContaining({ code: 'invalid_template', stepId: 'hello', field: '/steps/0/template/body' }),
    ]);
    expect(issues[0]?.message).toContain('does not parse');
  });

  it('refuses unknown filters (strict filters)', () => {
    const body = '{{ traits.first_name | shout }}';
    const issues = issuesOf(journey([send('hello', 'done', { template: { subject: 'Hi', body } }), exit()]));
    expect(issues.map((i) => i.code)).toEqual(['invalid_template']);
  });

  it('refuses variables that will not be available', () => {
    const body = 'Hi {{ traits.frist_name }}, your {{ offer.title }} from {{ secret }}';
    const issues = issuesOf(journey([send('hello', 'done', { template: { subject: 'Hi', body } }), exit()]), {
      traits: ['first_name'],
    });
    const messages = issues.map((i) => i.message).join('\n');
    expect(messages).toContain('traits has no frist_name');
    expect(messages).toContain('offer.title, which is not available');
    expect(messages).toContain('secret, which is not available');
  });

  it('makes the trigger event available only to event-triggered journeys', () => {
    const body = 'You applied for {{ event.properties.product }}';
    const steps = [send('hello', 'done', { template: { subject: 'Hi', body } }), exit()];
    expect(issuesOf(journey(steps))).toEqual([]);
    const bySegment = journey(steps, { entry: { kind: 'segment', segmentId: 'vip', on: 'entered' } });
    expect(issuesOf(bySegment).map((i) => i.code)).toEqual(['invalid_template']);
  });

  it('checks task titles and notes as templates too', () => {
    const task = {
      id: 't',
      type: 'createTask' as const,
      queue: 'sales',
      title: 'Call {{ person.nmae }}',
      next: 'done',
    };
    const issues = issuesOf(journey([task, exit()]));
    expect(issues).toEqual([expect.objectContaining({ stepId: 't', field: '/steps/0/title' })]);
  });

  it('passes branch rules to the injected rule validator', () => {
    const steps = [
      { id: 'b', type: 'branch' as const, cases: [{ rule: { bad: true }, next: 'done' }], otherwise: 'done' },
      exit(),
    ];
    const issues = issuesOf(journey(steps), { validateRule: () => ['unknown condition kind'] });
    expect(issues).toEqual([
      expect.objectContaining({ code: 'invalid_rule', stepId: 'b', field: '/steps/0/cases/0/rule' }),
    ]);
  });

  it('refuses unknown offers, bad zones and a best channel with nothing to choose from', () => {
    const steps = [send('hello', 'done', { channel: 'best', offerId: 'gone' }), exit()];
    const issues = issuesOf(journey(steps, { defaultTimeZone: 'Mars/Olympus' }), {
      offerExists: () => false,
    });
    expect(issues.map((i) => i.code).sort()).toEqual([
      'best_channel_without_channels',
      'invalid_time_zone',
      'unknown_offer',
    ]);
  });

  it('refuses at save a send that could only fail: email without a subject, a best step over email without one, a webhook without an address', () => {
    const noSubject = { body: 'Your parking permit' };
    const issues = issuesOf(
      journey([
        send('mail', 'best', { template: noSubject }),
        send('best', 'hook', { channel: 'best', channels: ['sms', 'email'], template: noSubject }),
        send('hook', 'done', { channel: 'webhook' }),
        exit(),
      ]),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'channel_cannot_send',
        stepId: 'mail',
        field: '/steps/0/template/subject',
      }),
      expect.objectContaining({
        code: 'channel_cannot_send',
        stepId: 'best',
        field: '/steps/1/template/subject',
      }),
      expect.objectContaining({ code: 'channel_cannot_send', stepId: 'hook', field: '/steps/2/to/url' }),
    ]);
    expect(issues[1]?.message).toBe('step best may send by email, and email needs a subject');
  });

  it('accepts a webhook send with its address, and SMS without a subject', () => {
    const ok = journey([
      send('hook', 'sms', { channel: 'webhook', to: { url: 'https://crm.example/hooks/rapport' } }),
      send('sms', 'done', { channel: 'sms', template: { body: 'Hi' } }),
      exit(),
    ]);
    expect(issuesOf(ok)).toEqual([]);
  });

  it('refuses an MJML html template that does not compile, at save, naming the field', () => {
    const html =
      '<mjml><mj-body><mj-section><mj-column><mj-nonsense>x</mj-nonsense></mj-column></mj-section></mj-body></mjml>';
    const issues = issuesOf(
      journey([send('hello', 'done', { template: { subject: 'Hi', body: 'x', html } }), exit()]),
    );
    expect(issues).toEqual([
      expect.objectContaining({ code: 'invalid_template', stepId: 'hello', field: '/steps/0/template/html' }),
    ]);
    expect(issues[0]?.message).toContain('MJML');
  });
});
