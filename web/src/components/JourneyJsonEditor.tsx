// The journey as its JSON document (docs/journeys.md): the code view of the builder, for those
// who want it. The message fields below it edit the same text; a save checks it on the server.
import { useState } from 'react';
import { api, type Journey } from '../api.ts';
import { TemplateEditor } from './TemplateEditor.tsx';
import { Card, ErrorNote } from './ui.tsx';

export function JourneyJsonEditor(props: {
  initial: unknown;
  onSaved: (journey: Journey) => void;
  title: string;
  /** Called with the document whenever the text parses, so the canvas shows the same journey. */
  onParsed?: (document: unknown) => void;
}) {
  const [text, setText] = useState(JSON.stringify(props.initial, null, 2));
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<string>();
  function edit(next: string) {
    setText(next);
    try {
      const parsed: unknown = JSON.parse(next);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) props.onParsed?.(parsed);
    } catch {
      // Half-typed JSON: the canvas keeps the last document that parsed.
    }
  }
  async function save() {
    setError(undefined);
    setSaved(undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      setError(new Error(`Not valid JSON: ${(e as Error).message}`));
      return;
    }
    try {
      const journey = await api.saveJourney(parsed);
      setSaved(`Saved version ${journey.version}.`);
      props.onSaved(journey);
    } catch (e) {
      setError(e);
    }
  }
  return (
    <Card title={props.title} id="editor" wide>
      <p className="small muted">
        The journey document (docs/journeys.md). It is checked when saved: every issue names its step and
        field. Raise
        <code> version</code> to publish a change.
      </p>
      <label htmlFor="journey-json">Journey JSON</label>
      <textarea
        id="journey-json"
        rows={18}
        value={text}
        onChange={(e) => edit(e.target.value)}
        spellCheck={false}
      />
      <TemplateEditor text={text} onChange={edit} />
      <div className="row" style={{ marginTop: '0.5rem' }}>
        <button type="button" className="primary" onClick={save}>
          Check and save
        </button>
        {saved ? (
          <span className="ok" role="status">
            {saved}
          </span>
        ) : null}
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </Card>
  );
}
