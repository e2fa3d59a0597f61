// A small client of a running server's admin API for CLI commands: the admin token travels
// in the Authorization header (never in the URL), answers are JSON, and a refusal becomes a
// CliFailure carrying the server's error code and body so a command can print its details.
import type { Command } from 'commander';
import { SERVER_URL_HELP, serverUrl } from '../config/index.ts';

export interface AdminOptions {
  /** --url; unset means RAPPORT_URL, else localhost on RAPPORT_PORT (serverUrl). */
  url?: string;
  adminToken?: string;
  json?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: commands read whatever JSON the API answers
export type Body = Record<string, any>;

/** A failure the user can act on: printed as one message, exit code 1, no stack. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: Body,
  ) {
    super(message);
  }
}

export function withAdminServer(command: Command): Command {
  return command
    .option('--url <url>', SERVER_URL_HELP)
    .option('--admin-token <token>', 'admin token (default: RAPPORT_ADMIN_TOKEN)')
    .option('--json', 'print JSON for scripts');
}

/**
 * One line for a server that does not answer: where the CLI looked and how to point it elsewhere,
 * instead of fetch's bare "fetch failed".
 */
export function unreachable(url: string, error: unknown): CliFailure {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why =
    cause?.code === 'ECONNREFUSED'
      ? 'nothing is listening there'
      : (cause?.code ?? cause?.message ?? (error as Error).message);
  return new CliFailure(
    `cannot reach the Rapport server at ${url} (${why}). Start it with \`npm start\`, or point this command at it with --url or RAPPORT_URL`,
  );
}

export class AdminClient {
  private readonly url: string;

  constructor(private readonly options: AdminOptions) {
    this.url = serverUrl(options.url);
  }

  private token(): string {
    const token = this.options.adminToken ?? process.env.RAPPORT_ADMIN_TOKEN;
    if (!token) throw new CliFailure('give --admin-token or set RAPPORT_ADMIN_TOKEN');
    return token;
  }

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token()}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(new URL(path, this.url), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw unreachable(this.url, error);
    }
    const answer = (await response.json().catch(() => ({}))) as Body;
    return { status: response.status, body: answer };
  }

  /** A GET whose answer is streamed (an export): the response once it is a success. */
  async stream(path: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.url), {
        headers: { authorization: `Bearer ${this.token()}` },
      });
    } catch (error) {
      throw unreachable(this.url, error);
    }
    if (!response.ok || !response.body) {
      throw refusal(response.status, (await response.json().catch(() => ({}))) as Body);
    }
    return response;
  }

  /** The answer of a call that must succeed; anything else throws with the server's message. */
  async call(method: string, path: string, body?: unknown): Promise<Body> {
    const answer = await this.request(method, path, body);
    if (answer.status >= 400) throw refusal(answer.status, answer.body);
    return answer.body;
  }
}

export function refusal(status: number, body: Body): CliFailure {
  const message = body.message ?? `HTTP ${status}`;
  return new CliFailure(`${message} (${body.error ?? status})`, status, body);
}

/**
 * Wraps a commander action: the options of the (sub)command come last; CliFailures print as
 * `rapport <name>: message` and set exit code 1.
 */
export function cliAction<T extends AdminOptions>(
  name: string,
  work: (options: T, ...args: string[]) => Promise<void>,
  details: (failure: CliFailure) => string | undefined = () => undefined,
) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const options = command.opts() as T;
    try {
      await work(options, ...(args.slice(0, -2) as string[]));
    } catch (error) {
      if (!(error instanceof CliFailure)) throw error;
      const more = details(error);
      process.stderr.write(`rapport ${name}: ${error.message}\n${more ? `${more}\n` : ''}`);
      process.exitCode = 1;
    }
  };
}

/** An answer as the command prints it: the JSON itself with --json, else `text` of it. */
export function printBody<T>(options: AdminOptions, body: T, text: (body: T) => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(body, null, 2)}\n` : `${text(body)}\n`);
}

/** Rows as aligned columns under a header; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
