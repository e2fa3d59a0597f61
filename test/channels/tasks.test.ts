// Tasks: the channel creates one per idempotency key; people list, claim and complete them over
// the admin API; the outcome becomes a Task Completed event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/channels/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventsNamed, makePerson } from './support.ts';

let server: TestServer;
let profileId: string;

beforeAll(async () => {
  server = await startTestServer();
  profileId = await makePerson(server, 'borrower-1', { first_name: 'Alan' });
});

afterAll(async () => {
  await server?.close();
});

function callTask(key: string): OutgoingMessage {
  return {
    idempotencyKey: key,
    profileId,
    channel: 'task',
    journeyId: 'mortgage-cross-sell',
    stepId: 'call-task',
    to: { queue: 'call-centre' },
    content: { subject: 'Offer home insurance to Alan' },
  };
}

describe('task channel and queue', () => {
  it('creates one task per idempotency key, lists, claims (once) and completes it into an event', async () => {
    const task = server.server.channels.get('task');
    const first = await task?.deliver(callTask('journey:mortgage:i1:call-task:1'));
    const again = await task?.deliver(callTask('journey:mortgage:i1:call-task:1'));
    expect(first?.status).toBe('sent');
    expect(again?.providerMessageId).toBe(first?.providerMessageId);

    const open = await server.admin('/api/tasks?queue=call-centre&status=open');
    expect(open.body.items).toHaveLength(1);
    const [item] = open.body.items;
    expect(item).toMatchObject({ title: 'Offer home insurance to Alan', status: 'open', profileId });

    const claimed = await server.adminRequest('POST', `/api/tasks/${item.id}/claim`, { by: 'agent-7' });
    expect(claimed).toMatchObject({ status: 200, body: { status: 'claimed', claimedBy: 'agent-7' } });
    const stolen = await server.adminRequest('POST', `/api/tasks/${item.id}/claim`, { by: 'agent-9' });
    expect(stolen.status).toBe(409);

    const done = await server.adminRequest('POST', `/api/tasks/${item.id}/complete`, {
      outcome: 'interested',
      by: 'agent-7',
    });
    expect(done).toMatchObject({ status: 200, body: { status: 'completed', outcome: 'interested' } });
    const repeated = await server.adminRequest('POST', `/api/tasks/${item.id}/complete`, {
      outcome: 'interested',
      by: 'agent-7',
    });
    expect(repeated.status).toBe(200);
    const changed = await server.adminRequest('POST', `/api/tasks/${item.id}/complete`, {
      outcome: 'declined',
      by: 'agent-7',
    });
    expect(changed.status).toBe(409);

    const completed = await eventsNamed(server, profileId, 'Task Completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]?.properties).toMatchObject({
      outcome: 'interested',
      queue: 'call-centre',
      task_id: item.id,
    });
    expect((await server.admin('/api/tasks?queue=call-centre&status=open')).body.items).toHaveLength(0);

    // The task is about Alan (its title names him, its outcome is what he said): his export has it.
    const exported = await server.admin(`/api/profiles/${profileId}/export`);
    expect(exported.body.tasks).toEqual([
      expect.objectContaining({ id: item.id, outcome: 'interested', title: 'Offer home insurance to Alan' }),
    ]);
  });

  it('answers 404 for an unknown task, 400 for a completion without outcome, 401 without a token', async () => {
    expect((await server.adminRequest('POST', '/api/tasks/task_nope/claim', { by: 'a' })).status).toBe(404);
    const created = await server.server.channels.get('task')?.deliver(callTask('k-2'));
    expect(
      (await server.adminRequest('POST', `/api/tasks/${created?.providerMessageId}/complete`, { by: 'a' }))
        .status,
    ).toBe(400);
    expect((await fetch(`${server.url}/api/tasks`)).status).toBe(401);
  });

  it('refuses a task without a queue or title', async () => {
    const task = server.server.channels.get('task');
    expect((await task?.deliver({ ...callTask('k-3'), to: {} }))?.status).toBe('failed');
    expect((await task?.deliver({ ...callTask('k-4'), content: {} }))?.status).toBe('failed');
  });
});
