// `npm run bench -- templates [--messages N]`: what rendering one message costs the outbox
// (which runs on the HTTP thread), in the same process on the same values:
// - baseline: the mortgage example's subject and text only (Liquid, parsed once per template);
// - mjml once: the same plus its MJML HTML, compiled once per template and filled per message
//   (Liquid that only prints values, the usual case);
// - mjml per message: the same HTML with a `{% if %}` tag, so it is filled in and compiled for
//   every message (as Dittofeed renders).
// The two MJML paths are checked to give the same HTML before timing.
import { readFileSync } from 'node:fs';
import { renderContent } from '../src/conductor/index.ts';

function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
}

function perMessageMs(messages: number, render: (i: number) => unknown): number {
  for (let i = 0; i < 20; i++) render(i);
  const start = performance.now();
  for (let i = 0; i < messages; i++) render(i);
  return (performance.now() - start) / messages;
}

export async function run(args: string[]): Promise<void> {
  const messages = option(args, 'messages', 2000);
  const journey = JSON.parse(
    readFileSync(new URL('../examples/journeys/mortgage-cross-sell.json', import.meta.url), 'utf8'),
  );
  const template = journey.steps.find((step: { id: string }) => step.id === 'email-offer').template;
  const tagged = {
    ...template,
    html: template.html
      .replace('<mj-text>Thank', '{% if true %}<mj-text>Thank')
      .replace('</mj-text><mj-button', '</mj-text>{% endif %}<mj-button'),
  };
  const values = (i: number) => ({
    traits: { first_name: `Person ${i}` },
    offer: { discount: '10%', url: 'https://bank.example/home-insurance' },
  });
  if (renderContent(template, values(1)).html !== renderContent(tagged, values(1)).html)
    throw new Error('the two MJML paths disagree');
  const text = { subject: template.subject, body: template.body };
  const baseline = perMessageMs(messages, (i) => renderContent(text, values(i)));
  const once = perMessageMs(messages, (i) => renderContent(template, values(i)));
  const perMessage = perMessageMs(Math.min(messages, 300), (i) => renderContent(tagged, values(i)));
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  console.log(`messages: ${messages} (MJML per message: ${Math.min(messages, 300)})`);
  console.log(`baseline subject + text:      ${ms(baseline)} per message`);
  console.log(
    `+ MJML compiled once:         ${ms(once)} per message (${(once / baseline).toFixed(1)}× baseline)`,
  );
  console.log(
    `+ MJML compiled per message:  ${ms(perMessage)} per message (${(perMessage / baseline).toFixed(1)}× baseline)`,
  );
}
