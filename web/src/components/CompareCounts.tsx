// Compare two arms from counts measured elsewhere (another tool's test, a mailing split by
// hand): people and conversions per arm, the engine, and the answer in words with its interval
// (`POST /api/experiments/compare`, the statistics the Experiments page uses for its own).
import { type FormEvent, useState } from 'react';
import { request } from '../api.ts';
import { pct } from '../format.ts';
import { Card, ErrorNote } from './ui.tsx';

interface CompareAnswer {
  effect: number;
  ci: [number, number];
  pValue: number | null;
  chanceToWin: number | null;
}

const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

export function CompareCounts() {
  const [counts, setCounts] = useState({
    controlN: '',
    controlConversions: '',
    variantN: '',
    variantConversions: '',
  });
  const [engine, setEngine] = useState<'frequentist' | 'bayesian' | 'sequential'>('frequentist');
  const [answer, setAnswer] = useState<{ result: CompareAnswer; control: number; variant: number }>();
  const [error, setError] = useState<unknown>();
  async function compare(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    setAnswer(undefined);
    const arm = (n: string, sum: string) => ({ n: Number(n), sum: Number(sum) });
    try {
      const result = await request<CompareAnswer>('POST', '/api/experiments/compare', {
        body: {
          type: 'proportion',
          engine,
          control: arm(counts.controlN, counts.controlConversions),
          variant: arm(counts.variantN, counts.variantConversions),
        },
      });
      setAnswer({
        result,
        control: Number(counts.controlConversions) / Number(counts.controlN),
        variant: Number(counts.variantConversions) / Number(counts.variantN),
      });
    } catch (e) {
      setError(e);
    }
  }
  const field = (name: keyof typeof counts, label: string) => (
    <div>
      <label htmlFor={`compare-${name}`}>{label}</label>
      <input
        id={`compare-${name}`}
        type="number"
        min={0}
        required
        value={counts[name]}
        onChange={(e) => setCounts({ ...counts, [name]: e.target.value })}
      />
    </div>
  );
  const r = answer?.result;
  const clear = r ? r.ci[0] > 0 || r.ci[1] < 0 : false;
  return (
    <Card title="Compare two arms from counts" id="compare" wide>
      <p className="small muted">
        For a test measured elsewhere (another tool, a mailing split by hand): people and conversions in each
        arm.
      </p>
      <form className="row" onSubmit={compare} aria-label="Compare from counts">
        {field('controlN', 'Control: people')}
        {field('controlConversions', 'Control: conversions')}
        {field('variantN', 'Variant: people')}
        {field('variantConversions', 'Variant: conversions')}
        <div>
          <label htmlFor="compare-engine">Engine</label>
          <select
            id="compare-engine"
            value={engine}
            onChange={(e) => setEngine(e.target.value as typeof engine)}
          >
            <option value="frequentist">frequentist (p-value)</option>
            <option value="bayesian">Bayesian (chance to win)</option>
            <option value="sequential">sequential (look as often as you like)</option>
          </select>
        </div>
        <button type="submit">Compare</button>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      {answer && r ? (
        <p id="compare-answer">
          The variant converts at {pct(answer.variant)} against {pct(answer.control)} for the control:{' '}
          <strong>{signedPct(r.effect)}</strong> relative (95% interval {signedPct(r.ci[0])} to{' '}
          {signedPct(r.ci[1])})
          {r.pValue !== null ? `, p = ${r.pValue < 0.001 ? '< 0.001' : r.pValue.toFixed(3)}` : ''}
          {r.chanceToWin !== null ? `, a ${pct(r.chanceToWin)} chance the variant is better` : ''}.{' '}
          {clear
            ? `The interval excludes no difference: the variant is ${r.effect > 0 ? 'better' : 'worse'}.`
            : 'The interval includes no difference: these counts do not tell the arms apart.'}
        </p>
      ) : null}
    </Card>
  );
}
