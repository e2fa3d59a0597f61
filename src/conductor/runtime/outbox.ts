// The outbox worker: claims due rows (each to one process), and for each person's rows
//   1. reads the person as they are now (consent, suppressions, time zone) and cap counts;
//   2. arbitrates all their candidates together (priority, then expected value, wins a cap);
//   3. reserves cap slots with compare-and-set, arbitrating again if another worker moved a count;
//   4. logs every decision with its reason (decisions table + a `Message …` event in the log);
//   5. renders and delivers what may go, with the idempotency key, and records the outcome:
//      sent; retried with backoff (cap slot given back); dead after MAX_ATTEMPTS.
// Consent is part of step 2, checked last, on every attempt, right before delivery.
// A row found `sending` and `delivering` with its lease run out was interrupted mid-delivery
// (the process died after handing it to the channel; a row claimed but not yet handed over is
// simply processed again):
// whether the provider got it is unknown, so it is not sent again — it goes to `dead` with the
// reason, for an operator to check with the provider by its idempotency key (no one gets a
// message twice; see docs/arbitration.md, "In doubt").
import { computeNextBackoffInterval } from '@ide/backoff';
import type { DecisionRecord, LogEntry, OutboxRow, OutboxUpdate } from '../../store/index.ts';
import { arbitrate, consentFailure } from '../arbitration/arbitrate.ts';
import { capBucketKeys } from '../arbitration/caps.ts';
import type { Decision, PersonSendState, SendCandidate } from '../arbitration/types.ts';
import { chooseBestChannel } from '../best-channel.ts';
import type { CreateTaskAction, SendAction } from '../journey/actions.ts';
import type { Channel as ChannelName } from '../journey/definition.ts';
import { renderContent } from '../journey/templates.ts';
import { resolveZone } from '../time.ts';
import type { DeliveryResult, OutgoingMessage } from './channels.ts';
import { trackEntry } from './emit.ts';
import { loadPerson, type PersonFacts, suppressionsFor } from './person.ts';
import type { ConductorState } from './state.ts';

export const MAX_ATTEMPTS = 5;
export const LEASE_MS = 60_000;
const MAX_RESERVE_TRIES = 5;

/** What a row carries: a send (journey or API) or a task. */
export interface OutboxPayload {
  action: SendAction | CreateTaskAction;
  journey?: { id: string; name: string; version: number };
  event?: { name: string; timestamp: string; properties: Record<string, unknown> } | null;
  /** API sends: extra template variables. */
  variables?: Record<string, unknown>;
}

type Row = OutboxRow & { interrupted: boolean };

export async function runOutboxStep(
  conductor: ConductorState,
  limit = 100,
  leaseMs = LEASE_MS,
): Promise<number> {
  const now = conductor.now();
  // A read first: when nothing is due, take no write lock (the loop polls often).
  const due = await conductor.store.nextOutboxDue();
  if (due === undefined || due > now) return 0;
  const rows = await conductor.store.claimOutbox(now, limit, leaseMs);
  // The policy as stored now, so that a change made through the API binds the next decision.
  if (rows.length > 0 && conductor.loadPolicy) conductor.policy = await conductor.loadPolicy();
  const byPerson = new Map<string, Row[]>();
  for (const row of rows) byPerson.set(row.profileId, [...(byPerson.get(row.profileId) ?? []), row]);
  for (const [profileId, personRows] of byPerson) await processPerson(conductor, profileId, personRows, now);
  return rows.length;
}

async function processPerson(conductor: ConductorState, profileId: string, rows: Row[], now: string) {
  const person = await loadPerson(conductor.state, profileId);
  const messages: Row[] = [];
  for (const row of rows) {
    if (row.interrupted) await giveUpInDoubt(conductor, person, row, now);
    else if (row.kind === 'task') await deliverTask(conductor, person, row, now);
    else messages.push(row);
  }
  if (messages.length === 0) return;
  const decisions = await arbitrateAndReserve(conductor, person, messages, now);
  for (const row of messages) {
    const decision = decisions.get(row.id);
    if (decision) await carryOut(conductor, person, row, decision, now);
  }
}

