// Where a send step's message comes from: written in the step, or a template from the library
// (docs/templates.md). A library template is offered when it is written for every channel the
// step may send by; the step then takes the latest version each time the journey is saved, or
// a version the marketer pins. The server copies the content in at save.
import { useEffect, useId, useState } from 'react';
import { type LibraryTemplate, templatesApi } from '../templates-api.ts';
import type { StepOf } from './model.ts';

type Send = StepOf<'send'>;

/** The step's own message, created empty when the step had a library template before. */
export function inlineOf(step: Send): NonNullable<Send['template']> {
  if (!step.template) step.template = { body: '' };
  return step.template;
}

let cached: Promise<LibraryTemplate[]> | undefined;
function loadTemplates(): Promise<LibraryTemplate[]> {
  cached ??= templatesApi.list().then(
    (answer) => answer.items,
    (error) => {
      cached = undefined;
      throw error;
    },
  );
  return cached;
}

function useLibrary(): LibraryTemplate[] | undefined {
  const [templates, setTemplates] = useState<LibraryTemplate[]>();
  useEffect(() => {
    let live = true;
    // Fresh for each builder opened: a template made a moment ago on the Templates page is offered.
    cached = undefined;
    loadTemplates().then(
      (found) => live && setTemplates(found),
      () => live && setTemplates([]),
    );
    return () => {
      live = false;
    };
  }, []);
  return templates;
}

export function MessageSource(props: {
  step: Send;
  maySendBy: readonly string[];
  problem: (field: string) => string | undefined;
  update: (change: (s: Send) => void) => void;
}) {
  const { step, maySendBy, problem, update } = props;
  const library = useLibrary();
  const sourceId = useId();
  const templateId = useId();
  const versionId = useId();
  const fromLibrary = step.templateId !== undefined;
  const fits = (library ?? []).filter(
    (t) =>
      (t.status === 'active' || t.id === step.templateId) &&
      maySendBy.every((channel) => channel === t.channel),
  );
  const chosen = library?.find((t) => t.id === step.templateId);
  return (
    <>
      <label htmlFor={sourceId}>Message</label>
      <select
        id={sourceId}
        value={fromLibrary ? 'library' : 'inline'}
        onChange={(e) =>
          update((s) => {
            if (e.target.value === 'library') {
              s.templateId = fits[0]?.id ?? '';
              delete s.template;
            } else {
              delete s.templateId;
              delete s.templateVersion;
              delete s.templateCopiedFrom;
              s.template = { body: '' };
            }
          })
        }
      >
        <option value="inline">written here</option>
        <option value="library">a template from the library</option>
      </select>
      {fromLibrary ? (
        <>
          <label htmlFor={templateId}>Template</label>
          <select
            id={templateId}
            value={step.templateId}
            onChange={(e) =>
              update((s) => {
                s.templateId = e.target.value;
                delete s.templateVersion;
              })
            }
          >
            {step.templateId === '' || !chosen ? <option value={step.templateId}>(choose one)</option> : null}
            {fits.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.channel}, version {t.latestVersion})
              </option>
            ))}
          </select>
          {library && fits.length === 0 ? (
            <p className="small muted">
              No template in the library is written for {maySendBy.join(' and ') || 'this channel'}. Make one
              on the Templates page.
            </p>
          ) : null}
          {problem('templateId') ? <p className="error small">{problem('templateId')}</p> : null}
          {chosen ? (
            <>
              <label htmlFor={versionId}>Version</label>
              <select
                id={versionId}
                value={step.templateVersion ?? 0}
                onChange={(e) =>
                  update((s) => {
                    const version = Number(e.target.value);
                    if (version === 0) delete s.templateVersion;
                    else s.templateVersion = version;
                  })
                }
              >
                <option value={0}>the latest, each time the journey is saved</option>
                {Array.from({ length: chosen.latestVersion }, (_, i) => chosen.latestVersion - i).map((v) => (
                  <option key={v} value={v}>
                    version {v} only
                  </option>
                ))}
              </select>
              {problem('templateVersion') ? (
                <p className="error small">{problem('templateVersion')}</p>
              ) : null}
              <p className="small muted" data-testid="template-summary">
                {chosen.channel === 'email'
                  ? `Subject: ${chosen.content.subject ?? ''}`
                  : chosen.channel === 'push'
                    ? `${chosen.content.title ?? ''}: ${chosen.content.body ?? ''}`
                    : chosen.content.body}
              </p>
              {step.templateCopiedFrom ? (
                <p className="small muted">
                  This journey version sends version {step.templateCopiedFrom.version}
                  {step.templateVersion === undefined &&
                  step.templateCopiedFrom.version < chosen.latestVersion
                    ? `; saving it takes version ${chosen.latestVersion}`
                    : ''}
                  .
                </p>
              ) : null}
            </>
          ) : null}
        </>
      ) : null}
    </>
  );
}
