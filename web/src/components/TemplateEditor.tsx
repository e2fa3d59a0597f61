// The messages of a journey, edited as fields rather than JSON: for each send step its subject,
// text and HTML (or MJML), with a preview the server renders exactly as a send would (the same
// Liquid, values as data, MJML compiled). Edits write back into the journey document.
import { useState } from 'react';
import { api, type TemplatePreview } from '../api.ts';
import { ErrorNote } from './ui.tsx';

interface SendStep {
  id: string;
  type: 'send';
  channel?: string;
  template?: { subject?: string; body?: string; html?: string };
  templateId?: string;
  templateCopiedFrom?: { id: string; version: number };
}

function sendStepsOf(text: string): SendStep[] | undefined {
  try {
    const document = JSON.parse(text) as { steps?: unknown };
    if (!Array.isArray(document.steps)) return undefined;
    return document.steps.filter(
      (step): step is SendStep => typeof step === 'object' && step !== null && step.type === 'send',
    );
  } catch {
    return undefined;
  }
}

/** The document with one template field of one step changed (an empty field is removed, but not the text). */
function withField(text: string, stepId: string, field: 'subject' | 'body' | 'html', value: string): string {
  const document = JSON.parse(text) as { steps: Array<SendStep> };
  const step = document.steps.find((s) => s.type === 'send' && s.id === stepId);
  if (!step) return text;
  const template = { ...(step.template ?? {}) };
  if (value === '' && field !== 'body') delete template[field];
  else template[field] = value;
  step.template = template;
  return JSON.stringify(document, null, 2);
}

export function TemplateEditor(props: { text: string; onChange: (text: string) => void }) {
  const steps = sendStepsOf(props.text);
  const [chosen, setChosen] = useState<string>();
  const [firstName, setFirstName] = useState('Ada');
  const [preview, setPreview] = useState<TemplatePreview>();
  const [error, setError] = useState<unknown>();
  if (!steps) return <p className="small muted">Fix the JSON above to edit the messages here.</p>;
  if (steps.length === 0) return <p className="small muted">This journey sends no messages.</p>;
  const step = steps.find((s) => s.id === chosen) ?? steps[0]!;
  const template = step.template ?? {};
  const set = (field: 'subject' | 'body' | 'html') => (value: string) => {
    setPreview(undefined);
    props.onChange(withField(props.text, step.id, field, value));
  };
  async function showPreview() {
    setError(undefined);
    try {
      setPreview(
        await api.previewTemplate({
          template: { body: template.body ?? '', ...template },
          traits: { first_name: firstName },
        }),
      );
    } catch (e) {
      setPreview(undefined);
      setError(e);
    }
  }
  return (
    <section aria-label="Messages" className="template-editor">
      <h3>Messages</h3>
      <label htmlFor="template-step">Message (send step)</label>
      <select id="template-step" value={step.id} onChange={(e) => setChosen(e.target.value)}>
        {steps.map((s) => (
          <option key={s.id} value={s.id}>
            {s.id} ({s.channel ?? 'email'})
          </option>
        ))}
      </select>
      {step.templateId !== undefined ? (
        <p className="small" data-testid="library-message">
          This message is the library template <code>{step.templateId}</code>
          {step.templateCopiedFrom
            ? `, version ${step.templateCopiedFrom.version} as copied at the last save`
            : ''}
          . Edit it on the Templates page; saving this journey takes its latest version unless the step pins
          one (<code>templateVersion</code>).
        </p>
      ) : null}
      {step.templateId !== undefined ? null : (
        <>
          <label htmlFor="template-subject">Subject</label>
          <input
            id="template-subject"
            value={template.subject ?? ''}
            onChange={(e) => set('subject')(e.target.value)}
          />
          <label htmlFor="template-text">Text (the SMS, the push, the email's text part)</label>
          <textarea
            id="template-text"
            rows={4}
            value={template.body ?? ''}
            onChange={(e) => set('body')(e.target.value)}
          />
          <label htmlFor="template-html">
            HTML for email (or an MJML document, for a layout that fits phones)
          </label>
          <textarea
            id="template-html"
            rows={6}
            spellCheck={false}
            value={template.html ?? ''}
            onChange={(e) => set('html')(e.target.value)}
          />
          <p className="small muted">
            Write <code>{'{{ traits.first_name }}'}</code> for a person's value; links in the HTML are
            tracked.
          </p>
        </>
      )}
      <div className="row">
        <div>
          <label htmlFor="template-sample">Preview as first name</label>
          <input id="template-sample" value={firstName} onChange={(e) => setFirstName(e.target.value)} />
        </div>
        <button type="button" onClick={showPreview}>
          Preview
        </button>
      </div>
      {error ? <ErrorNote error={error} /> : null}
      {preview ? (
        <div data-testid="template-preview">
          <p>
            <strong>Subject:</strong> <span data-testid="preview-subject">{preview.subject ?? '(none)'}</span>
          </p>
          <pre data-testid="preview-text">{preview.text}</pre>
          {preview.html ? (
            <iframe
              title="HTML preview"
              sandbox=""
              srcDoc={preview.html}
              style={{ width: '100%', height: '24rem', border: '1px solid #ddd' }}
            />
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
