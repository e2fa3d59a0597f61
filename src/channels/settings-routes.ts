// The Settings page's view of the delivery side (behind an admin token): the configured
// channels without their secrets, a real test send through one of them, and the consent
// purposes with what needs each. A test send goes through the channel's own deliver (its
// address checks, templates, SMTP or HTTP with signature and retries) to an address the admin
// types, skipping journeys, arbitration and consent: it is addressed to no person. It is kept
// in the arbitration log (code `test_send`) so that "what left this server" stays complete.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema, Nullable, RapportError } from '../errors/index.ts';
import type { DecisionRecord } from '../store/index.ts';
import type { ChannelRuntime } from './runtime.ts';
import { ChannelList, ChannelTestSend, ConsentPurposes } from './schema.ts';
import type { Channel, ChannelDescription, DeliveryResult } from './types.ts';

export interface ChannelSettingsRouteOptions {
  channels: ChannelRuntime;
  credentials: CredentialCache;
  /** The active purposes (seeded by RAPPORT_CONSENT_PURPOSES, changed through the API). */
  consentPurposes: readonly string[];
  /** Each purpose's description, source and retirement (profiles' PurposeCatalog). */
  purposeEntries?: () => ReadonlyArray<{
    name: string;
    description: string | null;
    source: 'configuration' | 'api';
    retiredAt: string | null;
  }>;
  /** Appends to the arbitration log (the conductor store's logDecisions). */
  logDecisions(rows: DecisionRecord[]): Promise<void>;
  now(): string;
}

/** The profile id a test send is logged under: no person (delivery events for it are skipped). */
export const TEST_SEND_PROFILE = 'test-send';
export const TEST_SEND_CODE = 'test_send';

const security = [{ adminToken: [] }];

/** What `to` of a test send is on each kind of channel, or undefined when it has no test send. */
function testTarget(channel: Channel, description: ChannelDescription | undefined): string | undefined {
  if (description?.transport === 'task') return undefined;
  if (description?.transport === 'smtp' || description?.transport === 'sandbox') return 'an email address';
  if (description?.transport === 'webhook')
    return description.host === undefined ? 'an http(s) URL' : 'a phone number or device token';
  return 'an address the channel understands';
}

/** The message's `to` for a test send, or a 400 naming `to`. Pure. */
export function testRecipient(
  channel: Channel,
  description: ChannelDescription | undefined,
  to: string,
): { to: Record<string, unknown>; shown: string } {
  const value = to.trim();
  const bad = (why: string) => new RapportError('RAPPORT_API_BAD_REQUEST', `to: ${why}`, { field: 'to' });
  if (value === '') throw bad('must not be blank');
  if (description?.transport === 'task')
    throw new RapportError(
      'RAPPORT_API_BAD_REQUEST',
      `${channel.name}: a task channel queues work for people and has no test send`,
      { field: 'name' },
    );
  if (description?.transport === 'smtp' || description?.transport === 'sandbox') {
    if (!/^[^\s@]+@[^\s@]+$/.test(value))
      throw bad(`must be an email address (got ${JSON.stringify(value)})`);
    return { to: { email: value }, shown: value };
  }
  if (description?.transport === 'webhook' && description.host === undefined) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw bad(`must be an http(s) URL (got ${JSON.stringify(value)})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('must be an http(s) URL');
    // The log keeps the host only: a receiver URL may carry a key in its path or query.
    return { to: { url: url.toString() }, shown: `${url.protocol}//${url.host}` };
  }
  return { to: channel.name === 'sms' ? { phone: value } : { address: value }, shown: value };
}

/** The arbitration log's line for a test send. Pure. */
export function testSendReason(shown: string, result: DeliveryResult): string {
  if (result.status === 'sent') return `test send to ${shown}: accepted`;
  const kind = result.status === 'retry' ? 'temporary failure' : 'refused';
  return `test send to ${shown}: ${kind}: ${result.error ?? 'no reason given'}`;
}

/** What needs each consent purpose: the channels (from the registry) and the fixed uses. Pure. */
export function purposeUses(
  purposes: readonly string[],
  channels: ReadonlyArray<{ name: string; purpose: string }>,
): Array<{ purpose: string; configured: boolean; usedBy: string[] }> {
  const uses = new Map<string, string[]>();
  const add = (purpose: string, use: string) => uses.set(purpose, [...(uses.get(purpose) ?? []), use]);
  for (const channel of channels) add(channel.purpose, `marketing sends on the ${channel.name} channel`);
  add('personalization', 'placement offers that need personalization (GET /v1/decide)');
  add('analytics', 'analytics results (a denial leaves the person out; unknown counts as yes)');
  const names = [...purposes, ...[...uses.keys()].filter((purpose) => !purposes.includes(purpose))];
  return names.map((purpose) => ({
    purpose,
    configured: purposes.includes(purpose),
    usedBy: uses.get(purpose) ?? [],
  }));
}

