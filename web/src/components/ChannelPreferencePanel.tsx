// "Is this the medium they prefer?" (docs/attribution.md): per channel, for the page's segment,
// reach, opens, clicks and conversions, the share who prefer the channel (learned from what they
// open, and what they said) with 95% intervals, beside the channel's share of the spend.
import { num, pct } from '../format.ts';
import { useApi } from '../hooks.ts';
import { measureApi, type PreferenceRow, preferenceQuery } from '../measure-api.ts';
import { Empty, ErrorNote, Loading } from './ui.tsx';

const FLAG_TEXT: Record<NonNullable<PreferenceRow['flag']>, string> = {
  'spend-not-preferred': 'Spend goes to a medium few here prefer',
  'preferred-starved': 'Preferred here, but little spend',
};

function shareWithInterval(value: number | null, interval: [number, number] | null): string {
  if (value === null || interval === null) return '–';
  return `${pct(value)} (${pct(interval[0])}–${pct(interval[1])})`;
}

export function ChannelPreferencePanel(props: {
  from: string;
  to: string;
  segment: string;
  refresh: number;
}) {
  const query = { from: props.from, to: props.to, segment: props.segment };
  const data = useApi(() => measureApi.preference(query), [JSON.stringify(query), props.refresh]);
  if (data.error) return <ErrorNote error={data.error} />;
  if (!data.data) return <Loading what="the channel preferences" />;
  const answer = data.data;
  const call = `GET /api/attribution/channel-preference?${new URLSearchParams(preferenceQuery(query))}`;
  return (
    <>
      <p className="small">
        {answer.segment ? `Segment ${answer.segment}: ` : 'Everyone: '}
        {num(answer.people)} {answer.people === 1 ? 'person' : 'people'}, {num(answer.withHistory)} with
        messages to learn from, {num(answer.withStated)} who said which channel they prefer.
      </p>
      {answer.channels.length === 0 ? (
        <Empty title="No messages in this range">
          <p>
            Preferences are learned from deliveries, opens and clicks, and from a preferred_channel trait.
          </p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table id="preference-table">
            <thead>
              <tr>
                <th scope="col">Channel</th>
                <th scope="col">Reach</th>
                <th scope="col">Opened</th>
                <th scope="col">Clicked</th>
                <th scope="col">Converted</th>
                <th scope="col">Prefer it (from what they open)</th>
                <th scope="col">Said they prefer it</th>
                <th scope="col">Share of spend</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {answer.channels.map((row) => (
                <tr key={row.channel} data-channel={row.channel}>
                  <th scope="row">{row.channel}</th>
                  <td>{num(row.reach)}</td>
                  <td>{num(row.opened)}</td>
                  <td>{num(row.clicked)}</td>
                  <td>
                    {num(row.converted)} {row.conversionRate === null ? '' : `(${pct(row.conversionRate)})`}
                  </td>
                  <td data-col="preferred">{shareWithInterval(row.preferredShare, row.preferredInterval)}</td>
                  <td data-col="stated">{shareWithInterval(row.statedShare, row.statedInterval)}</td>
                  <td>{row.spendShare === null ? 'no spend' : pct(row.spendShare)}</td>
                  <td data-col="flag">{row.flag ? <strong>{FLAG_TEXT[row.flag]}</strong> : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="small muted">
        From <code>{call}</code>. A person prefers the channel they open most, pulled toward everyone's rate
        when they got few messages; the range in brackets is where the true share lies with 95% confidence.
      </p>
      <details>
        <summary>The queries behind these numbers</summary>
        <pre className="code" id="preference-sql">
          {answer.queries.deliveries}
        </pre>
        <pre className="code">{answer.queries.stated}</pre>
        <pre className="code">{answer.queries.converted}</pre>
      </details>
    </>
  );
}