// 1–3. Arbitration of a person's due messages, and the atomic reservation of cap slots.
async function arbitrateAndReserve(
  conductor: ConductorState,
  person: PersonFacts,
  rows: Row[],
  now: string,
): Promise<Map<number, { decision: Decision; channel: string }>> {
  const { policy, store } = conductor;
  const picks = new Map<number, { channel: string; why?: string }>();
  for (const row of rows) picks.set(row.id, await pickChannel(conductor, person, sendOf(row)));
  const channels = new Map(rows.map((row) => [row.id, picks.get(row.id)?.channel as string]));
  const candidates: SendCandidate[] = rows.map((row) =>
    candidateOf(conductor, row, channels.get(row.id) as string),
  );
  const zone = resolveZone(person.timeZone, policy.defaultTimeZone);
  const keys = capBucketKeys(policy.caps, [...new Set(channels.values())] as ChannelName[], now, zone);
  const suppressions = suppressionsFor(person, await store.suppressionsOf(person.profileId));
  for (let attempt = 1; ; attempt++) {
    const state: PersonSendState = {
      profileId: person.profileId,
      consent: person.consent,
      suppressions,
      timeZone: person.timeZone,
      capCounts: await store.capCounts(person.profileId, keys),
    };
    const decisions = arbitrate(candidates, state, policy, now);
    const reservations = decisions.flatMap((d) => (d.action === 'send' ? d.reservations : []));
    if (
      reservations.length === 0 ||
      (await store.reserveCaps(person.profileId, reservations)) ||
      attempt >= MAX_RESERVE_TRIES
    ) {
      return new Map(
        rows.map((row, i) => [
          row.id,
          {
            decision: withWhy(decisions[i] as Decision, picks.get(row.id)?.why),
            channel: channels.get(row.id) as string,
          },
        ]),
      );
    }
  }
}

function sendOf(row: OutboxRow): SendAction {
  return (row.payload as OutboxPayload).action as SendAction;
}

/**
 * A named channel; for `best`, the one among its channels the person consented to with the
 * highest estimated engagement (the channels' `bestChannelFor`: their delivery events, pulled
 * toward the population's rate; docs/arbitration.md), and the sentence saying why. With no
 * consented channel, the first: arbitration then drops it for consent, with that reason.
 */
export async function pickChannel(
  conductor: ConductorState,
  person: Pick<PersonFacts, 'profileId' | 'consent'>,
  action: SendAction,
): Promise<{ channel: string; why?: string }> {
  if (action.channel !== 'best') return { channel: action.channel };
  // As arbitration reads consent (by purpose and channel), so the choice is one it will allow.
  const consented = action.channels.filter(
    (channel) =>
      consentFailure(
        { purpose: action.purpose, channelPurpose: consentPurposeOf(conductor, channel), kind: action.kind },
        person.consent,
      ) === undefined,
  );
  if (consented.length === 0) return { channel: action.channels[0] ?? 'email' };
  const best =
    (await conductor.channels.bestChannelFor?.(person.profileId, consented)) ??
    chooseBestChannel({ channels: consented, own: {}, segmentRates: {} }, () => true);
  if (!best) return { channel: consented[0] as string };
  return { channel: best.channel, why: `best of ${consented.join(', ')}: ${best.explanation}` };
}

/** The best-channel explanation goes into the decision's reason, as logged. */
function withWhy(decision: Decision, why: string | undefined): Decision {
  return why ? { ...decision, reason: `${decision.reason} (${why})` } : decision;
}

/** The channel's opt-in purpose (the channel says which: `email`, `sms` …); the message's own purpose is checked too. */
export function consentPurposeOf(conductor: ConductorState, channel: string): string {
  return conductor.channels.get(channel)?.purpose ?? channel;
}

function candidateOf(conductor: ConductorState, row: OutboxRow, channel: string): SendCandidate {
  const action = sendOf(row);
  return {
    id: row.idempotencyKey,
    channel: channel as ChannelName,
    purpose: action.purpose,
    channelPurpose: consentPurposeOf(conductor, channel),
    kind: action.kind,
    priority: action.priority,
    expectedValue: action.expectedValue,
    onCapped: action.onCapped,
    ...(row.journeyId ? { journeyId: row.journeyId } : {}),
  };
}

