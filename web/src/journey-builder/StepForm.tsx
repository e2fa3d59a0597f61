// The form of one step: every field of every step type the journey validator accepts, with
// the server's issues about this step shown beside the form. Name fields offer what has
// arrived (the pickers); nothing here needs JSON.
import { type ReactNode, useId } from 'react';
import { NameInput, type Names } from '../components/NamePicker.tsx';
import { inlineOf, MessageSource } from './MessageSource.tsx';
import {
  fieldOf,
  type Issue,
  performedRule,
  STEP_TYPE_NAMES,
  type Step,
  type StepOf,
  slotsOf,
} from './model.ts';

type Change = (change: (step: Step) => Step) => void;

const UNITS = ['minutes', 'hours', 'days', 'weeks'] as const;
const CHANNELS = ['email', 'sms', 'push', 'webhook'] as const;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function Field(props: { label: string; children: (id: string) => ReactNode; problem?: string | undefined }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children(id)}
      {props.problem ? <p className="error small">{props.problem}</p> : null}
    </div>
  );
}

function Duration(props: {
  label: string;
  value: { amount: number; unit: (typeof UNITS)[number] };
  onChange: (value: { amount: number; unit: (typeof UNITS)[number] }) => void;
}) {
  return (
    <div className="row">
      <Field label={`${props.label}: how many`}>
        {(id) => (
          <input
            id={id}
            type="number"
            min={1}
            value={props.value.amount}
            onChange={(e) => props.onChange({ ...props.value, amount: Number(e.target.value) })}
          />
        )}
      </Field>
      <Field label={`${props.label}: unit`}>
        {(id) => (
          <select
            id={id}
            value={props.value.unit}
            onChange={(e) =>
              props.onChange({ ...props.value, unit: e.target.value as (typeof UNITS)[number] })
            }
          >
            {UNITS.map((u) => (
              <option key={u}>{u}</option>
            ))}
          </select>
        )}
      </Field>
    </div>
  );
}

/** Each outlet of the step with the step it goes to: the keyboard's way to connect steps. */
function Outlets(props: { step: Step; stepIds: string[]; onConnect: (field: string, to: string) => void }) {
  const slots = slotsOf(props.step);
  if (slots.length === 0) return null;
  return (
    <fieldset>
      <legend>Goes to</legend>
      {slots.map((slot) => (
        <Field key={slot.field} label={slot.label ? `${slot.label}: goes to` : 'Then goes to'}>
          {(id) => (
            <select id={id} value={slot.to} onChange={(e) => props.onConnect(slot.field, e.target.value)}>
              <option value="">(not connected)</option>
              {props.stepIds.map((stepId) => (
                <option key={stepId} value={stepId}>
                  {stepId}
                </option>
              ))}
            </select>
          )}
        </Field>
      ))}
    </fieldset>
  );
}

export function StepForm(props: {
  step: Step;
  issues: Issue[];
  names: Names;
  stepIds: string[];
  onConnect: (field: string, to: string) => void;
  onChange: Change;
  onRename: (id: string) => void;
  onRemove: () => void;
  readOnly?: boolean;
}) {
  const { step, issues } = props;
  const problem = (field: string) => {
    const found = issues.filter((i) => fieldOf(i) === field || fieldOf(i).startsWith(`${field}/`));
    return found.length > 0 ? found.map((i) => i.message).join('; ') : undefined;
  };
  return (
    <section className="step-form" aria-label={`Step ${step.id}`}>
      <h3>
        {STEP_TYPE_NAMES[step.type]} · {step.id}
      </h3>
      {issues.length > 0 ? (
        <ul className="error" aria-label={`Problems at step ${step.id}`}>
          {issues.map((issue) => (
            <li key={`${issue.field}:${issue.message}`}>{issue.message}</li>
          ))}
        </ul>
      ) : null}
      <fieldset disabled={props.readOnly}>
        <Field label="Step name (id)">
          {(id) => (
            <input
              id={id}
              defaultValue={step.id}
              key={step.id}
              pattern="[A-Za-z0-9_.:\-]+"
              onBlur={(e) => {
                const value = e.target.value.trim();
                if (value && value !== step.id) props.onRename(value);
              }}
            />
          )}
        </Field>
        <Fields {...props} problem={problem} />
        <Outlets step={step} stepIds={props.stepIds} onConnect={props.onConnect} />
        <div className="row">
          <button type="button" onClick={props.onRemove}>
            Remove this step
          </button>
        </div>
      </fieldset>
    </section>
  );
}

