// The whole programme's lift against the global holdout (GET /api/holdout/lift), shown on the
// Measure page beside the journeys' holdouts: people in the global holdout get no marketing at
// all, so this is what everything together caused.
import { api } from '../api.ts';
import { num, pct } from '../format.ts';
import { useApi } from '../hooks.ts';
import { ErrorNote } from './ui.tsx';

const PROGRAMME_DAYS = 30;
const signed = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);

export function ProgrammeLiftSummary(props: { conversion: string; refresh: number }) {
  const lift = useApi(
    () => api.holdoutLift(props.conversion, PROGRAMME_DAYS),
    [props.conversion, props.refresh],
  );
  if (lift.error) return <ErrorNote error={lift.error} />;
  if (lift.data === undefined) return null;
  const call = `/api/holdout/lift?event=${encodeURIComponent(props.conversion)}&days=${PROGRAMME_DAYS}`;
  if (lift.data === null)
    return (
      <p className="small muted" id="programme-lift">
        The whole programme: no global holdout is set (Settings → arbitration policy), so what all the
        marketing together caused cannot be measured. From <code>{call}</code>.
      </p>
    );
  const answer = lift.data;
  return (
    <p id="programme-lift">
      <strong>The whole programme</strong> ({answer.percent}% held out from all marketing, last{' '}
      {PROGRAMME_DAYS} days): <span data-field="treated">{pct(answer.treated.value)}</span> of{' '}
      {num(answer.treated.n)} treated people did {answer.event}, against{' '}
      <span data-field="held-out">{pct(answer.heldOut.value)}</span> of {num(answer.heldOut.n)} held out; lift{' '}
      <span data-field="lift">{signed(answer.effect)}</span>
      {answer.ci ? (
        <span data-field="range">
          {' '}
          ({signed(answer.ci[0])} to {signed(answer.ci[1])})
        </span>
      ) : null}
      .{' '}
      <span className="small muted">
        From <code>{call}</code>.
      </span>
    </p>
  );
}
