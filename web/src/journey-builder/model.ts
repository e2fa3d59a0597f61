// The journey builder's model: pure edits of a journey document (the same JSON the API saves,
// typed by the server's own schema). The canvas and the forms call these; nothing here draws.
import type { JourneyDefinition, Step, StepOf, StepType } from '../../../src/conductor/journey/definition.ts';

export type { JourneyDefinition, Step, StepOf, StepType };

/** A step's outgoing slot: the field it is written to and what the canvas calls it. */
export interface Slot {
  /** The JSON pointer below the step (`next`, `cases/0/next`, `holdout/next`). */
  field: string;
  label: string;
  /** The step it goes to; '' while it is not connected. */
  to: string;
}

export interface StepKind {
  type: StepType;
  /** What the add button says (`best channel` is a send that picks the channel). */
  label: string;
  make: (id: string) => Step;
}

const after = '';

/** Every kind of step the journey validator accepts, as the builder adds it. */
export const STEP_KINDS: readonly StepKind[] = [
  {
    type: 'wait',
    label: 'Wait',
    make: (id) => ({ id, type: 'wait', duration: { amount: 1, unit: 'days' }, next: after }),
  },
  {
    type: 'waitUntil',
    label: 'Wait until a time',
    make: (id) => ({ id, type: 'waitUntil', at: '09:00', next: after }),
  },
  {
    type: 'waitForEvent',
    label: 'Wait for an event',
    make: (id) => ({
      id,
      type: 'waitForEvent',
      event: '',
      timeout: { amount: 3, unit: 'days' },
      next: after,
      onTimeout: after,
    }),
  },
  {
    type: 'branch',
    label: 'Branch',
    make: (id) => ({
      id,
      type: 'branch',
      cases: [{ rule: performedRule(''), next: after }],
      otherwise: after,
    }),
  },
  {
    type: 'split',
    label: 'Split test',
    make: (id) => ({
      id,
      type: 'split',
      arms: [
        { name: 'a', percent: 50, next: after },
        { name: 'b', percent: 50, next: after },
      ],
    }),
  },
  {
    type: 'send',
    label: 'Send a message',
    make: (id) => ({
      id,
      type: 'send',
      channel: 'email',
      purpose: 'email',
      template: { subject: '', body: '' },
      next: after,
    }),
  },
  {
    type: 'send',
    label: 'Send by the best channel',
    make: (id) => ({
      id,
      type: 'send',
      channel: 'best',
      channels: ['email', 'sms'],
      purpose: 'marketing',
      template: { subject: '', body: '' },
      next: after,
    }),
  },
  {
    type: 'createTask',
    label: 'Create a task',
    make: (id) => ({ id, type: 'createTask', queue: 'sales', title: '', next: after }),
  },
  {
    type: 'setTrait',
    label: 'Set a trait',
    make: (id) => ({ id, type: 'setTrait', trait: '', value: '', next: after }),
  },
  { type: 'exit', label: 'Exit', make: (id) => ({ id, type: 'exit' }) },
];

export const STEP_TYPE_NAMES: Record<StepType, string> = {
  wait: 'Wait',
  waitUntil: 'Wait until',
  waitForEvent: 'Wait for event',
  branch: 'Branch',
  split: 'Split',
  send: 'Send',
  setTrait: 'Set trait',
  createTask: 'Task',
  exit: 'Exit',
};

export function performedRule(event: string, atLeast = 1) {
  return {
    kind: 'performed',
    event,
    where: [],
    count: { op: 'gte', value: atLeast },
    window: { kind: 'ever' },
  };
}

/** A new journey: its trigger and a first exit, for the marketer to build between. */
export function blankJourney(id: string, name: string): JourneyDefinition {
  return {
    format: 1,
    id,
    version: 1,
    name,
    entry: { kind: 'event', event: '' },
    reentry: { mode: 'once' },
    defaultTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    start: 'done',
    steps: [{ id: 'done', type: 'exit' }],
  };
}

