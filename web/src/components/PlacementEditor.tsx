// The placements editor: placements (slots such as a web banner or the shipping box's tape)
// and their offers, as forms. Every change saves the whole set (`PUT /api/placements`, checked
// whole by the server: a refusal names every issue and nothing changes); deletes ask first.
// An offer's eligibility is the segment builder's condition forms, over traits (what the
// render path knows); content is a headline, text, image and link (other content fields kept).
import { type FormEvent, useState } from 'react';
import { Can } from '../access.tsx';
import type { Offer, Placements } from '../api.ts';
import { num } from '../format.ts';
import { placementsApi } from '../placements-api.ts';
import { ConditionEditor } from './ConditionEditor.tsx';
import { blank, type Condition, combine, fromRule } from './rule-form.ts';
import { ErrorNote } from './ui.tsx';

interface Content {
  headline?: string;
  text?: string;
  image?: string;
  url?: string;
  [field: string]: unknown;
}

const contentOf = (offer: Offer): Content =>
  typeof offer.content === 'object' && offer.content !== null ? (offer.content as Content) : {};

/** `2026-06-01T12:00` (typed as UTC) ↔ the ISO instant the API keeps. */
const toInput = (iso: string | undefined) => (iso ? iso.slice(0, 16) : '');
const fromInput = (value: string) => (value ? `${value}:00.000Z` : undefined);

/** An offer's rule in words, for the table. */
export function ruleWords(rule: unknown): string {
  if (rule === undefined) return 'everyone';
  const form = fromRule(rule);
  if (!form) return 'a rule the form cannot show (kept as saved)';
  const words = form.conditions.map((c) => {
    const not = c.negate ? 'not ' : '';
    if (c.kind !== 'trait') return `${not}${c.kind}`;
    const op = {
      eq: '=',
      neq: '≠',
      gt: '>',
      gte: '≥',
      lt: '<',
      lte: '≤',
      contains: 'contains',
      exists: 'exists',
    }[c.op];
    return `${not}${c.trait} ${op}${c.op === 'exists' ? '' : ` ${c.value}`}`;
  });
  return words.join(form.all ? ' and ' : ' or ');
}

interface OfferDraft {
  id: string;
  placement: string;
  headline: string;
  text: string;
  image: string;
  url: string;
  conditions: Condition[];
  all: boolean;
  /** A saved rule the forms cannot show: kept unless replaced. */
  keptRule: unknown;
  personal: boolean;
  priority: string;
  expectedValue: string;
  capPerOffer: string;
  capPerPerson: string;
  validFrom: string;
  validUntil: string;
}

function draftOf(offer: Offer): OfferDraft {
  const content = contentOf(offer);
  const form = offer.rule === undefined ? { conditions: [], all: true } : fromRule(offer.rule);
  return {
    id: offer.id,
    placement: offer.placement,
    headline: String(content.headline ?? ''),
    text: String(content.text ?? ''),
    image: String(content.image ?? ''),
    url: String(content.url ?? ''),
    conditions: form?.conditions ?? [],
    all: form?.all ?? true,
    keptRule: form ? undefined : offer.rule,
    personal: offer.requiresPersonalization,
    priority: String(offer.priority),
    expectedValue: String(offer.expectedValue),
    capPerOffer: offer.capPerOffer === undefined ? '' : String(offer.capPerOffer),
    capPerPerson: offer.capPerPerson === undefined ? '' : String(offer.capPerPerson),
    validFrom: toInput(offer.validFrom),
    validUntil: toInput(offer.validUntil),
  };
}

const blankOffer = (placement: string): OfferDraft => ({
  ...draftOf({ id: '', placement, priority: 10, expectedValue: 1, requiresPersonalization: false }),
});

