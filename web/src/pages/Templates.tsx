// Templates: an email written or taken from a journey's message (subject, text, HTML or MJML),
// previewed as one chosen person would receive it (rendered by the server's own renderer, the
// one the outbox sends with) and test-sent to an address the marketer types (through the
// configured email channel; refused plainly when there is none).
import { type FormEvent, useEffect, useState } from 'react';
import {
  api,
  can,
  type Journey,
  type MessageTemplate,
  type ProfileSummary,
  type TemplatePreview,
  type TemplateTestSend,
} from '../api.ts';
import { personLabel } from '../components/PersonLink.tsx';
import { Card, ErrorNote, PageHeader } from '../components/ui.tsx';

const STARTER: MessageTemplate = {
  subject: 'Hello {{ traits.first_name | default: "there" }}',
  body: 'Hi {{ traits.first_name | default: "there" }}, we picked a few things for you.',
  html: '<p>Hi {{ traits.first_name | default: "there" }},</p><p>We picked a few things for you.</p>',
};

interface JourneyMessage {
  key: string;
  journeyId: string;
  stepId: string;
  label: string;
  template: MessageTemplate;
}

/** Every send step's template in the saved journeys, to start from. */
function messagesOf(journeys: Journey[]): JourneyMessage[] {
  return journeys.flatMap((journey) =>
    journey.definition.steps
      .filter((step) => step.type === 'send' && typeof step.template === 'object' && step.template)
      .map((step) => ({
        key: `${journey.journeyId}/${step.id}`,
        journeyId: journey.journeyId,
        stepId: step.id,
        label: `${journey.definition.name ?? journey.journeyId}: ${step.id}`,
        template: step.template as MessageTemplate,
      })),
  );
}

/**
 * Publishes the journey's next version with this step's message replaced (the server validates it
 * as any save); people already on their way finish on the version they entered under.
 */
async function saveIntoJourney(message: JourneyMessage, template: MessageTemplate): Promise<Journey> {
  const current = await api.journey(message.journeyId);
  const steps = current.definition.steps.map((step) =>
    step.id === message.stepId ? { ...step, template } : step,
  );
  return api.saveJourney({ ...current.definition, steps, version: current.version + 1 });
}

/** The subject, text and HTML fields; an empty subject or HTML is left out of the template. */
function cleaned(template: MessageTemplate): MessageTemplate {
  return {
    body: template.body,
    ...(template.subject ? { subject: template.subject } : {}),
    ...(template.html ? { html: template.html } : {}),
  };
}

