import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { FunnelChart } from '../components/FunnelChart.tsx';
import { Card, Empty, ErrorNote, Loading, NotAvailable, PageHeader } from '../components/ui.tsx';
import { duration, num, pct } from '../format.ts';
import { useApi } from '../hooks.ts';

export default function Funnel() {
  const funnels = useApi(() => api.funnels(), []);
  const [chosen, setChosen] = useState<string>();
  const [cohortDraft, setCohortDraft] = useState('');
  const [cohort, setCohort] = useState('');
  const id = chosen ?? (funnels.data?.funnels[0]?.id as string | undefined);
  const report = useApi(
    () => (id ? api.funnel(id, cohort || undefined) : Promise.resolve(null)),
    [id, cohort],
  );
  const [switching, setSwitching] = useState<unknown>();
  async function switchOn() {
    try {
      await api.putFunnel('lifecycle', { preset: 'ecommerce' });
      funnels.reload();
    } catch (e) {
      setSwitching(e);
    }
  }
  function applyCohort(event: FormEvent) {
    event.preventDefault();
    setCohort(cohortDraft.trim());
  }
  return (
    <>
      <PageHeader title="Funnel and paths" />
      <div className="grid">
        <Card title="Lifecycle funnel" id="funnel" wide>
          {funnels.error ? <ErrorNote error={funnels.error} /> : null}
          {funnels.data && funnels.data.funnels.length === 0 ? (
            <Empty title="No funnel is switched on">
              <p>
                Stage changes become events in every profile's history, so funnels are switched on, not
                imposed.
              </p>
              <button type="button" className="primary" onClick={switchOn}>
                Switch on the e-commerce lifecycle
              </button>
              {switching ? <ErrorNote error={switching} /> : null}
            </Empty>
          ) : null}
          {funnels.data && funnels.data.funnels.length > 0 ? (
            <form className="row" onSubmit={applyCohort}>
              <div>
                <label htmlFor="funnel-id">Funnel</label>
                <select id="funnel-id" value={id} onChange={(e) => setChosen(e.target.value)}>
                  {funnels.data.funnels.map((f) => (
                    <option key={String(f.id)} value={String(f.id)}>
                      {String(f.name ?? f.id)}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <label htmlFor="cohort">Cohort (first_seen_month:2026-01, source:NAME, segment:ID)</label>
                <input
                  id="cohort"
                  value={cohortDraft}
                  onChange={(e) => setCohortDraft(e.target.value)}
                  placeholder="everyone"
                />
              </div>
              <button type="submit">Apply</button>
            </form>
          ) : null}
          {report.error ? <ErrorNote error={report.error} /> : null}
          {report.loading && !report.data && id ? <Loading /> : null}
          {report.data ? (
            <>
              <FunnelChart report={report.data} />
              <table>
                <thead>
                  <tr>
                    <th>Stage</th>
                    <th className="num">Now at it</th>
                    <th className="num">Reached</th>
                    <th className="num">From previous</th>
                    <th className="num">Median time in stage</th>
                  </tr>
                </thead>
                <tbody>
                  {report.data.stages.map((s) => (
                    <tr key={s.id}>
                      <td>{s.name ?? s.id}</td>
                      <td className="num">{num(s.current)}</td>
                      <td className="num">{num(s.reached)}</td>
                      <td className="num">{pct(s.conversionFromPrevious)}</td>
                      <td className="num">{duration(s.medianTimeInStageMs)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
        </Card>
        <Card title="Paths between touchpoints" id="paths" wide>
          <NotAvailable
            what="a Sankey of the most common paths between touchpoints (the journey map)"
            api="GET /api/paths?from=…&steps=…"
          />
        </Card>
      </div>
    </>
  );
}
