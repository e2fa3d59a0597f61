// Where a trait's value came from, in words: the write key or import that sent the identify
// call, or the journey step that set it (its message id names journey and step), with a link
// where there is a page for it. Pure (test/web/trait-origin.test.ts).

export interface TraitOrigin {
  text: string;
  href?: string;
}

/** The conductor's source name (src/conductor/runtime/emit.ts). */
const CONDUCTOR = 'rapport:conductor';

export function traitOrigin(source: string, messageId: string): TraitOrigin {
  if (source === CONDUCTOR && messageId.startsWith('journey-trait:')) {
    // journey-trait:<journey>:<instance>:<step>:<visit>
    const [journeyId, , stepId] = messageId.slice('journey-trait:'.length).split(':');
    if (journeyId && stepId)
      return {
        text: `journey “${journeyId}”, step “${stepId}” (set trait)`,
        href: `/journeys/${encodeURIComponent(journeyId)}`,
      };
    return { text: 'a journey’s set-trait step' };
  }
  if (source.startsWith('rapport:')) return { text: `Rapport (${source.slice('rapport:'.length)})` };
  return { text: `identify call from “${source}”` };
}
