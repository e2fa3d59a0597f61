// advanceJourney: one input (entered, an event, a timer) applied to one person's instance,
// returning the next instance and the actions to carry out. Pure and deterministic: the same
// definition, instance and input always give the same result, with the same idempotency keys,
// so a runner that crashes after acting and replays the input sends nothing twice.

import { addDuration, nextTimeOfDay, resolveZone } from '../time.ts';
import type { CreateTaskAction, JourneyAction, SendAction } from './actions.ts';
import type { JourneyDefinition, MessageTemplate, Step, StepOf } from './definition.ts';
import { type JourneyEvent, matchesEvent, matchesFilters } from './filters.ts';
import { assignSplit, splitBucket } from './split.ts';
import { type ExitReason, HISTORY_LIMIT, type JourneyInstance } from './state.ts';

/** What the runner knows about the person at the moment of the input. */
export interface ProfileFacts {
  profileId: string;
  traits: Readonly<Record<string, unknown>>;
  timeZone: string | undefined;
}

/** The segment rule evaluator, injected: `(ruleJson, profile) => boolean`. */
export type RulePredicate = (rule: unknown, profile: ProfileFacts) => boolean;

export type AdvanceInput =
  | { kind: 'entered'; now: string; profile: ProfileFacts }
  | { kind: 'event'; now: string; profile: ProfileFacts; event: JourneyEvent }
  | { kind: 'timer'; now: string; profile: ProfileFacts; token: string };

export interface AdvanceResult {
  instance: JourneyInstance;
  actions: JourneyAction[];
  /** Why nothing happened, when nothing did (the runner logs it and moves on). */
  ignored?:
    | 'exited'
    | 'already_entered'
    | 'not_entered'
    | 'stale_timer'
    | 'early_timer'
    | 'event_not_awaited';
}

/** While a bandit drives a split: its arms' weights (arm name → share of the treated). */
export type SplitWeights = (
  journeyId: string,
  stepId: string,
) => Readonly<Record<string, number>> | undefined;

/** A running experiment on the journey's channel choice: the person's arm (a channel id). */
export type ChannelArm = (
  journeyId: string,
  profileId: string,
) => { experimentId: string; experimentName: string; armId: string; armName: string } | undefined;

/** What the experiments module decides inside a journey (injected; absent: nothing). */
export interface ExperimentHooks {
  splitWeights?: SplitWeights | undefined;
  channelArm?: ChannelArm | undefined;
}

/** A guard far above any real journey: validation refuses cycles without waits, this catches a bug. */
export const MAX_STEPS_PER_ADVANCE = 1000;

export function advanceJourney(
  definition: JourneyDefinition,
  instance: JourneyInstance,
  input: AdvanceInput,
  evaluateRule: RulePredicate,
  experiments: ExperimentHooks = {},
): AdvanceResult {
  if (definition.id !== instance.journeyId || definition.version !== instance.journeyVersion) {
    throw new Error(
      `instance ${instance.instanceId} runs ${instance.journeyId} v${instance.journeyVersion}, not ${definition.id} v${definition.version}`,
    );
  }
  if (instance.status === 'exited') return ignore(instance, 'exited');
  const run = new Run(definition, structuredClone(instance), input, evaluateRule, experiments);
  const ignored = run.apply();
  if (ignored) return ignore(instance, ignored);
  run.instance.revision += 1;
  return { instance: run.instance, actions: run.actions };
}

function ignore(instance: JourneyInstance, reason: NonNullable<AdvanceResult['ignored']>): AdvanceResult {
  return { instance, actions: [], ignored: reason };
}

/** One advance in progress: the instance being changed and the actions gathered so far. */
class Run {
  readonly actions: JourneyAction[] = [];
  private readonly steps: Map<string, Step>;

  constructor(
    readonly definition: JourneyDefinition,
    readonly instance: JourneyInstance,
    readonly input: AdvanceInput,
    readonly evaluateRule: RulePredicate,
    readonly experiments: ExperimentHooks = {},
  ) {
    this.steps = new Map(definition.steps.map((step) => [step.id, step]));
  }

  apply(): AdvanceResult['ignored'] {
    switch (this.input.kind) {
      case 'entered':
        return this.enter();
      case 'event':
        return this.onEvent(this.input.event);
      case 'timer':
        return this.onTimer(this.input.token);
    }
  }

  // 1. Entering: log the entry, then walk from the start.
  private enter(): AdvanceResult['ignored'] {
    if (this.instance.status !== 'new') return 'already_entered';
    this.emit('Journey Entered', `${this.instance.instanceId}:entered`, {});
    this.walk(this.definition.start);
    return undefined;
  }

