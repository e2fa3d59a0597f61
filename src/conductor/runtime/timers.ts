// The timer step: takes due timers (locked, so on PostgreSQL each goes to one process) and
// feeds each to its instance as a `timer` input. A timer whose instance has left, or whose
// token is no longer the instance's (the awaited event came first), is deleted and ignored.
import type { ConductorTransaction, TimerRow } from '../../store/index.ts';
import type { JourneyInstance } from '../journey/state.ts';
import { loadPerson } from './person.ts';
import { gatheringRunner, type RunnerContext, runInput, withHistoryRetry } from './runner.ts';
import type { ConductorState } from './state.ts';

export async function runTimersStep(conductor: ConductorState, limit = 200): Promise<number> {
  const now = conductor.now();
  return withHistoryRetry(conductor.runner, () =>
    conductor.store.withDueTimers(now, limit, async (tx, timers) => {
      // The events the timers' advances emit go to the log in one append before the commit.
      const { runner, flush } = gatheringRunner(conductor.runner);
      for (const timer of timers) await fireTimer(conductor, runner, tx, timer, now);
      await flush();
      return timers.length;
    }),
  );
}

async function fireTimer(
  conductor: ConductorState,
  runner: RunnerContext,
  tx: ConductorTransaction,
  timer: TimerRow,
  now: string,
) {
  // 1. The instance, still waiting on this token?
  const stored = await tx.getInstance(timer.instanceId);
  const instance = stored?.body as JourneyInstance | undefined;
  if (!stored?.active || instance?.timerToken !== timer.token) {
    await tx.deleteTimer(timer.token);
    return;
  }
  // 2. The definition it pinned, and the person as they are now.
  const definition = await conductor.catalog.version(stored.journeyId, stored.journeyVersion);
  if (!definition) return;
  const person = await loadPerson(conductor.state, stored.profileId);
  // 3. Advance; the write consumes the timer (see buildWrite).
  const result = await runInput(
    runner,
    tx,
    definition,
    instance,
    { kind: 'timer', now, profile: person, token: timer.token },
    person,
  );
  if (result.outcome === 'ignored' && result.reason === 'stale_timer') await tx.deleteTimer(timer.token);
}
