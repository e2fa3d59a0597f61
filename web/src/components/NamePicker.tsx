// Name fields that offer what has arrived: event names and traits with how often and when they
// were last seen, segments, lifecycle stages, consent purposes. A name never seen is a warning
// before save (a typo would otherwise match no one, silently).
import { useId } from 'react';
import type { Names } from '../api.ts';
import { num, when } from '../format.ts';

export type { Names };

export const NO_NAMES: Names = {
  events: [],
  traits: [],
  segments: [],
  stages: [],
  purposes: [],
  channels: [],
};

export type NameKind = 'events' | 'traits' | 'segments' | 'stages' | 'purposes';

function optionsOf(names: Names, kind: NameKind): Array<{ value: string; note: string }> {
  switch (kind) {
    case 'events':
    case 'traits':
      return names[kind].map((n) => ({
        value: n.name,
        note: `${num(n.count)} ${kind === 'events' ? 'times' : 'people'}, last ${when(n.lastSeen)}`,
      }));
    case 'segments':
      return names.segments.map((s) => ({ value: s.id, note: s.name }));
    default:
      return names[kind].map((value) => ({ value, note: '' }));
  }
}

const WHAT: Record<NameKind, string> = {
  events: 'event',
  traits: 'trait',
  segments: 'segment',
  stages: 'lifecycle stage',
  purposes: 'consent purpose',
};

/** The warning for a name nobody has seen, or undefined when it is known (or nothing is known yet). */
export function unknownNameWarning(names: Names, kind: NameKind, value: string): string | undefined {
  const options = optionsOf(names, kind);
  if (value === '' || options.length === 0 || options.some((o) => o.value === value)) return undefined;
  const near = options.find((o) => o.value.toLowerCase() === value.toLowerCase());
  return `No ${WHAT[kind]} “${value}” has been seen${near ? `; did you mean “${near.value}”? Names match exactly, case included` : ': it would match no one until it arrives'}.`;
}

/**
 * The offered names of a kind as a datalist (`listId`, for an input's `list`) and the warning
 * for values never seen: for a form that lays out its own label and input.
 */
export function NameHint(props: {
  listId: string;
  kind: NameKind;
  names: Names | undefined;
  values: string[];
}) {
  const names = props.names ?? NO_NAMES;
  const warnings = props.values
    .map((value) => unknownNameWarning(names, props.kind, value))
    .filter((w): w is string => w !== undefined);
  return (
    <>
      <datalist id={props.listId}>
        {optionsOf(names, props.kind).map((o) => (
          <option key={o.value} value={o.value}>
            {o.note}
          </option>
        ))}
      </datalist>
      {warnings.map((w) => (
        <p className="warning small" key={w} data-testid="unknown-name">
          {w}
        </p>
      ))}
    </>
  );
}

export function NameInput(props: {
  label: string;
  kind: NameKind;
  names: Names;
  value: string;
  onChange: (value: string) => void;
  problem?: string | undefined;
}) {
  const id = useId();
  const listId = `${id}-names`;
  const options = optionsOf(props.names, props.kind);
  const warning = unknownNameWarning(props.names, props.kind, props.value);
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        list={listId}
        value={props.value}
        autoComplete="off"
        onChange={(e) => props.onChange(e.target.value)}
        aria-describedby={warning ? `${id}-warning` : undefined}
      />
      <datalist id={listId}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.note}
          </option>
        ))}
      </datalist>
      {warning ? (
        <p className="warning small" id={`${id}-warning`} data-testid="unknown-name">
          {warning}
        </p>
      ) : null}
      {props.problem ? <p className="error small">{props.problem}</p> : null}
    </div>
  );
}
