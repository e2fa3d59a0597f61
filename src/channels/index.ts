// Channels: the delivery side. Owns the contract the outbox calls (OutgoingMessage → Channel
// .deliver → DeliveryResult), the channels themselves (email over SMTP with tracking and a
// signed unsubscribe, signed webhooks for any HTTP receiver or SMS/push provider, tasks for
// people), the delivery events they append to the ingest log, the tracking links (open pixel,
// click redirect, unsubscribe), the task queue API, and the per-person engagement numbers
// behind "send via best channel". Consent, suppression and caps are the outbox's, before deliver.
export { type ChannelAdminRouteOptions, channelAdminRoutes } from './admin-routes.ts';
export {
  type Address,
  DELIVERY_EVENTS,
  DELIVERY_SOURCE,
  type DeliveryEvent,
  DeliveryEventLog,
  deliveryMessageId,
  ENGAGED_EVENTS,
  SENT_EVENTS,
} from './delivery-events.ts';
export { EmailChannel, type EmailChannelOptions, messageIdFor, sendProperties } from './email.ts';
export { CHANNEL_OF_EVENT, type ChannelPreference, EngagementStats, SEND_OF_EVENT } from './engagement.ts';
export { ChannelRuntime, type ChannelRuntimeDeps, EMAIL_SANDBOX_SETTING } from './runtime.ts';
export { type SandboxRouteOptions, sandboxRoutes } from './sandbox-routes.ts';
export {
  type ChannelSettingsRouteOptions,
  channelSettingsRoutes,
  TEST_SEND_CODE,
  TEST_SEND_PROFILE,
} from './settings-routes.ts';
export { loadSigningSecret, Signer, webhookSignature } from './signing.ts';
export {
  readSurveyToken,
  SURVEY_ASKED,
  SURVEY_LINK_PURPOSE,
  type SurveyLinkPayload,
  surveyAskedEvents,
  surveyLinkPath,
  surveysIn,
  withSurveyLinks,
} from './survey-links.ts';
export { TaskChannel, TaskService, taskIdFor } from './task.ts';
export { type TrackingRouteOptions, trackingRoutes } from './tracking-routes.ts';
export {
  type Channel,
  type ChannelDescription,
  type ChannelRegistry,
  type DeliveryResult,
  MapChannelRegistry,
  type OutgoingMessage,
} from './types.ts';
export { WebhookChannel, type WebhookChannelOptions } from './webhook.ts';
