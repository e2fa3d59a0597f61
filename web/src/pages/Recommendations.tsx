import { type FormEvent, useEffect, useState } from 'react';
import { Can } from '../access.tsx';
import { Card, Empty, ErrorNote, Loading, PageHeader, Stat } from '../components/ui.tsx';
import { num, pct, when } from '../format.ts';
import { useApi } from '../hooks.ts';
import { type RecommendationSettings, type Rule, recommendApi } from '../loyalty-api.ts';

function RulesTable(props: { rules: Rule[]; caption: string }) {
  if (props.rules.length === 0) return <p className="muted">No rule reaches these thresholds.</p>;
  return (
    <table>
      <caption className="small muted">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Bought</th>
          <th scope="col">Goes with</th>
          <th scope="col">Support</th>
          <th scope="col">Confidence</th>
          <th scope="col">Lift</th>
          <th scope="col">Baskets</th>
          <th scope="col">LLR</th>
        </tr>
      </thead>
      <tbody>
        {props.rules.map((rule) => (
          <tr key={`${rule.lhs.join('+')}>${rule.rhs[0]}`}>
            <td>{rule.lhs.join(', ')}</td>
            <td>{rule.rhs.join(', ')}</td>
            <td>{pct(rule.support, 2)}</td>
            <td>{pct(rule.confidence)}</td>
            <td>{rule.lift.toFixed(2)}</td>
            <td>{num(rule.count)}</td>
            <td>{rule.llr.toFixed(1)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NumberField(props: {
  id: string;
  label: string;
  value: number;
  step?: string;
  onChange: (value: number) => void;
}) {
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        step={props.step ?? 'any'}
        value={props.value}
        onChange={(e) => props.onChange(Number(e.target.value))}
      />
    </>
  );
}

function Settings(props: { settings: RecommendationSettings; onSaved: () => void }) {
  const [draft, setDraft] = useState(props.settings);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  useEffect(() => setDraft(props.settings), [props.settings]);
  const set = (patch: Partial<RecommendationSettings>) => {
    setSaved(false);
    setDraft({ ...draft, ...patch });
  };
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      await recommendApi.saveSettings(draft);
      setSaved(true);
      props.onSaved();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <form onSubmit={submit} aria-label="Recommendation settings">
      <NumberField
        id="rec-support"
        label="Minimum support (share of baskets)"
        value={draft.minSupport}
        onChange={(v) => set({ minSupport: v })}
      />
      <NumberField
        id="rec-confidence"
        label="Minimum confidence"
        value={draft.minConfidence}
        onChange={(v) => set({ minConfidence: v })}
      />
      <NumberField
        id="rec-count"
        label="Minimum baskets per pair"
        step="1"
        value={draft.minCount}
        onChange={(v) => set({ minCount: v })}
      />
      <NumberField
        id="rec-llr"
        label="Minimum log-likelihood ratio"
        value={draft.minLlr}
        onChange={(v) => set({ minLlr: v })}
      />
      <label htmlFor="rec-basket">Basket</label>
      <select
        id="rec-basket"
        value={draft.basket}
        onChange={(e) => set({ basket: e.target.value as 'order' | 'person' })}
      >
        <option value="person">everything a person bought</option>
        <option value="order">one order</option>
      </select>
      <NumberField
        id="rec-days"
        label="Orders of the last N days"
        step="1"
        value={draft.days}
        onChange={(v) => set({ days: v })}
      />
      <NumberField
        id="rec-limit"
        label="Products per person"
        step="1"
        value={draft.limit}
        onChange={(v) => set({ limit: v })}
      />
      <label htmlFor="rec-exclude">Never recommend (product ids, comma-separated)</label>
      <input
        id="rec-exclude"
        value={draft.exclude.join(', ')}
        onChange={(e) =>
          set({
            exclude: e.target.value
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s !== ''),
          })
        }
      />
      <NumberField
        id="rec-holdout"
        label="Holdout share (no recommendations, to measure against)"
        value={draft.holdoutShare}
        onChange={(v) => set({ holdoutShare: v })}
      />
      <NumberField
        id="rec-due"
        label="Recommendation Due after N days"
        step="1"
        value={draft.triggerAfterDays}
        onChange={(v) => set({ triggerAfterDays: v })}
      />
      <NumberField
        id="rec-hours"
        label="Refresh every N hours (0: off)"
        value={draft.refreshHours}
        onChange={(v) => set({ refreshHours: v })}
      />
      <div style={{ marginTop: '0.5rem' }}>
        <Can needs="marketing:write">
          <button type="submit" className="primary">
            Save settings
          </button>
        </Can>{' '}
        {saved ? <span role="status">Saved.</span> : null}
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

function Explore() {
  const [query, setQuery] = useState({ minSupport: 0.01, minConfidence: 0.1, basket: 'order', limit: 50 });
  const [submitted, setSubmitted] = useState(query);
  const rules = useApi(() => recommendApi.rules(submitted), [submitted]);
  return (
    <>
      <form
        aria-label="Explore rules"
        onSubmit={(e) => {
          e.preventDefault();
          setSubmitted(query);
        }}
      >
        <NumberField
          id="explore-support"
          label="Minimum support"
          value={query.minSupport}
          onChange={(v) => setQuery({ ...query, minSupport: v })}
        />
        <NumberField
          id="explore-confidence"
          label="Minimum confidence"
          value={query.minConfidence}
          onChange={(v) => setQuery({ ...query, minConfidence: v })}
        />
        <label htmlFor="explore-basket">Basket</label>
        <select
          id="explore-basket"
          value={query.basket}
          onChange={(e) => setQuery({ ...query, basket: e.target.value })}
        >
          <option value="order">one order</option>
          <option value="person">everything a person bought</option>
        </select>
        <div style={{ marginTop: '0.5rem' }}>
          <button type="submit">Find rules</button>
        </div>
      </form>
      {rules.error ? <ErrorNote error={rules.error} /> : null}
      {rules.loading ? <Loading what="the rules" /> : null}
      {rules.data ? (
        <>
          <p data-testid="explore-summary">
            {num(rules.data.count)} rules from {num(rules.data.baskets)} baskets of {num(rules.data.items)}{' '}
            products
          </p>
          <RulesTable rules={rules.data.rules} caption="Sorted by lift; the first 50." />
        </>
      ) : null}
    </>
  );
}

export default function Recommendations() {
  const status = useApi(() => recommendApi.status(), []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  async function refresh() {
    setBusy(true);
    setError(undefined);
    try {
      await recommendApi.refresh();
      status.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const last = status.data?.last;
  return (
    <>
      <PageHeader title="Recommendations">
        <Can needs="marketing:write">
          <button type="button" className="primary" onClick={refresh} disabled={busy}>
            {busy ? 'Refreshing…' : 'Refresh now'}
          </button>
        </Can>
      </PageHeader>
      {error ? <ErrorNote error={error} /> : null}
      <div className="grid">
        <Card title="Last refresh" id="last-refresh">
          {status.error ? <ErrorNote error={status.error} /> : null}
          {status.loading && !status.data ? <Loading /> : null}
          {status.data && !last ? (
            <Empty title="Not refreshed yet">
              <p>Next best products are computed from orders on a schedule; press Refresh now to start.</p>
            </Empty>
          ) : null}
          {last ? (
            <>
              <p data-testid="refreshed-at">Refreshed {when(last.computedAt)}</p>
              <div className="stats">
                <Stat label="buyers" value={num(last.people)} />
                <Stat label="with recommendations" value={num(last.withRecommendations)} />
                <Stat label="held out" value={num(last.holdout)} />
                <Stat label="pair rules" value={num(last.rules)} />
              </div>
              {last.warnings.map((w) => (
                <p key={w} className="small muted">
                  {w}
                </p>
              ))}
            </>
          ) : null}
        </Card>
        <Card title="Settings" id="settings">
          {status.data ? <Settings settings={status.data.settings} onSaved={status.reload} /> : <Loading />}
        </Card>
        <Card title="What goes with what (last refresh)" id="top-rules" wide>
          {last ? (
            <RulesTable rules={last.topRules} caption="Pair rules used for next best products, by lift." />
          ) : (
            <p className="muted">No refresh yet.</p>
          )}
        </Card>
        <Card title="Explore rules on the orders" id="explore" wide>
          <Explore />
        </Card>
      </div>
    </>
  );
}
