// Surveys: definitions, the signed links people answer through, answers (checked, consent
// respected, stored once, then appended to the log as a `Survey Answered` event and the latest
// answers as traits), and the results with the response-bias report. Reads and writes go through
// the ports handed in; the statistics are estimate.ts's and themes.ts's.
import { createHash } from 'node:crypto';
import {
  readSurveyToken,
  type Signer,
  SURVEY_ASKED,
  type SurveyLinkPayload,
  surveyLinkPath,
} from '../channels/index.ts';
import { parsePayload } from '../events/index.ts';
import { consentOf, isCustomer } from '../profiles/index.ts';
import type { ComputedProperty, LogEntry, ProfileRow, ProfileSearch, StateStore } from '../store/index.ts';
import { type Answers, checkAnswers, checkSurvey, type Survey, type SurveyInput } from './definition.ts';
import { type Cells, MISSING } from './estimate.ts';
import { type ResultsOptions, type SurveyResults, surveyResults } from './results.ts';
import type { StoredResponse, SurveyStore } from './store.ts';

export const SURVEY_ANSWERED = 'Survey Answered';
export const SURVEY_SOURCE = 'rapport-surveys';
/** Computed properties usable as bias traits: `computed.persona_name`, `computed.persona`… */
const COMPUTED_PREFIX = 'computed.';

export type SurveyErrorReason =
  | 'unknown-survey'
  | 'link-invalid'
  | 'link-expired'
  | 'unknown-person'
  | 'consent-denied'
  | 'closed';

