// Placements at run time: the definitions (stored in the channel store, compiled once per
// change, reloaded when another process saved new ones), the decide call on the render path,
// impression counts for caps, and the Promotion Viewed / Promotion Clicked events.
import { randomUUID } from 'node:crypto';
import { DELIVERY_EVENTS, DELIVERY_SOURCE, type Signer, SURVEY_ASKED } from '../channels/index.ts';
import {
  type CompiledPlacements,
  checkPlacements,
  compilePlacements,
  type DecideResult,
  decide,
  type Offer,
  type Placement,
} from '../conductor/index.ts';
import { RapportError } from '../errors/index.ts';
import type { GroupCommitLog } from '../ingest/index.ts';
import type { ChannelStore } from '../store/index.ts';
import { placementEventJson } from './events.ts';
import { PersonCache, type PersonKey } from './people.ts';
import { type DecisionExplained, explainDecision } from './preview.ts';
import { evaluateOfferRule, offerRuleProblem } from './rules.ts';

const SETTING = 'placements';

export interface PlacementDefinitions {
  placements: Placement[];
  offers: Offer[];
}

export interface Decision {
  result: DecideResult;
  /** A signed link that records Promotion Clicked and redirects to the offer's `content.url`. */
  clickUrl: string | undefined;
  /** The survey a survey offer shows, with what the page needs to post the answer. */
  survey?: PlacementSurvey;
}

/** A survey as a placement shows it: its questions, and a signed token naming the person. */
export interface PlacementSurvey {
  id: string;
  title: string;
  intro?: string;
  questions: unknown[];
  /** Posted with the answers to `POST /v1/survey-response`. */
  token: string;
  /** The hosted page, for a page that would rather link to it than render the questions. */
  pageUrl: string;
}

/**
 * The surveys' side of a survey offer: the survey to show this person, or why not (closed,
 * answered already, not a known person). Injected, so placements do not depend on surveys.
 */
export type PlacementSurveys = (
  surveyId: string,
  key: PersonKey,
  placementId: string,
) => Promise<{ survey: PlacementSurvey } | { unavailable: string }>;

/**
 * An experiment attached to a placement (its arms are offer ids): the offer a person's arm
 * shows, or undefined when no running experiment is attached. Called on the render path, so
 * synchronous; the chooser logs the exposure itself.
 */
export type PlacementArmChooser = (placementId: string, key: PersonKey, nowMs: number) => string | undefined;

export interface PlacementServiceOptions {
  store: ChannelStore;
  people: PersonCache;
  log: GroupCommitLog;
  signer: Signer;
  publicUrl: () => string;
  warn: (message: string) => void;
  /** How often to look for definitions saved by another process (default 10 s; 0: never). */
  reloadMs?: number;
}

