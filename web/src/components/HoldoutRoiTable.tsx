// "Did it cause it?": each journey whose split keeps a holdout, what the model credits it with
// beside what it caused (treated against held out), and ROI on both (docs/attribution.md,
// "Incrementality"). The rows come with the ROI table's answer.
import { money, num, pct } from '../format.ts';
import type { HoldoutRoiRow } from '../measure-api.ts';
import { Empty } from './ui.tsx';

const ratio = (n: number | null) => (n === null ? '–' : n.toFixed(2));
const range = (interval: [number, number] | null, format: (n: number) => string) =>
  interval === null ? '' : ` (${format(interval[0])} to ${format(interval[1])})`;

export function HoldoutRoiTable(props: { rows: HoldoutRoiRow[]; model: string }) {
  if (props.rows.length === 0) {
    return (
      <Empty title="No journey kept a holdout in this range">
        <p>
          Give a journey's split step a holdout (people who wait but are never sent to): then this table shows
          what the journey caused, not only what a model credits it with.
        </p>
      </Empty>
    );
  }
  return (
    <div className="table-wrap">
      <table id="holdout-table">
        <thead>
          <tr>
            <th scope="col">Journey</th>
            <th scope="col">Treated / held out</th>
            <th scope="col">Converted (treated vs held out)</th>
            <th scope="col">Credited conversions ({props.model})</th>
            <th scope="col">Caused conversions</th>
            <th scope="col">Credited revenue</th>
            <th scope="col">Caused revenue</th>
            <th scope="col">Cost</th>
            <th scope="col">ROI on credited revenue</th>
            <th scope="col">ROI on caused revenue</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={`${row.journeyId}/${row.stepId}`} data-journey={row.journeyId}>
              <th scope="row">{row.journeyId}</th>
              <td>
                {num(row.treatedPeople)} / {num(row.heldOutPeople)}
              </td>
              <td>
                {pct(row.treatedRate)} vs {pct(row.heldOutRate)}
              </td>
              <td>{row.attributedConversions.toFixed(2)}</td>
              <td>
                {row.incrementalConversions === null ? '–' : row.incrementalConversions.toFixed(2)}
                {range(row.incrementalConversionsInterval, (n) => n.toFixed(1))}
              </td>
              <td>{money(row.attributedRevenue)}</td>
              <td>
                {money(row.incrementalRevenue)}
                {range(row.incrementalRevenueInterval, money)}
              </td>
              <td>{money(row.cost)}</td>
              <td>{ratio(row.attributedRoi)}</td>
              <td>
                {ratio(row.incrementalRoi)}
                {range(row.incrementalRoiInterval, ratio)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
