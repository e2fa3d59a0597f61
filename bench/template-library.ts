// `npm run bench -- template-library [--rounds N]`: what the template library adds to a
// journey's save and what a per-person preview costs, on one in-process server (embedded
// engines), interleaved with their baselines in the same process:
// - check inline vs check by reference: POST /api/journeys/check with the message written in the
//   step, then the same journey naming a library template (the lookup and the copy at save);
//   sends are not measured because a saved journey carries the copied content, so the outbox
//   does exactly what it did before;
// - render for a person vs GET /health: POST /api/templates/render of an SMS for a real person
//   (the person's read, Liquid, the segment count), against the cheapest authenticated-free route.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCredential } from '../src/auth/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { createServer } from '../src/server.ts';
import { machine } from './support/process-stats.ts';

function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function run(args: string[]): Promise<void> {
  const rounds = option(args, 'rounds', 300);
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-templates-'));
  const server = await createServer(
    loadConfig({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'warn' }, {}),
  );
  try {
    const token = `rk_admin_bench_${randomBytes(8).toString('hex')}`;
    const writeKey = `rk_write_bench_${randomBytes(8).toString('hex')}`;
    await ensureCredential(server.state, 'admin', 'bench', token);
    await ensureCredential(server.state, 'write', 'bench', writeKey);
    const url = await server.listen();
    const call = async (method: string, path: string, body?: unknown, auth = true) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(auth ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };
    const email = {
      subject: 'Welcome, {{ traits.first_name }}',
      text: 'Hi {{ traits.first_name }}, glad you are here.',
    };
    await call('POST', '/api/templates', {
      name: 'Welcome',
      id: 'welcome',
      channel: 'email',
      content: email,
    });
    await fetch(`${url}/v1/identify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({ userId: 'u-1', traits: { first_name: 'Ada' } }),
    });
    await server.pipeline.waitFor(await server.state.log.headSeq());
    const { profileId } = await call('GET', '/api/profiles/lookup?userId=u-1');
    const journey = (step: Record<string, unknown>) => ({
      format: 1,
      id: 'bench',
      version: 1,
      entry: { kind: 'event', event: 'Signed Up' },
      reentry: { mode: 'always' },
      defaultTimeZone: 'UTC',
      start: 'send',
      steps: [
        { id: 'send', type: 'send', channel: 'email', purpose: 'email', next: 'done', ...step },
        { id: 'done', type: 'exit' },
      ],
    });
    const inline = journey({ template: { subject: email.subject, body: email.text } });
    const byReference = journey({ templateId: 'welcome' });
    const sms = {
      channel: 'sms',
      content: { body: 'Hi {{ traits.first_name }}, your order ships today 😀' },
      profileId,
    };
    const timed = async (work: () => Promise<unknown>) => {
      const start = performance.now();
      await work();
      return performance.now() - start;
    };
    const samples = {
      inline: [] as number[],
      reference: [] as number[],
      health: [] as number[],
      render: [] as number[],
    };
    for (let i = 0; i < 20; i++) {
      await call('POST', '/api/journeys/check', byReference);
      await call('POST', '/api/templates/render', sms);
    }
    // Interleaved, so load on the machine falls on both sides of each ratio alike.
    for (let i = 0; i < rounds; i++) {
      samples.inline.push(await timed(() => call('POST', '/api/journeys/check', inline)));
      samples.reference.push(await timed(() => call('POST', '/api/journeys/check', byReference)));
      samples.health.push(await timed(() => call('GET', '/health', undefined, false)));
      samples.render.push(await timed(() => call('POST', '/api/templates/render', sms)));
    }
    const ms = (x: number) => `${x.toFixed(2)} ms`;
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) as Record<
      keyof typeof samples,
      number
    >;
    const host = machine();
    console.log(
      `machine: ${host.cpus} cpus, ${host.model}, ${host.memoryGb} GB, node ${host.node}; load ${(await import('node:os')).loadavg()[0]?.toFixed(1)}`,
    );
    console.log(`rounds: ${rounds} (medians, interleaved)`);
    console.log(`journey check, message inline:      ${ms(m.inline)}`);
    console.log(
      `journey check, library reference:   ${ms(m.reference)} (${(m.reference / m.inline).toFixed(2)}× inline)`,
    );
    console.log(`GET /health:                        ${ms(m.health)}`);
    console.log(
      `SMS render for a person:            ${ms(m.render)} (${(m.render / m.health).toFixed(2)}× /health)`,
    );
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