/** Caps count impressions per UTC day. */
function periodOf(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;

export class PlacementService {
  private definitions: PlacementDefinitions = { placements: [], offers: [] };
  private storedJson = '';
  private compiled: CompiledPlacements = new Map();
  private perOffer = new Map<string, number>();
  private period = '';
  /** The UTC day `period` names, [start, start + DAY_MS): a decide inside it formats no date. */
  private periodStartMs = Number.NaN;
  private timer: NodeJS.Timeout | undefined;
  private droppedEvents = 0;
  private chooseArm: PlacementArmChooser | undefined;
  private surveys: PlacementSurveys | undefined;

  constructor(private readonly options: PlacementServiceOptions) {}

  async start(): Promise<this> {
    await this.reload();
    const every = this.options.reloadMs ?? 10_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.reload().catch(() => undefined), every);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Experiments attached to placements decide which offer a person's arm sees. */
  attachExperiments(chooser: PlacementArmChooser): void {
    this.chooseArm = chooser;
  }

  /** Survey offers show the survey this port answers. */
  attachSurveys(surveys: PlacementSurveys): void {
    this.surveys = surveys;
  }

  get current(): PlacementDefinitions {
    return this.definitions;
  }

  /** Throws naming every issue: what `save` and the preview of a draft refuse. */
  private check(input: PlacementDefinitions): void {
    const issues = checkPlacements(input.placements, input.offers).map((issue) => issue.message);
    for (const offer of input.offers) {
      const problem = offer.rule === undefined ? undefined : offerRuleProblem(offer.rule);
      if (problem) issues.push(`offer ${offer.id}: ${problem}`);
    }
    const ids = input.offers.map((offer) => offer.id);
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
    if (duplicate) issues.push(`offer id ${duplicate} is used twice`);
    const placementIds = input.placements.map((placement) => placement.id);
    const twice = placementIds.find((id, index) => placementIds.indexOf(id) !== index);
    if (twice) issues.push(`placement id ${twice} is used twice`);
    if (issues.length > 0) {
      throw new RapportError('RAPPORT_PLACEMENTS_INVALID', issues.join('; '), { issues });
    }
  }

  /**
   * What a stored person would be shown, with each offer's verdict, under the saved definitions
   * or a draft (checked as a save would be; nothing is stored). Nothing is recorded and no cap
   * is counted; today's impressions per offer count against offer caps as they would, a
   * person's own impressions (kept per user or anonymous id on the render path) do not.
   * Experiments attached to the placement are not consulted.
   */
  async preview(input: {
    placement: string;
    profileId?: string | undefined;
    definitions?: PlacementDefinitions | undefined;
    nowMs?: number;
  }): Promise<DecisionExplained & { personalization: string | null }> {
    const nowMs = input.nowMs ?? Date.now();
    let compiled = this.compiled;
    if (input.definitions) {
      this.check(input.definitions);
      compiled = compilePlacements(input.definitions.placements, input.definitions.offers, evaluateOfferRule);
    }
    const person = input.profileId ? await this.options.people.byProfileId(input.profileId) : undefined;
    if (input.profileId && !person)
      throw new RapportError('RAPPORT_API_NOT_FOUND', `no profile ${input.profileId}`);
    const perOffer = periodOf(nowMs) === this.period ? this.perOffer : new Map<string, number>();
    const explained = explainDecision(
      compiled,
      input.placement,
      person,
      { perOffer, perPerson: EMPTY },
      nowMs,
    );
    if (!explained)
      throw new RapportError('RAPPORT_API_NOT_FOUND', `no placement ${JSON.stringify(input.placement)}`);
    return { ...explained, personalization: person?.personalization ?? null };
  }

  /** Checks (every issue named), stores and compiles; refuses the whole set on any issue. */
  async save(input: PlacementDefinitions): Promise<PlacementDefinitions> {
    this.check(input);
    const json = JSON.stringify(input);
    await this.options.store.putSetting(SETTING, json);
    this.apply(json);
    return this.definitions;
  }

  private async reload(): Promise<void> {
    const json = await this.options.store.getSetting(SETTING);
    if (json !== undefined && json !== this.storedJson) this.apply(json);
  }

  private apply(json: string): void {
    const definitions = JSON.parse(json) as PlacementDefinitions;
    this.compiled = compilePlacements(definitions.placements, definitions.offers, evaluateOfferRule);
    this.definitions = definitions;
    this.storedJson = json;
  }

  /** The render path: one decision, its impression counted and recorded (not awaited). */
  async decide(placementId: string, key: PersonKey, nowMs = Date.now()): Promise<Decision> {
    const offset = nowMs - this.periodStartMs;
    if (!(offset >= 0 && offset < DAY_MS)) {
      this.periodStartMs = nowMs - (((nowMs % DAY_MS) + DAY_MS) % DAY_MS);
      this.period = periodOf(nowMs);
      this.perOffer = new Map();
    }
    const cacheKey = PersonCache.keyOf(key);
    const entry = cacheKey ? await this.options.people.get(cacheKey, key, nowMs, this.period) : undefined;
    const counts = { perOffer: this.perOffer, perPerson: entry?.impressions ?? EMPTY };
    const arm = entry?.person ? this.chooseArm?.(placementId, key, nowMs) : undefined;
    const result = decide(this.compiled, placementId, entry?.person, counts, nowMs, arm);
    const offer = result.offer;
    if (!offer) return { result, clickUrl: undefined };
    const shown =
      offer.survey === undefined ? undefined : await this.surveyOf(offer.survey, key, placementId);
    if (shown && 'unavailable' in shown)
      return {
        result: { offer: undefined, code: 'default_nothing_eligible', reason: shown.unavailable },
        clickUrl: undefined,
      };
    this.perOffer.set(offer.id, (this.perOffer.get(offer.id) ?? 0) + 1);
    entry?.impressions.set(offer.id, (entry.impressions.get(offer.id) ?? 0) + 1);
    const view = `rapport-view-${randomUUID()}`;
    this.record(DELIVERY_EVENTS.promotionViewed, placementId, offer, key, view);
    if (shown) {
      // The impression is the survey's ask: the denominator of its response-bias report.
      this.record(SURVEY_ASKED, placementId, offer, key, `${view}-asked`, {
        survey_id: shown.survey.id,
        channel: 'placement',
      });
      return { result, clickUrl: undefined, survey: shown.survey };
    }
    return { result, clickUrl: this.clickUrlFor(placementId, offer, key) };
  }

  private async surveyOf(
    surveyId: string,
    key: PersonKey,
    placementId: string,
  ): Promise<{ survey: PlacementSurvey } | { unavailable: string }> {
    if (!this.surveys) return { unavailable: 'surveys are not available on this server' };
    if (!key.userId && !key.anonymousId)
      return { unavailable: `survey ${surveyId}: only a known person can be asked` };
    return this.surveys(surveyId, key, placementId);
  }

  /** For the click redirect: the verified click, recorded; undefined when the token is not ours. */
  click(token: string, url: string): boolean {
    const payload = this.options.signer.verify<{ o: string; pl: string; u?: string; a?: string }>(
      'promotion',
      token,
      url,
    );
    if (!payload || typeof payload.o !== 'string' || typeof payload.pl !== 'string') return false;
    const offer = this.definitions.offers.find((o) => o.id === payload.o);
    const key = { userId: payload.u, anonymousId: payload.a };
    // The click's id is the view it came from (one token per view): a double click is one click.
    const messageId = `rapport-promo-click-${token.slice(-22)}`;
    this.record(DELIVERY_EVENTS.promotionClicked, payload.pl, offer ?? { id: payload.o }, key, messageId);
    return true;
  }

  private clickUrlFor(placementId: string, offer: Offer, key: PersonKey): string | undefined {
    const url = (offer.content as { url?: unknown } | undefined)?.url;
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) return undefined;
    const payload = {
      o: offer.id,
      pl: placementId,
      ...(key.userId ? { u: key.userId } : key.anonymousId ? { a: key.anonymousId } : {}),
      n: randomUUID().slice(0, 8),
    };
    const token = this.options.signer.sign('promotion', payload, url);
    return `${this.options.publicUrl()}/t/p/${token}?u=${encodeURIComponent(url)}`;
  }

  /**
   * Impressions are appended without waiting for the commit: the page must not wait for an
   * fsync. A crash can lose the last few milliseconds of impressions, never a person's data.
   */
  private record(
    event: string,
    placementId: string,
    offer: Pick<Offer, 'id'>,
    key: PersonKey,
    messageId: string,
    extra: Record<string, string> = {},
  ): void {
    const receivedAt = new Date();
    const json = placementEventJson({
      key,
      event,
      messageId,
      properties: {
        promotion_id: offer.id,
        creative: placementId,
        position: placementId,
        placement: placementId,
        ...extra,
      },
      receivedAt,
    });
    if (json === undefined) return;
    this.options.log
      .append([{ messageId, source: DELIVERY_SOURCE, receivedAt: receivedAt.toISOString(), json }])
      .catch((error: Error) => {
        this.droppedEvents += 1;
        if (this.droppedEvents % 1000 === 1)
          this.options.warn(`placement events not recorded (${this.droppedEvents} so far): ${error.message}`);
      });
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map();
