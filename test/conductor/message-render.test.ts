// renderContent, the one place message templates are rendered: values are data (never parsed,
// escaped in HTML); an MJML template is compiled, once per template when its Liquid only prints
// values — which must give exactly what filling it in first and compiling per message gives.
import { readFileSync } from 'node:fs';
import { Liquid } from 'liquidjs';
import { describe, expect, it } from 'vitest';
import { renderContent } from '../../src/conductor/index.ts';
import { compileMjml } from '../../src/conductor/journey/mjml.ts';
import { previewTemplate } from '../../src/conductor/runtime/index.ts';

const mortgage = JSON.parse(
  readFileSync(new URL('../../examples/journeys/mortgage-cross-sell.json', import.meta.url), 'utf8'),
);
const offerTemplate = mortgage.steps.find((step: { id: string }) => step.id === 'email-offer').template;
const hostile = {
  traits: { first_name: '<b>Ada</b> & "co" {{ traits.email }} {% if', email: 'ada@example.org' },
  offer: { discount: '10%', url: 'https://bank.example/home?a=1&b=2' },
};

describe('renderContent', () => {
  it('prints values as data: Liquid in a value is text, HTML in a value is escaped', () => {
    const content = renderContent(offerTemplate, hostile);
    expect(content.subject).toBe(`${hostile.traits.first_name}, protect your new home`);
    expect(content.text).toContain(`Dear ${hostile.traits.first_name},`);
    expect(content.html).toContain('&lt;b&gt;Ada&lt;/b&gt; &amp; &#34;co&#34; {{ traits.email }} {% if');
    expect(content.html).not.toContain('ada@example.org');
  });

  it('an MJML template compiled once gives what filling it in and compiling per message gives', () => {
    const escaping = new Liquid({ outputEscape: 'escape', ownPropertyOnly: true });
    for (const values of [
      hostile,
      { traits: { first_name: 'Bo' }, offer: { discount: '5%', url: 'https://x.example' } },
    ]) {
      const perMessage = compileMjml(escaping.parseAndRenderSync(offerTemplate.html, values)).html;
      expect(renderContent({ html: offerTemplate.html }, values).html).toBe(perMessage);
    }
  });

  it('an MJML template with Liquid tags is filled in first, so a tag may add or remove elements', () => {
    const html =
      '<mjml><mj-body><mj-section><mj-column>{% if traits.vip %}<mj-text>Gold lounge</mj-text>{% endif %}<mj-text>Hello</mj-text></mj-column></mj-section></mj-body></mjml>';
    expect(renderContent({ html }, { traits: { vip: true } }).html).toContain('Gold lounge');
    expect(renderContent({ html }, { traits: { vip: false } }).html).not.toContain('Gold lounge');
  });
});

describe('previewTemplate', () => {
  it("renders what a send renders from the person's recommendations", () => {
    const template = { subject: 'For you', body: 'Goes with your printer: {{ recommendations | first }}' };
    const content = previewTemplate({ template, traits: { recommendations: ['Ink', 'Paper'] } });
    expect(content.text).toBe('Goes with your printer: Ink');
    expect(previewTemplate({ template }).text).toBe('Goes with your printer: ');
  });

  it("renders a push's deep link, and refuses a broken one with a 400 naming template.url", () => {
    const template = { subject: 'Back in stock', body: 'x', url: 'https://shop.test/p/{{ traits.sku }}' };
    expect(previewTemplate({ template, traits: { sku: 'ink-7' } }).url).toBe('https://shop.test/p/ink-7');
    const broken = { ...template, url: 'https://shop.test/p/{{ traits.sku' };
    expect(() => previewTemplate({ template: broken })).toThrow(
      expect.objectContaining({ code: 'RAPPORT_API_BAD_REQUEST', details: { field: 'template.url' } }),
    );
  });
});
