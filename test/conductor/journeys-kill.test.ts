// Crash test of the conductor (embedded storage): a real server runs a journey that sends on
// entry and again after a short wait, to a real HTTP receiver, while people enter it; it is
// killed with SIGKILL at random moments and started again on the same data. No message reaches
// the receiver twice, every trip finishes, and no step runs twice (test/support/journey-kill.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer, testSecrets } from '../support/child-server.ts';
import {
  checkOutcome,
  drain,
  enterPeople,
  outboxRows,
  Receiver,
  saveJourney,
} from '../support/journey-kill.ts';

const CYCLES = 4;
const USERS_PER_CYCLE = 20;

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-journey-kill-'));
const secrets = testSecrets();
const receiver = new Receiver();

afterAll(async () => {
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('SIGKILL while journeys send (embedded storage)', () => {
  it('sends no message twice, finishes every trip, runs no step twice', async () => {
    await receiver.start();
    const env = {
      RAPPORT_DATA_DIR: dataDir,
      RAPPORT_WRITE_KEY: secrets.writeKey,
      RAPPORT_ADMIN_TOKEN: secrets.adminToken,
      RAPPORT_SMS_WEBHOOK_URL: receiver.url,
      // A row left `sending` by a killed process is given up (in doubt) once its lease runs out.
      RAPPORT_OUTBOX_LEASE_MS: '3000',
    };
    const acked = new Set<string>();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const server = await startChildServer(env);
      if (cycle === 0) await saveJourney(server, secrets.adminToken);
      const stop = { now: false };
      const entering = enterPeople(server, secrets.writeKey, `c${cycle}`, stop, USERS_PER_CYCLE);
      // Killed while people enter, timers fire and the outbox delivers (at the provider's 10/s).
      await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2500));
      await server.kill('SIGKILL');
      stop.now = true;
      for (const user of await entering) acked.add(user);
    }
    expect(acked.size).toBeGreaterThan(0);

    const final = await startChildServer(env);
    const stats = await drain(final, secrets.adminToken, acked.size);
    const rows = await outboxRows(final, secrets.adminToken);
    await final.kill('SIGTERM');

    const report = await checkOutcome(rows, stats, receiver, acked, { dataDir, databaseUrl: undefined });
    console.info('journey kill test (embedded):', JSON.stringify(report));
    expect(report.sent).toBeGreaterThan(0);
  }, 240_000);
});
