// Tasks: work for people (call this customer, review this application). The channel's
// `deliver` puts a task on a queue, once per idempotency key; people list, claim and complete
// tasks through the admin API, and the outcome they record becomes a `Task Completed` event,
// so a journey can wait for it and reports can count it.
import { createHash } from 'node:crypto';
import { RapportError } from '../errors/index.ts';
import type { ChannelStore, TaskQuery, TaskRow } from '../store/index.ts';
import { DELIVERY_EVENTS, type DeliveryEventLog, deliveryMessageId } from './delivery-events.ts';
import { sendProperties } from './email.ts';
import type { Channel, ChannelDescription, DeliveryResult, OutgoingMessage } from './types.ts';

export function taskIdFor(idempotencyKey: string): string {
  return `task_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
}

function trimmed(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Creates tasks; `to.queue` names the queue, the content's subject is the title and its text the note. */
export class TaskChannel implements Channel {
  readonly name = 'task';

  constructor(
    private readonly tasks: TaskService,
    readonly purpose = 'phone',
  ) {}

  describe(): ChannelDescription {
    return {
      transport: 'task',
      destination: 'to.queue of each message: a queue people work (GET /api/tasks)',
    };
  }

  async deliver(message: OutgoingMessage): Promise<DeliveryResult> {
    const queue =
      typeof message.to.queue === 'string' && message.to.queue.trim() ? message.to.queue.trim() : '';
    if (!queue) return { status: 'failed', error: 'to.queue is missing' };
    const title = trimmed(message.content.subject ?? message.to.title);
    const note = trimmed(message.content.text ?? message.to.note);
    if (!title) return { status: 'failed', error: 'a task needs a title (content.subject)' };
    const dueAt =
      typeof message.to.dueAt === 'string' && !Number.isNaN(Date.parse(message.to.dueAt))
        ? message.to.dueAt
        : null;
    const task = await this.tasks.create(message, { queue, title, note: note ?? null, dueAt });
    return { status: 'sent', providerMessageId: task.id };
  }
}

export class TaskService {
  constructor(
    private readonly store: ChannelStore,
    private readonly events: DeliveryEventLog,
  ) {}

  async create(
    message: OutgoingMessage,
    fields: { queue: string; title: string; note: string | null; dueAt: string | null },
  ): Promise<TaskRow> {
    const task = await this.store.createTask({
      id: taskIdFor(message.idempotencyKey),
      idempotencyKey: message.idempotencyKey,
      profileId: message.profileId,
      journeyId: message.journeyId ?? null,
      stepId: message.stepId ?? null,
      createdAt: new Date().toISOString(),
      ...fields,
    });
    await this.events.append([
      {
        profileId: task.profileId,
        event: DELIVERY_EVENTS.taskCreated,
        messageId: deliveryMessageId('task-created', task.id),
        properties: { ...sendProperties(message), task_id: task.id, queue: task.queue },
      },
    ]);
    return task;
  }

  list(query: TaskQuery): Promise<TaskRow[]> {
    return this.store.listTasks(query);
  }

  async get(id: string): Promise<TaskRow> {
    const task = await this.store.getTask(id);
    if (!task) throw new RapportError('RAPPORT_API_NOT_FOUND', `no task ${id}`);
    return task;
  }

  async claim(id: string, by: string): Promise<TaskRow> {
    const claimed = await this.store.claimTask(id, by, new Date().toISOString());
    if (claimed) return claimed;
    const task = await this.get(id);
    if (task.status === 'claimed' && task.claimedBy === by) return task;
    throw new RapportError(
      'RAPPORT_TASK_CONFLICT',
      `task ${id} is ${task.status} by ${task.claimedBy ?? task.completedBy}`,
      {
        status: task.status,
      },
    );
  }

  /**
   * Completes the task and appends `Task Completed`. Completing again with the same outcome
   * answers the task and appends again (same messageId, so nothing twice): a client that lost
   * the first answer can retry safely, and an event lost to a crash between the two writes is
   * written then.
   */
  async complete(id: string, outcome: string, by: string): Promise<TaskRow> {
    let task = await this.store.completeTask(id, outcome, by, new Date().toISOString());
    if (!task) {
      task = await this.get(id);
      if (task.status !== 'completed' || task.outcome !== outcome) {
        throw new RapportError(
          'RAPPORT_TASK_CONFLICT',
          `task ${id} was already completed as ${JSON.stringify(task.outcome)}`,
          {
            status: task.status,
          },
        );
      }
    }
    await this.events.append([
      {
        profileId: task.profileId,
        event: DELIVERY_EVENTS.taskCompleted,
        messageId: deliveryMessageId('task-completed', task.id),
        properties: {
          channel: 'task',
          send_key: task.idempotencyKey,
          task_id: task.id,
          queue: task.queue,
          outcome,
          completed_by: task.completedBy ?? by,
          ...(task.journeyId !== null ? { journey_id: task.journeyId } : {}),
          ...(task.stepId !== null ? { step_id: task.stepId } : {}),
        },
      },
    ]);
    return task;
  }
}