export const channelSettingsRoutes: FastifyPluginAsyncTypebox<ChannelSettingsRouteOptions> = async (
  app,
  options,
) => {
  const { channels } = options;

  const describe = (channel: Channel) => {
    const description = channel.describe?.();
    const testTo = testTarget(channel, description);
    return {
      name: channel.name,
      purpose: channel.purpose,
      ...(description ?? { transport: 'custom', destination: 'registered in code' }),
      testable: testTo !== undefined,
      ...(testTo ? { testTo } : {}),
    };
  };

  app.get(
    '/api/channels',
    {
      config: { access: 'read' },
      schema: {
        tags: ['settings'],
        summary: 'The configured channels (SMTP relay host and port, webhook hosts), never a secret',
        description:
          'Channels are configured with RAPPORT_SMTP_URL, RAPPORT_EMAIL_FROM, RAPPORT_SMS_WEBHOOK_URL and RAPPORT_PUSH_WEBHOOK_URL (docs/channels.md).',
        security,
        response: { 200: ChannelList },
      },
    },
    async () => ({
      items: channels.names().map((name) => describe(channels.get(name) as Channel)),
    }),
  );

  app.post(
    '/api/channels/:name/test',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Send a real test message through a channel to the address or URL given',
        description:
          'Goes through the channel itself (SMTP, HTTP with signature and quick retries) but no journey, arbitration or consent; logged in /api/decisions with code test_send.',
        security,
        params: Type.Object({ name: Type.String() }),
        body: Type.Object(
          {
            to: Type.String({ minLength: 1, maxLength: 2000, description: 'email address, URL, phone…' }),
            text: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: ChannelTestSend,
          '4xx': errorSchema,
        },
      },
    },
    async (request) => {
      const { name } = request.params;
      const body = request.body;
      const channel = channels.get(name);
      if (!channel) {
        const hint = name === 'email' ? ' (set RAPPORT_SMTP_URL to have one)' : '';
        throw new RapportError('RAPPORT_API_NOT_FOUND', `no channel ${name}${hint}`, { field: 'name' });
      }
      const recipient = testRecipient(channel, channel.describe?.(), body.to);
      const idempotencyKey = `test:${randomUUID()}`;
      const at = options.now();
      const text =
        body.text ??
        `A test message from Rapport on the ${name} channel, sent from the Settings page at ${at}.`;
      const result = await channel.deliver({
        idempotencyKey,
        profileId: TEST_SEND_PROFILE,
        channel: name,
        templateId: 'test-send',
        content: { subject: 'Rapport test message', text },
        to: recipient.to,
      });
      const reason = testSendReason(recipient.shown, result);
      await options.logDecisions([
        {
          at,
          profileId: TEST_SEND_PROFILE,
          journeyId: null,
          stepId: null,
          idempotencyKey,
          channel: name,
          action: result.status === 'sent' ? 'send' : 'fail',
          code: TEST_SEND_CODE,
          reason,
          until: null,
        },
      ]);
      return {
        channel: name,
        to: recipient.shown,
        accepted: result.status === 'sent',
        status: result.status,
        error: result.error ?? null,
        providerMessageId: result.providerMessageId ?? null,
        idempotencyKey,
        reason,
      };
    },
  );

  app.get(
    '/api/consent-purposes',
    {
      config: { access: 'read' },
      schema: {
        tags: ['settings'],
        summary:
          'The consent purposes and what needs each (seeded by RAPPORT_CONSENT_PURPOSES; added, described and retired through POST/PUT /api/consent-purposes)',
        security,
        response: { 200: ConsentPurposes },
      },
    },
    async () => {
      const entries = options.purposeEntries?.() ?? [];
      const entryOf = (purpose: string) => entries.find((entry) => entry.name === purpose);
      return {
        configuredBy: 'RAPPORT_CONSENT_PURPOSES',
        editable: options.purposeEntries !== undefined,
        purposes: purposeUses(
          options.consentPurposes,
          channels
            .names()
            .map((name) => channels.get(name) as Channel)
            // Tasks are work for staff, not messages to the person: no consent is asked.
            .filter((channel) => channel.describe?.().transport !== 'task'),
        ).map((row) => ({
          ...row,
          description: entryOf(row.purpose)?.description ?? null,
          source: entryOf(row.purpose)?.source ?? 'configuration',
        })),
        retired: entries
          .filter((entry) => entry.retiredAt !== null)
          .map((entry) => ({
            purpose: entry.name,
            description: entry.description,
            retiredAt: entry.retiredAt as string,
          })),
        rules: [
          'marketing messages need a granted consent for the channel’s purpose; unknown is a no',
          'transactional messages (receipts, password resets) go unless the purpose is denied',
          'consent is checked last, at the moment a message goes (docs/arbitration.md)',
        ],
      };
    },
  );
};
