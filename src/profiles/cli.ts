// `rapport profiles get | search | consent | erase | export`: the profile API of a running
// server, for a person at a terminal (readable text) or a script (--json). The admin token
// travels in the Authorization header, never in the URL.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import {
  AdminClient,
  type AdminOptions,
  type Body,
  CliFailure,
  cliAction,
  printBody,
  withAdminServer,
} from '../api/admin-client.ts';

function callJson(options: AdminOptions, method: string, path: string, body?: unknown): Promise<Body> {
  return new AdminClient(options).call(method, path, body);
}

function action<T extends AdminOptions>(work: (options: T, ...args: string[]) => Promise<void>) {
  return cliAction<T>('profiles', work);
}

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

export function formatProfile(body: Body): string {
  const lines = [
    `profile ${body.profileId}`,
    `  seen ${body.firstSeen} → ${body.lastSeen}, ${body.eventCount} events`,
    'identities',
    ...(body.identities as Body[]).map((i) => `  ${i.kind.padEnd(14)} ${i.value}`),
    'traits',
    ...Object.entries(body.traits as Body).map(([key, value]) => {
      const from = body.traitSources?.[key];
      return `  ${key.padEnd(14)} ${show(value)}${from ? `   (${from.source}, ${from.at})` : ''}`;
    }),
    'consent',
    ...Object.entries(body.consent as Body).map(
      ([purpose, c]) => `  ${purpose.padEnd(14)} ${c.state.padEnd(8)} ${c.at ? `${c.source}, ${c.at}` : ''}`,
    ),
  ];
  const computed = Object.entries((body.computedProperties ?? {}) as Body);
  if (computed.length > 0) {
    lines.push('computed', ...computed.map(([name, c]) => `  ${name.padEnd(14)} ${show(c.value)}`));
  }
  if ((body.mergedFrom as string[]).length > 0)
    lines.push(`merged from ${(body.mergedFrom as string[]).join(', ')}`);
  lines.push(
    'latest events',
    ...(body.lastEvents as Body[]).map((e) => `  ${e.timestamp}  ${e.type} ${e.name ?? ''}`),
  );
  return lines.join('\n');
}

export function formatSearch(body: Body): string {
  const lines = (body.items as Body[]).map((p) => {
    const ids = (p.identities as Body[]).map((i) => i.value).join(', ');
    return `${p.profileId}  last seen ${p.lastSeen}  ${p.eventCount} events  ${ids}`;
  });
  if (lines.length === 0) lines.push('no profile matches');
  if (body.nextCursor) lines.push(`more: --cursor ${body.nextCursor}`);
  return lines.join('\n');
}

export function formatJob(body: Body): string {
  return [
    `erasure job ${body.id}: ${body.status}${body.completedAt ? ` at ${body.completedAt}` : ''}`,
    ...(body.steps as Body[]).map((s) => `  ${s.name.padEnd(12)} ${s.status.padEnd(8)} ${s.count}`),
    `  messages dropped since: ${body.suppressedCount}`,
    ...(body.error ? [`  error: ${body.error}`] : []),
  ].join('\n');
}

async function profileIdFrom(options: AdminOptions & { userId?: string; email?: string }, id?: string) {
  if (id) return id;
  const field = options.userId ? 'userId' : options.email ? 'email' : undefined;
  if (!field) throw new CliFailure('give a profile id, --user-id or --email');
  const value = (options.userId ?? options.email) as string;
  const found = await callJson(
    options,
    'GET',
    `/api/profiles/lookup?${new URLSearchParams({ [field]: value })}`,
  );
  return found.profileId as string;
}