export function slotsOf(step: Step): Slot[] {
  switch (step.type) {
    case 'exit':
      return [];
    case 'branch':
      return [
        ...step.cases.map((c, i) => ({ field: `cases/${i}/next`, label: `case ${i + 1}`, to: c.next })),
        { field: 'otherwise', label: 'otherwise', to: step.otherwise },
      ];
    case 'split': {
      const arms = step.arms.map((arm, i) => ({
        field: `arms/${i}/next`,
        label: `${arm.name} ${arm.percent}%`,
        to: arm.next,
      }));
      return step.holdout
        ? [
            ...arms,
            { field: 'holdout/next', label: `holdout ${step.holdout.percent}%`, to: step.holdout.next },
          ]
        : arms;
    }
    case 'waitForEvent':
      return [
        { field: 'next', label: 'when it comes', to: step.next },
        { field: 'onTimeout', label: 'timed out', to: step.onTimeout },
      ];
    default:
      return [{ field: 'next', label: '', to: step.next }];
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Writes `to` at a slot's pointer below the step. */
function writeSlot(step: Step, field: string, to: string): void {
  const parts = field.split('/');
  let at = step as unknown as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) at = at[part] as Record<string, unknown>;
  at[parts[parts.length - 1]!] = to;
}

/** The document with one slot of one step pointed at `to` ('' disconnects it). */
export function connect(
  doc: JourneyDefinition,
  stepId: string,
  field: string,
  to: string,
): JourneyDefinition {
  const next = clone(doc);
  const step = next.steps.find((s) => s.id === stepId);
  if (!step) return doc;
  writeSlot(step, field, to);
  return next;
}

/** A step id not yet used, from the step's type (`send-2`). */
export function freshId(doc: JourneyDefinition, base: string): string {
  const taken = new Set(doc.steps.map((s) => s.id));
  for (let n = 1; ; n++) {
    const id = `${base}-${n}`;
    if (!taken.has(id)) return id;
  }
}

/**
 * Adds a step of `kind`. With `from`, the new step is wired into that slot, and the slot's
 * old target (if any) becomes the new step's first slot's target: inserting between two steps.
 */
export function addStep(
  doc: JourneyDefinition,
  kind: StepKind,
  from?: { stepId: string; field: string } | 'trigger',
): { doc: JourneyDefinition; id: string } {
  const id = freshId(doc, kind.type === 'send' && kind.label.includes('best') ? 'best' : kind.type);
  let next = clone(doc);
  const step = kind.make(id);
  next.steps.push(step);
  const firstSlot = slotsOf(step)[0];
  if (from === 'trigger') {
    if (firstSlot) writeSlot(step, firstSlot.field, next.start);
    next.start = id;
  } else if (from) {
    const source = next.steps.find((s) => s.id === from.stepId);
    const old = source ? slotsOf(source).find((s) => s.field === from.field)?.to : undefined;
    if (firstSlot && old) writeSlot(step, firstSlot.field, old);
    next = connect(next, from.stepId, from.field, id);
  }
  return { doc: next, id };
}

/**
 * Removes a step. What pointed at it now goes where its first outlet went (so removing a step
 * from a chain keeps the chain); a step with no outlet leaves them unconnected, and the check
 * says so.
 */
export function removeStep(doc: JourneyDefinition, id: string): JourneyDefinition {
  const removed = doc.steps.find((s) => s.id === id);
  if (!removed) return doc;
  const onward = slotsOf(removed)[0]?.to ?? '';
  const bypass = onward === id ? '' : onward;
  let next = clone(doc);
  next.steps = next.steps.filter((s) => s.id !== id);
  for (const step of next.steps)
    for (const slot of slotsOf(step)) if (slot.to === id) next = connect(next, step.id, slot.field, bypass);
  if (next.start === id) next.start = bypass || (next.steps[0]?.id ?? '');
  return next;
}

/** Renames a step and every reference to it. */
export function renameStep(doc: JourneyDefinition, from: string, to: string): JourneyDefinition {
  if (from === to || doc.steps.some((s) => s.id === to)) return doc;
  let next = clone(doc);
  for (const step of next.steps) if (step.id === from) step.id = to;
  for (const step of next.steps)
    for (const slot of slotsOf(step)) if (slot.to === from) next = connect(next, step.id, slot.field, to);
  if (next.start === from) next.start = to;
  return next;
}

/** The document with one step replaced by `change(step)`. */
export function updateStep(
  doc: JourneyDefinition,
  id: string,
  change: (step: Step) => Step,
): JourneyDefinition {
  return { ...doc, steps: doc.steps.map((s) => (s.id === id ? change(clone(s)) : s)) };
}

export interface Issue {
  code: string;
  stepId?: string;
  field: string;
  message: string;
}

/** Issues grouped by the step they are at; those of the journey itself under ''. */
export function issuesByStep(issues: readonly Issue[]): Map<string, Issue[]> {
  const byStep = new Map<string, Issue[]>();
  for (const issue of issues) {
    const key = issue.stepId ?? '';
    byStep.set(key, [...(byStep.get(key) ?? []), issue]);
  }
  return byStep;
}

/** The field below its step an issue is about (`/steps/3/template/body` → `template/body`). */
export function fieldOf(issue: Issue): string {
  return issue.field.replace(/^\/steps\/\d+\/?/, '');
}

/** Columns by distance from the start, rows in order of discovery: the canvas's first layout. */
export function layout(doc: JourneyDefinition): Map<string, { x: number; y: number }> {
  const byId = new Map(doc.steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>([[doc.start, 1]]);
  const queue = [doc.start];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    const step = byId.get(id);
    if (!step) continue;
    for (const slot of slotsOf(step)) {
      if (!slot.to || depth.has(slot.to) || !byId.has(slot.to)) continue;
      depth.set(slot.to, (depth.get(id) ?? 0) + 1);
      queue.push(slot.to);
    }
  }
  let orphan = Math.max(1, ...depth.values()) + 1;
  for (const step of doc.steps) if (!depth.has(step.id)) depth.set(step.id, orphan++);
  const rows = new Map<number, number>();
  const positions = new Map<string, { x: number; y: number }>();
  for (const step of doc.steps) {
    const d = depth.get(step.id)!;
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    positions.set(step.id, { x: row * 260, y: d * 190 });
  }
  return positions;
}
