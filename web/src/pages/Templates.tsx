// Templates: the library of email, SMS and push messages (docs/templates.md). A marketer lists
// them (channel, last edited, the journeys using each), writes and edits one (every save a new
// version, the history kept), previews it as one chosen person would receive it (rendered by the
// server's own renderer: the email, the SMS on a phone with its segments, the push notification),
// test-sends it on its channel when that channel is configured, duplicates, archives or deletes
// it (refused while a journey uses it). A journey's messages can be brought into the library.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { SegmentedMessage } from 'sms-segments-calculator';
import { api, can, type Journey, type ProfileSummary } from '../api.ts';
import { RenderedMock, SmsFactsLine } from '../components/MessageMocks.tsx';
import { personLabel } from '../components/PersonLink.tsx';
import { Card, ErrorNote, PageHeader } from '../components/ui.tsx';
import { when } from '../format.ts';
import {
  type LibraryChannel,
  type LibraryTemplate,
  type RenderedMessage,
  type TemplateVersion,
  type TestSendResult,
  templatesApi,
} from '../templates-api.ts';

const STARTERS: Record<LibraryChannel, Record<string, string>> = {
  email: {
    subject: 'Hello {{ traits.first_name | default: "there" }}',
    text: 'Hi {{ traits.first_name | default: "there" }}, we picked a few things for you.',
    html: '<p>Hi {{ traits.first_name | default: "there" }},</p><p>We picked a few things for you.</p>',
  },
  sms: { body: 'Hi {{ traits.first_name | default: "there" }}, your order is on its way.' },
  push: {
    title: 'Hi {{ traits.first_name | default: "there" }}',
    body: 'Something new for you',
    deepLink: '',
  },
};

const FIELDS: Record<
  LibraryChannel,
  Array<{ key: string; label: string; rows?: number; optional?: boolean }>
> = {
  email: [
    { key: 'subject', label: 'Subject' },
    { key: 'text', label: 'Text (the email’s plain-text part)', rows: 4 },
    {
      key: 'html',
      label: 'HTML (or an MJML document, for a layout that fits phones)',
      rows: 8,
      optional: true,
    },
  ],
  sms: [{ key: 'body', label: 'SMS text', rows: 4 }],
  push: [
    { key: 'title', label: 'Notification title' },
    { key: 'body', label: 'Notification text', rows: 3 },
    {
      key: 'deepLink',
      label: 'Deep link a tap opens (optional: shop://orders or https://…)',
      optional: true,
    },
  ],
};

const TEST_TO: Record<LibraryChannel, { label: string; type: string; channel: string }> = {
  email: { label: 'Send a test to (email address)', type: 'email', channel: 'email' },
  sms: { label: 'Send a test to (phone number, +44…)', type: 'tel', channel: 'sms' },
  push: { label: 'Send a test to (the user id the push provider knows)', type: 'text', channel: 'push' },
};

interface Draft {
  /** Absent for a template not saved yet. */
  id?: string;
  baseVersion?: number;
  name: string;
  channel: LibraryChannel;
  content: Record<string, string>;
  note: string;
}

/** Content as saved: optional fields left empty are left out. */
function cleaned(draft: Draft): Record<string, string> {
  const content: Record<string, string> = {};
  for (const field of FIELDS[draft.channel]) {
    const value = draft.content[field.key] ?? '';
    if (value !== '' || !field.optional) content[field.key] = value;
  }
  return content;
}

function smsFactsOf(body: string) {
  const message = new SegmentedMessage(body);
  return {
    encoding: message.encodingName === 'UCS-2' ? ('UCS-2' as const) : ('GSM-7' as const),
    segments: body === '' ? 0 : message.segmentsCount,
    characters: message.numberOfCharacters,
    unicodeCharacters: [...new Set(message.getNonGsmCharacters() as string[])],
  };
}

function draftOf(template: LibraryTemplate): Draft {
  return {
    id: template.id,
    baseVersion: template.latestVersion,
    name: template.name,
    channel: template.channel,
    content: { ...template.content },
    note: '',
  };
}

