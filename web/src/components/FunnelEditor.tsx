// A funnel's definition as a form: its name and its stages in order, each a name and the rule
// (in the segment builder's rule text) a person must meet to have reached it. Saved whole by
// `PUT /api/funnels/:id`, which checks every rule and rebuilds the stages from history; a
// refusal is shown at the stage it names. Also: a preset switched on under a chosen id, and
// delete after a confirmation.
import { type FormEvent, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { ErrorNote } from './ui.tsx';

export interface FunnelStageDraft {
  id: string;
  name: string;
  text: string;
}
export interface FunnelDraft {
  id: string;
  name: string;
  stages: FunnelStageDraft[];
  /** True when editing a saved funnel: its id is fixed. */
  saved: boolean;
}

/** A stage id from its name: lowercase letters, digits and _ (the server's rule). */
export function stageIdOf(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 63) || 'stage'
  );
}

/** The draft of a funnel as `GET /api/funnels` lists it. */
export function draftOf(funnel: Record<string, unknown>): FunnelDraft {
  const stages = Array.isArray(funnel.stages) ? (funnel.stages as Array<Record<string, unknown>>) : [];
  return {
    id: String(funnel.id),
    name: String(funnel.name ?? funnel.id),
    saved: true,
    stages: stages.map((s) => ({
      id: String(s.id),
      name: String(s.name ?? s.id),
      text: String(s.text ?? ''),
    })),
  };
}

export const NEW_FUNNEL: FunnelDraft = {
  id: '',
  name: '',
  saved: false,
  stages: [
    { id: 'aware', name: 'Aware', text: 'first seen after 1970-01-01' },
    { id: 'engaged', name: 'Engaged', text: 'performed "Product Viewed"' },
  ],
};

/** The issues a refusal names for stage `index` (paths like /stages/2/text…). */
function issuesAt(error: unknown, index: number): string[] {
  if (!(error instanceof ApiError)) return [];
  const prefix = `/stages/${index}/`;
  return (error.body.issues ?? []).flatMap((issue) =>
    typeof issue !== 'string' && issue.path?.startsWith(prefix) ? [issue.message] : [],
  );
}

export function FunnelEditor(props: {
  initial: FunnelDraft;
  onSaved: (id: string) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<FunnelDraft>(props.initial);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const setStage = (index: number, change: Partial<FunnelStageDraft>) =>
    setDraft({ ...draft, stages: draft.stages.map((s, i) => (i === index ? { ...s, ...change } : s)) });
  const move = (index: number, by: number) => {
    const stages = [...draft.stages];
    const [stage] = stages.splice(index, 1);
    stages.splice(index + by, 0, stage!);
    setDraft({ ...draft, stages });
  };
  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const id = draft.id.trim();
      await api.putFunnel(id, {
        id,
        name: draft.name.trim() || id,
        stages: draft.stages.map((s) => ({ id: s.id.trim(), name: s.name.trim(), text: s.text.trim() })),
      });
      props.onSaved(id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={save} aria-label="Funnel definition" className="funnel-editor">
      <div className="row">
        <div>
          <label htmlFor="funnel-edit-name">Funnel name</label>
          <input
            id="funnel-edit-name"
            value={draft.name}
            required
            onChange={(e) =>
              setDraft({
                ...draft,
                name: e.target.value,
                ...(draft.saved ? {} : { id: stageIdOf(e.target.value).replace(/_/g, '-') }),
              })
            }
          />
        </div>
        <div>
          <label htmlFor="funnel-edit-id">Id (lowercase, digits, - and _)</label>
          <input
            id="funnel-edit-id"
            value={draft.id}
            required
            readOnly={draft.saved}
            onChange={(e) => setDraft({ ...draft, id: e.target.value })}
          />
        </div>
      </div>
      <p className="small muted">
        Stages in order. A person is at the last stage whose rule they meet (rules in the segment builder’s
        text, such as <code>performed "Order Completed" at least 2 times</code>). The funnel with id{' '}
        <code>lifecycle</code> is the one segments mean by <code>stage</code>. Saving rebuilds every person’s
        stages from their history.
      </p>
      <ol className="funnel-stages">
        {draft.stages.map((stage, index) => {
          const issues = issuesAt(error, index);
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: stages are edited in place; the id is being typed
            <li key={index} className="card" aria-label={`Stage ${index + 1}`}>
              <div className="row">
                <div>
                  <label htmlFor={`stage-name-${index}`}>Stage {index + 1} name</label>
                  <input
                    id={`stage-name-${index}`}
                    value={stage.name}
                    onChange={(e) => setStage(index, { name: e.target.value, id: stageIdOf(e.target.value) })}
                  />
                </div>
                <div>
                  <label htmlFor={`stage-rule-${index}`}>Reached when</label>
                  <input
                    id={`stage-rule-${index}`}
                    value={stage.text}
                    size={48}
                    aria-invalid={issues.length > 0}
                    aria-describedby={issues.length > 0 ? `stage-issues-${index}` : undefined}
                    onChange={(e) => setStage(index, { text: e.target.value })}
                  />
                </div>
                <button
                  type="button"
                  aria-label={`Stage ${index + 1} up`}
                  disabled={index === 0}
                  onClick={() => move(index, -1)}
                >
                  Up
                </button>
                <button
                  type="button"
                  aria-label={`Stage ${index + 1} down`}
                  disabled={index === draft.stages.length - 1}
                  onClick={() => move(index, 1)}
                >
                  Down
                </button>
                <button
                  type="button"
                  disabled={draft.stages.length === 1}
                  onClick={() => setDraft({ ...draft, stages: draft.stages.filter((_, i) => i !== index) })}
                >
                  Remove stage {index + 1}
                </button>
              </div>
              {issues.length > 0 ? (
                <p className="error" id={`stage-issues-${index}`}>
                  {issues.join('; ')}
                </p>
              ) : null}
            </li>
          );
        })}
      </ol>
      <div className="row">
        <button
          type="button"
          onClick={() =>
            setDraft({
              ...draft,
              stages: [...draft.stages, { id: `stage_${draft.stages.length + 1}`, name: '', text: '' }],
            })
          }
        >
          Add a stage
        </button>
        <button type="submit" className="primary" disabled={busy || !draft.id.trim()}>
          Save funnel
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}
