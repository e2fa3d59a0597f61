// What a send needs on each channel, checked when a journey is saved and when the API takes a
// send, so that a message that could only fail at delivery is refused with the field named
// instead. A `best` step may go out on any of its channels, so it needs what each one needs.
import type { Channel, MessageTemplate, SendAddress } from './definition.ts';

export interface SendShape {
  template: Pick<MessageTemplate, 'subject' | 'body'> & { html?: string | undefined };
  to?: SendAddress | undefined;
}

export interface ChannelNeed {
  /** The field that is missing, relative to the send (`template/subject`, `to/url`). */
  field: string;
  message: string;
}

/** What `channel` needs that `send` lacks; empty when it can go out on that channel. */
export function missingForChannel(channel: Channel, send: SendShape): ChannelNeed[] {
  const needs: ChannelNeed[] = [];
  if (send.template.body.trim() === '')
    needs.push({ field: 'template/body', message: `${channel} needs a text` });
  if (channel === 'email' && !send.template.subject?.trim())
    needs.push({ field: 'template/subject', message: 'email needs a subject' });
  if (channel === 'webhook' && !send.to?.url)
    needs.push({ field: 'to/url', message: 'webhook needs an address (to.url, an http(s) URL)' });
  return needs;
}

/** The channels a send may use: the one named, or each of `best`'s. */
export function possibleChannels(
  channel: Channel | 'best',
  channels: readonly Channel[] | undefined,
): Channel[] {
  return channel === 'best' ? [...(channels ?? [])] : [channel];
}