/** The journeys that take the latest version at each save but were saved before the latest. */
function behind(template: LibraryTemplate) {
  const seen = new Set<string>();
  return template.usedBy.filter((use) => {
    if (use.pinnedVersion !== null || (use.copiedVersion ?? 0) >= template.latestVersion) return false;
    if (seen.has(use.journeyId)) return false;
    seen.add(use.journeyId);
    return true;
  });
}

/** Publishes a journey's next version unchanged: the server copies each template's latest in. */
async function republish(journeyId: string): Promise<void> {
  const current = await api.journey(journeyId);
  await api.saveJourney({ ...current.definition, version: current.version + 1 });
}

function usedByText(template: LibraryTemplate): string {
  if (template.usedBy.length === 0) return 'no journey';
  return [...new Set(template.usedBy.map((use) => use.journeyName))].join(', ');
}

function Library(props: {
  templates: LibraryTemplate[] | undefined;
  chosen?: string;
  onOpen: (template: LibraryTemplate) => void;
  onNew: (channel: LibraryChannel) => void;
}) {
  const [showArchived, setShowArchived] = useState(false);
  const shown = (props.templates ?? []).filter((t) => showArchived || t.status === 'active');
  const archived = (props.templates ?? []).filter((t) => t.status === 'archived').length;
  return (
    <Card title="Library" wide id="template-library">
      <div className="row">
        {(['email', 'sms', 'push'] as const).map((channel) => (
          <button
            key={channel}
            type="button"
            onClick={() => props.onNew(channel)}
            disabled={!can('marketing:write')}
          >
            New {channel === 'sms' ? 'SMS' : channel} template
          </button>
        ))}
      </div>
      {props.templates && props.templates.length === 0 ? (
        <p className="muted">
          No templates yet. Make one with the buttons above; a journey’s send step can then use it, and every
          edit is kept as a version.
        </p>
      ) : null}
      {shown.length > 0 ? (
        <div className="table-wrap">
          <table aria-label="Templates">
            <thead>
              <tr>
                <th>Name</th>
                <th>Channel</th>
                <th>Version</th>
                <th>Last edited</th>
                <th>Used by</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((template) => (
                <tr key={template.id} aria-selected={props.chosen === template.id}>
                  <td>
                    <button type="button" className="link" onClick={() => props.onOpen(template)}>
                      {template.name}
                    </button>
                    {template.status === 'archived' ? <span className="small muted"> (archived)</span> : null}
                  </td>
                  <td>{template.channel}</td>
                  <td>{template.latestVersion}</td>
                  <td>
                    {when(template.updatedAt)}
                    {template.updatedBy ? ` by ${template.updatedBy}` : ''}
                  </td>
                  <td>{usedByText(template)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {archived > 0 ? (
        <label className="inline small">
          <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} />{' '}
          show the {archived} archived
        </label>
      ) : null}
    </Card>
  );
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

function Versions(props: {
  versions: TemplateVersion[];
  latest: number;
  onOpen: (version: TemplateVersion) => void;
}) {
  return (
    <Card title="Versions" wide id="template-versions">
      <div className="table-wrap">
        <table aria-label="Versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>Saved</th>
              <th>What changed</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {props.versions.map((version) => (
              <tr key={version.version}>
                <td>
                  {version.version}
                  {version.version === props.latest ? ' (latest)' : ''}
                </td>
                <td>
                  {when(version.createdAt)}
                  {version.createdBy ? ` by ${version.createdBy}` : ''}
                </td>
                <td>{version.note ?? ''}</td>
                <td>
                  <button type="button" onClick={() => props.onOpen(version)}>
                    Open version {version.version}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="small muted">
        Opening an older version puts its text in the editor; saving it makes it the next version. Journeys
        keep the version copied into them until they are saved again.
      </p>
    </Card>
  );
}

export default function Templates() {
  const [templates, setTemplates] = useState<LibraryTemplate[]>();
  const [listError, setListError] = useState<unknown>();
  const [draft, setDraft] = useState<Draft>();
  const [versions, setVersions] = useState<TemplateVersion[]>([]);
  const [saveError, setSaveError] = useState<unknown>();
  const [status, setStatus] = useState<string>();
  const [person, setPerson] = useState<ProfileSummary>();
  const [preview, setPreview] = useState<RenderedMessage>();
  const [previewError, setPreviewError] = useState<unknown>();
  const [to, setTo] = useState('');
  const [sent, setSent] = useState<TestSendResult>();
  const [sendError, setSendError] = useState<unknown>();
  const [sending, setSending] = useState(false);
  const [channels, setChannels] = useState<string[]>();
  const [journeys, setJourneys] = useState<Journey[]>([]);

  const reload = useCallback(async () => {
    try {
      const list = (await templatesApi.list()).items;
      setTemplates(list);
      setListError(undefined);
      return list;
    } catch (e) {
      setListError(e);
      return undefined;
    }
  }, []);

  useEffect(() => {
    void reload();
    api.channels().then(
      (answer) => setChannels(answer.items.map((channel) => channel.name)),
      () => setChannels(undefined),
    );
    api.journeys().then(setJourneys, () => setJourneys([]));
  }, [reload]);

  const current = templates?.find((t) => t.id === draft?.id);

  function open(next: Draft) {
    setDraft(next);
    setPreview(undefined);
    setSent(undefined);
    setSaveError(undefined);
    setStatus(undefined);
    if (next.id)
      templatesApi.versions(next.id).then(
        (answer) => setVersions(answer.items),
        () => setVersions([]),
      );
    else setVersions([]);
  }

  const edit = (key: string) => (value: string) => {
    setPreview(undefined);
    setSent(undefined);
    setStatus(undefined);
    setDraft((d) => (d ? { ...d, content: { ...d.content, [key]: value } } : d));
  };

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!draft) return;
    setSaveError(undefined);
    setStatus(undefined);
    try {
      const saved =
        draft.id === undefined
          ? await templatesApi.create({ name: draft.name, channel: draft.channel, content: cleaned(draft) })
          : await templatesApi.edit(draft.id, {
              baseVersion: draft.baseVersion ?? 1,
              name: draft.name,
              content: cleaned(draft),
              ...(draft.note.trim() ? { note: draft.note.trim() } : {}),
            });
      await reload();
      open(draftOf(saved));
      setStatus(`Saved ${saved.name} as version ${saved.latestVersion}.`);
    } catch (e) {
      setSaveError(e);
    }
  }

  async function act(run: () => Promise<LibraryTemplate | undefined>, done: (t?: LibraryTemplate) => string) {
    setSaveError(undefined);
    setStatus(undefined);
    try {
      const result = await run();
      await reload();
      if (result) open(draftOf(result));
      else setDraft(undefined);
      setStatus(done(result));
    } catch (e) {
      setSaveError(e);
    }
  }

  function remove() {
    if (!draft?.id || !current) return;
    if (
      !window.confirm(
        `Delete “${current.name}” and its ${current.latestVersion} version(s)? This cannot be undone.`,
      )
    )
      return;
    void act(
      async () => {
        await templatesApi.remove(current.id);
        return undefined;
      },
      () => `Deleted ${current.name}.`,
    );
  }

  function archive() {
    if (!current) return;
    const next = current.status === 'archived' ? 'active' : 'archived';
    if (
      next === 'archived' &&
      !window.confirm(`Archive “${current.name}”? Journeys can no longer choose it.`)
    )
      return;
    void act(
      () => templatesApi.setStatus(current.id, next),
      () => (next === 'archived' ? `Archived ${current.name}.` : `Restored ${current.name}.`),
    );
  }

  async function showPreview() {
    if (!draft) return;
    setPreviewError(undefined);
    try {
      setPreview(
        await templatesApi.render({
          channel: draft.channel,
          content: cleaned(draft),
          ...(person ? { profileId: person.profileId } : {}),
        }),
      );
    } catch (e) {
      setPreview(undefined);
      setPreviewError(e);
    }
  }

  async function testSend(event: FormEvent) {
    event.preventDefault();
    if (!draft) return;
    setSendError(undefined);
    setSent(undefined);
    setSending(true);
    try {
      setSent(
        await templatesApi.sendTest({
          channel: draft.channel,
          content: cleaned(draft),
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

  const journeyMessages = journeys.flatMap((journey) =>
    journey.definition.steps.flatMap((step) =>
      step.type === 'send' && step.template && !step.templateId
        ? [
            {
              key: `${journey.journeyId}/${step.id}`,
              label: `${journey.definition.name}: ${step.id}`,
              template: step.template,
            },
          ]
        : [],
    ),
  );

  const channelConfigured = draft ? channels?.includes(TEST_TO[draft.channel].channel) : undefined;
  const writable = can('marketing:write');

  return (
    <>
      <PageHeader title="Templates" />
      {listError ? <ErrorNote error={listError} /> : null}
      <Library
        templates={templates}
        {...(draft?.id ? { chosen: draft.id } : {})}
        onOpen={(t) => open(draftOf(t))}
        onNew={(channel) => open({ name: '', channel, content: { ...STARTERS[channel] }, note: '' })}
      />
      {status ? (
        <p role="status" data-testid="template-status">
          {status}
        </p>
      ) : null}
      {draft ? (
        <Card
          title={draft.id ? `Edit ${current?.name ?? draft.name}` : `New ${draft.channel} template`}
          wide
          id="template-editor"
        >
          <form onSubmit={save}>
            {!draft.id && draft.channel === 'email' && journeyMessages.length > 0 ? (
              <>
                <label htmlFor="template-from">Start from a journey’s message</label>
                <select
                  id="template-from"
                  value=""
                  onChange={(e) => {
                    const message = journeyMessages.find((m) => m.key === e.target.value);
                    if (!message) return;
                    setDraft({
                      ...draft,
                      name: draft.name || message.label,
                      content: {
                        subject: message.template.subject ?? '',
                        text: message.template.body,
                        html: message.template.html ?? '',
                      },
                    });
                  }}
                >
                  <option value="">(choose one)</option>
                  {journeyMessages.map((m) => (
                    <option key={m.key} value={m.key}>
                      {m.label}
                    </option>
                  ))}
                </select>
              </>
            ) : null}
            <label htmlFor="template-name">Template name</label>
            <input
              id="template-name"
              required
              value={draft.name}
              onChange={(e) => setDraft({ ...draft, name: e.target.value })}
            />
            {FIELDS[draft.channel].map((field) => (
              <div key={field.key}>
                <label htmlFor={`template-${field.key}`}>{field.label}</label>
                {field.rows ? (
                  <textarea
                    id={`template-${field.key}`}
                    rows={field.rows}
                    spellCheck={field.key !== 'html'}
                    value={draft.content[field.key] ?? ''}
                    onChange={(e) => edit(field.key)(e.target.value)}
                  />
                ) : (
                  <input
                    id={`template-${field.key}`}
                    value={draft.content[field.key] ?? ''}
                    onChange={(e) => edit(field.key)(e.target.value)}
                  />
                )}
              </div>
            ))}
            {draft.channel === 'sms' ? (
              <SmsFactsLine facts={smsFactsOf(draft.content.body ?? '')} testId="sms-facts" />
            ) : null}
            <p className="small muted">
              Write <code>{'{{ traits.first_name }}'}</code> for a person’s value. A person’s values are
              always shown as text, never run as template code.
              {draft.channel === 'sms'
                ? ' The count above is for the text as written; the preview counts it filled in.'
                : ''}
            </p>
            {draft.id ? (
              <>
                <label htmlFor="template-note">What changed (kept with the version)</label>
                <input
                  id="template-note"
                  value={draft.note}
                  onChange={(e) => setDraft({ ...draft, note: e.target.value })}
                />
              </>
            ) : null}
            <div className="row">
              <button type="submit" disabled={!writable}>
                {draft.id ? 'Save as a new version' : 'Create template'}
              </button>
              {draft.id && current ? (
                <>
                  <button
                    type="button"
                    disabled={!writable}
                    onClick={() =>
                      void act(
                        () => templatesApi.duplicate(current.id),
                        (t) => `Made ${t?.name ?? 'a copy'}.`,
                      )
                    }
                  >
                    Duplicate
                  </button>
                  <button type="button" disabled={!writable} onClick={archive}>
                    {current.status === 'archived' ? 'Restore' : 'Archive'}
                  </button>
                  <button type="button" className="danger" disabled={!writable} onClick={remove}>
                    Delete
                  </button>
                </>
              ) : null}
            </div>
            {current && current.usedBy.length > 0 ? (
              <p className="small" data-testid="template-used-by">
                Used by{' '}
                {current.usedBy
                  .map(
                    (use) =>
                      `${use.journeyName} (step ${use.stepId}, sends version ${use.copiedVersion ?? '?'}${use.pinnedVersion ? ', pinned' : ''})`,
                  )
                  .join('; ')}
                . A journey takes a new version when it is saved again, unless it pins one.
              </p>
            ) : null}
            {current
              ? behind(current).map((use) => (
                  <button
                    key={use.journeyId}
                    type="button"
                    disabled={!writable}
                    onClick={() =>
                      void act(
                        async () => {
                          await republish(use.journeyId);
                          return templatesApi.get(current.id);
                        },
                        () => `${use.journeyName} now sends version ${current.latestVersion}.`,
                      )
                    }
                  >
                    Update {use.journeyName} to version {current.latestVersion}
                  </button>
                ))
              : null}
          </form>
          {saveError ? <ErrorNote error={saveError} /> : null}
        </Card>
      ) : (
        <p className="muted">
          Choose a template in the library, or make a new one, to edit, preview and test it.
        </p>
      )}
      {draft?.id && versions.length > 0 ? (
        <Versions
          versions={versions}
          latest={current?.latestVersion ?? 0}
          onOpen={(version) => {
            setDraft({
              ...draft,
              content: { ...version.content },
              note: `back to version ${version.version}`,
            });
            setPreview(undefined);
          }}
        />
      ) : null}
      {draft ? (
        <Card title="Preview" wide id="template-preview-card">
          <PersonPicker
            {...(person ? { chosen: person } : {})}
            onChoose={(p) => {
              setPerson(p);
              setPreview(undefined);
            }}
          />
          <button type="button" onClick={showPreview}>
            Preview
          </button>
          {!person ? (
            <p className="small muted">
              Find a person above to preview with their values; without one, values are empty.
            </p>
          ) : null}
          {previewError ? <ErrorNote error={previewError} /> : null}
          {preview ? <RenderedMock rendered={preview} /> : null}
        </Card>
      ) : null}
      {draft ? (
        <Card title="Test send" wide id="template-test-send">
          <form className="row" onSubmit={testSend}>
            <div>
              <label htmlFor="template-to">{TEST_TO[draft.channel].label}</label>
              <input
                id="template-to"
                type={TEST_TO[draft.channel].type}
                required
                value={to}
                onChange={(e) => setTo(e.target.value)}
              />
            </div>
            <button type="submit" disabled={sending || channelConfigured === false || !writable}>
              Send test
            </button>
          </form>
          <p className="small muted">
            Goes once through the {draft.channel} channel to what you typed
            {person ? `, filled with ${personLabel(person.traits) ?? 'the chosen person'}’s values` : ''}; no
            journey, consent or frequency cap applies, since it goes to you.
          </p>
          {channelConfigured === false ? (
            <p className="error" data-testid="no-channel">
              No {draft.channel} channel is configured, so a test cannot be sent.{' '}
              {draft.channel === 'email'
                ? 'The server needs an SMTP relay (RAPPORT_SMTP_URL).'
                : `The server needs the ${draft.channel === 'sms' ? 'SMS' : 'push'} provider’s webhook (RAPPORT_${draft.channel.toUpperCase()}_WEBHOOK_URL).`}{' '}
              Settings lists the channels it has.
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
      ) : null}
    </>
  );
}
