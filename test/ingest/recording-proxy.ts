// A plain node:http reverse proxy that records every request exactly as a client sent it
// (headers and raw bytes, before any decompression) and forwards it unchanged to the target.
// Tests put it between a real SDK and the real server to see what crossed the wire.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body bytes as received. */
  raw: Buffer;
  /** The status the server answered with. */
  status: number;
}

export interface RecordingProxy {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** The JSON a recorded request carried, gunzipped when it was sent gzip-compressed. */
export function bodyOf(recorded: RecordedRequest): { batch?: unknown[]; [field: string]: unknown } {
  const gzipped = recorded.headers['content-encoding'] === 'gzip';
  return JSON.parse((gzipped ? gunzipSync(recorded.raw) : recorded.raw).toString('utf8'));
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const targetUrl = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const raw = Buffer.concat(chunks);
      const forwarded = httpRequest(
        {
          host: targetUrl.hostname,
          port: targetUrl.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: targetUrl.host },
        },
        (response) => {
          requests.push({
            method: incoming.method ?? '',
            url: incoming.url ?? '',
            headers: incoming.headers,
            raw,
            status: response.statusCode ?? 0,
          });
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        },
      );
      forwarded.on('error', (error) => {
        outgoing.writeHead(502);
        outgoing.end(String(error));
      });
      forwarded.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