// 4–5. One decision carried out.
async function carryOut(
  conductor: ConductorState,
  person: PersonFacts,
  row: Row,
  { decision, channel }: { decision: Decision; channel: string },
  now: string,
) {
  const until = decision.action === 'defer' ? decision.until : null;
  const base = { decisionCode: decision.code, decisionReason: decision.reason, channel, updatedAt: now };
  if (decision.action === 'defer') {
    await record(
      conductor,
      person,
      row,
      channel,
      decision.action,
      decision.code,
      decision.reason,
      until,
      now,
    );
    await conductor.store.updateOutbox(row.id, {
      ...base,
      status: 'deferred',
      attempts: row.attempts,
      nextAttemptAt: decision.until,
    });
    return;
  }
  if (decision.action === 'drop') {
    await record(conductor, person, row, channel, 'drop', decision.code, decision.reason, null, now);
    await conductor.store.updateOutbox(row.id, { ...base, status: 'dropped', attempts: row.attempts });
    return;
  }
  // 5. Hand it over, unless another worker took the row over (our lease ran out meanwhile).
  if (!(await startDelivery(conductor, row, now))) {
    await conductor.store.releaseCaps(
      person.profileId,
      decision.reservations.map((r) => r.key),
    );
    return;
  }
  const outcome = await renderAndDeliver(conductor, channel, () => renderMessage(person, row, channel));
  if (outcome.status === 'sent') {
    await conductor.store.updateOutbox(row.id, {
      ...base,
      status: 'sent',
      attempts: row.attempts + 1,
      sentAt: now,
      providerMessageId: outcome.providerMessageId ?? null,
      lastError: null,
    });
    await record(conductor, person, row, channel, 'send', 'send', decision.reason, null, now);
    return;
  }
  // Not delivered: give the cap slots back, then retry later or give up.
  await conductor.store.releaseCaps(
    person.profileId,
    decision.reservations.map((r) => r.key),
  );
  await failAttempt(conductor, person, row, channel, outcome, now);
}

async function failAttempt(
  conductor: ConductorState,
  person: PersonFacts,
  row: Row,
  channel: string,
  outcome: DeliveryResult,
  now: string,
) {
  const attempts = row.attempts + 1;
  const error = outcome.error ?? outcome.status;
  const final = outcome.status === 'failed' || attempts >= MAX_ATTEMPTS;
  if (final) {
    const status = outcome.status === 'failed' ? 'failed' : 'dead';
    const reason =
      status === 'failed'
        ? `failed: ${channel} refused the message (${error})`
        : `dead: ${attempts} attempts failed, last: ${error}`;
    await conductor.store.updateOutbox(row.id, {
      status,
      attempts,
      lastError: error,
      decisionCode: status,
      channel,
      updatedAt: now,
    });
    await record(conductor, person, row, channel, 'fail', status, reason, null, now);
    return;
  }
  const delay = Math.max(
    outcome.retryAfterMs ?? 0,
    computeNextBackoffInterval(1000, attempts - 1, { maxBackoff: 3_600_000 }),
  );
  const next = new Date(Date.parse(now) + delay).toISOString();
  const update: OutboxUpdate = {
    status: 'queued',
    attempts,
    nextAttemptAt: next,
    lastError: error,
    // No longer `delivering`: a crash before the next attempt is not in doubt.
    decisionCode: 'retry',
    channel,
    updatedAt: now,
  };
  await conductor.store.updateOutbox(row.id, update);
}

/**
 * Marks the row `delivering` while our lease still holds it. From here until the outcome is
 * written, a crash leaves the row in doubt; before it, the row is simply claimed again.
 */
function startDelivery(conductor: ConductorState, row: Row, now: string): Promise<boolean> {
  if (!row.leaseUntil) return Promise.resolve(false);
  return conductor.store.startDelivery(row.id, row.leaseUntil, now);
}

/** A template that cannot be rendered for this person fails the send (final), like a channel's refusal. */
async function renderAndDeliver(
  conductor: ConductorState,
  channelName: string,
  render: () => OutgoingMessage,
): Promise<DeliveryResult> {
  let message: OutgoingMessage;
  try {
    message = render();
  } catch (error) {
    return { status: 'failed', error: `template: ${(error as Error).message}` };
  }
  return deliver(conductor, channelName, message);
}

async function deliver(conductor: ConductorState, channelName: string, message: OutgoingMessage) {
  const channel = conductor.channels.get(channelName);
  if (!channel) return { status: 'retry' as const, error: `no ${channelName} channel is configured` };
  try {
    return await channel.deliver(message);
  } catch (error) {
    return { status: 'retry' as const, error: error instanceof Error ? error.message : String(error) };
  }
}

/** The variables templates read: traits, person, journey, the trigger event, the offer. */
export function templateVariables(person: PersonFacts, payload: OutboxPayload): Record<string, unknown> {
  const action = payload.action;
  return {
    traits: person.traits,
    person: { id: person.profileId, timeZone: person.timeZone },
    journey: payload.journey ?? {},
    event: payload.event ?? {},
    offer: action.type === 'send' && action.offerId ? { id: action.offerId } : {},
    recommendations: Array.isArray(person.traits.recommendations) ? person.traits.recommendations : [],
    ...(payload.variables ?? {}),
  };
}