  // 2. An event: the goal ends the journey wherever the person is; else it may end a wait.
  private onEvent(event: JourneyEvent): AdvanceResult['ignored'] {
    if (this.instance.status === 'new') return 'not_entered';
    if (this.definition.goal && matchesEvent(this.definition.goal, event)) {
      this.cancelPendingTimer();
      this.finish('converted', this.instance.stepId);
      return undefined;
    }
    const step = this.steps.get(this.instance.stepId);
    if (this.instance.status !== 'waiting' || step?.type !== 'waitForEvent') return 'event_not_awaited';
    if (step.event !== event.name || !matchesFilters(step.where, event.properties))
      return 'event_not_awaited';
    this.cancelPendingTimer();
    this.complete(step, 'event');
    this.walk(step.next);
    return undefined;
  }

  // 3. A timer: only the instance's current timer, and not before it is due, ends a wait.
  private onTimer(token: string): AdvanceResult['ignored'] {
    if (token !== this.instance.timerToken) return 'stale_timer';
    if (this.instance.waitingUntil && Date.parse(this.input.now) < Date.parse(this.instance.waitingUntil))
      return 'early_timer';
    const step = this.steps.get(this.instance.stepId);
    if (!step) return this.abort(this.instance.stepId);
    this.clearWait();
    if (step.type === 'waitForEvent') {
      this.complete(step, 'timeout');
      this.walk(step.onTimeout);
    } else if (step.type === 'wait' || step.type === 'waitUntil') {
      this.complete(step, 'elapsed');
      this.walk(step.next);
    } else return this.abort(step.id);
    return undefined;
  }

  /** Takes steps until the person waits or leaves. */
  private walk(from: string): void {
    let stepId: string | undefined = from;
    for (let taken = 0; stepId !== undefined; taken += 1) {
      const step = this.steps.get(stepId);
      if (!step || taken >= MAX_STEPS_PER_ADVANCE) {
        this.abort(stepId);
        return;
      }
      this.instance.stepId = step.id;
      this.instance.status = 'running';
      this.instance.visits[step.id] = (this.instance.visits[step.id] ?? 0) + 1;
      stepId = this.take(step);
    }
  }

  /** Takes one step; returns the next step id, or undefined when the person waits or exits. */
  private take(step: Step): string | undefined {
    switch (step.type) {
      case 'wait':
        return this.wait(step, addDuration(this.input.now, step.duration, this.zone()));
      case 'waitUntil':
        return this.wait(step, nextTimeOfDay(this.input.now, step.at, this.zone(), step.weekdays));
      case 'waitForEvent':
        return this.wait(step, addDuration(this.input.now, step.timeout, this.zone()));
      case 'branch':
        return this.branch(step);
      case 'split':
        return this.split(step);
      case 'send':
        this.actions.push(this.sendAction(step));
        return this.complete(step, 'queued', step.next);
      case 'setTrait':
        this.actions.push({
          type: 'setTrait',
          idempotencyKey: this.key(step.id),
          profileId: this.instance.profileId,
          trait: step.trait,
          value: step.value,
        });
        return this.complete(step, 'set', step.next);
      case 'createTask':
        this.actions.push(this.taskAction(step));
        return this.complete(step, 'created', step.next);
      case 'exit':
        this.complete(step, 'exit');
        this.finish('completed', step.id);
        return undefined;
    }
  }

  private wait(step: Step, until: string): undefined {
    const token = this.key(step.id);
    this.instance.status = 'waiting';
    this.instance.waitingUntil = until;
    this.instance.timerToken = token;
    this.actions.push({ type: 'scheduleTimer', instanceId: this.instance.instanceId, token, at: until });
    return undefined;
  }

  private branch(step: StepOf<'branch'>): string {
    const index = step.cases.findIndex((c) => this.evaluateRule(c.rule, this.input.profile));
    const chosen = step.cases[index];
    return chosen
      ? this.complete(step, `case ${index}`, chosen.next)
      : this.complete(step, 'otherwise', step.otherwise);
  }

  private split(step: StepOf<'split'>): string {
    const bucket = splitBucket(this.definition.id, step.id, this.instance.profileId);
    const assignment = assignSplit(
      step,
      bucket,
      this.experiments.splitWeights?.(this.definition.id, step.id),
    );
    const arm = assignment.holdout ? 'holdout' : assignment.arm;
    this.instance.arms[step.id] = arm;
    if (assignment.holdout) this.instance.holdout = true;
    return this.complete(step, assignment.holdout ? 'holdout' : `arm ${arm}`, assignment.next);
  }

