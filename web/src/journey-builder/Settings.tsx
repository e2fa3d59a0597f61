// The journey's own fields: name, trigger, re-entry, goal and time zone, as a form.
import { useId } from 'react';
import type { JourneyIssue } from '../api.ts';
import { NameInput, type NameKind, type Names } from '../components/NamePicker.tsx';
import type { JourneyDefinition } from './model.ts';

type Entry = JourneyDefinition['entry'];

const ENTRY_KINDS: Array<{ kind: Entry['kind']; label: string; make: () => Entry }> = [
  { kind: 'event', label: 'when a person does an event', make: () => ({ kind: 'event', event: '' }) },
  {
    kind: 'segment',
    label: 'when a person enters or leaves a segment',
    make: () => ({ kind: 'segment', segmentId: '', on: 'entered' }),
  },
  {
    kind: 'broadcast',
    label: 'once, to everyone in a segment',
    make: () => ({ kind: 'broadcast', segmentId: '', at: new Date(Date.now() + 3_600_000).toISOString() }),
  },
  {
    kind: 'schedule',
    label: 'every day at a time, to a segment',
    make: () => ({ kind: 'schedule', segmentId: '', at: '09:00', timeZone: 'UTC' }),
  },
  {
    kind: 'dateTrait',
    label: 'some days before or after a date trait',
    make: () => ({ kind: 'dateTrait', trait: '', offsetDays: -30 }),
  },
];

/**
 * Every name the journey reads that should be one already seen, with what kind of name it is.
 * A trait a step sets is written, not read: a new one is no mistake.
 */
export function namesUsed(doc: JourneyDefinition): Array<{ kind: NameKind; value: string }> {
  const used: Array<{ kind: NameKind; value: string }> = [];
  const entry = doc.entry;
  if (entry.kind === 'event') used.push({ kind: 'events', value: entry.event });
  if ('segmentId' in entry) used.push({ kind: 'segments', value: entry.segmentId });
  if (entry.kind === 'dateTrait') used.push({ kind: 'traits', value: entry.trait });
  if (doc.goal) used.push({ kind: 'events', value: doc.goal.event });
  for (const step of doc.steps) {
    if (step.type === 'waitForEvent') used.push({ kind: 'events', value: step.event });
    if (step.type === 'send') used.push({ kind: 'purposes', value: step.purpose });
    if (step.type === 'branch')
      for (const c of step.cases) {
        const rule = c.rule as {
          kind?: string;
          event?: string;
          trait?: string;
          segment?: string;
          stages?: string[];
        };
        if (rule.kind === 'performed' && rule.event) used.push({ kind: 'events', value: rule.event });
        if (rule.kind === 'trait' && rule.trait) used.push({ kind: 'traits', value: rule.trait });
        if (rule.kind === 'in_segment' && rule.segment) used.push({ kind: 'segments', value: rule.segment });
        if (rule.kind === 'stage') for (const s of rule.stages ?? []) used.push({ kind: 'stages', value: s });
      }
  }
  return used;
}

function Text(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  readOnly?: boolean;
  type?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? 'text'}
        value={props.value}
        readOnly={props.readOnly}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </div>
  );
}

export function JourneySettings(props: {
  doc: JourneyDefinition;
  names: Names;
  existing: boolean;
  issues: JourneyIssue[];
  onChange: (doc: JourneyDefinition) => void;
}) {
  const { doc, names, onChange } = props;
  const entry = doc.entry;
  const setEntry = (next: Entry) => onChange({ ...doc, entry: next });
  const kindId = useId();
  const reentryId = useId();
  return (
    <section className="builder-settings" aria-label="Journey settings">
      <h3>Journey</h3>
      {props.issues.length > 0 ? (
        <ul className="error" aria-label="Problems with the journey">
          {props.issues.map((i) => (
            <li key={`${i.field}:${i.message}`}>
              {i.field} {i.message}
            </li>
          ))}
        </ul>
      ) : null}
      <Text label="Name" value={doc.name} onChange={(name) => onChange({ ...doc, name })} />
      <Text
        label="Id (letters, digits, - and _)"
        value={doc.id}
        readOnly={props.existing}
        onChange={(id) => onChange({ ...doc, id })}
      />
      <div className="field">
        <label htmlFor={kindId}>Starts</label>
        <select
          id={kindId}
          value={entry.kind}
          onChange={(e) => setEntry(ENTRY_KINDS.find((k) => k.kind === e.target.value)!.make())}
        >
          {ENTRY_KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </div>
      {entry.kind === 'event' ? (
        <NameInput
          label="Trigger event"
          kind="events"
          names={names}
          value={entry.event}
          onChange={(event) => setEntry({ ...entry, event })}
        />
      ) : null}
      {'segmentId' in entry ? (
        <NameInput
          label="Segment"
          kind="segments"
          names={names}
          value={entry.segmentId}
          onChange={(segmentId) => setEntry({ ...entry, segmentId })}
        />
      ) : null}
      {entry.kind === 'segment' ? (
        <div className="field">
          <label htmlFor={`${kindId}-on`}>On</label>
          <select
            id={`${kindId}-on`}
            value={entry.on}
            onChange={(e) => setEntry({ ...entry, on: e.target.value as 'entered' | 'exited' })}
          >
            <option value="entered">entering it</option>
            <option value="exited">leaving it</option>
          </select>
        </div>
      ) : null}
      {entry.kind === 'broadcast' ? (
        <Text label="At (ISO date and time)" value={entry.at} onChange={(at) => setEntry({ ...entry, at })} />
      ) : null}
      {entry.kind === 'schedule' ? (
        <>
          <Text
            label="At (time of day)"
            type="time"
            value={entry.at}
            onChange={(at) => setEntry({ ...entry, at })}
          />
          <Text
            label="In the time zone"
            value={entry.timeZone}
            onChange={(timeZone) => setEntry({ ...entry, timeZone })}
          />
        </>
      ) : null}
      {entry.kind === 'dateTrait' ? (
        <>
          <NameInput
            label="Date trait"
            kind="traits"
            names={names}
            value={entry.trait}
            onChange={(trait) => setEntry({ ...entry, trait })}
          />
          <Text
            label="Days from that date (negative: before)"
            type="number"
            value={String(entry.offsetDays)}
            onChange={(v) => setEntry({ ...entry, offsetDays: Math.trunc(Number(v)) })}
          />
        </>
      ) : null}
      <div className="field">
        <label htmlFor={reentryId}>A person may enter</label>
        <select
          id={reentryId}
          value={doc.reentry.mode}
          onChange={(e) => {
            const mode = e.target.value as JourneyDefinition['reentry']['mode'];
            onChange({
              ...doc,
              reentry: mode === 'afterCooldown' ? { mode, cooldown: { amount: 30, unit: 'days' } } : { mode },
            });
          }}
        >
          <option value="once">once</option>
          <option value="always">every time</option>
          <option value="afterCooldown">again after 30 days</option>
        </select>
      </div>
      <NameInput
        label="Goal event (optional: ends the journey as converted)"
        kind="events"
        names={names}
        value={doc.goal?.event ?? ''}
        onChange={(event) => {
          const { goal: _, ...rest } = doc;
          onChange(event ? { ...rest, goal: { event } } : (rest as JourneyDefinition));
        }}
      />
      <Text
        label="Time zone when a person's is unknown"
        value={doc.defaultTimeZone}
        onChange={(defaultTimeZone) => onChange({ ...doc, defaultTimeZone })}
      />
    </section>
  );
}
