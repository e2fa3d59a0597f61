// The visual journey builder: the trigger and the steps on a canvas (React Flow), connected by
// dragging from a step's outlet to another step or by adding a step at a selected outlet, each
// configured with its form. The server's own validator checks the document as it changes and
// its issues show at the steps they concern; a journey with issues cannot be saved. Live counts
// (people who passed a step, people there now) sit on the steps. Loaded only when opened.
import '@xyflow/react/dist/style.css';
import './builder.css';
import {
  Background,
  type Connection,
  Controls,
  type Edge,
  Handle,
  MarkerType,
  type Node,
  type NodeChange,
  type NodeProps,
  Position,
  ReactFlow,
  type ReactFlowInstance,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, type Journey, type JourneyIssue, type JourneyStats } from '../api.ts';
import { JourneyJsonEditor } from '../components/JourneyJsonEditor.tsx';
import { type Names, NO_NAMES, unknownNameWarning } from '../components/NamePicker.tsx';
import { ErrorNote } from '../components/ui.tsx';
import { useNames } from '../components/use-names.ts';
import { num } from '../format.ts';
import {
  addStep,
  connect,
  issuesByStep,
  type JourneyDefinition,
  layout,
  removeStep,
  renameStep,
  STEP_KINDS,
  STEP_TYPE_NAMES,
  type Step,
  slotsOf,
  updateStep,
} from './model.ts';
import { JourneySettings, namesUsed } from './Settings.tsx';
import { StepForm } from './StepForm.tsx';

const TRIGGER = '__trigger';

interface StepData extends Record<string, unknown> {
  step: Step;
  issues: JourneyIssue[];
  counts: { passed: number; current: number } | null;
  start: boolean;
}
interface TriggerData extends Record<string, unknown> {
  summary: string;
}

function StepNode(props: NodeProps<Node<StepData>>) {
  const { step, issues, counts } = props.data;
  const slots = slotsOf(step);
  return (
    <div
      className={`flow-step ${issues.length > 0 ? 'has-issues' : ''} ${step.type === 'exit' ? 'exit' : ''}`}
      data-testid={`step-${step.id}`}
    >
      <Handle type="target" position={Position.Top} />
      <div className="flow-step-type">{STEP_TYPE_NAMES[step.type]}</div>
      <div className="flow-step-id">{step.id}</div>
      {counts ? (
        <div className="flow-step-counts" data-testid={`counts-${step.id}`}>
          {num(counts.passed)} passed · {num(counts.current)} here
        </div>
      ) : null}
      {issues.length > 0 ? (
        <ul className="flow-step-issues" data-testid={`issues-${step.id}`}>
          {issues.map((issue) => (
            <li key={`${issue.field}:${issue.message}`}>{issue.message}</li>
          ))}
        </ul>
      ) : null}
      <div className="flow-slots">
        {slots.map((slot, i) => (
          <div
            className="flow-slot"
            key={slot.field}
            style={{ left: `${((i + 0.5) / slots.length) * 100}%` }}
          >
            {slot.label ? <span className={slot.to ? '' : 'open'}>{slot.label}</span> : null}
            <Handle type="source" id={slot.field} position={Position.Bottom} />
          </div>
        ))}
      </div>
    </div>
  );
}

function TriggerNode(props: NodeProps<Node<TriggerData>>) {
  return (
    <div className="flow-step trigger" data-testid="step-trigger">
      <div className="flow-step-type">Trigger</div>
      <div className="flow-step-id">{props.data.summary}</div>
      <Handle type="source" id="start" position={Position.Bottom} />
    </div>
  );
}

const nodeTypes = { step: StepNode, trigger: TriggerNode };

function triggerSummary(doc: JourneyDefinition): string {
  const entry = doc.entry;
  switch (entry.kind) {
    case 'event':
      return entry.event ? `on ${entry.event}` : 'on an event (choose it)';
    case 'segment':
      return `${entry.on} segment ${entry.segmentId}`;
    case 'broadcast':
      return `once to ${entry.segmentId}`;
    case 'schedule':
      return `${entry.at} to ${entry.segmentId}`;
    case 'dateTrait':
      return `${entry.offsetDays} days from ${entry.trait}`;
  }
}

