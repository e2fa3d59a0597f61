// What advancing a journey asks the world to do, as data. The runner carries these out:
// sends go through arbitration to the outbox (deduplicated by idempotency key), timers go to
// the durable timer table, events go to the log. Nothing here performs anything.
import type { Channel, MessageTemplate, SendAddress } from './definition.ts';
import type { ExitReason } from './state.ts';

export interface SendAction {
  type: 'send';
  /** journey id + instance id + step id + visit: the outbox refuses a second row with it. */
  idempotencyKey: string;
  profileId: string;
  journeyId: string;
  instanceId: string;
  stepId: string;
  /** `best`: choose among `channels` with `chooseBestChannel` at send time, with fresh consent. */
  channel: Channel | 'best';
  channels: readonly Channel[];
  template: MessageTemplate;
  /** The library template the message was copied from (docs/templates.md); its id goes on the delivery events. */
  templateCopiedFrom?: { id: string; version: number };
  /** The step's own address (a `webhook` send's receiver), added to the person's. */
  to?: SendAddress;
  offerId: string | undefined;
  purpose: string;
  kind: 'marketing' | 'transactional';
  priority: number;
  expectedValue: number;
  onCapped: 'defer' | 'drop';
}

export interface SetTraitAction {
  type: 'setTrait';
  idempotencyKey: string;
  profileId: string;
  trait: string;
  value: string | number | boolean | null;
}

export interface CreateTaskAction {
  type: 'createTask';
  idempotencyKey: string;
  profileId: string;
  journeyId: string;
  /** The createTask step that made it (the task row records it). */
  stepId: string;
  queue: string;
  /** Liquid templates, rendered by the task channel with the same variables as messages. */
  title: string;
  note: string | undefined;
  dueAt: string | undefined;
}

export interface ScheduleTimerAction {
  type: 'scheduleTimer';
  instanceId: string;
  /** Carried back in the timer input; a timer whose token is no longer the instance's is ignored. */
  token: string;
  at: string;
}

export interface CancelTimerAction {
  type: 'cancelTimer';
  instanceId: string;
  token: string;
}

/** An event for the log: every step a person takes is one. The messageId makes replays harmless. */
export interface EmitEventAction {
  type: 'emitEvent';
  event: {
    name: 'Journey Entered' | 'Journey Step Completed' | 'Journey Exited' | 'Experiment Viewed';
    messageId: string;
    profileId: string;
    timestamp: string;
    properties: Record<string, string | number | boolean | null>;
  };
}

export interface ExitAction {
  type: 'exit';
  reason: ExitReason;
}

export type JourneyAction =
  | SendAction
  | SetTraitAction
  | CreateTaskAction
  | ScheduleTimerAction
  | CancelTimerAction
  | EmitEventAction
  | ExitAction;
