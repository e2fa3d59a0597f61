// Email over SMTP (nodemailer). Subject, HTML and text arrive rendered by the outbox (a
// channel never renders: trait values are data, not template code). Every
// message carries a Message-ID derived from the idempotency key, so a retried send is
// recognisably the same message; a List-Unsubscribe one-click URL (RFC 8058) and a footer
// link to the signed unsubscribe page; an open pixel and links rewritten through the signed
// click redirect. A 4xx or a connection failure is worth retrying; a 5xx rejection of the
// recipient is final and becomes an `Email Bounced` event.
import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { ChannelStore } from '../store/index.ts';
import { DELIVERY_EVENTS, type DeliveryEventLog, deliveryMessageId } from './delivery-events.ts';
import type { Signer } from './signing.ts';
import { surveyAskedEvents, surveysIn, withSurveyLinks } from './survey-links.ts';
import type { Channel, ChannelDescription, DeliveryResult, OutgoingMessage } from './types.ts';

export interface EmailChannelOptions {
  /** The SMTP relay (RAPPORT_SMTP_URL); not used with `sandbox`. */
  smtpUrl?: string;
  /**
   * The email sandbox: each message is built exactly as it would be sent (tracking links,
   * unsubscribe, survey links) and kept here to be read on the Messages page, sent to no inbox.
   */
  sandbox?: Pick<ChannelStore, 'captureEmail'>;
  from: string;
  /** The server's public base URL, read at send time (tests and `--port 0` learn it on listen). */
  publicUrl: () => string;
  signer: Signer;
  events: DeliveryEventLog;
  /** After a temporary failure, how long the outbox should wait (default one minute). */
  retryAfterMs?: number;
}

/** What a tracking link carries: enough to name the send and the person, nothing personal. */
export interface TrackingPayload extends Record<string, unknown> {
  /** The send's idempotency key. */
  k: string;
  /** Profile id. */
  p: string;
  c: string;
  j?: string;
  s?: string;
  /** The offer the message carries, so a click on it names the offer. */
  o?: string;
}

