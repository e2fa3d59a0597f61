// Measure: which channel earned it (docs/attribution.md). The ROI table under a chosen model,
// every model side by side, spend import and send costs. Each table names the API call (and
// the answer carries the SQL) behind its numbers.
import { type FormEvent, useState } from 'react';
import { Can } from '../access.tsx';
import { ChannelPreferencePanel } from '../components/ChannelPreferencePanel.tsx';
import { DateRangeFields, useDayRange } from '../components/DateRangeFields.tsx';
import { HoldoutRoiTable } from '../components/HoldoutRoiTable.tsx';
import { PortfolioPanel } from '../components/PortfolioPanel.tsx';
import { ProgrammeLiftSummary } from '../components/ProgrammeLiftSummary.tsx';
import { Card, Empty, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { money, num } from '../format.ts';
import { useApi } from '../hooks.ts';
import {
  type AttributionParams,
  type HoldoutRoiRow,
  MODELS,
  type Model,
  measureApi,
  type RoiAnswer,
  type SpendImport,
} from '../measure-api.ts';

/** The page's form: what the attribution and ROI tables are asked for. */
interface MeasureQuery {
  from: string;
  to: string;
  conversion: string;
  lookbackDays: number;
  order: number;
  withNulls: boolean;
  groupBy: 'channel' | 'campaign';
  segment: string;
}

function paramsOf(q: MeasureQuery): AttributionParams {
  return {
    from: q.from,
    to: q.to,
    conversion: q.conversion,
    lookbackDays: q.lookbackDays,
    order: q.order,
    withNulls: String(q.withNulls),
    groupBy: q.groupBy,
    ...(q.segment.trim() ? { segment: q.segment.trim() } : {}),
  };
}

/** The query string the page asked with, shown under each table so a number can be traced. */
function describeCall(path: string, q: MeasureQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({
    ...Object.fromEntries(Object.entries(paramsOf(q)).map(([k, v]) => [k, String(v)])),
    ...extra,
  });
  return `GET ${path}?${params.toString()}`;
}

const ratio = (n: number | null) => (n === null ? '–' : n.toFixed(2));
const share = (n: number) => n.toFixed(2);

function RoiTable(props: { answer: RoiAnswer }) {
  const { answer } = props;
  if (answer.rows.length === 0) {
    return (
      <Empty title="No touchpoints in this range">
        <p>
          Touches are sends, opens and clicks, placements, ad clicks and visits classified by UTM or referrer.
        </p>
      </Empty>
    );
  }
  const currency = answer.currency ? ` (${answer.currency})` : '';
  return (
    <div className="table-wrap">
      <table id="roi-table">
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">Reach</th>
            <th scope="col">Engaged</th>
            <th scope="col">Sends</th>
            <th scope="col">Conversions</th>
            <th scope="col">Revenue</th>
            <th scope="col">Spend{currency}</th>
            <th scope="col">Send cost</th>
            <th scope="col">Cost</th>
            <th scope="col">ROAS</th>
            <th scope="col">ROI</th>
            <th scope="col">Incremental (holdout)</th>
          </tr>
        </thead>
        <tbody>
          {answer.rows.map((row) => (
            <tr key={row.channel} data-channel={row.channel}>
              <th scope="row">{row.channel}</th>
              <td>{num(row.reach)}</td>
              <td>{num(row.engaged)}</td>
              <td>{num(row.sends)}</td>
              <td>{share(row.conversions)}</td>
              <td>{money(row.value)}</td>
              <td>{money(row.spend)}</td>
              <td>{money(row.sendCost)}</td>
              <td>{money(row.cost)}</td>
              <td>{ratio(row.roas)}</td>
              <td>{ratio(row.roi)}</td>
              <td>
                {row.incrementalConversions === null ? 'no holdout' : share(row.incrementalConversions)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {answer.unmatchedSpend.length > 0 ? (
        <p className="small" role="note" id="unmatched-spend">
          Spend on channels with no touch in this range (check the names match):{' '}
          {answer.unmatchedSpend.map((entry) => `${entry.channel} ${money(entry.amount)}`).join(', ')}.
        </p>
      ) : null}
    </div>
  );
}

/**
 * The holdout truth per channel: the conversions caused by the journeys that sent on that
 * channel alone (a journey on two channels cannot say which of them caused what).
 */
function holdoutTruth(holdouts: HoldoutRoiRow[] | undefined, channel: string): string {
  const alone = (holdouts ?? []).filter(
    (row) => row.channels.length === 1 && row.channels[0] === channel && row.incrementalConversions !== null,
  );
  if (alone.length === 0) return 'no holdout';
  return share(alone.reduce((sum, row) => sum + (row.incrementalConversions ?? 0), 0));
}

function ModelComparison(props: { query: MeasureQuery; holdouts: HoldoutRoiRow[] | undefined }) {
  const data = useApi(() => measureApi.attribution(paramsOf(props.query)), [JSON.stringify(props.query)]);
  if (data.error) return <ErrorNote error={data.error} />;
  if (!data.data) return <Loading what="the models" />;
  const answer = data.data;
  const channels = answer.channels.map((channel) => channel.channel);
  return (
    <>
      <p className="small">
        {num(answer.conversions)} conversions ({money(answer.value)} revenue) over {num(answer.paths)} paths;{' '}
        {num(answer.conversionsWithoutTouches)} had no touch in the lookback window,{' '}
        {num(answer.conversionsWithoutRevenue)} had no revenue.
      </p>
      <div className="table-wrap">
        <table id="model-comparison">
          <thead>
            <tr>
              <th scope="col">Channel</th>
              {MODELS.map((model) => (
                <th scope="col" key={model}>
                  {model}
                </th>
              ))}
              <th scope="col">Holdout truth</th>
            </tr>
          </thead>
          <tbody>
            {channels.map((channel) => (
              <tr key={channel} data-channel={channel}>
                <th scope="row">{channel}</th>
                {MODELS.map((model) => (
                  <td key={model}>{share(answer.models[model]?.[channel]?.conversions ?? 0)}</td>
                ))}
                <td>{holdoutTruth(props.holdouts, channel)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="small muted">
        From <code>{describeCall('/api/attribution', props.query)}</code>. Conversions credited to each
        channel by each model; the holdout column is what the journeys that sent on that channel alone caused,
        measured against their holdouts (below the ROI table).
      </p>
      <details>
        <summary>The query that read the touchpoints</summary>
        <pre className="code" id="touchpoints-sql">
          {answer.query}
        </pre>
      </details>
    </>
  );
}

function SpendUpload(props: { onImported: () => void }) {
  const [currency, setCurrency] = useState('EUR');
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<SpendImport>();
  const [error, setError] = useState<unknown>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    setError(undefined);
    try {
      setResult(await measureApi.importSpend(await file.text(), currency.trim()));
      props.onImported();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <form onSubmit={submit} aria-label="Import spend">
      <p className="small">
        A CSV with the columns <code>day,channel,campaign,amount,currency</code>. Importing a day, channel and
        campaign again replaces it.
      </p>
      <label htmlFor="spend-file">Spend file (CSV)</label>
      <input
        id="spend-file"
        type="file"
        accept=".csv,text/csv"
        onChange={(e) => setFile(e.target.files?.[0] ?? null)}
      />
      <label htmlFor="spend-currency">Currency of rows without one</label>
      <input
        id="spend-currency"
        value={currency}
        onChange={(e) => setCurrency(e.target.value)}
        maxLength={3}
      />
      <div style={{ marginTop: '0.5rem' }}>
        <Can needs="marketing:write">
          <button type="submit" className="primary" disabled={!file}>
            Import spend
          </button>
        </Can>
      </div>
      {error ? <ErrorNote error={error} /> : null}
      {result ? (
        <div role="status" id="spend-result">
          <p>
            Imported {num(result.imported)} of {num(result.read)} rows ({result.currency ?? 'no currency'}).
          </p>
          {result.rejected.length > 0 ? (
            <ul>
              {result.rejected.map((row) => (
                <li key={`${row.line}-${row.field}`}>
                  line {row.line}, {row.field}: {row.reason}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}

function SendCosts(props: { onSaved: () => void }) {
  const costs = useApi(() => measureApi.sendCosts(), []);
  const [channel, setChannel] = useState('email');
  const [cost, setCost] = useState('0.001');
  const [error, setError] = useState<unknown>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      await measureApi.setSendCost(channel.trim(), Number(cost));
      costs.reload();
      props.onSaved();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <form onSubmit={submit} aria-label="Send costs">
      <p className="small">What one of Rapport's own messages costs, per channel, in the spend currency.</p>
      <ul id="send-costs">
        {Object.entries(costs.data ?? {}).map(([name, value]) => (
          <li key={name}>
            {name}: {value}
          </li>
        ))}
      </ul>
      <label htmlFor="cost-channel">Channel</label>
      <input id="cost-channel" value={channel} onChange={(e) => setChannel(e.target.value)} />
      <label htmlFor="cost-value">Cost per message</label>
      <input
        id="cost-value"
        type="number"
        min="0"
        step="any"
        value={cost}
        onChange={(e) => setCost(e.target.value)}
      />
      <div style={{ marginTop: '0.5rem' }}>
        <Can needs="marketing:write">
          <button type="submit">Save cost</button>
        </Can>
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

export default function Measure() {
  const range = useDayRange(30);
  const [model, setModel] = useState<Model>('markov');
  const [groupBy, setGroupBy] = useState<'channel' | 'campaign'>('channel');
  const [segment, setSegment] = useState('');
  const [lookbackDays, setLookbackDays] = useState(30);
  const [order, setOrder] = useState(1);
  const [tick, setTick] = useState(0);
  const query: MeasureQuery = {
    from: range.from,
    to: range.to,
    conversion: 'Order Completed',
    lookbackDays,
    order,
    withNulls: true,
    groupBy,
    segment,
  };
  const roi = useApi(() => measureApi.roi(paramsOf(query), model), [JSON.stringify(query), model, tick]);
  return (
    <>
      <PageHeader title="Measure" />
      <form className="row" aria-label="What to measure" onSubmit={(e) => e.preventDefault()}>
        <DateRangeFields idPrefix="measure" range={range} />
        <div>
          <label htmlFor="measure-model">Model</label>
          <select id="measure-model" value={model} onChange={(e) => setModel(e.target.value as Model)}>
            {MODELS.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="measure-group">Per</label>
          <select
            id="measure-group"
            value={groupBy}
            onChange={(e) => setGroupBy(e.target.value === 'campaign' ? 'campaign' : 'channel')}
          >
            <option value="channel">channel</option>
            <option value="campaign">campaign</option>
          </select>
        </div>
        <div>
          <label htmlFor="measure-segment">Segment (empty: everyone)</label>
          <input id="measure-segment" value={segment} onChange={(e) => setSegment(e.target.value)} />
        </div>
        <div>
          <label htmlFor="measure-lookback">Lookback (days)</label>
          <input
            id="measure-lookback"
            type="number"
            min={1}
            max={180}
            value={lookbackDays}
            onChange={(e) => setLookbackDays(Math.min(180, Math.max(1, Number(e.target.value) || 30)))}
          />
        </div>
        <div>
          <label htmlFor="measure-order">Markov order</label>
          <select id="measure-order" value={order} onChange={(e) => setOrder(Number(e.target.value))}>
            {[1, 2, 3, 4].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </div>
      </form>
      <div className="grid">
        <Card title="Return on each channel" id="roi" wide>
          {roi.error ? <ErrorNote error={roi.error} /> : null}
          {!roi.data && !roi.error ? <Loading what="the ROI table" /> : null}
          {roi.data ? <RoiTable answer={roi.data} /> : null}
          <p className="small muted">
            From <code>{describeCall('/api/attribution/roi', query, { model })}</code>: credit under the{' '}
            {model} model; spend summed by <code>{roi.data?.spendQuery ?? '…'}</code>; send cost = sends ×
            cost per message.
          </p>
        </Card>
        <Card title="Did it cause it? Journeys with a holdout" id="holdouts" wide>
          {roi.data ? <HoldoutRoiTable rows={roi.data.holdouts} model={model} /> : null}
          <ProgrammeLiftSummary conversion={query.conversion} refresh={tick} />
          <p className="small muted">
            From the same call: per journey split with a holdout, the treated against the held out over the
            lookback window after the split; "caused" is the difference × the treated people, with its 95%
            range.
          </p>
        </Card>
        <Card title="Models side by side" id="models" wide>
          <ModelComparison query={query} holdouts={roi.data?.holdouts} />
        </Card>
        <Card title="Is this the medium they prefer?" id="preference" wide>
          <ChannelPreferencePanel from={range.from} to={range.to} segment={segment} refresh={tick} />
        </Card>
        <Card title="The budget as a portfolio" id="portfolio" wide>
          <PortfolioPanel />
        </Card>
        <Card title="Import spend" id="spend">
          <SpendUpload onImported={() => setTick((n) => n + 1)} />
        </Card>
        <Card title="Cost of Rapport's own messages" id="costs">
          <SendCosts onSaved={() => setTick((n) => n + 1)} />
        </Card>
      </div>
    </>
  );
}