export function registerProfilesCommands(program: Command): void {
  const profiles = program
    .command('profiles')
    .description('profiles on a running server: get, search, consent, erase, export');

  withAdminServer(profiles.command('get [id]'))
    .description(
      'one profile: identities, traits with their source, consent, computed properties, latest events',
    )
    .option('--user-id <userId>', 'find the profile by userId')
    .option('--email <email>', 'find the profile by email')
    .action(
      action(async (options: AdminOptions & { userId?: string; email?: string }, id?: string) => {
        const profileId = await profileIdFrom(options, id);
        printBody(
          options,
          await callJson(options, 'GET', `/api/profiles/${encodeURIComponent(profileId)}`),
          formatProfile,
        );
      }),
    );

  withAdminServer(profiles.command('search [q]'))
    .description('list profiles: by identifier (q), --trait name=value, --last-seen-after')
    .option('--trait <name=value...>', 'trait equals value (repeatable)')
    .option('--last-seen-after <iso>', 'seen after this instant')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'the next page, as printed by the previous one')
    .action(
      action(
        async (
          options: AdminOptions & {
            trait?: string[];
            lastSeenAfter?: string;
            limit: string;
            cursor?: string;
          },
          q?: string,
        ) => {
          const query = new URLSearchParams({ limit: options.limit });
          if (q) query.set('q', q);
          if (options.lastSeenAfter) query.set('lastSeenAfter', options.lastSeenAfter);
          if (options.cursor) query.set('cursor', options.cursor);
          for (const pair of options.trait ?? []) {
            const at = pair.indexOf('=');
            if (at < 1) throw new CliFailure(`--trait ${pair}: write it as name=value`);
            query.set(`trait.${pair.slice(0, at)}`, pair.slice(at + 1));
          }
          printBody(options, await callJson(options, 'GET', `/api/profiles?${query}`), formatSearch);
        },
      ),
    );

  withAdminServer(profiles.command('consent <id> [purpose=state...]'))
    .description('show consent, or record decisions: rapport profiles consent ID email=denied sms=granted')
    .action(
      action(async (options: AdminOptions, id: string, ...rest: string[]) => {
        const pairs = (rest[0] as unknown as string[] | undefined) ?? [];
        const path = `/api/profiles/${encodeURIComponent(id)}/consent`;
        if (pairs.length === 0) {
          const body = await callJson(options, 'GET', path);
          printBody(options, body, (b) =>
            Object.entries(b.consent as Body)
              .map(
                ([purpose, c]) =>
                  `${purpose.padEnd(16)} ${c.state.padEnd(8)} ${c.at ? `${c.source}, ${c.at}` : ''}`,
              )
              .join('\n'),
          );
          return;
        }
        const purposes = Object.fromEntries(pairs.map((pair) => pair.split('=', 2)));
        const body = await callJson(options, 'PUT', path, { purposes });
        printBody(
          options,
          body,
          (b) => `recorded (${b.messageId}); the profiles processor applies it from the log`,
        );
      }),
    );

  withAdminServer(profiles.command('erase <id>'))
    .description('erase the person from every store (GDPR art. 17); --wait follows the job to the end')
    .option('--wait', 'wait until the erasure is complete')
    .action(
      action(async (options: AdminOptions & { wait?: boolean }, id: string) => {
        let job = await callJson(options, 'DELETE', `/api/profiles/${encodeURIComponent(id)}`);
        while (options.wait && job.status === 'running') {
          await new Promise((resolve) => setTimeout(resolve, 500));
          job = await callJson(options, 'GET', `/api/erasure-jobs/${job.id}`);
        }
        printBody(options, job, formatJob);
        if (job.status === 'failed') process.exitCode = 1;
      }),
    );

  withAdminServer(profiles.command('export <id>'))
    .description('everything held about the person as JSON (GDPR art. 15, 20), to stdout or --out')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(
      action(async (options: AdminOptions & { out?: string }, id: string) => {
        const response = await new AdminClient(options).stream(
          `/api/profiles/${encodeURIComponent(id)}/export`,
        );
        const target = options.out ? createWriteStream(options.out) : process.stdout;
        await pipeline(Readable.fromWeb(response.body as never), target, { end: Boolean(options.out) });
        if (!options.out) process.stdout.write('\n');
      }),
    );
}
