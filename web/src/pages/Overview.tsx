import { api, type FunnelReport } from '../api.ts';
import { EventsChart } from '../components/EventsChart.tsx';
import { FunnelChart } from '../components/FunnelChart.tsx';
import { JourneysTable, loadJourneysWithStats } from '../components/JourneysTable.tsx';
import {
  Card,
  DemoHint,
  Empty,
  ErrorNote,
  Loading,
  LoadStatus,
  PageHeader,
  Stat,
} from '../components/ui.tsx';
import { num } from '../format.ts';
import { useApi } from '../hooks.ts';
import { Link } from '../router.tsx';

async function loadFunnel(): Promise<FunnelReport | null> {
  const { funnels } = await api.funnels();
  const first = funnels[0];
  if (!first) return null;
  return api.funnel(first.id);
}

export default function Overview() {
  const status = useApi(() => api.status(), []);
  const funnel = useApi(loadFunnel, []);
  const journeys = useApi(() => loadJourneysWithStats(10), []);
  const events = useApi(() => api.eventsPerDay(30), []);
  const messages = useApi(() => api.messageStats(), []);
  const processors = status.data?.processors as Record<string, { offset: number; lag: number }> | undefined;
  const behind = processors ? Math.max(0, ...Object.values(processors).map((p) => p.lag ?? 0)) : undefined;
  return (
    <>
      <PageHeader title="Overview" />
      <div className="grid">
        <Card title="Profiles and ingest" id="ingest">
          <LoadStatus state={status} />
          {status.data ? (
            <>
              <div className="stats">
                <Stat label="Profiles" value={num(status.data.profiles)} />
                <Stat label="Messages received" value={num(status.data.logHead)} />
                <Stat
                  label="Dead letters"
                  value={num(status.data.deadLetters)}
                  hint="rejected messages kept for inspection"
                />
                {behind !== undefined ? (
                  <Stat label="Processing backlog" value={num(behind)} hint="messages not yet applied" />
                ) : null}
              </div>
              {status.data.lastError ? (
                <p className="error">Last processor error: {String(status.data.lastError)}</p>
              ) : null}
              {status.data.profiles === 0 ? (
                <Empty title="No profiles yet">
                  <DemoHint />
                </Empty>
              ) : null}
            </>
          ) : null}
        </Card>
        <Card title="Lifecycle funnel" id="funnel">
          {funnel.error ? <ErrorNote error={funnel.error} /> : null}
          {funnel.data === null ? (
            <Empty title="No lifecycle funnel is switched on">
              <p>
                Switch on the e-commerce funnel (awareness to loyalty) with one click on the{' '}
                <Link href="/funnel">Funnel and paths</Link> page.
              </p>
            </Empty>
          ) : funnel.data ? (
            <FunnelChart report={funnel.data} height={220} />
          ) : (
            <Loading />
          )}
        </Card>
        <Card title="Events per day" id="events-per-day" wide>
          <LoadStatus state={events} />
          {events.data ? (
            <>
              <div className="stats">
                <Stat
                  label="Events, last 30 days"
                  value={<span data-testid="events-30d">{num(events.data.totals.total)}</span>}
                  hint={`${events.data.from} to ${events.data.to}, UTC, by event time`}
                />
                <Stat
                  label="Dead letters, last 30 days"
                  value={<span data-testid="dead-letters-30d">{num(events.data.totals.deadLetters)}</span>}
                />
              </div>
              {events.data.totals.total === 0 ? (
                <Empty title="No events in the last 30 days">
                  <DemoHint />
                </Empty>
              ) : (
                <EventsChart stats={events.data} />
              )}
            </>
          ) : null}
        </Card>
        <Card title="Messages today" id="messages-today">
          <LoadStatus state={messages} />
          {messages.data ? (
            <div className="stats">
              <Stat
                label="Sent today"
                value={<span data-testid="messages-sent-today">{num(messages.data.totals.sent)}</span>}
                hint={`${messages.data.to}, UTC`}
              />
              <Stat
                label="Suppressed today"
                value={
                  <span data-testid="messages-suppressed-today">{num(messages.data.totals.suppressed)}</span>
                }
                hint="dropped by arbitration"
              />
              <Stat label="Deferred today" value={num(messages.data.totals.deferred)} />
              <Stat label="Failed today" value={num(messages.data.totals.failed)} />
            </div>
          ) : null}
          <p className="small">
            By channel, journey and reason, and every decision with its reason, on{' '}
            <Link href="/messages">Messages</Link>.
          </p>
        </Card>
        <Card title="Active journeys" id="journeys" wide>
          {journeys.error ? <ErrorNote error={journeys.error} /> : null}
          {journeys.data && journeys.data.length === 0 ? (
            <Empty title="No journeys yet">
              <p>
                Create one on <Link href="/journeys">Journeys</Link> (examples in{' '}
                <code>examples/journeys/</code>).
              </p>
            </Empty>
          ) : null}
          {journeys.data && journeys.data.length > 0 ? <JourneysTable rows={journeys.data} /> : null}
        </Card>
      </div>
    </>
  );
}
