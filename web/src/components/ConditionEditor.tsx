// One condition of a rule as a form (event, trait, last seen, lifecycle stage, segment), with
// the pickers from GET /api/names: the segment builder's and the people explorer's filters.
import { NameHint } from './NamePicker.tsx';
import type { Condition, Kind } from './rule-form.ts';
import { useNames } from './use-names.ts';

export function ConditionEditor(props: {
  index: number;
  /** Prefix of the inputs' ids, unique on the page. */
  idPrefix?: string;
  value: Condition;
  onChange: (c: Condition) => void;
  onRemove?: () => void;
}) {
  const { value: c, index: i } = props;
  const set = (patch: Partial<Condition>) => props.onChange({ ...c, ...patch });
  const id = (name: string) => `${props.idPrefix ?? 'c'}${i}-${name}`;
  const names = useNames();
  return (
    <fieldset className="condition">
      <legend className="small">Condition {i + 1}</legend>
      <div className="row">
        <div>
          <label htmlFor={id('kind')}>Kind</label>
          <select id={id('kind')} value={c.kind} onChange={(e) => set({ kind: e.target.value as Kind })}>
            <option value="performed">performed an event</option>
            <option value="trait">trait</option>
            <option value="last_seen">last seen</option>
            <option value="stage">lifecycle stage</option>
            <option value="in_segment">in segment</option>
          </select>
        </div>
        {c.kind === 'performed' ? (
          <>
            <div>
              <label htmlFor={id('event')}>Event</label>
              <input
                id={id('event')}
                list={id('events')}
                value={c.event}
                onChange={(e) => set({ event: e.target.value })}
              />
              <NameHint listId={id('events')} kind="events" names={names} values={[c.event]} />
            </div>
            <div>
              <label htmlFor={id('countop')}>How often</label>
              <select
                id={id('countop')}
                value={c.countOp}
                onChange={(e) => set({ countOp: e.target.value as Condition['countOp'] })}
              >
                <option value="gte">at least</option>
                <option value="lte">at most</option>
                <option value="eq">exactly</option>
              </select>
            </div>
            <div>
              <label htmlFor={id('count')}>Times</label>
              <input
                id={id('count')}
                type="number"
                min={0}
                value={c.count}
                onChange={(e) => set({ count: e.target.value })}
                style={{ width: '5rem' }}
              />
            </div>
            <div>
              <label htmlFor={id('days')}>In the last N days (empty: ever)</label>
              <input
                id={id('days')}
                type="number"
                min={1}
                value={c.days}
                onChange={(e) => set({ days: e.target.value })}
                style={{ width: '7rem' }}
              />
            </div>
          </>
        ) : null}
        {c.kind === 'trait' ? (
          <>
            <div>
              <label htmlFor={id('trait')}>Trait</label>
              <input
                id={id('trait')}
                list={id('traits')}
                value={c.trait}
                onChange={(e) => set({ trait: e.target.value })}
              />
              <NameHint listId={id('traits')} kind="traits" names={names} values={[c.trait]} />
            </div>
            <div>
              <label htmlFor={id('op')}>Test</label>
              <select
                id={id('op')}
                value={c.op}
                onChange={(e) => set({ op: e.target.value as Condition['op'] })}
              >
                <option value="eq">=</option>
                <option value="neq">≠</option>
                <option value="gt">&gt;</option>
                <option value="gte">≥</option>
                <option value="lt">&lt;</option>
                <option value="lte">≤</option>
                <option value="contains">contains</option>
                <option value="exists">exists</option>
              </select>
            </div>
            {c.op !== 'exists' ? (
              <div>
                <label htmlFor={id('value')}>Value</label>
                <input id={id('value')} value={c.value} onChange={(e) => set({ value: e.target.value })} />
              </div>
            ) : null}
          </>
        ) : null}
        {c.kind === 'last_seen' ? (
          <>
            <div>
              <label htmlFor={id('seen')}>When</label>
              <select
                id={id('seen')}
                value={c.seen}
                onChange={(e) => set({ seen: e.target.value as Condition['seen'] })}
              >
                <option value="within">in the last</option>
                <option value="more_than_ago">more than … ago</option>
              </select>
            </div>
            <div>
              <label htmlFor={id('seendays')}>Days</label>
              <input
                id={id('seendays')}
                type="number"
                min={1}
                value={c.days || '30'}
                onChange={(e) => set({ days: e.target.value })}
                style={{ width: '6rem' }}
              />
            </div>
          </>
        ) : null}
        {c.kind === 'stage' ? (
          <div>
            <label htmlFor={id('stage')}>Stages (comma separated)</label>
            <input id={id('stage')} value={c.stage} onChange={(e) => set({ stage: e.target.value })} />
            <NameHint
              listId={id('stages')}
              kind="stages"
              names={names}
              values={c.stage
                .split(',')
                .map((stage) => stage.trim())
                .filter(Boolean)}
            />
            <p className="small muted">
              Stages: {names?.stages.join(', ') || 'none yet (switch the lifecycle funnel on)'}. Names match
              exactly, case included.
            </p>
          </div>
        ) : null}
        {c.kind === 'in_segment' ? (
          <div>
            <label htmlFor={id('segment')}>Segment</label>
            <select id={id('segment')} value={c.segment} onChange={(e) => set({ segment: e.target.value })}>
              <option value="">choose a segment</option>
              {(names?.segments ?? []).map((segment) => (
                <option key={segment.id} value={segment.id}>
                  {segment.name}
                </option>
              ))}
              {c.segment && !names?.segments.some((segment) => segment.id === c.segment) ? (
                <option value={c.segment}>{c.segment} (unknown)</option>
              ) : null}
            </select>
          </div>
        ) : null}
        <div>
          <label htmlFor={id('not')}>
            <input
              id={id('not')}
              type="checkbox"
              checked={c.negate}
              onChange={(e) => set({ negate: e.target.checked })}
            />{' '}
            not
          </label>
        </div>
        {props.onRemove ? (
          <button type="button" onClick={props.onRemove} aria-label={`Remove condition ${i + 1}`}>
            Remove
          </button>
        ) : null}
      </div>
    </fieldset>
  );
}