/** Links people follow: `<a href>` only (a stylesheet's `<link href>` is fetched, not clicked). */
const LINK = /(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?:\/\/[^"']+)\2/gi;

export function messageIdFor(idempotencyKey: string, from: string): string {
  const domain = /@([^>\s]+)>?$/.exec(from)?.[1] ?? 'rapport.invalid';
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function decodeAmp(url: string): string {
  return url.replaceAll('&amp;', '&');
}

interface RenderedEmail {
  subject: string;
  html: string | undefined;
  text: string | undefined;
}

/** The email as sent: HTML from the text when there is no HTML part. */
function compose(message: OutgoingMessage): RenderedEmail {
  const { subject, text, html } = message.content;
  if (subject === undefined || (text === undefined && html === undefined)) {
    throw new Error('an email needs a subject and an html or text part');
  }
  const fallback = text === undefined ? undefined : `<p>${escapeHtml(text).replaceAll('\n', '<br>')}</p>`;
  return { subject, html: html ?? fallback, text };
}

/** An SMTP failure that will not change by waiting: the recipient (or the message) was refused. */
function isPermanent(error: { responseCode?: number | undefined }): boolean {
  return typeof error.responseCode === 'number' && error.responseCode >= 500 && error.responseCode < 600;
}

export class EmailChannel implements Channel {
  readonly name = 'email';
  readonly purpose = 'email';
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo>;

  constructor(private readonly options: EmailChannelOptions) {
    if (!options.sandbox && !options.smtpUrl)
      throw new Error('an email channel needs an SMTP URL or the sandbox');
    // The sandbox builds the whole MIME message as SMTP would (nodemailer's JSON transport) and sends nothing.
    this.transport = options.sandbox
      ? (nodemailer.createTransport({
          jsonTransport: true,
        }) as unknown as Transporter<SMTPTransport.SentMessageInfo>)
      : nodemailer.createTransport(options.smtpUrl);
  }

  /** Whether it captures messages instead of sending them. */
  get isSandbox(): boolean {
    return this.options.sandbox !== undefined;
  }

  close(): void {
    this.transport.close();
  }

  describe(): ChannelDescription {
    if (this.options.sandbox)
      return {
        transport: 'sandbox',
        from: this.options.from,
        destination: 'kept on the Messages page (sandbox inbox), never sent to any inbox',
      };
    const url = new URL(this.options.smtpUrl as string);
    const secure = url.protocol === 'smtps:';
    return {
      transport: 'smtp',
      host: url.hostname,
      // nodemailer's defaults when the URL names no port.
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      authenticated: url.username !== '',
      from: this.options.from,
      destination: 'to.email of each message',
    };
  }

  async deliver(message: OutgoingMessage): Promise<DeliveryResult> {
    const to = typeof message.to.email === 'string' ? message.to.email.trim() : '';
    if (!/^[^\s@]+@[^\s@]+$/.test(to))
      return { status: 'failed', error: 'to.email is missing or not an address' };
    let rendered: RenderedEmail;
    try {
      rendered = compose(message);
    } catch (error) {
      return { status: 'failed', error: (error as Error).message };
    }
    const messageId = messageIdFor(message.idempotencyKey, this.options.from);
    const links = this.linksFor(message);
    // Survey references become the person's signed links before the links are tracked.
    const survey = (content: string) => withSurveyLinks(content, message, links.base, this.options.signer);
    const asked = surveysIn(rendered.html, rendered.text);
    if (rendered.html !== undefined) rendered.html = survey(rendered.html);
    if (rendered.text !== undefined) rendered.text = survey(rendered.text);
    const html = rendered.html !== undefined ? this.trackHtml(rendered.html, links) : undefined;
    const text =
      rendered.text !== undefined ? `${rendered.text}\n\nUnsubscribe: ${links.unsubscribe}\n` : undefined;
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to,
        subject: rendered.subject,
        messageId,
        headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        list: { unsubscribe: { url: links.unsubscribe, comment: 'Unsubscribe' } },
        ...(html !== undefined ? { html } : {}),
        ...(text !== undefined ? { text } : {}),
      });
      await this.options.sandbox?.captureEmail({
        id: message.idempotencyKey,
        profileId: message.profileId,
        to,
        from: this.options.from,
        subject: rendered.subject,
        text: text ?? null,
        html: html ?? null,
        journeyId: message.journeyId ?? null,
        stepId: message.stepId ?? null,
        templateId: message.templateId ?? null,
        capturedAt: new Date().toISOString(),
      });
    } catch (error) {
      return this.failure(message, rendered, error as Error & { responseCode?: number; response?: string });
    }
    await this.options.events.append([
      this.event(message, rendered, DELIVERY_EVENTS.emailSent, 'sent', {}),
      ...surveyAskedEvents(message, asked),
    ]);
    return { status: 'sent', providerMessageId: messageId };
  }

  private async failure(
    message: OutgoingMessage,
    rendered: RenderedEmail,
    error: Error & { responseCode?: number; response?: string },
  ): Promise<DeliveryResult> {
    const reason = error.response ?? error.message;
    if (!isPermanent(error)) {
      return { status: 'retry', error: `smtp: ${reason}`, retryAfterMs: this.options.retryAfterMs ?? 60_000 };
    }
    await this.options.events.append([
      this.event(message, rendered, DELIVERY_EVENTS.emailBounced, 'bounced', {
        reason,
        smtp_code: error.responseCode,
      }),
    ]);
    return { status: 'failed', error: `smtp: ${reason}` };
  }

  private event(
    message: OutgoingMessage,
    rendered: RenderedEmail,
    event: string,
    kind: string,
    extra: Record<string, unknown>,
  ) {
    return {
      profileId: message.profileId,
      event,
      messageId: deliveryMessageId(`email-${kind}`, message.idempotencyKey),
      properties: {
        ...sendProperties(message),
        email_id: messageIdFor(message.idempotencyKey, this.options.from),
        email_subject: rendered.subject,
        // Kept in the sandbox, not sent: analytics can tell a demo's sends from real ones.
        ...(this.options.sandbox ? { sandbox: true } : {}),
        ...extra,
      },
    };
  }

  private linksFor(message: OutgoingMessage) {
    const payload = trackingPayload(message);
    const base = this.options.publicUrl();
    const signer = this.options.signer;
    return {
      base,
      payload,
      open: `${base}/t/o/${signer.sign('open', payload)}.gif`,
      unsubscribe: `${base}/t/u/${signer.sign('unsubscribe', { ...payload, u: this.purpose })}`,
    };
  }

  /** Links through the click redirect, the open pixel at the end, the unsubscribe footer. */
  private trackHtml(html: string, links: ReturnType<EmailChannel['linksFor']>): string {
    const signer = this.options.signer;
    const tracked = html.replace(LINK, (_match, start: string, quote: string, raw: string) => {
      const url = decodeAmp(raw);
      const redirect = `${links.base}/t/c/${signer.sign('click', links.payload, url)}?u=${encodeURIComponent(url)}`;
      return `${start}${quote}${redirect.replaceAll('&', '&amp;')}${quote}`;
    });
    const footer = `<p style="font-size:12px;color:#666"><a href="${links.unsubscribe}">Unsubscribe</a></p>`;
    const pixel = `<img src="${links.open}" width="1" height="1" alt="" style="display:none">`;
    return /<\/body>/i.test(tracked)
      ? tracked.replace(/<\/body>/i, `${footer}${pixel}</body>`)
      : `${tracked}${footer}${pixel}`;
  }
}

export function trackingPayload(message: OutgoingMessage): TrackingPayload {
  return {
    k: message.idempotencyKey,
    p: message.profileId,
    c: message.channel,
    ...(message.journeyId !== undefined ? { j: message.journeyId } : {}),
    ...(message.stepId !== undefined ? { s: message.stepId } : {}),
    ...(message.offerId !== undefined ? { o: message.offerId } : {}),
  };
}

/** Properties every delivery event carries: which send, on which channel, from which journey. */
export function sendProperties(message: OutgoingMessage): Record<string, unknown> {
  return {
    channel: message.channel,
    send_key: message.idempotencyKey,
    ...(message.journeyId !== undefined
      ? { journey_id: message.journeyId, campaign_id: message.journeyId }
      : {}),
    ...(message.stepId !== undefined ? { step_id: message.stepId } : {}),
    ...(message.templateId !== undefined ? { template_id: message.templateId } : {}),
    ...(message.offerId !== undefined ? { offer_id: message.offerId } : {}),
  };
}