export class SurveyError extends Error {
  constructor(
    readonly reason: SurveyErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export interface SurveyDeps {
  store: SurveyStore;
  signer: Signer;
  state: Pick<
    StateStore,
    'getProfile' | 'findIdentities' | 'identitiesOfProfiles' | 'searchProfiles' | 'computedPropertiesOf'
  >;
  append: (entries: LogEntry[]) => Promise<unknown>;
  /** The event store: who was asked (`Survey Asked`); without it, nobody counts as asked. */
  events?: { query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> };
  /** Merged-away profile → the profile it ended in. */
  profileMap: () => Promise<Map<string, string>>;
  now?: () => Date;
}

export interface Respondent {
  profileId: string;
  channel?: string;
  sendKey?: string;
  journeyId?: string;
}

/** What a placement shows of a survey; `pageUrl` is a path the caller prefixes with the public URL. */
export interface PlacementSurveyView {
  id: string;
  title: string;
  intro?: string;
  questions: Survey['questions'];
  token: string;
  pageUrl: string;
}

export interface ResponseOutcome {
  surveyId: string;
  profileId: string;
  /** false when the person had answered already and the survey counts one answer per person. */
  stored: boolean;
  answers: Answers;
}

const DAY_MS = 86_400_000;
const MAX_HISTORY = 20;

function refuseClosed(survey: Survey): void {
  if (survey.closedAt)
    throw new SurveyError(
      'closed',
      `the survey "${survey.id}" was closed on ${survey.closedAt.slice(0, 10)}: it takes no more answers`,
    );
}

/** The trait holding a person's latest answer: `survey_<survey>_<question>`, `-` as `_` (the rule language's names). */
export function surveyTrait(surveyId: string, questionId: string): string {
  return `survey_${surveyId}_${questionId}`.replaceAll('-', '_');
}

export class SurveyService {
  constructor(private readonly deps: SurveyDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Defines a survey, or edits it: the next version, the one before kept in its history. */
  async define(input: SurveyInput): Promise<Survey> {
    checkSurvey(input);
    const at = this.now().toISOString();
    const previous = await this.deps.store.get(input.id);
    const survey: Survey = {
      ...input,
      createdAt: previous?.createdAt ?? at,
      updatedAt: at,
      version: (previous?.version ?? (previous ? 1 : 0)) + 1,
      ...(previous?.closedAt ? { closedAt: previous.closedAt } : {}),
      ...(previous
        ? {
            history: [
              ...(previous.history ?? []),
              {
                version: previous.version ?? 1,
                title: previous.title,
                questions: previous.questions,
                savedAt: previous.updatedAt,
              },
            ].slice(-MAX_HISTORY),
          }
        : {}),
    };
    await this.deps.store.save(survey);
    return survey;
  }

  /** Closes a survey: from now on an answer is refused with a clear error. */
  async close(id: string): Promise<Survey> {
    const survey = await this.get(id);
    if (survey.closedAt) return survey;
    const closed: Survey = { ...survey, closedAt: this.now().toISOString() };
    await this.deps.store.save(closed);
    return closed;
  }

  /** Opens a closed survey again. */
  async reopen(id: string): Promise<Survey> {
    const { closedAt: _, ...open } = await this.get(id);
    await this.deps.store.save(open);
    return open;
  }

  list() {
    return this.deps.store.list();
  }

  async get(id: string): Promise<Survey> {
    const survey = await this.deps.store.get(id);
    if (!survey) throw new SurveyError('unknown-survey', `no survey "${id}"`);
    return survey;
  }

  /** A person's link to the hosted page (the path; the caller prefixes the public URL). */
  async linkFor(surveyId: string, profileId: string): Promise<string> {
    await this.get(surveyId);
    return surveyLinkPath(this.deps.signer, {
      v: surveyId,
      p: profileId,
      t: Math.floor(this.now().getTime() / 1000),
    });
  }

  /**
   * A survey shown in a placement: the questions and a signed token naming the person, or why it
   * is not shown (unknown survey or person, the person answered already and one answer counts).
   */
  async forPlacement(
    surveyId: string,
    identity: { userId?: string | undefined; anonymousId?: string | undefined },
    placementId: string,
  ): Promise<{ survey: PlacementSurveyView } | { unavailable: string }> {
    const survey = await this.deps.store.get(surveyId);
    if (!survey) return { unavailable: `no survey "${surveyId}"` };
    if (survey.closedAt) return { unavailable: `survey ${surveyId}: closed` };
    const keys = {
      ...(identity.userId ? { userId: identity.userId } : {}),
      ...(identity.anonymousId ? { anonymousId: identity.anonymousId } : {}),
    };
    const profileId = await this.profileOf(keys).catch(() => undefined);
    if (profileId === undefined) return { unavailable: `survey ${surveyId}: not a known person yet` };
    const live = await this.liveProfile(profileId);
    if (!survey.allowRepeat && (await this.deps.store.hasAnswered(live, surveyId)))
      return { unavailable: `survey ${surveyId}: answered already` };
    const path = surveyLinkPath(this.deps.signer, {
      v: surveyId,
      p: live,
      t: Math.floor(this.now().getTime() / 1000),
      c: 'placement',
      k: `placement:${placementId}`,
    });
    return {
      survey: {
        id: survey.id,
        title: survey.title,
        ...(survey.intro ? { intro: survey.intro } : {}),
        questions: survey.questions,
        token: path.slice('/s/'.length),
        pageUrl: path,
      },
    };
  }

  /** The survey and person a token names, refusing a tampered, expired or unknown one. */
  async openLink(
    token: string,
  ): Promise<{ survey: Survey; respondent: Respondent; payload: SurveyLinkPayload }> {
    const payload = readSurveyToken(this.deps.signer, token);
    if (!payload)
      throw new SurveyError('link-invalid', 'this survey link is not valid: it may have been altered');
    const survey = await this.get(payload.v).catch(() => {
      throw new SurveyError('link-invalid', 'this survey link names a survey that no longer exists');
    });
    const expires = payload.t * 1000 + (survey.linkDays ?? 30) * DAY_MS;
    if (this.now().getTime() > expires)
      throw new SurveyError(
        'link-expired',
        `this survey link expired on ${new Date(expires).toISOString().slice(0, 10)}`,
      );
    const respondent: Respondent = {
      profileId: payload.p,
      ...(payload.c ? { channel: payload.c } : {}),
      ...(payload.k ? { sendKey: payload.k } : {}),
      ...(payload.j ? { journeyId: payload.j } : {}),
    };
    return { survey, respondent, payload };
  }

  /** The profile of a userId or anonymousId already seen, else an unknown-person error. */
  async profileOf(identity: { userId?: string; anonymousId?: string }): Promise<string> {
    const keys = [
      ...(identity.userId ? [{ kind: 'user_id', value: identity.userId }] : []),
      ...(identity.anonymousId ? [{ kind: 'anonymous_id', value: identity.anonymousId }] : []),
    ];
    const [found] = keys.length > 0 ? await this.deps.state.findIdentities(keys) : [];
    if (!found)
      throw new SurveyError(
        'unknown-person',
        'no person with this userId or anonymousId yet: identify them first',
      );
    return found.profileId;
  }

  /**
   * Checks the answers (nothing is stored from a bad one), then consent (an explicit analytics
   * denial refuses), stores the answer once per person and survey (unless the survey allows
   * repeats, when `messageId` keeps a retried request one answer), and appends the event and
   * traits. A repeat of a stored answer appends the stored one again: the log drops it by id.
   */
  async respond(
    surveyId: string,
    respondent: Respondent,
    raw: Record<string, unknown>,
    messageId?: string,
  ): Promise<ResponseOutcome> {
    const survey = await this.get(surveyId);
    refuseClosed(survey);
    const answers = checkAnswers(survey, raw);
    const profile = await this.liveProfile(respondent.profileId);
    const consent = await consentOf(this.deps.state as StateStore, profile, 'analytics');
    if (!consent.allowed)
      throw new SurveyError('consent-denied', 'this person has declined analytics: the answer is not stored');
    const at = this.now().toISOString();
    const responseKey = survey.allowRepeat
      ? `${surveyId}:${messageId ?? respondent.sendKey ?? at}`
      : surveyId;
    const { inserted, stored } = await this.deps.store.insert({
      profileId: profile,
      surveyId,
      responseKey,
      answers,
      channel: respondent.channel ?? null,
      sendKey: respondent.sendKey ?? null,
      answeredAt: at,
      surveyVersion: survey.version ?? 1,
    });
    await this.deps.append(await this.logEntries(survey, stored, respondent));
    return { surveyId, profileId: profile, stored: inserted, answers: stored.answers };
  }

  private async liveProfile(profileId: string): Promise<string> {
    let profile = await this.deps.state.getProfile(profileId);
    for (let hops = 0; profile?.mergedInto && hops < 64; hops++)
      profile = await this.deps.state.getProfile(profile.mergedInto);
    if (!profile) throw new SurveyError('unknown-person', 'this person is not known (or was erased)');
    return profile.profileId;
  }

  private async logEntries(
    survey: Survey,
    response: StoredResponse,
    respondent: Respondent,
  ): Promise<LogEntry[]> {
    const identities = await this.deps.state.identitiesOfProfiles([response.profileId]);
    const user = identities.find((i) => i.kind === 'user_id');
    const anonymous = identities.find((i) => i.kind === 'anonymous_id');
    const who = user
      ? { userId: user.value }
      : { anonymousId: anonymous?.value ?? `rapport-${response.profileId}` };
    const id = (kind: string) =>
      `rapport-survey-${kind}-${createHash('sha256').update(`${response.profileId}\u0001${response.responseKey}`).digest('hex').slice(0, 40)}`;
    const receivedAt = new Date();
    const traits: Record<string, unknown> = {};
    for (const [question, value] of Object.entries(response.answers))
      traits[surveyTrait(survey.id, question)] = Array.isArray(value) ? value.join(', ') : value;
    const common = { ...who, timestamp: response.answeredAt, context: { rapport: { internal: true } } };
    const messages = [
      {
        ...common,
        type: 'track',
        event: SURVEY_ANSWERED,
        messageId: id('answered'),
        properties: {
          survey_id: survey.id,
          survey_title: survey.title,
          answers: response.answers,
          ...(respondent.channel ? { channel: respondent.channel } : {}),
          ...(respondent.sendKey ? { send_key: respondent.sendKey } : {}),
          ...(respondent.journeyId
            ? { journey_id: respondent.journeyId, campaign_id: respondent.journeyId }
            : {}),
        },
      },
      { ...common, type: 'identify', messageId: id('traits'), traits },
    ];
    return messages.map((message) => {
      const parsed = parsePayload(message, message.type as 'track' | 'identify', { receivedAt });
      const accepted = parsed.accepted[0];
      if (!accepted)
        throw new Error(`survey event invalid: ${parsed.rejected[0]?.field}: ${parsed.rejected[0]?.reason}`);
      return {
        messageId: message.messageId,
        source: SURVEY_SOURCE,
        receivedAt: receivedAt.toISOString(),
        json: accepted.json,
      };
    });
  }

  async results(surveyId: string, options: Partial<ResultsOptions> = {}): Promise<SurveyResults> {
    const survey = await this.get(surveyId);
    const traits = options.traits ?? survey.biasTraits ?? [];
    const responses = await this.deps.store.responsesTo(surveyId);
    const people = await this.baseCells(traits);
    const map = await this.deps.profileMap();
    const asked = await this.askedProfiles(surveyId, map);
    return surveyResults(
      survey,
      responses,
      people,
      map,
      { traits, method: options.method ?? 'raking', level: options.level ?? 0.95 },
      asked,
    );
  }

  /** Everyone asked to answer the survey (merged-away profiles as their survivors). */
  async askedProfiles(surveyId: string, map?: ReadonlyMap<string, string>): Promise<Set<string>> {
    if (!this.deps.events) return new Set();
    const merged = map ?? (await this.deps.profileMap());
    const rows = await this.deps.events.query(
      `SELECT DISTINCT profile_id FROM events
        WHERE type = 'track' AND name = $1 AND (properties->>'survey_id') = $2`,
      [SURVEY_ASKED, surveyId],
    );
    return new Set(rows.map((row) => merged.get(String(row.profile_id)) ?? String(row.profile_id)));
  }

  /** Every live profile's categories of the chosen traits (text; missing is its own category). */
  private async baseCells(traits: readonly string[]): Promise<Map<string, string[]>> {
    const profiles: ProfileRow[] = [];
    let afterId: string | undefined;
    for (;;) {
      const search: ProfileSearch = { limit: 5000, ...(afterId ? { afterId } : {}) };
      const page = await this.deps.state.searchProfiles(search);
      profiles.push(...page.filter(isCustomer));
      if (page.length < 5000) break;
      afterId = page.at(-1)!.profileId;
    }
    const computed = new Map<string, Map<string, unknown>>();
    if (traits.some((t) => t.startsWith(COMPUTED_PREFIX))) {
      for (let i = 0; i < profiles.length; i += 5000) {
        const rows: ComputedProperty[] = await this.deps.state.computedPropertiesOf(
          profiles.slice(i, i + 5000).map((p) => p.profileId),
        );
        for (const row of rows) {
          const own = computed.get(row.profileId) ?? new Map<string, unknown>();
          own.set(row.name, row.value);
          computed.set(row.profileId, own);
        }
      }
    }
    const text = (value: unknown) =>
      value === undefined || value === null || value === ''
        ? MISSING
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    const cells = new Map<string, string[]>();
    for (const profile of profiles) {
      cells.set(
        profile.profileId,
        traits.map((trait) =>
          trait.startsWith(COMPUTED_PREFIX)
            ? text(computed.get(profile.profileId)?.get(trait.slice(COMPUTED_PREFIX.length)))
            : text(profile.traits[trait]?.value),
        ),
      );
    }
    return cells;
  }
}

export type { Cells };
