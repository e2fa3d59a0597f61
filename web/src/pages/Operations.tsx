// What the server refused or could not apply, kept for inspection: the dead letters (messages
// the tracking API rejected, with the reason) and the quarantine (log entries a processor set
// aside after failing on them). Each is shown as sent; a dead letter is replayed as kept or
// corrected, a quarantined entry replayed through its processor; either is discarded after a
// confirmation. docs/tracking-api.md, docs/quarantine.md.
import { type FormEvent, type ReactNode, useState } from 'react';
import { Can } from '../access.tsx';
import { BulkExportCard } from '../components/Downloads.tsx';
import { Card, Empty, ErrorNote, LoadStatus, PageHeader, Pager } from '../components/ui.tsx';
import { duration, num, when } from '../format.ts';
import { useApi } from '../hooks.ts';
import {
  type CompactionReport,
  type DeadLetter,
  operations,
  type QuarantinedEntry,
} from '../operations-api.ts';

const PAGE = 25;

/** The kept text as indented JSON when it is JSON, else as it is. */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

const PROCESSORS: Record<string, string> = {
  profiles: 'profiles (people and their traits)',
  warehouse: 'warehouse (events for reports)',
  segments: 'segments (live membership)',
  journeys: 'journeys (entries and steps)',
  loyalty: 'loyalty (points)',
};

const processorName = (processor: string) => PROCESSORS[processor] ?? processor;

/** Older/newer paging over id cursors: the stack holds the cursors of the pages before. */
function useCursorPages() {
  const [stack, setStack] = useState<Array<number | undefined>>([]);
  const [cursor, setCursor] = useState<number | undefined>();
  return {
    cursor,
    hasPrevious: stack.length > 0,
    next(to: number) {
      setStack((s) => [...s, cursor]);
      setCursor(to);
    },
    previous() {
      setCursor(stack.at(-1));
      setStack((s) => s.slice(0, -1));
    },
    first() {
      setStack([]);
      setCursor(undefined);
    },
  };
}

