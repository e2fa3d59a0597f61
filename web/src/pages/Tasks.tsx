// The task queue journeys fill (a createTask step: call this customer, review this order):
// what is open, claimed and done, each linked to its person by name, worked from the screen.
// Done and Skip are final (the outcome becomes a Task Completed event a journey may wait for),
// so Skip asks first; Done records the outcome typed (default "done").
import { useEffect, useState } from 'react';
import { can, currentSession, type Task } from '../api.ts';
import { PersonLink } from '../components/PersonLink.tsx';
import { Card, Empty, ErrorNote, LoadStatus, PageHeader } from '../components/ui.tsx';
import { when } from '../format.ts';
import { useApi } from '../hooks.ts';
import { Link } from '../router.tsx';
import { type TaskStatus, tasksApi } from '../tasks-api.ts';

const STATUSES: Array<{ status: TaskStatus; label: string }> = [
  { status: 'open', label: 'Open' },
  { status: 'claimed', label: 'Claimed' },
  { status: 'completed', label: 'Done' },
];
const PAGE = 25;

function dueText(task: Task, nowMs: number): string {
  if (!task.dueAt) return 'no due date';
  const overdue = task.status !== 'completed' && Date.parse(task.dueAt) < nowMs;
  return overdue ? `${when(task.dueAt)} (overdue)` : when(task.dueAt);
}

function statusText(task: Task): string {
  if (task.status === 'completed')
    return `done by ${task.completedBy ?? '–'}${task.completedAt ? ` at ${when(task.completedAt)}` : ''}: ${task.outcome ?? ''}`;
  if (task.status === 'claimed') return `claimed by ${task.claimedBy ?? '–'}`;
  return 'open';
}

function TaskActions(props: { task: Task; onChange: () => void }) {
  const { task } = props;
  const [outcome, setOutcome] = useState('done');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const by = currentSession()?.name ?? 'dashboard';
  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      props.onChange();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  if (task.status === 'completed' || !can('marketing:write')) return null;
  const skip = () => {
    if (
      !window.confirm(
        `Skip “${task.title}”? It is closed with the outcome “skipped”, and cannot be reopened.`,
      )
    )
      return;
    void run(() => tasksApi.complete(task.id, 'skipped', by));
  };
  return (
    <div className="row">
      {task.status === 'open' ? (
        <button type="button" disabled={busy} onClick={() => void run(() => tasksApi.claim(task.id, by))}>
          Claim
        </button>
      ) : null}
      <label htmlFor={`outcome-${task.id}`} className="small">
        Outcome
      </label>
      <input
        id={`outcome-${task.id}`}
        value={outcome}
        maxLength={200}
        size={10}
        onChange={(e) => setOutcome(e.target.value)}
      />
      <button
        type="button"
        className="primary"
        disabled={busy || !outcome.trim()}
        onClick={() => void run(() => tasksApi.complete(task.id, outcome.trim(), by))}
      >
        Mark done
      </button>
      <button type="button" disabled={busy} onClick={skip}>
        Skip
      </button>
      {error ? <ErrorNote error={error} /> : null}
    </div>
  );
}

export default function Tasks() {
  const [status, setStatus] = useState<TaskStatus>('open');
  const [queue, setQueue] = useState('');
  // The cursor of each page shown so far: the first page has none.
  const [cursors, setCursors] = useState<string[]>([]);
  const after = cursors.at(-1);
  const tasks = useApi(
    () => tasksApi.list({ status, limit: PAGE, ...(queue ? { queue } : {}), ...(after ? { after } : {}) }),
    [status, queue, after],
  );
  // Queues offered: those of the tasks seen on this screen (no route lists queues).
  const [queues, setQueues] = useState<string[]>([]);
  const items = tasks.data?.items ?? [];
  useEffect(() => {
    const found = tasks.data?.items.map((t) => t.queue) ?? [];
    setQueues((known) =>
      found.every((q) => known.includes(q)) ? known : [...new Set([...known, ...found])].sort(),
    );
  }, [tasks.data]);
  const nowMs = Date.now();
  const choose = (next: TaskStatus) => {
    setStatus(next);
    setCursors([]);
  };
  return (
    <>
      <PageHeader title="Tasks" />
      <div className="grid">
        <Card title="Work from journeys" id="task-list" wide>
          <p className="small muted">
            A journey’s <em>Create task</em> step puts work here for a person to do (call this customer, check
            this order). Claim one so nobody else takes it; <strong>Mark done</strong> records its outcome,
            which the journey can wait for (a <em>Task Completed</em> event).
          </p>
          <fieldset className="filters row">
            <legend className="small">Which tasks</legend>
            {STATUSES.map((s) => (
              <button
                key={s.status}
                type="button"
                className={s.status === status ? 'primary' : undefined}
                aria-pressed={s.status === status}
                onClick={() => choose(s.status)}
              >
                {s.label}
              </button>
            ))}
            <div>
              <label htmlFor="task-queue">Queue</label>
              <select
                id="task-queue"
                value={queue}
                onChange={(e) => {
                  setQueue(e.target.value);
                  setCursors([]);
                }}
              >
                <option value="">every queue</option>
                {queues.map((q) => (
                  <option key={q}>{q}</option>
                ))}
              </select>
            </div>
          </fieldset>
          <LoadStatus state={tasks} />
          {tasks.data && items.length === 0 ? (
            <Empty
              title={
                cursors.length > 0 ? 'No more tasks' : `No ${status === 'completed' ? 'done' : status} tasks`
              }
            >
              <p>
                {status === 'open'
                  ? 'Nothing to do. Tasks appear when a journey reaches a Create task step for someone; add one to a journey on the Journeys page.'
                  : status === 'claimed'
                    ? 'Nobody is working on a task now. Claim one from the open tasks.'
                    : 'No task has been marked done or skipped yet.'}
              </p>
            </Empty>
          ) : null}
          {items.length > 0 ? (
            <div className="table-wrap">
              <table id="tasks">
                <thead>
                  <tr>
                    <th>Person</th>
                    <th>Task</th>
                    <th>Queue</th>
                    <th>From</th>
                    <th>Created</th>
                    <th>Due</th>
                    <th>Status</th>
                    <th>Act</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((task) => (
                    <tr key={task.id} data-task={task.id}>
                      <td>
                        <PersonLink profileId={task.profileId} />
                      </td>
                      <td>
                        {task.title}
                        {task.note ? <div className="small muted">{task.note}</div> : null}
                      </td>
                      <td>{task.queue}</td>
                      <td>
                        {task.journeyId ? (
                          <Link href={`/journeys/${encodeURIComponent(task.journeyId)}`}>
                            {task.journeyId}
                          </Link>
                        ) : (
                          '–'
                        )}
                      </td>
                      <td className="small">{when(task.createdAt)}</td>
                      <td className="small">{dueText(task, nowMs)}</td>
                      <td className="small">{statusText(task)}</td>
                      <td>
                        <TaskActions task={task} onChange={tasks.reload} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <div className="row">
            {cursors.length > 0 ? (
              <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
                Previous page
              </button>
            ) : null}
            {items.length === PAGE ? (
              <button type="button" onClick={() => setCursors([...cursors, items.at(-1)!.id])}>
                Next page
              </button>
            ) : null}
          </div>
        </Card>
      </div>
    </>
  );
}
