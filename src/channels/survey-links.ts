// Survey links in messages. A template writes `rapport:survey/<survey id>` where the link goes
// (an href, or plain text); the email channel replaces it with the person's signed link to the
// hosted survey page, `/s/<token>`. The token names the survey, the person, the send and when it
// was issued, signed with the server's link key for the purpose "survey": it cannot be forged or
// moved to another person, and the survey page refuses it once the survey's link lifetime has
// passed. It carries no secret and nothing personal beyond the profile id.

import { type DeliveryEvent, deliveryMessageId } from './delivery-events.ts';
import type { Signer } from './signing.ts';
import type { OutgoingMessage } from './types.ts';

export const SURVEY_LINK_PURPOSE = 'survey';
/** A person was asked to answer a survey: a link sent to them, or the survey shown in a placement. */
export const SURVEY_ASKED = 'Survey Asked';

export interface SurveyLinkPayload extends Record<string, unknown> {
  /** Survey id. */
  v: string;
  /** Profile id. */
  p: string;
  /** Issued at, seconds since the epoch. */
  t: number;
  /** The send's idempotency key, its channel and journey, when sent in a message. */
  k?: string;
  c?: string;
  j?: string;
}

const SURVEY_REF = /rapport:survey\/([a-z0-9][a-z0-9_-]{0,62})/g;

export function surveyLinkPath(signer: Signer, payload: SurveyLinkPayload): string {
  return `/s/${signer.sign(SURVEY_LINK_PURPOSE, payload)}`;
}

/** The payload of a survey token we signed, else undefined (tampered, or another purpose). */
export function readSurveyToken(signer: Signer, token: string): SurveyLinkPayload | undefined {
  const payload = signer.verify<SurveyLinkPayload>(SURVEY_LINK_PURPOSE, token);
  if (typeof payload?.v !== 'string' || typeof payload.p !== 'string' || typeof payload.t !== 'number')
    return undefined;
  return payload;
}

/** The content with every `rapport:survey/<id>` replaced by the recipient's signed link. */
export function withSurveyLinks(
  content: string,
  message: OutgoingMessage,
  base: string,
  signer: Signer,
  now: Date = new Date(),
): string {
  return content.replace(
    SURVEY_REF,
    (_match, surveyId: string) =>
      `${base}${surveyLinkPath(signer, {
        v: surveyId,
        p: message.profileId,
        t: Math.floor(now.getTime() / 1000),
        k: message.idempotencyKey,
        c: message.channel,
        ...(message.journeyId !== undefined ? { j: message.journeyId } : {}),
      })}`,
  );
}

/** The surveys these texts link to, each once. */
export function surveysIn(...contents: ReadonlyArray<string | undefined>): string[] {
  const ids = new Set<string>();
  for (const content of contents) for (const match of content?.matchAll(SURVEY_REF) ?? []) ids.add(match[1]!);
  return [...ids];
}

/**
 * `Survey Asked` for each survey a delivered message linked to: the survey's "everyone asked", the
 * denominator its response-bias report compares the answers with. One per send and survey.
 */
export function surveyAskedEvents(message: OutgoingMessage, surveyIds: readonly string[]): DeliveryEvent[] {
  return surveyIds.map((surveyId) => ({
    profileId: message.profileId,
    event: SURVEY_ASKED,
    messageId: deliveryMessageId('survey-asked', surveyId, message.idempotencyKey),
    properties: {
      survey_id: surveyId,
      channel: message.channel,
      send_key: message.idempotencyKey,
      ...(message.journeyId !== undefined ? { journey_id: message.journeyId } : {}),
    },
  }));
}
