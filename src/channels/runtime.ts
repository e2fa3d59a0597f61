// The delivery side assembled: the signing secret, the delivery event log, the channels
// (email when SMTP is configured, or the email sandbox when switched on and SMTP is not;
// webhook, task, and any provider registered later), the task
// service and the engagement statistics. server.ts builds one and hands it to the routes; the
// outbox calls `get(name).deliver(message)` and `bestChannelFor`.
import type { Channel as ChannelName } from '../conductor/index.ts';
import { CHANNELS } from '../conductor/index.ts';
import type { RapportConfig } from '../config/index.ts';
import { RapportError } from '../errors/index.ts';
import type { GroupCommitLog } from '../ingest/index.ts';
import { consentOf } from '../profiles/index.ts';
import type { ChannelStore, EventReader, StateStore } from '../store/index.ts';
import { DeliveryEventLog } from './delivery-events.ts';
import { EmailChannel } from './email.ts';
import { type ChannelPreference, EngagementStats } from './engagement.ts';
import { loadSigningSecret, Signer } from './signing.ts';
import { TaskChannel, TaskService } from './task.ts';
import type { Channel, ChannelRegistry } from './types.ts';
import { WebhookChannel, type WebhookChannelOptions } from './webhook.ts';

export interface ChannelRuntimeDeps {
  config: Pick<RapportConfig, 'smtpUrl' | 'emailFrom' | 'signingSecret' | 'smsWebhookUrl' | 'pushWebhookUrl'>;
  state: StateStore;
  store: ChannelStore;
  log: GroupCommitLog;
  reader: EventReader;
  /** The public base URL for links in messages, known once the server listens. */
  publicUrl: () => string;
  /** Overrides for the webhook channel (timeouts, retries, rate). */
  webhook?: Partial<Omit<WebhookChannelOptions, 'signingKey' | 'events'>>;
}

/** The channel setting that keeps the email sandbox on across restarts. */
export const EMAIL_SANDBOX_SETTING = 'email_sandbox';

/** Consent purpose per channel, for the profile page (the outbox reads Channel.purpose). */
const PURPOSE_OF: Record<ChannelName, string> = {
  email: 'email',
  sms: 'sms',
  push: 'push',
  webhook: 'personalization',
};

export class ChannelRuntime implements ChannelRegistry {
  private readonly channels = new Map<string, Channel>();
  /** For the survey links webhook-shaped channels write into their content. */
  private publicUrl: (() => string) | undefined;
  /** What a sandbox email channel is built from, when no SMTP relay is configured. */
  private sandboxOptions: { from: string; publicUrl: () => string } | undefined;

  private constructor(
    readonly signer: Signer,
    readonly events: DeliveryEventLog,
    readonly tasks: TaskService,
    readonly engagement: EngagementStats,
    readonly store: ChannelStore,
    private readonly state: StateStore,
  ) {}

  static async start(deps: ChannelRuntimeDeps): Promise<ChannelRuntime> {
    const signer = new Signer(await loadSigningSecret(deps.config.signingSecret, deps.store));
    const events = new DeliveryEventLog(deps.state, deps.log);
    const tasks = new TaskService(deps.store, events);
    const runtime = new ChannelRuntime(
      signer,
      events,
      tasks,
      new EngagementStats(deps.reader, deps.state),
      deps.store,
      deps.state,
    );
    if (deps.config.smtpUrl) {
      runtime.register(
        new EmailChannel({
          smtpUrl: deps.config.smtpUrl,
          from: deps.config.emailFrom,
          publicUrl: deps.publicUrl,
          signer,
          events,
        }),
      );
    }
    runtime.publicUrl = deps.publicUrl;
    if (!deps.config.smtpUrl) {
      runtime.sandboxOptions = { from: deps.config.emailFrom, publicUrl: deps.publicUrl };
      if ((await deps.store.getSetting(EMAIL_SANDBOX_SETTING)) === 'on')
        runtime.register(runtime.sandboxChannel());
    }
    runtime.register(
      new WebhookChannel({
        ...deps.webhook,
        signingKey: signer.webhookKey,
        events,
        surveyLinks: { signer, publicUrl: deps.publicUrl },
      }),
    );
    runtime.register(new TaskChannel(tasks));
    // SMS and push providers behind a fixed webhook URL (RAPPORT_SMS_WEBHOOK_URL, RAPPORT_PUSH_WEBHOOK_URL).
    for (const [name, url] of [
      ['sms', deps.config.smsWebhookUrl],
      ['push', deps.config.pushWebhookUrl],
    ] as const) {
      if (url) runtime.register(runtime.webhookProvider({ ...deps.webhook, name, url }));
    }
    return runtime;
  }