function Fields(props: {
  step: Step;
  names: Names;
  onChange: Change;
  problem: (field: string) => string | undefined;
}) {
  const { step, onChange, problem, names } = props;
  const set = <T extends Step['type']>(patch: (s: StepOf<T>) => void) =>
    onChange((s) => {
      patch(s as StepOf<T>);
      return s;
    });
  switch (step.type) {
    case 'wait':
      return (
        <Duration
          label="Wait"
          value={step.duration}
          onChange={(duration) =>
            set<'wait'>((s) => {
              s.duration = duration;
            })
          }
        />
      );
    case 'waitUntil':
      return (
        <>
          <Field label="Until the time of day (the person's zone)" problem={problem('at')}>
            {(id) => (
              <input
                id={id}
                type="time"
                value={step.at}
                onChange={(e) =>
                  set<'waitUntil'>((s) => {
                    s.at = e.target.value;
                  })
                }
              />
            )}
          </Field>
          <fieldset className="weekdays">
            <legend>Only on (none ticked: every day)</legend>
            {WEEKDAYS.map((day, i) => (
              <label key={day} className="inline">
                <input
                  type="checkbox"
                  checked={step.weekdays?.includes(i + 1) ?? false}
                  onChange={(e) =>
                    set<'waitUntil'>((s) => {
                      const days = new Set(s.weekdays ?? []);
                      if (e.target.checked) days.add(i + 1);
                      else days.delete(i + 1);
                      if (days.size === 0) delete s.weekdays;
                      else s.weekdays = [...days].sort();
                    })
                  }
                />
                {day}
              </label>
            ))}
          </fieldset>
        </>
      );
    case 'waitForEvent':
      return (
        <>
          <NameInput
            label="Wait for the event"
            kind="events"
            names={names}
            value={step.event}
            problem={problem('event')}
            onChange={(value) =>
              set<'waitForEvent'>((s) => {
                s.event = value;
              })
            }
          />
          <Duration
            label="Give up after"
            value={step.timeout}
            onChange={(timeout) =>
              set<'waitForEvent'>((s) => {
                s.timeout = timeout;
              })
            }
          />
          <p className="small muted">Two ways out: “when it comes” and “timed out”. Connect both.</p>
        </>
      );
    case 'branch':
      return <BranchFields {...props} step={step} />;
    case 'split':
      return <SplitFields {...props} step={step} />;
    case 'send':
      return <SendFields {...props} step={step} />;
    case 'setTrait':
      return (
        <>
          <NameInput
            label="Trait"
            kind="traits"
            names={names}
            value={step.trait}
            problem={problem('trait')}
            onChange={(value) =>
              set<'setTrait'>((s) => {
                s.trait = value;
              })
            }
          />
          <Field label="Value (true, false and numbers are kept as such)" problem={problem('value')}>
            {(id) => (
              <input
                id={id}
                value={step.value === null ? '' : String(step.value)}
                onChange={(e) =>
                  set<'setTrait'>((s) => {
                    s.value = typedValue(e.target.value);
                  })
                }
              />
            )}
          </Field>
        </>
      );
    case 'createTask':
      return (
        <>
          <Field label="Queue (the team that picks it up)" problem={problem('queue')}>
            {(id) => (
              <input
                id={id}
                value={step.queue}
                onChange={(e) =>
                  set<'createTask'>((s) => {
                    s.queue = e.target.value;
                  })
                }
              />
            )}
          </Field>
          <Field label="Task title" problem={problem('title')}>
            {(id) => (
              <input
                id={id}
                value={step.title}
                onChange={(e) =>
                  set<'createTask'>((s) => {
                    s.title = e.target.value;
                  })
                }
              />
            )}
          </Field>
          <Field label="Note" problem={problem('note')}>
            {(id) => (
              <textarea
                id={id}
                rows={3}
                value={step.note ?? ''}
                onChange={(e) =>
                  set<'createTask'>((s) => {
                    if (e.target.value) s.note = e.target.value;
                    else delete s.note;
                  })
                }
              />
            )}
          </Field>
        </>
      );
    case 'exit':
      return <p className="small muted">People who reach this step leave the journey as completed.</p>;
  }
}