/** The checks the server makes, asked once the document has been still for a moment. */
function useServerCheck(doc: JourneyDefinition): { issues: JourneyIssue[]; checking: boolean } {
  const [answer, setAnswer] = useState<{ issues: JourneyIssue[]; checking: boolean }>({
    issues: [],
    checking: true,
  });
  const asked = useRef(0);
  useEffect(() => {
    const ask = ++asked.current;
    setAnswer((a) => ({ ...a, checking: true }));
    const timer = setTimeout(() => {
      api
        .checkJourney(doc)
        .then((result) => {
          if (ask === asked.current) setAnswer({ issues: result.issues, checking: false });
        })
        .catch((error: Error) => {
          if (ask === asked.current)
            setAnswer({
              issues: [{ code: 'unchecked', field: '/', message: error.message }],
              checking: false,
            });
        });
    }, 300);
    return () => clearTimeout(timer);
  }, [doc]);
  return answer;
}

export default function Builder(props: {
  initial: JourneyDefinition;
  /** Editing a saved journey: its id cannot change, and a save publishes a new version. */
  existing?: Journey;
  stats?: JourneyStats | null;
  onSaved: (journey: Journey) => void;
}) {
  const [doc, setDoc] = useState<JourneyDefinition>(props.initial);
  const [view, setView] = useState<'canvas' | 'code'>('canvas');
  const [selected, setSelected] = useState<string | null>(null);
  const [outlet, setOutlet] = useState<{ stepId: string; field: string } | 'trigger' | null>('trigger');
  // Steps sit where the layout puts them until someone drags one; then it stays where dropped.
  const [dragged, setDragged] = useState<Map<string, { x: number; y: number }>>(() => new Map());
  // The sizes React Flow measured, handed back with each node: a controlled node without them
  // counts as unmeasured, and a connection dropped while it is measured again finds no handle.
  const [measured, setMeasured] = useState<Map<string, { width: number; height: number }>>(() => new Map());
  const flow = useRef<ReactFlowInstance | null>(null);
  const [saveError, setSaveError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const names: Names = useNames() ?? NO_NAMES;
  const { issues, checking } = useServerCheck(doc);
  const byStep = useMemo(() => issuesByStep(issues), [issues]);
  const journeyIssues = byStep.get('') ?? [];
  const warnings = namesUsed(doc)
    .map((used) => unknownNameWarning(names, used.kind, used.value))
    .filter((w): w is string => w !== undefined);

  const change = useCallback((next: JourneyDefinition) => {
    setSaveError(undefined);
    setDoc(next);
  }, []);
  const auto = useMemo(() => layout(doc), [doc]);
  const positions = useMemo(() => {
    const all = new Map(auto);
    for (const [id, at] of dragged) all.set(id, at);
    return all;
  }, [auto, dragged]);
  // A step added or removed: show the whole journey again.
  const stepCount = doc.steps.length;
  useEffect(() => {
    // After the new step has been drawn and measured, or the fit leaves it out.
    if (stepCount === 0) return;
    const timer = setTimeout(() => void flow.current?.fitView({ padding: 0.15 }), 60);
    return () => clearTimeout(timer);
  }, [stepCount]);

  const nodes: Node[] = useMemo(
    () => [
      {
        id: TRIGGER,
        type: 'trigger',
        position: { x: 0, y: 0 },
        data: { summary: triggerSummary(doc) },
        ...(measured.has(TRIGGER) ? { measured: measured.get(TRIGGER)! } : {}),
        selected: outlet === 'trigger',
        deletable: false,
        ariaLabel: `Trigger: ${triggerSummary(doc)}`,
      },
      ...doc.steps.map((step) => ({
        id: step.id,
        type: 'step',
        position: positions.get(step.id) ?? { x: 0, y: 0 },
        ...(measured.has(step.id) ? { measured: measured.get(step.id)! } : {}),
        selected: selected === step.id,
        ariaLabel: `Step ${step.id}, ${STEP_TYPE_NAMES[step.type]}${byStep.has(step.id) ? ', has problems' : ''}`,
        data: {
          step,
          issues: byStep.get(step.id) ?? [],
          counts: props.stats ? (props.stats.steps[step.id] ?? { passed: 0, current: 0 }) : null,
          start: doc.start === step.id,
        } satisfies StepData,
      })),
    ],
    [doc, positions, measured, selected, outlet, byStep, props.stats],
  );

  const edges: Edge[] = useMemo(() => {
    const ids = new Set(doc.steps.map((s) => s.id));
    const list: Edge[] = [];
    if (ids.has(doc.start))
      list.push({
        id: `${TRIGGER}|start`,
        source: TRIGGER,
        sourceHandle: 'start',
        target: doc.start,
        markerEnd: { type: MarkerType.ArrowClosed },
      });
    for (const step of doc.steps)
      for (const slot of slotsOf(step)) {
        if (!ids.has(slot.to)) continue;
        const passed = props.stats?.steps[slot.to]?.passed;
        list.push({
          id: `${step.id}|${slot.field}`,
          source: step.id,
          sourceHandle: slot.field,
          target: slot.to,
          // The outlet's name is on the step; the edge carries only the people who took it.
          label: passed !== undefined ? `${num(passed)} passed` : undefined,
          markerEnd: { type: MarkerType.ArrowClosed },
        });
      }
    return list;
  }, [doc, props.stats]);

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      if (changes.some((c) => c.type === 'position'))
        setDragged((old) => {
          const next = new Map(old);
          for (const c of changes)
            if (c.type === 'position' && c.position && c.id !== TRIGGER) next.set(c.id, c.position);
          return next;
        });
      if (changes.some((c) => c.type === 'dimensions' && c.dimensions))
        setMeasured((old) => {
          const next = new Map(old);
          for (const c of changes) if (c.type === 'dimensions' && c.dimensions) next.set(c.id, c.dimensions);
          return next;
        });
      for (const c of changes) if (c.type === 'remove' && c.id !== TRIGGER) change(removeStep(doc, c.id));
      // A node chosen from the keyboard (Tab to it, Enter) arrives as a selection change.
      for (const c of changes) if (c.type === 'select' && c.selected && c.id !== TRIGGER) setSelected(c.id);
    },
    [doc, change],
  );

  const onConnect = useCallback(
    (connection: Connection) => {
      if (!connection.target || connection.target === TRIGGER) return;
      if (connection.source === TRIGGER) change({ ...doc, start: connection.target });
      else if (connection.sourceHandle)
        change(connect(doc, connection.source, connection.sourceHandle, connection.target));
    },
    [doc, change],
  );

  const onEdgesDelete = useCallback(
    (deleted: Edge[]) => {
      let next = doc;
      for (const edge of deleted) {
        if (edge.source === TRIGGER || !edge.sourceHandle) continue;
        next = connect(next, edge.source, edge.sourceHandle, '');
      }
      change(next);
    },
    [doc, change],
  );

  const selectedStep = doc.steps.find((s) => s.id === selected);
  const outletChoices = [
    { value: 'trigger', label: 'after the trigger (becomes the first step)' },
    ...doc.steps.flatMap((step) =>
      slotsOf(step).map((slot) => ({
        value: `${step.id}|${slot.field}`,
        label: `after ${step.id}${slot.label ? ` (${slot.label})` : ''}${slot.to ? '' : ' · not connected'}`,
      })),
    ),
  ];
  const outletValue = outlet === 'trigger' ? 'trigger' : outlet ? `${outlet.stepId}|${outlet.field}` : '';

  async function save() {
    setSaving(true);
    setSaveError(undefined);
    try {
      props.onSaved(await api.saveJourney(doc));
    } catch (e) {
      setSaveError(e);
    } finally {
      setSaving(false);
    }
  }

  const blocked = issues.length > 0 || checking;
  return (
    <div className="journey-builder">
      <div className="row" role="tablist" aria-label="How to edit">
        <button type="button" role="tab" aria-selected={view === 'canvas'} onClick={() => setView('canvas')}>
          Canvas
        </button>
        <button type="button" role="tab" aria-selected={view === 'code'} onClick={() => setView('code')}>
          Code view (JSON)
        </button>
      </div>
      {view === 'code' ? (
        <JourneyJsonEditor
          title={props.existing ? 'Edit as JSON (saves a new version)' : 'New journey as JSON'}
          initial={doc}
          onParsed={(parsed) => change(parsed as JourneyDefinition)}
          onSaved={props.onSaved}
        />
      ) : (
        <div className="builder-layout">
          <JourneySettings
            doc={doc}
            names={names}
            existing={props.existing !== undefined}
            issues={journeyIssues}
            onChange={change}
          />
          <section className="builder-canvas-column" aria-label="Steps">
            <div className="builder-toolbar">
              <label htmlFor="add-at">Add a step</label>
              <select
                id="add-at"
                value={outletValue}
                onChange={(e) => {
                  const [stepId, field] = e.target.value.split('|');
                  setOutlet(e.target.value === 'trigger' ? 'trigger' : { stepId: stepId!, field: field! });
                }}
              >
                {outletChoices.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
              <div className="row add-buttons">
                {STEP_KINDS.map((kind) => (
                  <button
                    type="button"
                    key={kind.label}
                    onClick={() => {
                      const added = addStep(doc, kind, outlet ?? undefined);
                      change(added.doc);
                      setSelected(added.id);
                      const first = slotsOf(added.doc.steps.find((s) => s.id === added.id)!)[0];
                      setOutlet(first ? { stepId: added.id, field: first.field } : null);
                    }}
                  >
                    {kind.label}
                  </button>
                ))}
              </div>
            </div>
            <div className="builder-canvas" data-testid="journey-canvas">
              <ReactFlow
                nodes={nodes}
                edges={edges}
                nodeTypes={nodeTypes}
                onNodesChange={onNodesChange}
                onConnect={onConnect}
                onInit={(instance) => {
                  flow.current = instance;
                }}
                onEdgesDelete={onEdgesDelete}
                onNodeClick={(_, node) => {
                  if (node.id === TRIGGER) {
                    setSelected(null);
                    setOutlet('trigger');
                    return;
                  }
                  setSelected(node.id);
                  const step = doc.steps.find((s) => s.id === node.id);
                  const open = step ? (slotsOf(step).find((s) => !s.to) ?? slotsOf(step)[0]) : undefined;
                  setOutlet(open ? { stepId: node.id, field: open.field } : null);
                }}
                fitView
                minZoom={0.2}
                deleteKeyCode={['Backspace', 'Delete']}
                proOptions={{ hideAttribution: true }}
              >
                <Background />
                <Controls />
              </ReactFlow>
            </div>
            <p className="small muted">
              Drag from a step’s outlet (the dot at its bottom) to another step to connect them, or choose
              where each outlet goes in the step’s form; select a connection and press Delete to remove it.
              Counts on a step: people who passed it, and who are there now.
            </p>
          </section>
          <aside className="builder-side" aria-label="Selected step">
            <label htmlFor="edit-step">Step to set up</label>
            <select
              id="edit-step"
              value={selected ?? ''}
              onChange={(e) => {
                const id = e.target.value || null;
                setSelected(id);
                const step = doc.steps.find((s) => s.id === id);
                const open = step ? (slotsOf(step).find((s) => !s.to) ?? slotsOf(step)[0]) : undefined;
                setOutlet(step && open ? { stepId: step.id, field: open.field } : 'trigger');
              }}
            >
              <option value="">(none)</option>
              {doc.steps.map((step) => (
                <option key={step.id} value={step.id}>
                  {step.id} · {STEP_TYPE_NAMES[step.type]}
                  {byStep.has(step.id) ? ' · has problems' : ''}
                </option>
              ))}
            </select>
            {selectedStep ? (
              <StepForm
                step={selectedStep}
                issues={byStep.get(selectedStep.id) ?? []}
                names={names}
                stepIds={doc.steps.map((s) => s.id)}
                onConnect={(field, to) => change(connect(doc, selectedStep.id, field, to))}
                onChange={(edit) => change(updateStep(doc, selectedStep.id, edit))}
                onRename={(id) => {
                  change(renameStep(doc, selectedStep.id, id));
                  setSelected(id);
                }}
                onRemove={() => {
                  change(removeStep(doc, selectedStep.id));
                  setSelected(null);
                }}
              />
            ) : (
              <p className="muted small">Select a step on the canvas to set it up.</p>
            )}
          </aside>
        </div>
      )}
      {view === 'canvas' ? (
        <div className="builder-save">
          {warnings.length > 0 ? (
            <ul className="warning small" aria-label="Names never seen">
              {warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          ) : null}
          <p className="small" role="status" data-testid="check-status">
            {checking
              ? 'Checking…'
              : issues.length === 0
                ? 'The server’s check finds no problem.'
                : `${issues.length} problem${issues.length === 1 ? '' : 's'} to fix before saving (shown at the steps).`}
          </p>
          <button type="button" className="primary" disabled={blocked || saving} onClick={save}>
            {props.existing ? `Publish version ${doc.version}` : 'Save journey'}
          </button>
          {saveError ? <ErrorNote error={saveError} /> : null}
        </div>
      ) : null}
    </div>
  );
}
