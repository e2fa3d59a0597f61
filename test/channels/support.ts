// Real peers for the channel tests: an SMTP server (smtp-server) that keeps what it receives,
// parsed with mailparser, and refuses chosen recipients; and helpers to make a person.
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { TestServer } from '../support/server.ts';
import { track } from '../support/server.ts';

export interface SmtpPeer {
  url: string;
  received: ParsedMail[];
  /** RCPT TO answers for these addresses: 550 (permanent) or 451 (temporary). */
  refuse: Map<string, 550 | 451>;
  close(): Promise<void>;
}

/** With `login`, the relay takes AUTH (PLAIN/LOGIN over the plain connection) with only these. */
export async function startSmtpPeer(login?: { user: string; pass: string }): Promise<SmtpPeer> {
  const received: ParsedMail[] = [];
  const refuse = new Map<string, 550 | 451>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    ...(login
      ? {
          allowInsecureAuth: true,
          onAuth(auth, _session, callback) {
            if (auth.username === login.user && auth.password === login.pass)
              return callback(null, { user: auth.username });
            return callback(new Error('invalid user name or password'));
          },
        }
      : {}),
    onRcptTo(address, _session, callback) {
      const code = refuse.get(address.address);
      if (!code) return callback();
      const error = new Error(code === 550 ? 'mailbox unavailable' : 'try again later') as Error & {
        responseCode: number;
      };
      error.responseCode = code;
      return callback(error);
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refuse,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Identifies a person over the tracking API, waits for the processors, returns their profile id. */
export async function makePerson(
  server: TestServer,
  userId: string,
  traits: Record<string, unknown> = {},
  consent: Record<string, string> = {},
): Promise<string> {
  const response = await track(server, '/v1/identify', {
    userId,
    traits: { ...traits, ...(Object.keys(consent).length > 0 ? { consent } : {}) },
  });
  if (response.status !== 200) throw new Error(`identify answered ${response.status}`);
  await server.settle();
  const lookup = await server.admin(`/api/profiles/lookup?userId=${encodeURIComponent(userId)}`);
  if (lookup.status !== 200) throw new Error(`lookup answered ${lookup.status}`);
  return lookup.body.profileId as string;
}

/** The person's events by name, after the processors caught up. */
export async function eventsNamed(server: TestServer, profileId: string, name: string) {
  await server.settle();
  const events = await server.server.pipeline.eventsOf({ profileIds: [profileId], limit: 500, name });
  return events;
}
