// The template library's pure parts: an SMS's encoding and segments (checked against the GSM
// 03.38 limits: 160 GSM-7 characters in one segment, 153 per segment once split; 70 UCS-2, 67
// once split), the mapping of each channel's fields onto what a send carries, ids from names.
import { describe, expect, it } from 'vitest';
import {
  checkContent,
  idFromName,
  renderedFor,
  sendableContent,
  smsFacts,
} from '../../src/templates/index.ts';

describe('SMS facts', () => {
  it('counts GSM-7 segments at 160 for one and 153 each once split', () => {
    expect(smsFacts('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(smsFacts('a'.repeat(161))).toMatchObject({ encoding: 'GSM-7', segments: 2 });
    expect(smsFacts('a'.repeat(306)).segments).toBe(2);
    expect(smsFacts('a'.repeat(307)).segments).toBe(3);
  });

  it('switches to UCS-2 for one emoji or non-Latin letter: 70 in one segment, 67 each once split', () => {
    const facts = smsFacts(`Hi 😀${'a'.repeat(60)}`);
    expect(facts.encoding).toBe('UCS-2');
    expect(facts.unicodeCharacters).toEqual(['😀']);
    expect(smsFacts('ж'.repeat(70))).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(smsFacts('ж'.repeat(71)).segments).toBe(2);
    expect(smsFacts('ж'.repeat(134)).segments).toBe(2);
    expect(smsFacts('ж'.repeat(135)).segments).toBe(3);
  });

  it('counts a GSM-7 extension character (€) as two, and an empty text as no segment', () => {
    expect(smsFacts('€').characters).toBe(2);
    expect(smsFacts('a'.repeat(159) + '€').segments).toBe(2);
    expect(smsFacts('')).toMatchObject({ segments: 0 });
  });
});

describe('channel content', () => {
  it('maps email, SMS and push fields onto what a send carries, and back', () => {
    expect(sendableContent('email', { subject: 'S', text: 'T', html: '<p>H</p>' })).toEqual({
      subject: 'S',
      body: 'T',
      html: '<p>H</p>',
    });
    expect(sendableContent('sms', { body: 'B' })).toEqual({ body: 'B' });
    expect(sendableContent('push', { title: 'T', body: 'B', deepLink: 'shop://cart' })).toEqual({
      subject: 'T',
      body: 'B',
      url: 'shop://cart',
    });
    expect(renderedFor('push', { subject: 'T', text: 'B', url: 'shop://cart' })).toEqual({
      channel: 'push',
      title: 'T',
      body: 'B',
      deepLink: 'shop://cart',
    });
    expect(renderedFor('sms', { text: 'Hi' })).toMatchObject({
      channel: 'sms',
      body: 'Hi',
      sms: { segments: 1 },
    });
  });

  it('refuses content that does not fit its channel, naming the field', () => {
    const refusal = (run: () => void) => {
      try {
        run();
      } catch (error) {
        return (error as { details?: { field?: string }; message: string }).message;
      }
      return 'accepted';
    };
    expect(refusal(() => checkContent('sms', { body: 'Hi {{ traits.first_name }}' }))).toBe('accepted');
    expect(refusal(() => checkContent('email', { subject: 'S' }))).toContain('content.text');
    expect(refusal(() => checkContent('sms', { body: 'x', subject: 'no' }))).toContain(
      'a sms template has body',
    );
    expect(refusal(() => checkContent('sms', { body: 'x'.repeat(1601) }))).toContain('content.body');
    expect(refusal(() => checkContent('push', { title: 'T', body: 'B', deepLink: 'not a link' }))).toContain(
      'content.deepLink',
    );
    expect(refusal(() => checkContent('sms', { body: 'Hi {{ user.name }}' }))).toContain(
      'template uses user.name, which is not available',
    );
    expect(refusal(() => checkContent('sms', { body: 'Hi {% if %}' }))).toContain('does not parse');
    expect(
      refusal(() =>
        checkContent('email', {
          subject: 'S',
          text: 'T',
          html: '<mjml><mj-body><mj-nope/></mj-body></mjml>',
        }),
      ),
    ).toContain('content.html: MJML');
  });

  it('makes ids from names', () => {
    expect(idFromName('Welcome — Émile’s SMS!')).toBe('welcome-emile-s-sms');
    expect(idFromName('???')).toBe('template');
  });
});