function PersonPicker(props: { chosen?: ProfileSummary; onChoose: (person: ProfileSummary) => void }) {
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<ProfileSummary[]>();
  const [error, setError] = useState<unknown>();
  async function search(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      setFound((await api.profiles({ q: query.trim(), limit: 10 })).items);
    } catch (e) {
      setError(e);
    }
  }
  return (
    <div>
      <form className="row" onSubmit={search}>
        <div>
          <label htmlFor="template-person">Preview for a person (name, email or id)</label>
          <input id="template-person" value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
        <button type="submit">Find</button>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      {found && found.length === 0 ? <p className="small muted">No one matches “{query}”.</p> : null}
      {found && found.length > 0 ? (
        <ul aria-label="People found" className="plain-list">
          {found.map((person) => (
            <li key={person.profileId}>
              <button
                type="button"
                aria-pressed={props.chosen?.profileId === person.profileId}
                onClick={() => props.onChoose(person)}
              >
                {personLabel(person.traits) ?? person.profileId.slice(0, 8)}
                {typeof person.traits.email === 'string' ? ` (${person.traits.email})` : ''}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {props.chosen ? (
        <p className="small">
          Previewing as{' '}
          <strong data-testid="preview-person">
            {personLabel(props.chosen.traits) ?? props.chosen.profileId}
          </strong>
        </p>
      ) : null}
    </div>
  );
}

export default function Templates() {
  const [template, setTemplate] = useState<MessageTemplate>(STARTER);
  const [messages, setMessages] = useState<JourneyMessage[]>([]);
  const [person, setPerson] = useState<ProfileSummary>();
  const [preview, setPreview] = useState<TemplatePreview>();
  const [previewError, setPreviewError] = useState<unknown>();
  const [to, setTo] = useState('');
  const [sent, setSent] = useState<TemplateTestSend>();
  const [sendError, setSendError] = useState<unknown>();
  const [sending, setSending] = useState(false);
  const [source, setSource] = useState<JourneyMessage>();
  const [saved, setSaved] = useState<Journey>();
  const [saveError, setSaveError] = useState<unknown>();

  // undefined while unknown: the server's refusal still says it if this cannot be read.
  const [hasEmail, setHasEmail] = useState<boolean>();
  useEffect(() => {
    api.channels().then(
      (channels) => setHasEmail(channels.items.some((channel) => channel.name === 'email')),
      () => setHasEmail(undefined),
    );
  }, []);

  useEffect(() => {
    api.journeys().then(
      (journeys) => setMessages(messagesOf(journeys)),
      () => setMessages([]),
    );
  }, []);

  async function save() {
    if (!source) return;
    setSaveError(undefined);
    try {
      setSaved(await saveIntoJourney(source, cleaned(template)));
    } catch (e) {
      setSaveError(e);
    }
  }

  const edit = (field: keyof MessageTemplate) => (value: string) => {
    setPreview(undefined);
    setSent(undefined);
    setSaved(undefined);
    setTemplate((current) => ({ ...current, [field]: value }));
  };

  async function showPreview() {
    if (!person) return;
    setPreviewError(undefined);
    try {
      setPreview(await api.previewTemplateFor({ template: cleaned(template), profileId: person.profileId }));
    } catch (e) {
      setPreview(undefined);
      setPreviewError(e);
    }
  }

  async function testSend(event: FormEvent) {
    event.preventDefault();
    setSendError(undefined);
    setSent(undefined);
    setSending(true);
    try {
      setSent(
        await api.testSendTemplate({
          template: cleaned(template),
          to: to.trim(),
          ...(person ? { profileId: person.profileId } : {}),
        }),
      );
    } catch (e) {
      setSendError(e);
    } finally {
      setSending(false);
    }
  }

  return (
    <>
      <PageHeader title="Templates" />
      <Card title="Email" wide id="template-email">
        {messages.length > 0 ? (
          <>
            <label htmlFor="template-from">Start from a journey’s message</label>
            <select
              id="template-from"
              value=""
              onChange={(e) => {
                const message = messages.find((m) => m.key === e.target.value);
                if (message) setTemplate({ subject: '', html: '', ...message.template });
                setSource(message);
                setSaved(undefined);
                setPreview(undefined);
              }}
            >
              <option value="">(choose one)</option>
              {messages.map((m) => (
                <option key={m.key} value={m.key}>
                  {m.label}
                </option>
              ))}
            </select>
          </>
        ) : null}
        <label htmlFor="template-subject">Subject</label>
        <input
          id="template-subject"
          value={template.subject ?? ''}
          onChange={(e) => edit('subject')(e.target.value)}
        />
        <label htmlFor="template-text">Text (the email’s plain-text part)</label>
        <textarea
          id="template-text"
          rows={4}
          value={template.body}
          onChange={(e) => edit('body')(e.target.value)}
        />
        <label htmlFor="template-html">HTML (or an MJML document, for a layout that fits phones)</label>
        <textarea
          id="template-html"
          rows={8}
          spellCheck={false}
          value={template.html ?? ''}
          onChange={(e) => edit('html')(e.target.value)}
        />
        <p className="small muted">
          Write <code>{'{{ traits.first_name }}'}</code> for a person’s value. A person’s values are always
          shown as text, never run as template code.
        </p>
        {source ? (
          <div className="row">
            <button type="button" onClick={save} disabled={!can('marketing:write')}>
              Save into {source.label}
            </button>
            <span className="small muted">publishes the journey’s next version with this message</span>
          </div>
        ) : (
          <p className="small muted">
            Start from a journey’s message to save your changes into that journey.
          </p>
        )}
        {saveError ? <ErrorNote error={saveError} /> : null}
        {saved ? (
          <p role="status" data-testid="template-saved">
            Saved: {saved.definition.name ?? saved.journeyId} is now at version {saved.version}.
          </p>
        ) : null}
      </Card>
      <Card title="Preview" wide id="template-preview-card">
        <PersonPicker
          chosen={person}
          onChoose={(p) => {
            setPerson(p);
            setPreview(undefined);
          }}
        />
        <button type="button" onClick={showPreview} disabled={!person}>
          Preview
        </button>
        {!person ? <p className="small muted">Find a person above to preview with their values.</p> : null}
        {previewError ? <ErrorNote error={previewError} /> : null}
        {preview ? (
          <div data-testid="template-preview">
            <p>
              <strong>Subject:</strong>{' '}
              <span data-testid="preview-subject">{preview.subject ?? '(none)'}</span>
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
      </Card>
      <Card title="Test send" wide id="template-test-send">
        <form className="row" onSubmit={testSend}>
          <div>
            <label htmlFor="template-to">Send a test to (email address)</label>
            <input
              id="template-to"
              type="email"
              required
              value={to}
              onChange={(e) => setTo(e.target.value)}
            />
          </div>
          <button type="submit" disabled={sending || hasEmail === false || !can('marketing:write')}>
            Send test
          </button>
        </form>
        <p className="small muted">
          Goes once through the email channel to the address typed
          {person ? `, filled with ${personLabel(person.traits) ?? 'the chosen person'}’s values` : ''}; no
          journey, consent or frequency cap applies, since it goes to you.
        </p>
        {hasEmail === false ? (
          <p className="error" data-testid="no-email-channel">
            No email channel is configured, so a test cannot be sent. The server needs an SMTP relay
            (RAPPORT_SMTP_URL); Settings lists the channels it has.
          </p>
        ) : null}
        {sendError ? <ErrorNote error={sendError} /> : null}
        {sent ? (
          <p role="status" data-testid="test-send-result">
            {sent.accepted
              ? `Sent to ${sent.to}.`
              : `Not sent to ${sent.to} (${sent.status}): ${sent.error ?? 'no reason given'}`}
          </p>
        ) : null}
      </Card>
    </>
  );
}