/** What a marketer types into a value field, as the JSON value it means. */
export function typedValue(text: string): string | number | boolean | null {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  return text;
}

type Rule = { kind: string; [key: string]: unknown };

function BranchFields(props: {
  step: StepOf<'branch'>;
  names: Names;
  onChange: Change;
  problem: (field: string) => string | undefined;
}) {
  const { step, names, onChange, problem } = props;
  const setCases = (cases: StepOf<'branch'>['cases']) =>
    onChange((s) => ({ ...(s as StepOf<'branch'>), cases }));
  return (
    <>
      <p className="small muted">
        Cases are checked in order; the first that holds for the person wins, else “otherwise”.
      </p>
      {step.cases.map((c, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: cases have no id; their place is their name
        <fieldset key={`case-${i + 1}`} className="case">
          <legend>Case {i + 1}</legend>
          <RuleFields
            rule={c.rule as Rule}
            names={names}
            problem={problem(`cases/${i}/rule`)}
            onChange={(rule) => setCases(step.cases.map((x, j) => (j === i ? { ...x, rule } : x)))}
          />
          {step.cases.length > 1 ? (
            <button type="button" onClick={() => setCases(step.cases.filter((_, j) => j !== i))}>
              Remove case {i + 1}
            </button>
          ) : null}
        </fieldset>
      ))}
      <button type="button" onClick={() => setCases([...step.cases, { rule: performedRule(''), next: '' }])}>
        Add a case
      </button>
    </>
  );
}

const RULE_KINDS: Array<{ kind: string; label: string; make: () => Rule }> = [
  { kind: 'performed', label: 'has done an event', make: () => performedRule('') },
  {
    kind: 'trait',
    label: 'has a trait value',
    make: () => ({ kind: 'trait', trait: '', test: { op: 'eq', value: '' } }),
  },
  { kind: 'in_segment', label: 'is in a segment', make: () => ({ kind: 'in_segment', segment: '' }) },
  { kind: 'stage', label: 'is at a lifecycle stage', make: () => ({ kind: 'stage', stages: [] }) },
];

