// A send step naming a library template, checked without a server (library.ts through
// validateJourney): the content copied in with where it came from, an inline message written
// beside a reference replaced, a `best` step over two channels refused for a one-channel template,
// a variable the journey cannot provide refused at the copied field, and no library at all.
import { describe, expect, it } from 'vitest';
import type { LibraryVersion, Step } from '../../src/conductor/index.ts';
import { validateJourney } from '../../src/conductor/index.ts';
import { exit, journey, send } from './fixtures.ts';

const versions: LibraryVersion[] = [
  {
    id: 'hello',
    name: 'Hello',
    channel: 'email',
    status: 'active',
    version: 1,
    template: { subject: 'v1', body: 'one' },
  },
  {
    id: 'hello',
    name: 'Hello',
    channel: 'email',
    status: 'active',
    version: 2,
    template: { subject: 'v2', body: 'two {{ event.properties.x }}' },
  },
];
const templates = (id: string, version: number | undefined) =>
  versions.filter((v) => v.id === id && (version === undefined || v.version === version)).at(-1);

const referring = (extra: Partial<Extract<Step, { type: 'send' }>>) => {
  const { template: _inline, ...step } = send('mail', 'done', extra) as Extract<Step, { type: 'send' }>;
  return step as Step;
};

describe('library templates in journeys', () => {
  it('copies the latest, or the pinned version, with where it came from; an inline message beside it is replaced', () => {
    const latest = validateJourney(journey([referring({ templateId: 'hello' }), exit()]), { templates });
    expect(latest.ok).toBe(true);
    const step = latest.ok ? latest.definition.steps[0] : undefined;
    expect(step).toMatchObject({
      template: { subject: 'v2' },
      templateCopiedFrom: { id: 'hello', version: 2 },
    });
    const pinned = validateJourney(
      journey([send('mail', 'done', { templateId: 'hello', templateVersion: 1 }), exit()]),
      { templates },
    );
    expect(pinned.ok && pinned.definition.steps[0]).toMatchObject({
      template: { subject: 'v1', body: 'one' },
      templateCopiedFrom: { id: 'hello', version: 1 },
    });
  });

  it('refuses a best step that may send by a channel the template is not written for', () => {
    const result = validateJourney(
      journey([referring({ templateId: 'hello', channel: 'best', channels: ['email', 'sms'] }), exit()]),
      { templates },
    );
    expect(result.ok ? [] : result.issues).toEqual([
      expect.objectContaining({
        code: 'unknown_template',
        field: '/steps/0/templateId',
        message: 'step mail may send by sms, but template Hello is written for email',
      }),
    ]);
  });

  it('checks the copied content against what this journey provides', () => {
    // Version 2 reads the trigger event; a broadcast journey has none.
    const broadcast = {
      ...journey([referring({ templateId: 'hello' }), exit()]),
      entry: { kind: 'broadcast', segmentId: 'all', at: '2026-01-01T00:00:00.000Z' },
    };
    const result = validateJourney(broadcast, { templates });
    expect(result.ok ? [] : result.issues).toEqual([
      expect.objectContaining({ code: 'invalid_template', field: '/steps/0/template/body' }),
    ]);
  });

  it('without a library, a reference is refused as unknown', () => {
    const result = validateJourney(journey([referring({ templateId: 'hello' }), exit()]));
    expect(result.ok ? [] : result.issues.map((i) => i.code)).toEqual(['unknown_template']);
  });
});