function offerOf(draft: OfferDraft, original: Offer | undefined): Offer {
  const content: Content = { ...(original ? contentOf(original) : {}) };
  for (const field of ['headline', 'text', 'image', 'url'] as const) {
    const value = draft[field].trim();
    if (value) content[field] = value;
    else delete content[field];
  }
  const rule =
    draft.keptRule ?? (draft.conditions.length > 0 ? combine(draft.conditions, draft.all) : undefined);
  const offer: Offer & Record<string, unknown> = {
    ...(original ?? {}),
    id: draft.id.trim(),
    placement: draft.placement,
    priority: Number(draft.priority) || 0,
    expectedValue: Number(draft.expectedValue) || 0,
    // A rule reads the person, so it needs their consent for personalization (the server says so too).
    requiresPersonalization: draft.personal || rule !== undefined,
  };
  for (const field of ['rule', 'content', 'capPerOffer', 'capPerPerson', 'validFrom', 'validUntil'] as const)
    delete offer[field];
  if (rule !== undefined) offer.rule = rule;
  if (Object.keys(content).length > 0) offer.content = content;
  if (draft.capPerOffer.trim()) offer.capPerOffer = Math.floor(Number(draft.capPerOffer));
  if (draft.capPerPerson.trim()) offer.capPerPerson = Math.floor(Number(draft.capPerPerson));
  const from = fromInput(draft.validFrom);
  const until = fromInput(draft.validUntil);
  if (from) offer.validFrom = from;
  if (until) offer.validUntil = until;
  return offer;
}