  /** Adds or replaces a channel (an SMS or push provider as a WebhookChannel named 'sms' / 'push'). */
  register(channel: Channel): this {
    this.channels.set(channel.name, channel);
    return this;
  }

  /** A WebhookChannel for a provider, signed with this server's key. */
  webhookProvider(options: Omit<WebhookChannelOptions, 'signingKey' | 'events'>): WebhookChannel {
    return new WebhookChannel({
      ...options,
      signingKey: this.signer.webhookKey,
      events: this.events,
      ...(this.publicUrl ? { surveyLinks: { signer: this.signer, publicUrl: this.publicUrl } } : {}),
    });
  }

  private sandboxChannel(): EmailChannel {
    const options = this.sandboxOptions as { from: string; publicUrl: () => string };
    return new EmailChannel({ ...options, sandbox: this.store, signer: this.signer, events: this.events });
  }

  /** Whether the email channel is the sandbox (messages kept in Rapport, sent to no inbox). */
  get emailSandbox(): boolean {
    const email = this.channels.get('email');
    return email instanceof EmailChannel && email.isSandbox;
  }

  /**
   * Switches the email sandbox on, and remembers it across restarts. Refused (409) when an SMTP
   * relay is configured: the sandbox never stands in for a real channel.
   */
  async enableEmailSandbox(): Promise<void> {
    if (!this.sandboxOptions)
      throw new RapportError(
        'RAPPORT_API_CONFLICT',
        'an SMTP relay is configured (RAPPORT_SMTP_URL): email is sent for real, and the sandbox never replaces it',
      );
    if (this.channels.has('email') && !this.emailSandbox)
      throw new RapportError(
        'RAPPORT_API_CONFLICT',
        'an email channel is registered: email is sent for real, and the sandbox never replaces it',
      );
    await this.store.putSetting(EMAIL_SANDBOX_SETTING, 'on');
    if (!this.emailSandbox) this.register(this.sandboxChannel());
  }

  /** Switches the email sandbox off: email has no channel again (its captures are kept). */
  async disableEmailSandbox(): Promise<void> {
    await this.store.putSetting(EMAIL_SANDBOX_SETTING, 'off');
    if (this.emailSandbox) this.channels.delete('email');
  }

  get(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  names(): string[] {
    return [...this.channels.keys()];
  }

  /** "Send via best channel": the outbox passes the channels the person consented to. */
  bestChannelFor(
    profileId: string,
    consented: readonly ChannelName[],
  ): Promise<{ channel: ChannelName; explanation: string } | undefined> {
    return this.engagement.bestChannelFor(profileId, consented);
  }

  async preferenceOf(
    profileId: string,
  ): Promise<
    ChannelPreference & { estimates: (ChannelPreference['estimates'][number] & { consented: boolean })[] }
  > {
    if (!(await this.state.getProfile(profileId)))
      throw new RapportError('RAPPORT_API_NOT_FOUND', `no profile ${profileId}`);
    const consented = new Set<ChannelName>();
    for (const channel of CHANNELS) {
      if ((await consentOf(this.state, profileId, PURPOSE_OF[channel])).allowed) consented.add(channel);
    }
    const preference = await this.engagement.preferenceOf(profileId, (channel) => consented.has(channel));
    return {
      ...preference,
      estimates: preference.estimates.map((estimate) => ({
        ...estimate,
        consented: consented.has(estimate.channel),
      })),
    };
  }

  /** The profile export's part: the person's tasks (with their notes) and sandbox-kept emails. */
  async exportOf(profileIds: string[]): Promise<Record<string, unknown>> {
    const tasks = [];
    const sandboxEmails = [];
    for (const profileId of profileIds) {
      for (let afterId: string | undefined; ; ) {
        const page = await this.store.listTasks({ profileId, limit: 500, ...(afterId ? { afterId } : {}) });
        tasks.push(...page);
        if (page.length < 500) break;
        afterId = page.at(-1)?.id;
      }
      sandboxEmails.push(...(await this.store.listCapturedEmails({ profileId, limit: 10_000 })));
    }
    return { tasks, sandboxEmails };
  }

  async close(): Promise<void> {
    for (const channel of this.channels.values()) if (channel instanceof EmailChannel) channel.close();
    await this.store.close();
  }
}
