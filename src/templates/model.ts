// What a library template is, per channel, and what can be said of its text without sending it:
// the fields each channel needs, and an SMS's character set and segment count (how the carrier
// will split and bill it). Pure: tested without a server (test/templates/model.test.ts).
import { type Static, Type } from '@sinclair/typebox';
import { SegmentedMessage } from 'sms-segments-calculator';

export const TEMPLATE_CHANNELS = ['email', 'sms', 'push'] as const;
export type LibraryChannel = (typeof TEMPLATE_CHANNELS)[number];

/** Liquid text; long enough for a designed email, short enough to keep a row small. */
const text = (description: string, maxLength: number) =>
  Type.String({ minLength: 1, maxLength, description });

export const EmailContentSchema = Type.Object(
  {
    subject: text('The subject line (Liquid)', 998),
    text: text('The plain-text part (Liquid)', 100_000),
    html: Type.Optional(
      text(
        'The HTML part, or an MJML document (`<mjml>…`) compiled to responsive HTML; links are tracked',
        500_000,
      ),
    ),
  },
  { additionalProperties: false },
);
export const SmsContentSchema = Type.Object(
  { body: text('The message (Liquid); more than one segment is billed as several', 1_600) },
  { additionalProperties: false },
);
export const PushContentSchema = Type.Object(
  {
    title: text('The notification title (Liquid)', 200),
    body: text('The notification text (Liquid)', 2_000),
    deepLink: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2_048,
        pattern: '^([A-Za-z][A-Za-z0-9+.-]*:|\\{\\{)\\S',
        description:
          'Where a tap opens: an app link (`shop://orders/{{ event.properties.order_id }}`) or a web URL',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EmailContent = Static<typeof EmailContentSchema>;
export type SmsContent = Static<typeof SmsContentSchema>;
export type PushContent = Static<typeof PushContentSchema>;

export const CONTENT_SCHEMAS = {
  email: EmailContentSchema,
  sms: SmsContentSchema,
  push: PushContentSchema,
} as const;

/**
 * A library template as a journey's send carries it (the conductor's message fields): the email
 * text and the SMS and push body are `body`, a push title is `subject` (the title a provider
 * receives), a push deep link is `url`.
 */
export interface SendableContent {
  subject?: string;
  body: string;
  html?: string;
  url?: string;
}

export function sendableContent(channel: LibraryChannel, content: Record<string, string>): SendableContent {
  const of = (key: string) => (content[key] === undefined ? {} : { [key]: content[key] });
  if (channel === 'email') return { subject: content.subject ?? '', body: content.text ?? '', ...of('html') };
  if (channel === 'push')
    return {
      subject: content.title ?? '',
      body: content.body ?? '',
      ...(content.deepLink === undefined ? {} : { url: content.deepLink }),
    };
  return { body: content.body ?? '' };
}

export interface SmsFacts {
  /** GSM-7 fits 160 characters in one segment (153 when split); UCS-2 (any emoji or non-Latin letter) 70 (67). */
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  /** Characters as the carrier counts them (a GSM-7 extension character such as € counts twice). */
  characters: number;
  /** The characters that forced UCS-2, to replace if one segment matters. */
  unicodeCharacters: string[];
}

/** How a carrier will encode and split this text (Twilio's segment calculator). */
export function smsFacts(body: string): SmsFacts {
  const message = new SegmentedMessage(body);
  return {
    encoding: message.encodingName === 'UCS-2' ? 'UCS-2' : 'GSM-7',
    segments: body === '' ? 0 : message.segmentsCount,
    characters: message.numberOfCharacters,
    unicodeCharacters: [...new Set(message.getNonGsmCharacters() as string[])],
  };
}

/** A template id from its name: lower case, words joined by `-` (the id pattern of journeys' references). */
export function idFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug === '' ? 'template' : slug;
}
