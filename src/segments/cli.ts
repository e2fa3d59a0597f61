// `rapport segments list | create | preview | members | why`: the segments API of a running
// server (docs/segments.md, "CLI"). Tables for a person at a terminal, --json for scripts.
// A rule is given as text (--rule '…') or as a file (--file rule.json: the JSON tree; any
// other extension: the text form); a refused rule prints each issue with its line, column
// and a caret under the spot.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  AdminClient,
  type AdminOptions,
  type Body,
  CliFailure,
  cliAction,
  printBody,
  table,
  withAdminServer,
} from '../api/admin-client.ts';
import type { RuleExplanation } from './explain.ts';
import { formatIssues, type RuleIssue } from './issues.ts';

interface RuleOptions extends AdminOptions {
  rule?: string;
  file?: string;
}

/** The issues of a refused rule, one per line with its caret snippet. */
export function ruleIssueDetails(failure: CliFailure): string | undefined {
  const issues = failure.body?.issues as RuleIssue[] | undefined;
  return issues && issues.length > 0 ? formatIssues(issues) : undefined;
}

const action = <T extends AdminOptions>(work: (options: T, ...args: string[]) => Promise<void>) =>
  cliAction('segments', work, ruleIssueDetails);

/** `{text}` from --rule, `{rule}` from a .json --file, `{text}` from any other file. */
async function ruleInput(options: RuleOptions): Promise<{ rule: unknown } | { text: string }> {
  if ((options.rule === undefined) === (options.file === undefined))
    throw new CliFailure('give the rule as --rule TEXT or --file FILE (one of them)');
  if (options.rule !== undefined) return { text: options.rule };
  const file = options.file as string;
  const content = await readFile(file, 'utf8').catch((error: Error) => {
    throw new CliFailure(`cannot read ${file}: ${error.message}`);
  });
  if (!file.endsWith('.json')) return { text: content };
  try {
    return { rule: JSON.parse(content) };
  } catch (error) {
    throw new CliFailure(`${file} is not JSON: ${(error as Error).message}`);
  }
}

function withRule(command: Command): Command {
  return withAdminServer(command)
    .option(
      '--rule <text>',
      'the rule in the text form, e.g. \'performed "Order Completed" in last 30 days\'',
    )
    .option('--file <file>', 'the rule from a file: .json is the JSON tree, anything else the text form');
}

export function registerSegmentsCommands(program: Command): void {
  const segments = program
    .command('segments')
    .description('segments on a running server: list, create, preview, members, why');

  withAdminServer(segments.command('list'))
    .description('every segment with its status, version, size and rule')
    .action(
      action(async (options: AdminOptions) => {
        const body = await new AdminClient(options).call('GET', '/api/segments');
        printBody(options, body, () => formatSegments(body.segments as Body[]));
      }),
    );

  withRule(segments.command('create'))
    .description('create a segment; it is built from history, then kept live')
    .option('--id <id>', 'the segment id (default: from the name)')
    .requiredOption('--name <name>', 'the segment name')
    .action(
      action(async (options: RuleOptions & { id?: string; name: string }) => {
        const input = {
          ...(options.id ? { id: options.id } : {}),
          name: options.name,
          ...(await ruleInput(options)),
        };
        const body = await new AdminClient(options).call('POST', '/api/segments', input);
        printBody(
          options,
          body,
          () => `created ${body.id} (version ${body.version}, ${body.status}): ${body.text}`,
        );
      }),
    );

  withRule(segments.command('preview'))
    .description('size and a sample of the members a rule would have now; nothing is saved')
    .option('--sample <n>', 'how many member ids to show', '20')
    .action(
      action(async (options: RuleOptions & { sample: string }) => {
        const query = new URLSearchParams({ sample: options.sample });
        const body = await new AdminClient(options).call(
          'POST',
          `/api/segments/preview?${query}`,
          await ruleInput(options),
        );
        printBody(options, body, () =>
          [
            `${body.size} profiles match: ${body.text}`,
            ...(body.sample as string[]).map((id) => `  ${id}`),
          ].join('\n'),
        );
      }),
    );

  withAdminServer(segments.command('members <id>'))
    .description('members in profile id order, a page at a time')
    .option('--limit <n>', 'page size', '100')
    .option('--cursor <cursor>', 'the next page, as printed by the previous one')
    .action(
      action(async (options: AdminOptions & { limit: string; cursor?: string }, id: string) => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.cursor) query.set('cursor', options.cursor);
        const path = `/api/segments/${encodeURIComponent(id)}/members?${query}`;
        const body = await new AdminClient(options).call('GET', path);
        printBody(options, body, () => formatMembers(body));
      }),
    );

  withAdminServer(segments.command('why <id> <profileId>'))
    .description('why a profile is (or is not) in a segment: the rule node by node, and its history')
    .action(
      action(async (options: AdminOptions, id: string, profileId: string) => {
        const path = `/api/segments/${encodeURIComponent(id)}/members/${encodeURIComponent(profileId)}/why`;
        const body = await new AdminClient(options).call('GET', path);
        printBody(options, body, () => formatWhy(body));
      }),
    );
}

export function formatSegments(segments: Body[]): string {
  if (segments.length === 0) return 'no segments yet: rapport segments create --name NAME --rule TEXT';
  return table(
    ['id', 'name', 'status', 'version', 'size', 'rule'],
    segments.map((s) => [s.id, s.name, s.status, String(s.version), String(s.size), s.text]),
  );
}

function formatMembers(body: Body): string {
  const members = body.members as Body[];
  const lines = [
    members.length === 0
      ? 'no members'
      : table(
          ['profile', 'since', 'reason'],
          members.map((m) => [m.profileId, m.since, m.reason]),
        ),
  ];
  if (body.nextCursor) lines.push(`more: --cursor ${body.nextCursor}`);
  return lines.join('\n');
}

function formatWhy(body: Body): string {
  const verdict = body.member ? `is a member since ${body.since} (${body.reason})` : 'is not a member';
  const history = (body.history as Body[]).map((h) => `  ${h.at}  ${h.change.padEnd(8)} ${h.reason}`);
  return [
    `${body.profileId} ${verdict} of ${body.segmentId}, as of ${body.at}`,
    ...explanationLines(body.explanation as RuleExplanation, 1),
    ...(history.length > 0 ? ['history', ...history] : []),
  ].join('\n');
}

function explanationLines(node: RuleExplanation, depth: number): string[] {
  const saw =
    node.observed && Object.keys(node.observed).length > 0 ? `   saw ${JSON.stringify(node.observed)}` : '';
  const own = `${'  '.repeat(depth)}${node.holds ? 'yes' : 'no '} ${node.rule}${saw}`;
  return [own, ...(node.children ?? []).flatMap((child) => explanationLines(child, depth + 1))];
}