function Detail(props: { title: string; facts: Array<[string, ReactNode]>; children: ReactNode }) {
  return (
    <section className="card" aria-label={props.title}>
      <h3>{props.title}</h3>
      <dl className="kv">
        {props.facts.map(([term, value]) => (
          <div key={term} style={{ display: 'contents' }}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {props.children}
    </section>
  );
}

function DeadLetterDetail(props: { letter: DeadLetter; onDone: (note: string) => void }) {
  const { letter } = props;
  const [text, setText] = useState(pretty(letter.body));
  const [problem, setProblem] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const edited = text !== pretty(letter.body);

  async function run(action: () => Promise<string>) {
    setBusy(true);
    setError(undefined);
    try {
      props.onDone(await action());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  function replay(event: FormEvent) {
    event.preventDefault();
    setProblem(undefined);
    let message: unknown;
    if (edited) {
      try {
        message = JSON.parse(text);
      } catch (e) {
        setProblem(`The corrected message is not JSON: ${(e as Error).message}`);
        return;
      }
    }
    void run(async () => {
      const result = await operations.replayDeadLetter(letter.id, message);
      const parts = [`${num(result.accepted)} message${result.accepted === 1 ? '' : 's'} now in the log`];
      if (result.rejected > 0)
        parts.push(`${num(result.rejected)} refused again and kept as new dead letters`);
      if (result.suppressed > 0) parts.push(`${num(result.suppressed)} dropped (their person was erased)`);
      return `Dead letter ${letter.id} replayed: ${parts.join('; ')}.`;
    });
  }
  function discard() {
    if (!window.confirm(`Discard dead letter ${letter.id} for good? The message will not be kept anywhere.`))
      return;
    void run(async () => {
      await operations.discardDeadLetter(letter.id);
      return `Dead letter ${letter.id} discarded.`;
    });
  }
  return (
    <Detail
      title={`Dead letter ${letter.id}`}
      facts={[
        ['Refused because', `${letter.field}: ${letter.reason}`],
        ['Code', <code key="code">{letter.code}</code>],
        ['Source (write key)', letter.source],
        ['Received', when(letter.receivedAt)],
      ]}
    >
      <form onSubmit={replay}>
        <label htmlFor={`dead-letter-${letter.id}-message`}>
          The message as sent (correct it here, then send it again)
        </label>
        <textarea
          id={`dead-letter-${letter.id}-message`}
          style={{ width: '100%', fontFamily: 'monospace' }}
          rows={Math.min(20, text.split('\n').length + 1)}
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
        />
        <Can needs="admin">
          <div className="row">
            <button type="submit" className="primary" disabled={busy}>
              {edited ? 'Send the corrected message' : 'Send again as it was'}
            </button>
            <button type="button" onClick={discard} disabled={busy}>
              Discard
            </button>
          </div>
        </Can>
      </form>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </Detail>
  );
}

function DeadLetters() {
  const pages = useCursorPages();
  const list = useApi(() => operations.deadLetters(PAGE, pages.cursor), [pages.cursor]);
  const [open, setOpen] = useState<number>();
  const [note, setNote] = useState<string>();
  const items = list.data?.items ?? [];
  const selected = items.find((item) => item.id === open);
  const done = (message: string) => {
    setNote(message);
    setOpen(undefined);
    list.reload();
  };
  return (
    <Card title="Dead letters: messages the tracking API refused" id="dead-letters" wide>
      <p className="small muted">
        Each message a source sent that broke a rule of the tracking API, kept with the reason. Correct the
        message and send it again (it goes through the same checks), or discard it.
      </p>
      <LoadStatus state={list} />
      {note ? (
        <p role="status" className="ok">
          {note}
        </p>
      ) : null}
      {list.data && list.data.total === 0 ? (
        <Empty title="No refused messages">
          Everything your sources sent passed the checks. A message that breaks one (no user id, a bad
          timestamp, too large) appears here with the reason.
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <>
          <p className="small">{num(list.data?.total)} kept, newest first.</p>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Received</th>
                  <th>Source</th>
                  <th>Why it was refused</th>
                  <th>
                    <span className="muted">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={item.id} data-dead-letter={item.id}>
                    <td className="small">{when(item.receivedAt)}</td>
                    <td>{item.source}</td>
                    <td>
                      <code>{item.field}</code>: {item.reason}
                    </td>
                    <td>
                      <button
                        type="button"
                        aria-expanded={open === item.id}
                        aria-label={`Inspect dead letter ${item.id}`}
                        onClick={() => setOpen(open === item.id ? undefined : item.id)}
                      >
                        Inspect
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Dead letter pages"
            hasPrevious={pages.hasPrevious}
            hasNext={items.length === PAGE}
            onPrevious={pages.previous}
            onNext={() => pages.next((items.at(-1) as DeadLetter).id)}
          />
        </>
      ) : null}
      {selected ? <DeadLetterDetail key={selected.id} letter={selected} onDone={done} /> : null}
    </Card>
  );
}

function QuarantineDetail(props: { entry: QuarantinedEntry; onDone: (note: string) => void }) {
  const { entry } = props;
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function run(action: () => Promise<string>) {
    setBusy(true);
    setError(undefined);
    try {
      props.onDone(await action());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const replay = () =>
    run(async () => {
      await operations.replayQuarantined(entry.id);
      return `Entry ${entry.id} applied by ${entry.processor} and removed from the quarantine.`;
    });
  const discard = () => {
    if (
      !window.confirm(
        `Discard quarantined entry ${entry.id}? The ${entry.processor} processor will never apply this message.`,
      )
    )
      return;
    void run(async () => {
      await operations.discardQuarantined(entry.id);
      return `Entry ${entry.id} discarded: ${entry.processor} will never apply it.`;
    });
  };
  return (
    <Detail
      title={`Quarantined entry ${entry.id}`}
      facts={[
        ['Set aside by', processorName(entry.processor)],
        ['Failure', entry.error],
        ['Attempts', num(entry.attempts)],
        ['First failed', when(entry.firstFailedAt)],
        ['Last failed', when(entry.lastFailedAt)],
        ['Log entry', `#${num(entry.seq)}, message ${entry.messageId} from ${entry.source}`],
      ]}
    >
      <h4>The message</h4>
      <pre className="code" data-testid="quarantined-message">
        {pretty(entry.body)}
      </pre>
      {entry.stack ? (
        <details>
          <summary>Where it failed (stack)</summary>
          <pre className="code">{entry.stack}</pre>
        </details>
      ) : null}
      <Can needs="admin">
        <div className="row">
          <button type="button" className="primary" onClick={replay} disabled={busy}>
            Replay now
          </button>
          <button type="button" onClick={discard} disabled={busy}>
            Discard
          </button>
        </div>
      </Can>
      {error ? <ErrorNote error={error} /> : null}
    </Detail>
  );
}

function Quarantine() {
  const [processor, setProcessor] = useState('');
  const pages = useCursorPages();
  const list = useApi(
    () => operations.quarantine(PAGE, processor || undefined, pages.cursor),
    [processor, pages.cursor],
  );
  const [open, setOpen] = useState<number>();
  const [note, setNote] = useState<string>();
  const items = list.data?.items ?? [];
  const selected = items.find((item) => item.id === open);
  const counts = Object.entries(list.data?.byProcessor ?? {});
  const done = (message: string) => {
    setNote(message);
    setOpen(undefined);
    list.reload();
  };
  return (
    <Card title="Quarantine: messages a processor could not apply" id="quarantine" wide>
      <p className="small muted">
        A message that made a processor fail is set aside so everything behind it goes on. Fix the cause
        (often a value a store refuses), then replay it; or discard it.
      </p>
      <LoadStatus state={list} />
      {note ? (
        <p role="status" className="ok">
          {note}
        </p>
      ) : null}
      {counts.length > 0 ? (
        <div className="row">
          <div>
            <label htmlFor="quarantine-processor">Processor</label>
            <select
              id="quarantine-processor"
              value={processor}
              onChange={(e) => {
                setProcessor(e.target.value);
                pages.first();
              }}
            >
              <option value="">all ({num(counts.reduce((sum, [, n]) => sum + n, 0))})</option>
              {counts.map(([name, n]) => (
                <option key={name} value={name}>
                  {processorName(name)} ({num(n)})
                </option>
              ))}
            </select>
          </div>
        </div>
      ) : null}
      {list.data && list.data.total === 0 && !processor ? (
        <Empty title="Nothing in quarantine">
          Every message was applied by every processor. If one fails, it appears here with the error, and the
          processors carry on with the rest.
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Processor</th>
                  <th>Message</th>
                  <th>Failure</th>
                  <th>Attempts</th>
                  <th>Last failed</th>
                  <th>
                    <span className="muted">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={item.id} data-quarantined={item.id}>
                    <td>{item.processor}</td>
                    <td className="small">
                      <code>{item.messageId}</code>
                    </td>
                    <td className="small">{item.error}</td>
                    <td>{num(item.attempts)}</td>
                    <td className="small">{when(item.lastFailedAt)}</td>
                    <td>
                      <button
                        type="button"
                        aria-expanded={open === item.id}
                        aria-label={`Inspect quarantined entry ${item.id}`}
                        onClick={() => setOpen(open === item.id ? undefined : item.id)}
                      >
                        Inspect
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Quarantine pages"
            hasPrevious={pages.hasPrevious}
            hasNext={list.data?.nextCursor !== null && list.data?.nextCursor !== undefined}
            onPrevious={pages.previous}
            onNext={() => pages.next(list.data?.nextCursor as number)}
          />
        </>
      ) : null}
      {selected ? <QuarantineDetail key={selected.id} entry={selected} onDone={done} /> : null}
    </Card>
  );
}

const megabytes = (bytes: number | null) => (bytes === null ? '–' : `${(bytes / 1_048_576).toFixed(1)} MB`);

function IngestLog() {
  const log = useApi(() => operations.log(), []);
  const [report, setReport] = useState<CompactionReport>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const data = log.data;
  async function compact() {
    const retention = data?.retentionMs
      ? `older than ${duration(data.retentionMs)}`
      : 'that every processor has applied';
    if (!window.confirm(`Compact the ingest log now? Entries ${retention} are removed for good.`)) return;
    setBusy(true);
    setError(undefined);
    try {
      setReport(await operations.compactLog());
      log.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title="Ingest log" id="ingest-log" wide>
      <p className="small muted">
        Every message received is kept in the log until every processor has applied it and the retention
        allows removing it; compaction removes those entries on a schedule, or now.
      </p>
      <LoadStatus state={log} />
      {data ? (
        <>
          <dl className="kv">
            <dt>Entries kept</dt>
            <dd data-testid="log-entries">{num(data.entries)}</dd>
            <dt>Oldest kept</dt>
            <dd>
              {data.oldestSeq === null
                ? 'none'
                : `#${num(data.oldestSeq)}, received ${when(data.oldestReceivedAt)}`}
            </dd>
            <dt>Newest</dt>
            <dd>#{num(data.headSeq)}</dd>
            <dt>On disk</dt>
            <dd>{megabytes(data.sizeBytes)}</dd>
            <dt>Retention</dt>
            <dd>{data.retentionMs === null ? 'forever (nothing is removed)' : duration(data.retentionMs)}</dd>
            <dt>Removed so far</dt>
            <dd>
              {num(data.removedTotal)}
              {data.lastCompactedAt ? `, last on ${when(data.lastCompactedAt)}` : ''}
            </dd>
          </dl>
          <div className="table-wrap">
            <table>
              <caption className="small muted">Where each processor stands</caption>
              <thead>
                <tr>
                  <th>Processor</th>
                  <th className="num">Applied through</th>
                  <th className="num">Behind</th>
                </tr>
              </thead>
              <tbody>
                {data.readers.map((reader) => (
                  <tr key={reader.name}>
                    <td>{processorName(reader.name)}</td>
                    <td className="num">#{num(reader.offset)}</td>
                    <td className="num">{num(Math.max(0, data.headSeq - reader.offset))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.heldBackBy.length > 0 ? (
            <p className="small">
              Compaction is held back by {data.heldBackBy.join(', ')} (not yet at the newest entry).
            </p>
          ) : null}
          <Can needs="admin">
            <button type="button" onClick={compact} disabled={busy}>
              {busy ? 'Compacting…' : 'Compact now'}
            </button>
          </Can>
        </>
      ) : null}
      {report ? (
        <p role="status" className="ok">
          Compaction removed {num(report.removed)} entr{report.removed === 1 ? 'y' : 'ies'}
          {report.reclaimedBytes > 0 ? ` and gave back ${megabytes(report.reclaimedBytes)}` : ''}.
        </p>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </Card>
  );
}

export default function Operations() {
  return (
    <>
      <PageHeader title="Operations" />
      <div className="grid">
        <DeadLetters />
        <Quarantine />
        <IngestLog />
        <BulkExportCard />
      </div>
    </>
  );
}