function OfferForm(props: {
  definitions: Placements;
  original: Offer | undefined;
  placement: string;
  onSave: (next: Placements) => Promise<void>;
  onCancel: () => void;
}) {
  const { original } = props;
  const [draft, setDraft] = useState<OfferDraft>(original ? draftOf(original) : blankOffer(props.placement));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<OfferDraft>) => setDraft({ ...draft, ...patch });
  const isDefault = props.definitions.placements.some((p) => p.defaultOfferId === original?.id);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const offer = offerOf(draft, original);
      const others = props.definitions.offers.filter((o) => o.id !== original?.id);
      const offers = original
        ? props.definitions.offers.map((o) => (o.id === original.id ? offer : o))
        : [...others, offer];
      await props.onSave({ ...props.definitions, offers });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const field = (
    name: keyof OfferDraft,
    label: string,
    type = 'text',
    extra: Record<string, unknown> = {},
  ) => (
    <div>
      <label htmlFor={`offer-${name}`}>{label}</label>
      <input
        id={`offer-${name}`}
        type={type}
        value={String(draft[name] ?? '')}
        onChange={(e) => set({ [name]: e.target.value } as Partial<OfferDraft>)}
        {...extra}
      />
    </div>
  );
  return (
    <form
      onSubmit={submit}
      aria-label={original ? `Edit offer ${original.id}` : 'New offer'}
      className="card"
    >
      <h3>{original ? `Offer ${original.id}` : `New offer on ${props.placement}`}</h3>
      <div className="row">
        {field('id', 'Offer id', 'text', {
          required: true,
          readOnly: original !== undefined,
          maxLength: 200,
        })}
        <div>
          <label htmlFor="offer-placement">Placement</label>
          <select
            id="offer-placement"
            value={draft.placement}
            disabled={isDefault}
            onChange={(e) => set({ placement: e.target.value })}
          >
            {props.definitions.placements.map((p) => (
              <option key={p.id}>{p.id}</option>
            ))}
          </select>
        </div>
      </div>
      <fieldset className="filters">
        <legend className="small">What it shows</legend>
        <div className="row">
          {field('headline', 'Headline')}
          {field('text', 'Text')}
          {field('image', 'Image URL', 'url')}
          {field('url', 'Link (clicks are counted)', 'url')}
        </div>
      </fieldset>
      <fieldset className="filters">
        <legend className="small">Who may see it</legend>
        {isDefault ? (
          <p className="small muted">
            This is its placement’s default offer: everyone may see it (unknown visitors too).
          </p>
        ) : draft.keptRule !== undefined ? (
          <p className="small">
            A rule the form cannot show is kept as saved.{' '}
            <button type="button" onClick={() => set({ keptRule: undefined, conditions: [blank('trait')] })}>
              Replace it with conditions
            </button>
          </p>
        ) : (
          <>
            <p className="small muted">
              {draft.conditions.length === 0
                ? 'Everyone. Add a condition to show it only to some people.'
                : 'Offers are decided while the page loads, from the person’s traits: use trait conditions (compute behaviour into a trait first). A condition needs the person’s consent for personalization.'}
            </p>
            {draft.conditions.length > 1 ? (
              <div>
                <label htmlFor="offer-all">People who meet</label>
                <select
                  id="offer-all"
                  value={draft.all ? 'all' : 'any'}
                  onChange={(e) => set({ all: e.target.value === 'all' })}
                >
                  <option value="all">all of the conditions</option>
                  <option value="any">any of the conditions</option>
                </select>
              </div>
            ) : null}
            {draft.conditions.map((c, i) => (
              <ConditionEditor
                // biome-ignore lint/suspicious/noArrayIndexKey: conditions are edited in place by position
                key={i}
                index={i}
                idPrefix="offer-c"
                value={c}
                onChange={(next) =>
                  set({ conditions: draft.conditions.map((old, j) => (j === i ? next : old)) })
                }
                onRemove={() => set({ conditions: draft.conditions.filter((_, j) => j !== i) })}
              />
            ))}
            <button type="button" onClick={() => set({ conditions: [...draft.conditions, blank('trait')] })}>
              + Add condition
            </button>
            <label className="check">
              <input
                type="checkbox"
                checked={draft.personal || draft.conditions.length > 0}
                disabled={draft.conditions.length > 0}
                onChange={(e) => set({ personal: e.target.checked })}
              />{' '}
              Only for people who consented to personalization
            </label>
          </>
        )}
      </fieldset>
      <fieldset className="filters">
        <legend className="small">Rank, caps and dates</legend>
        <div className="row">
          {field('priority', 'Priority (higher first)', 'number', { step: 'any' })}
          {field('expectedValue', 'Expected value (breaks ties)', 'number', { step: 'any' })}
          {field('capPerOffer', 'At most, a day, to everyone', 'number', { min: 0, placeholder: 'no cap' })}
          {field('capPerPerson', 'At most, a day, to one person', 'number', {
            min: 0,
            placeholder: 'no cap',
          })}
          {field('validFrom', 'From (UTC)', 'datetime-local')}
          {field('validUntil', 'Until (UTC)', 'datetime-local')}
        </div>
      </fieldset>
      <div className="row">
        <button type="submit" className="primary" disabled={busy || !draft.id.trim()}>
          Save offer
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

function NewPlacement(props: { definitions: Placements; onSave: (next: Placements) => Promise<void> }) {
  const [id, setId] = useState('');
  const [headline, setHeadline] = useState('');
  const [error, setError] = useState<unknown>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    const placement = id.trim();
    const defaultOffer: Offer = {
      id: `${placement}-default`,
      placement,
      priority: 0,
      expectedValue: 0,
      requiresPersonalization: false,
      ...(headline.trim() ? { content: { headline: headline.trim() } } : {}),
    };
    try {
      await props.onSave({
        placements: [...props.definitions.placements, { id: placement, defaultOfferId: defaultOffer.id }],
        offers: [...props.definitions.offers, defaultOffer],
      });
      setId('');
      setHeadline('');
    } catch (e) {
      setError(e);
    }
  }
  return (
    <form onSubmit={submit} aria-label="New placement" className="row">
      <div>
        <label htmlFor="placement-new-id">New placement (a slot, such as web-banner or box-tape)</label>
        <input id="placement-new-id" value={id} maxLength={200} onChange={(e) => setId(e.target.value)} />
      </div>
      <div>
        <label htmlFor="placement-new-headline">What it shows by default (headline)</label>
        <input id="placement-new-headline" value={headline} onChange={(e) => setHeadline(e.target.value)} />
      </div>
      <button type="submit" disabled={!id.trim()}>
        Add placement
      </button>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

/** Every placement with its offers; edits save the whole set. */
export function PlacementEditor(props: { definitions: Placements; onSaved: () => void }) {
  const { definitions } = props;
  const [editing, setEditing] = useState<{ placement: string; offer?: Offer }>();
  const [error, setError] = useState<unknown>();
  async function save(next: Placements) {
    await placementsApi.save(next);
    setEditing(undefined);
    props.onSaved();
  }
  async function change(next: Placements, question: string) {
    if (!window.confirm(question)) return;
    setError(undefined);
    try {
      await save(next);
    } catch (e) {
      setError(e);
    }
  }
  const removePlacement = (id: string) =>
    change(
      {
        placements: definitions.placements.filter((p) => p.id !== id),
        offers: definitions.offers.filter((o) => o.placement !== id),
      },
      `Delete the placement “${id}” and its ${definitions.offers.filter((o) => o.placement === id).length} offers? Pages asking for it get “no such placement”.`,
    );
  const removeOffer = (offer: Offer) =>
    change(
      { ...definitions, offers: definitions.offers.filter((o) => o.id !== offer.id) },
      `Delete the offer “${offer.id}” from ${offer.placement}? Its results stay in the statistics.`,
    );
  const setDefault = (placementId: string, offerId: string) =>
    change(
      {
        ...definitions,
        placements: definitions.placements.map((p) =>
          p.id === placementId ? { ...p, defaultOfferId: offerId } : p,
        ),
      },
      `Make “${offerId}” the default of ${placementId}? It is shown to unknown visitors and when nothing else is eligible.`,
    );
  return (
    <>
      {error ? <ErrorNote error={error} /> : null}
      {definitions.placements.map((p) => {
        const offers = definitions.offers.filter((o) => o.placement === p.id);
        return (
          <section key={p.id} aria-label={`Placement ${p.id}`} className="placement">
            <h3>{p.id}</h3>
            <Can needs="marketing:write">
              <div className="row">
                <div>
                  <label htmlFor={`default-${p.id}`}>Default offer of {p.id}</label>
                  <select
                    id={`default-${p.id}`}
                    value={p.defaultOfferId}
                    onChange={(e) => void setDefault(p.id, e.target.value)}
                  >
                    {offers
                      .filter((o) => o.rule === undefined && !o.requiresPersonalization)
                      .map((o) => (
                        <option key={o.id}>{o.id}</option>
                      ))}
                  </select>
                </div>
                <button type="button" onClick={() => setEditing({ placement: p.id })}>
                  Add an offer to {p.id}
                </button>
                <button type="button" className="danger" onClick={() => void removePlacement(p.id)}>
                  Delete placement {p.id}
                </button>
              </div>
            </Can>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Offer</th>
                    <th>Shows</th>
                    <th>Who</th>
                    <th className="num">Priority</th>
                    <th className="num">Expected value</th>
                    <th className="num">Caps a day (all / person)</th>
                    <th>Dates (UTC)</th>
                    <th>Change</th>
                  </tr>
                </thead>
                <tbody>
                  {offers.map((o) => {
                    const content = contentOf(o);
                    const isDefault = o.id === p.defaultOfferId;
                    return (
                      <tr key={o.id} data-offer={o.id}>
                        <td>
                          {o.id}
                          {isDefault ? <span className="small muted"> (default)</span> : null}
                        </td>
                        <td className="small">
                          {String(content.headline ?? content.text ?? '') ||
                            (Object.keys(content).length > 0 ? JSON.stringify(content) : '–')}
                        </td>
                        <td className="small">
                          {ruleWords(o.rule)}
                          {o.requiresPersonalization ? ', with consent' : ''}
                        </td>
                        <td className="num">{num(o.priority)}</td>
                        <td className="num">{num(o.expectedValue)}</td>
                        <td className="num">
                          {o.capPerOffer ?? '–'} / {o.capPerPerson ?? '–'}
                        </td>
                        <td className="small">
                          {o.validFrom || o.validUntil
                            ? `${toInput(o.validFrom).replace('T', ' ') || '…'} to ${toInput(o.validUntil).replace('T', ' ') || '…'}`
                            : 'always'}
                        </td>
                        <td>
                          <Can needs="marketing:write">
                            <div className="row">
                              <button type="button" onClick={() => setEditing({ placement: p.id, offer: o })}>
                                Edit {o.id}
                              </button>
                              <button
                                type="button"
                                disabled={isDefault}
                                title={
                                  isDefault ? 'The default offer: choose another default first' : undefined
                                }
                                onClick={() => void removeOffer(o)}
                              >
                                Delete {o.id}
                              </button>
                            </div>
                          </Can>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            {editing?.placement === p.id ? (
              <OfferForm
                key={editing.offer?.id ?? 'new'}
                definitions={definitions}
                original={editing.offer}
                placement={p.id}
                onSave={save}
                onCancel={() => setEditing(undefined)}
              />
            ) : null}
          </section>
        );
      })}
      <Can needs="marketing:write">
        <NewPlacement definitions={definitions} onSave={save} />
      </Can>
    </>
  );
}