function RuleFields(props: {
  rule: Rule;
  names: Names;
  problem: string | undefined;
  onChange: (rule: Rule) => void;
}) {
  const { rule, names, onChange } = props;
  const known = RULE_KINDS.some((k) => k.kind === rule.kind);
  return (
    <>
      <Field label="The person" problem={props.problem}>
        {(id) => (
          <select
            id={id}
            value={known ? rule.kind : ''}
            onChange={(e) => onChange(RULE_KINDS.find((k) => k.kind === e.target.value)!.make())}
          >
            {known ? null : <option value="">a rule written as JSON</option>}
            {RULE_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {rule.kind === 'performed' ? (
        <>
          <NameInput
            label="Event"
            kind="events"
            names={names}
            value={String(rule.event ?? '')}
            onChange={(event) => onChange({ ...rule, event })}
          />
          <Field label="At least this many times">
            {(id) => (
              <input
                id={id}
                type="number"
                min={1}
                value={(rule.count as { value: number }).value}
                onChange={(e) => onChange({ ...rule, count: { op: 'gte', value: Number(e.target.value) } })}
              />
            )}
          </Field>
        </>
      ) : null}
      {rule.kind === 'trait' ? (
        <>
          <NameInput
            label="Trait"
            kind="traits"
            names={names}
            value={String(rule.trait ?? '')}
            onChange={(trait) => onChange({ ...rule, trait })}
          />
          <Field label="Equals">
            {(id) => (
              <input
                id={id}
                value={String((rule.test as { value?: unknown }).value ?? '')}
                onChange={(e) => onChange({ ...rule, test: { op: 'eq', value: typedValue(e.target.value) } })}
              />
            )}
          </Field>
        </>
      ) : null}
      {rule.kind === 'in_segment' ? (
        <NameInput
          label="Segment"
          kind="segments"
          names={names}
          value={String(rule.segment ?? '')}
          onChange={(segment) => onChange({ ...rule, segment })}
        />
      ) : null}
      {rule.kind === 'stage' ? (
        <NameInput
          label="Lifecycle stage (exact name, as the funnel names it)"
          kind="stages"
          names={names}
          value={((rule.stages as string[]) ?? [])[0] ?? ''}
          onChange={(stage) => onChange({ ...rule, stages: stage ? [stage] : [] })}
        />
      ) : null}
    </>
  );
}

function SplitFields(props: {
  step: StepOf<'split'>;
  onChange: Change;
  problem: (field: string) => string | undefined;
}) {
  const { step, onChange, problem } = props;
  const update = (change: (s: StepOf<'split'>) => void) =>
    onChange((s) => {
      change(s as StepOf<'split'>);
      return s;
    });
  const total = step.arms.reduce((sum, a) => sum + a.percent, 0) + (step.holdout?.percent ?? 0);
  return (
    <>
      <p className={total === 100 ? 'small muted' : 'small error'}>
        Arms and holdout add up to {total}% (they must add up to 100%).
      </p>
      {step.arms.map((arm, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: arms are named by their place
        <div className="row" key={`arm-${i + 1}`}>
          <Field label={`Arm ${i + 1} name`} problem={problem(`arms/${i}/name`)}>
            {(id) => (
              <input
                id={id}
                value={arm.name}
                onChange={(e) =>
                  update((s) => {
                    s.arms[i]!.name = e.target.value;
                  })
                }
              />
            )}
          </Field>
          <Field label={`Arm ${i + 1} percent`}>
            {(id) => (
              <input
                id={id}
                type="number"
                min={1}
                max={100}
                value={arm.percent}
                onChange={(e) =>
                  update((s) => {
                    s.arms[i]!.percent = Number(e.target.value);
                  })
                }
              />
            )}
          </Field>
          {step.arms.length > 1 ? (
            <button type="button" onClick={() => update((s) => void s.arms.splice(i, 1))}>
              Remove arm {i + 1}
            </button>
          ) : null}
        </div>
      ))}
      <button
        type="button"
        onClick={() =>
          update(
            (s) => void s.arms.push({ name: String.fromCharCode(97 + s.arms.length), percent: 10, next: '' }),
          )
        }
      >
        Add an arm
      </button>
      <label className="inline">
        <input
          type="checkbox"
          checked={step.holdout !== undefined}
          onChange={(e) =>
            update((s) => {
              if (e.target.checked) s.holdout = { percent: 10, next: '' };
              else delete s.holdout;
            })
          }
        />
        Hold some people out (they may wait, never receive anything)
      </label>
      {step.holdout ? (
        <Field label="Holdout percent" problem={problem('holdout')}>
          {(id) => (
            <input
              id={id}
              type="number"
              min={1}
              max={100}
              value={step.holdout!.percent}
              onChange={(e) =>
                update((s) => {
                  s.holdout!.percent = Number(e.target.value);
                })
              }
            />
          )}
        </Field>
      ) : null}
    </>
  );
}

function SendFields(props: {
  step: StepOf<'send'>;
  names: Names;
  onChange: Change;
  problem: (field: string) => string | undefined;
}) {
  const { step, names, problem } = props;
  const update = (change: (s: StepOf<'send'>) => void) =>
    props.onChange((s) => {
      change(s as StepOf<'send'>);
      return s;
    });
  const maySendBy = step.channel === 'best' ? (step.channels ?? []) : [step.channel];
  const template = step.template ?? { body: '' };
  return (
    <>
      <Field label="Channel" problem={problem('channel')}>
        {(id) => (
          <select
            id={id}
            value={step.channel}
            onChange={(e) =>
              update((s) => {
                s.channel = e.target.value as StepOf<'send'>['channel'];
                if (s.channel === 'best') s.channels = s.channels ?? ['email', 'sms'];
                else delete s.channels;
              })
            }
          >
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
            <option value="best">the best channel for each person</option>
          </select>
        )}
      </Field>
      {step.channel === 'best' ? (
        <fieldset>
          <legend>Choose among</legend>
          {CHANNELS.map((c) => (
            <label key={c} className="inline">
              <input
                type="checkbox"
                checked={step.channels?.includes(c) ?? false}
                onChange={(e) =>
                  update((s) => {
                    const chosen = new Set(s.channels ?? []);
                    if (e.target.checked) chosen.add(c);
                    else chosen.delete(c);
                    if (chosen.size === 0) delete s.channels;
                    else s.channels = CHANNELS.filter((x) => chosen.has(x));
                  })
                }
              />
              {c}
            </label>
          ))}
          {problem('channels') ? <p className="error small">{problem('channels')}</p> : null}
        </fieldset>
      ) : null}
      <NameInput
        label="Consent purpose"
        kind="purposes"
        names={names}
        value={step.purpose}
        problem={problem('purpose')}
        onChange={(value) =>
          update((s) => {
            s.purpose = value;
          })
        }
      />
      <Field label="Kind">
        {(id) => (
          <select
            id={id}
            value={step.kind ?? 'marketing'}
            onChange={(e) =>
              update((s) => {
                s.kind = e.target.value as 'marketing' | 'transactional';
              })
            }
          >
            <option value="marketing">marketing (quiet hours and caps apply)</option>
            <option value="transactional">transactional</option>
          </select>
        )}
      </Field>
      <MessageSource step={step} maySendBy={maySendBy} problem={problem} update={update} />
      {step.templateId === undefined ? (
        <>
          {maySendBy.includes('email') || maySendBy.includes('webhook') ? (
            <Field label="Subject" problem={problem('template/subject')}>
              {(id) => (
                <input
                  id={id}
                  value={template.subject ?? ''}
                  onChange={(e) =>
                    update((s) => {
                      if (e.target.value) inlineOf(s).subject = e.target.value;
                      else delete inlineOf(s).subject;
                    })
                  }
                />
              )}
            </Field>
          ) : null}
          <Field label="Message text" problem={problem('template/body')}>
            {(id) => (
              <textarea
                id={id}
                rows={4}
                value={template.body}
                onChange={(e) =>
                  update((s) => {
                    inlineOf(s).body = e.target.value;
                  })
                }
              />
            )}
          </Field>
          {maySendBy.includes('email') ? (
            <Field label="Email HTML or MJML (optional)" problem={problem('template/html')}>
              {(id) => (
                <textarea
                  id={id}
                  rows={3}
                  value={template.html ?? ''}
                  onChange={(e) =>
                    update((s) => {
                      if (e.target.value) inlineOf(s).html = e.target.value;
                      else delete inlineOf(s).html;
                    })
                  }
                />
              )}
            </Field>
          ) : null}
        </>
      ) : null}
      {maySendBy.includes('webhook') ? (
        <Field label="Webhook address (https://…)" problem={problem('to')}>
          {(id) => (
            <input
              id={id}
              value={step.to?.url ?? ''}
              onChange={(e) =>
                update((s) => {
                  if (e.target.value) s.to = { url: e.target.value };
                  else delete s.to;
                })
              }
            />
          )}
        </Field>
      ) : null}
      <p className="small muted">
        Templates may read <code>{'{{ traits.first_name }}'}</code>, <code>{'{{ person.id }}'}</code> and, for
        event-triggered journeys, <code>{'{{ event.properties.… }}'}</code>.
      </p>
    </>
  );
}