  /**
   * A channel experiment on the journey picks the channel of a `best` send among the step's
   * channels: the person's arm, and their exposure logged (once per person: the id is fixed).
   */
  private experimentChannel(
    step: StepOf<'send'>,
  ): NonNullable<StepOf<'send'>['channels']>[number] | undefined {
    if (step.channel !== 'best' || !this.experiments.channelArm) return undefined;
    const arm = this.experiments.channelArm(this.definition.id, this.instance.profileId);
    const match = arm ? (step.channels ?? []).find((channel) => channel === arm.armId) : undefined;
    if (!arm || !match) return undefined;
    this.actions.push({
      type: 'emitEvent',
      event: {
        name: 'Experiment Viewed',
        messageId: `exposure:${arm.experimentId}:${this.instance.profileId}`,
        profileId: this.instance.profileId,
        timestamp: this.input.now,
        properties: {
          experiment_id: arm.experimentId,
          experiment_name: arm.experimentName,
          variation_id: arm.armId,
          variation_name: arm.armName,
          journeyId: this.definition.id,
          stepId: step.id,
        },
      },
    });
    return match;
  }

  private sendAction(step: StepOf<'send'>): SendAction {
    const kind = step.kind ?? 'marketing';
    const chosen = this.experimentChannel(step);
    return {
      type: 'send',
      idempotencyKey: this.key(step.id),
      profileId: this.instance.profileId,
      journeyId: this.definition.id,
      instanceId: this.instance.instanceId,
      stepId: step.id,
      channel: step.channel,
      channels: chosen ? [chosen] : step.channel === 'best' ? (step.channels ?? []) : [step.channel],
      template: contentOf(step),
      ...(step.templateCopiedFrom ? { templateCopiedFrom: step.templateCopiedFrom } : {}),
      ...(step.to ? { to: step.to } : {}),
      offerId: step.offerId,
      purpose: step.purpose,
      kind,
      priority: step.priority ?? 100,
      expectedValue: step.expectedValue ?? 0,
      onCapped: step.onCapped ?? 'defer',
    };
  }

  private taskAction(step: StepOf<'createTask'>): CreateTaskAction {
    return {
      type: 'createTask',
      idempotencyKey: this.key(step.id),
      profileId: this.instance.profileId,
      journeyId: this.definition.id,
      stepId: step.id,
      queue: step.queue,
      title: step.title,
      note: step.note,
      dueAt: step.dueIn ? addDuration(this.input.now, step.dueIn, this.zone()) : undefined,
    };
  }

  /** Logs the step as done and returns `next`, so steps read `return this.complete(step, 'x', next)`. */
  private complete<T extends string | undefined>(step: Step, outcome: string, next?: T): T {
    const visit = this.instance.visits[step.id] ?? 1;
    this.instance.history.push({ stepId: step.id, at: this.input.now, outcome });
    if (this.instance.history.length > HISTORY_LIMIT) this.instance.history.shift();
    this.emit('Journey Step Completed', `${this.key(step.id)}:completed`, {
      stepId: step.id,
      stepType: step.type,
      visit,
      outcome,
    });
    return next as T;
  }

  private finish(reason: ExitReason, stepId: string): void {
    this.clearWait();
    this.instance.status = 'exited';
    this.instance.stepId = stepId;
    this.instance.exit = { reason, at: this.input.now, stepId };
    this.emit('Journey Exited', `${this.instance.instanceId}:exited`, { stepId, reason });
    this.actions.push({ type: 'exit', reason });
  }

  /** The definition lost the step the person is on (or a bug looped): leave, and say so. */
  private abort(stepId: string): undefined {
    this.finish('aborted', stepId);
    return undefined;
  }

  private cancelPendingTimer(): void {
    if (this.instance.timerToken) {
      this.actions.push({
        type: 'cancelTimer',
        instanceId: this.instance.instanceId,
        token: this.instance.timerToken,
      });
    }
    this.clearWait();
  }

  private clearWait(): void {
    this.instance.waitingUntil = null;
    this.instance.timerToken = null;
  }

  private emit(
    name: 'Journey Entered' | 'Journey Step Completed' | 'Journey Exited',
    messageId: string,
    extra: Record<string, string | number | boolean | null>,
  ): void {
    this.actions.push({
      type: 'emitEvent',
      event: {
        name,
        messageId: `journey:${messageId}`,
        profileId: this.instance.profileId,
        timestamp: this.input.now,
        properties: {
          journeyId: this.definition.id,
          journeyVersion: this.definition.version,
          instanceId: this.instance.instanceId,
          holdout: this.instance.holdout,
          ...extra,
        },
      },
    });
  }

  /** journey id + instance id + step id + visit: unique per send a journey can make, stable across replays. */
  private key(stepId: string): string {
    return `${this.definition.id}:${this.instance.instanceId}:${stepId}:${this.instance.visits[stepId] ?? 1}`;
  }

  private zone(): string {
    return resolveZone(this.input.profile.timeZone, this.definition.defaultTimeZone);
  }
}

/** A saved send always carries its message: written in the step, or copied from the library at save. */
function contentOf(step: StepOf<'send'>): MessageTemplate {
  if (step.template) return step.template;
  throw new Error(`send step ${step.id} has no message: its library template was not copied in at save`);
}
