// The journey builder's model (web/src/journey-builder/model.ts) without a browser: the edits
// the canvas makes produce documents the server's own validator judges, every step kind the
// builder offers is one the validator accepts once filled in, and removing or renaming a step
// keeps the graph connected.
import { describe, expect, it } from 'vitest';
import { validateJourney } from '../../src/conductor/index.ts';
import {
  addStep,
  blankJourney,
  connect,
  type JourneyDefinition,
  removeStep,
  renameStep,
  STEP_KINDS,
  slotsOf,
  updateStep,
} from '../../web/src/journey-builder/model.ts';

const kind = (label: string) => STEP_KINDS.find((k) => k.label === label)!;

function issuesOf(doc: JourneyDefinition) {
  const result = validateJourney(doc);
  return result.ok ? [] : result.issues;
}

function started(): JourneyDefinition {
  const doc = blankJourney('drawn', 'Drawn');
  return { ...doc, entry: { kind: 'event', event: 'Signed Up' }, defaultTimeZone: 'UTC' };
}

describe('the journey builder model', () => {
  it('starts from a trigger and an exit the validator accepts', () => {
    expect(issuesOf(started())).toEqual([]);
  });

  it('inserts a step after the trigger, before what was first', () => {
    const { doc, id } = addStep(started(), kind('Wait'), 'trigger');
    expect(doc.start).toBe(id);
    expect(slotsOf(doc.steps.find((s) => s.id === id)!)).toEqual([{ field: 'next', label: '', to: 'done' }]);
    expect(issuesOf(doc)).toEqual([]);
  });

  it('inserts a step at an outlet, taking over where the outlet went', () => {
    const first = addStep(started(), kind('Wait'), 'trigger');
    const second = addStep(first.doc, kind('Set a trait'), { stepId: first.id, field: 'next' });
    const filled = updateStep(
      second.doc,
      second.id,
      (s) => ({ ...s, trait: 'welcomed', value: true }) as typeof s,
    );
    expect(filled.steps.find((s) => s.id === first.id)).toMatchObject({ next: second.id });
    expect(filled.steps.find((s) => s.id === second.id)).toMatchObject({ next: 'done' });
    expect(issuesOf(filled)).toEqual([]);
  });

  it('leaves the second outlet of a new step open, and the validator says so at that step', () => {
    const { doc, id } = addStep(started(), kind('Wait for an event'), 'trigger');
    const named = updateStep(doc, id, (s) => ({ ...s, event: 'Order Completed' }) as typeof s);
    expect(issuesOf(named)).toEqual([
      expect.objectContaining({ code: 'unknown_step', stepId: id, field: '/steps/1/onTimeout' }),
    ]);
    expect(issuesOf(connect(named, id, 'onTimeout', 'done'))).toEqual([]);
  });

  it('offers only step kinds the validator accepts once their names and outlets are filled in', () => {
    for (const k of STEP_KINDS) {
      const { doc, id } = addStep(started(), k, 'trigger');
      let filled = doc;
      for (const slot of slotsOf(filled.steps.find((s) => s.id === id)!))
        if (!slot.to) filled = connect(filled, id, slot.field, 'done');
      filled = updateStep(filled, id, (s) => {
        const step = structuredClone(s) as Record<string, unknown>;
        if (step.type === 'waitForEvent') step.event = 'Order Completed';
        if (step.type === 'setTrait') step.trait = 'seen';
        if (step.type === 'createTask') step.title = 'Call them';
        if (step.type === 'send') step.template = { subject: 'Hi', body: 'Hello' };
        if (step.type === 'branch')
          step.cases = [{ rule: { kind: 'in_segment', segment: 'buyers' }, next: 'done' }];
        return step as typeof s;
      });
      // An exit first leaves the old first step with no way in: said as such, at that step.
      const expected =
        k.type === 'exit' ? [expect.objectContaining({ code: 'unreachable_step', stepId: 'done' })] : [];
      expect({ kind: k.label, issues: issuesOf(filled) }).toEqual({ kind: k.label, issues: expected });
    }
  });

  it('removes a step from a chain and reconnects what came before it', () => {
    const first = addStep(started(), kind('Wait'), 'trigger');
    const second = addStep(first.doc, kind('Wait'), { stepId: first.id, field: 'next' });
    const removed = removeStep(second.doc, first.id);
    expect(removed.start).toBe(second.id);
    expect(removed.steps.map((s) => s.id)).toEqual(['done', second.id]);
    expect(issuesOf(removed)).toEqual([]);
  });

  it('renames a step and every reference to it, and refuses a name in use', () => {
    const { doc, id } = addStep(started(), kind('Wait'), 'trigger');
    const renamed = renameStep(doc, 'done', 'finish');
    expect(renamed.steps.find((s) => s.id === id)).toMatchObject({ next: 'finish' });
    expect(issuesOf(renamed)).toEqual([]);
    expect(renameStep(doc, id, 'done')).toBe(doc);
  });
});
