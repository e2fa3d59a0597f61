// The links people follow from a message: the open pixel, the click redirect and the
// unsubscribe page. Each is signed (Signer), so a forged or altered link is refused and the
// redirect cannot be pointed at another site. What happens becomes an event in the log; an
// unsubscribe also records the denial as a consent decision, through the same log.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { CONSENT_EVENT } from '../profiles/index.ts';
import { DELIVERY_EVENTS, type DeliveryEventLog, deliveryMessageId } from './delivery-events.ts';
import type { TrackingPayload } from './email.ts';
import type { Signer } from './signing.ts';

export interface TrackingRouteOptions {
  signer: Signer;
  events: DeliveryEventLog;
  warn: (message: string) => void;
}

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

// Wildcards, not `:token`: a signed token is longer than the router's 100-character parameter limit.
const tokenParams = Type.Object({ '*': Type.String({ maxLength: 4096, description: 'the signed token' }) });
const htmlPage = Type.String({ description: 'An HTML page' });

function page(reply: FastifyReply, status: number, title: string, body: string) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto">${body}</body></html>`,
    );
}

function linkProperties(payload: TrackingPayload): Record<string, unknown> {
  return {
    channel: payload.c,
    send_key: payload.k,
    ...(payload.j !== undefined ? { journey_id: payload.j, campaign_id: payload.j } : {}),
    ...(payload.s !== undefined ? { step_id: payload.s } : {}),
    ...(payload.o !== undefined ? { offer_id: payload.o } : {}),
  };
}

function isPayload(value: Record<string, unknown> | undefined): value is TrackingPayload {
  return typeof value?.k === 'string' && typeof value.p === 'string' && typeof value.c === 'string';
}

export const trackingRoutes: FastifyPluginAsyncTypebox<TrackingRouteOptions> = async (app, options) => {
  const { signer, events } = options;
  // RFC 8058 one-click unsubscribes POST `List-Unsubscribe=One-Click` form-encoded; the body says nothing we need.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, _body, done) => done(null, {}),
  );
  const record = async (work: Promise<unknown>) => {
    // The person's click or page must not fail because the log is busy; the event is what is lost, and said so.
    await work.catch((error: Error) => options.warn(`tracking event not recorded: ${error.message}`));
  };

  app.get(
    '/t/o/*',
    {
      config: { access: 'public' },
      schema: {
        tags: ['tracking links'],
        summary: 'Open pixel: records Email Opened (first open of a message) and answers a 1×1 GIF',
        params: tokenParams,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) },
      },
    },
    async (request, reply) => {
      const payload = signer.verify('open', request.params['*'].replace(/\.gif$/, ''));
      if (isPayload(payload)) {
        await record(
          events.append([
            {
              profileId: payload.p,
              event: DELIVERY_EVENTS.emailOpened,
              messageId: deliveryMessageId('email-opened', payload.k),
              properties: linkProperties(payload),
            },
          ]),
        );
      }
      // Always the pixel: a mail client shows nothing either way, and a prober learns nothing.
      return reply.type('image/gif').header('cache-control', 'no-store, private').send(PIXEL);
    },
  );

  app.get(
    '/t/c/*',
    {
      config: { access: 'public' },
      // A bad link gets the HTML page below, not the JSON error (which the page's string schema
      // would have serialised as "[object Object]").
      attachValidation: true,
      schema: {
        tags: ['tracking links'],
        summary: 'Click redirect: records Email Link Clicked and redirects to the signed URL',
        params: tokenParams,
        querystring: Type.Object({ u: Type.String({ maxLength: 8192 }) }),
        response: { 302: Type.Null(), 400: htmlPage },
      },
    },
    async (request, reply) => {
      const { u } = request.query;
      const payload = request.validationError ? undefined : signer.verify('click', request.params['*'], u);
      if (!isPayload(payload) || !/^https?:\/\//i.test(u)) {
        return page(reply, 400, 'Link not valid', '<p>This link is not valid. It may have been altered.</p>');
      }
      await record(
        events.append([
          {
            profileId: payload.p,
            event: DELIVERY_EVENTS.emailClicked,
            messageId: deliveryMessageId('email-clicked', payload.k, u),
            properties: { ...linkProperties(payload), link_url: u },
          },
        ]),
      );
      return reply.header('cache-control', 'no-store').redirect(u, 302);
    },
  );

  const unsubscribePayload = (token: string) => {
    const payload = signer.verify<TrackingPayload & { u?: unknown }>('unsubscribe', token);
    return isPayload(payload) && typeof payload.u === 'string'
      ? { ...payload, purpose: payload.u }
      : undefined;
  };

  app.get(
    '/t/u/*',
    {
      config: { access: 'public' },
      schema: {
        tags: ['tracking links'],
        summary: 'Unsubscribe page: asks to confirm (a GET changes nothing: link scanners follow links)',
        params: tokenParams,
        response: { 200: htmlPage, 400: htmlPage },
      },
    },
    async (request, reply) => {
      const payload = unsubscribePayload(request.params['*']);
      if (!payload) return page(reply, 400, 'Link not valid', '<p>This unsubscribe link is not valid.</p>');
      return page(
        reply,
        200,
        'Unsubscribe',
        `<h1>Unsubscribe</h1><p>Stop receiving ${payload.purpose} messages from us?</p><form method="post"><button type="submit">Unsubscribe</button></form>`,
      );
    },
  );

  app.post(
    '/t/u/*',
    {
      config: { access: 'public' },
      schema: {
        tags: ['tracking links'],
        summary:
          'Unsubscribe (the page’s button, or RFC 8058 one-click): denies consent for the channel’s purpose',
        params: tokenParams,
        response: { 200: htmlPage, 400: htmlPage },
      },
    },
    async (request, reply) => {
      const payload = unsubscribePayload(request.params['*']);
      if (!payload) return page(reply, 400, 'Link not valid', '<p>This unsubscribe link is not valid.</p>');
      // One decision per link and minute: a double submit is one change; a later one (after
      // subscribing again) is a new decision.
      const minute = String(Math.floor(Date.now() / 60_000));
      await events.append([
        {
          profileId: payload.p,
          event: CONSENT_EVENT,
          messageId: deliveryMessageId('consent-unsubscribe', payload.k, minute),
          properties: { note: `unsubscribe link in ${payload.c} message`, send_key: payload.k },
          consent: { [payload.purpose]: 'denied' },
        },
        {
          profileId: payload.p,
          event: DELIVERY_EVENTS.unsubscribed,
          messageId: deliveryMessageId('unsubscribed', payload.k, minute),
          properties: { ...linkProperties(payload), purpose: payload.purpose },
        },
      ]);
      return page(
        reply,
        200,
        'Unsubscribed',
        `<h1>You are unsubscribed</h1><p>You will get no more ${payload.purpose} messages from us.</p>`,
      );
    },
  );
};
