// A send step may name a template from the library (docs/templates.md) instead of writing its
// message. When the journey version is saved, the template's content is copied into the step
// (`template`, with `templateCopiedFrom` saying which version), so a journey version always sends
// what it was published with: a template edited later reaches a journey only when the journey is
// saved again (the latest, or the version the step pins). This is what Braze does with an email
// template chosen for a campaign, and what makes "what did version 4 send" answerable from the
// journey's own history. Pure: the caller looks the templates up beforehand.
import type { Channel, JourneyDefinition, MessageTemplate, StepOf } from './definition.ts';

export interface LibraryVersion {
  id: string;
  name: string;
  channel: 'email' | 'sms' | 'push';
  status: 'active' | 'archived';
  version: number;
  /** The version's content as a send carries it (subject, body, html, url). */
  template: MessageTemplate;
}

/** A library template by id and version (undefined: the latest); `undefined` when either is unknown. */
export type TemplateLookup = (id: string, version: number | undefined) => LibraryVersion | undefined;

export interface LibraryIssue {
  stepId: string;
  field: string;
  message: string;
}

/** Every (template, version) a document's send steps name, to look up before validating it. */
export function templateReferences(input: unknown): Array<{ id: string; version: number | undefined }> {
  const steps = (input as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return [];
  const references: Array<{ id: string; version: number | undefined }> = [];
  for (const step of steps as Array<Record<string, unknown>>) {
    if (step?.type !== 'send' || typeof step.templateId !== 'string') continue;
    const version = typeof step.templateVersion === 'number' ? step.templateVersion : undefined;
    references.push({ id: step.templateId, version });
  }
  return references;
}

/**
 * The definition with each referenced template's content copied into its step, and what could not
 * be copied: an unknown template or version, an archived template, or one written for another
 * channel than the step may send by.
 */
export function withLibraryContent(
  definition: JourneyDefinition,
  lookup: TemplateLookup | undefined,
  channelsOf: (step: StepOf<'send'>) => Channel[],
): { definition: JourneyDefinition; issues: LibraryIssue[] } {
  const issues: LibraryIssue[] = [];
  const steps = definition.steps.map((step, index) => {
    if (step.type !== 'send') return step;
    const { templateCopiedFrom: _copied, ...rest } = step;
    if (step.templateId === undefined) return rest;
    const at = (field: string) => `/steps/${index}/${field}`;
    const found = lookup?.(step.templateId, step.templateVersion);
    if (!found) {
      const pinned = step.templateVersion !== undefined && lookup?.(step.templateId, undefined);
      issues.push(
        pinned
          ? {
              stepId: step.id,
              field: at('templateVersion'),
              message: `step ${step.id} pins version ${step.templateVersion} of template ${step.templateId}, which has versions 1 to ${pinned.version}`,
            }
          : {
              stepId: step.id,
              field: at('templateId'),
              message: `step ${step.id} uses template ${step.templateId}, which is not in the library`,
            },
      );
      return rest;
    }
    const before = issues.length;
    if (found.status === 'archived')
      issues.push({
        stepId: step.id,
        field: at('templateId'),
        message: `step ${step.id} uses template ${found.name}, which is archived: restore it or choose another`,
      });
    const other = channelsOf(step).filter((channel) => channel !== found.channel);
    if (other.length > 0)
      issues.push({
        stepId: step.id,
        field: at('templateId'),
        message: `step ${step.id} may send by ${other.join(' and ')}, but template ${found.name} is written for ${found.channel}`,
      });
    // Not copied when it does not fit: the channel checks would only repeat the mismatch.
    if (issues.length > before) return rest;
    return {
      ...rest,
      template: found.template,
      templateCopiedFrom: { id: found.id, version: found.version },
    };
  });
  return { definition: { ...definition, steps }, issues };
}