function addressOf(person: PersonFacts): Record<string, unknown> {
  const to: Record<string, unknown> = {};
  for (const key of ['email', 'phone']) if (person.traits[key] !== undefined) to[key] = person.traits[key];
  if (person.identity && 'userId' in person.identity) to.userId = person.identity.userId;
  return to;
}

function renderMessage(person: PersonFacts, row: OutboxRow, channel: string): OutgoingMessage {
  const payload = row.payload as OutboxPayload;
  const action = payload.action as SendAction;
  const content = renderContent(action.template, templateVariables(person, payload));
  return {
    idempotencyKey: row.idempotencyKey,
    profileId: person.profileId,
    channel,
    ...(row.journeyId ? { journeyId: row.journeyId } : {}),
    ...(row.stepId ? { stepId: row.stepId } : {}),
    ...(action.templateCopiedFrom ? { templateId: action.templateCopiedFrom.id } : {}),
    content,
    to: { ...addressOf(person), ...(action.to ?? {}) },
    ...(action.offerId ? { offerId: action.offerId } : {}),
  };
}

/** Tasks are for staff, not messages to the person: no arbitration, delivered to the `task` channel. */
async function deliverTask(conductor: ConductorState, person: PersonFacts, row: Row, now: string) {
  const payload = row.payload as OutboxPayload;
  const action = payload.action as CreateTaskAction;
  // Rendered here, once, like a message: the task channel files what it is handed.
  const message = (): OutgoingMessage => ({
    idempotencyKey: row.idempotencyKey,
    profileId: person.profileId,
    channel: 'task',
    ...(row.journeyId ? { journeyId: row.journeyId } : {}),
    ...(row.stepId ? { stepId: row.stepId } : {}),
    content: renderContent({ subject: action.title, text: action.note }, templateVariables(person, payload)),
    to: { queue: action.queue, ...(action.dueAt ? { dueAt: action.dueAt } : {}) },
  });
  if (!(await startDelivery(conductor, row, now))) return;
  const outcome = await renderAndDeliver(conductor, 'task', message);
  if (outcome.status === 'sent') {
    await conductor.store.updateOutbox(row.id, {
      status: 'sent',
      attempts: row.attempts + 1,
      channel: 'task',
      sentAt: now,
      providerMessageId: outcome.providerMessageId ?? null,
      decisionCode: 'task',
      decisionReason: `task for the ${action.queue} queue (not a message to the person)`,
      updatedAt: now,
    });
    return;
  }
  await failAttempt(conductor, person, row, 'task', outcome, now);
}

async function giveUpInDoubt(conductor: ConductorState, person: PersonFacts, row: Row, now: string) {
  const reason =
    'dead: in doubt — the process stopped while delivering; not sent again so that no one gets it twice (ask the provider by idempotency key)';
  await conductor.store.updateOutbox(row.id, {
    status: 'dead',
    attempts: row.attempts + 1,
    lastError: 'interrupted during delivery',
    decisionCode: 'in_doubt',
    decisionReason: reason,
    updatedAt: now,
  });
  await record(conductor, person, row, row.channel, 'fail', 'in_doubt', reason, null, now);
}

/** Names of the events decisions write into the log. */
export const DECISION_EVENTS = {
  send: 'Message Sent',
  defer: 'Message Deferred',
  drop: 'Message Dropped',
  fail: 'Message Failed',
} as const;

// 4. The arbitration log, and the same decision as an event for segments and reports.
async function record(
  conductor: ConductorState,
  person: PersonFacts,
  row: OutboxRow,
  channel: string | null,
  action: keyof typeof DECISION_EVENTS,
  code: string,
  reason: string,
  until: string | null,
  now: string,
) {
  const decision: DecisionRecord = {
    at: now,
    profileId: row.profileId,
    journeyId: row.journeyId,
    stepId: row.stepId,
    idempotencyKey: row.idempotencyKey,
    channel,
    action,
    code,
    reason,
    until,
  };
  await conductor.store.logDecisions([decision]);
  const entry: LogEntry = trackEntry(
    person,
    {
      name: DECISION_EVENTS[action],
      messageId: `outbox:${row.idempotencyKey}:${action}:${code}:${until ?? row.attempts}`,
      timestamp: now,
      properties: {
        idempotencyKey: row.idempotencyKey,
        channel,
        journeyId: row.journeyId,
        stepId: row.stepId,
        code,
        reason,
        ...(until ? { until } : {}),
      },
    },
    now,
  );
  await conductor.runner.appendLog([entry]);
}
