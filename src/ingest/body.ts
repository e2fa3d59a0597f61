// Reads a tracking request body the way real clients send it: JSON whatever the
// Content-Type says (analytics.js sends text/plain, RudderStack's node SDK gzip labelled
// application/x-www-form-urlencoded), gzip or deflate by header or by magic bytes, strict
// UTF-8, and a size limit applied both before and after decompression.
import type { Readable } from 'node:stream';
import { gunzipSync, inflateSync } from 'node:zlib';
import { RapportError } from '../errors/index.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function tooLarge(bytes: number | string, limit: number): RapportError {
  return new RapportError(
    'RAPPORT_INGEST_REQUEST_TOO_LARGE',
    `request body is ${typeof bytes === 'number' ? `${bytes} bytes` : bytes}; the limit is ${limit} bytes (${Math.round(limit / 1024)} KB)`,
    { limit, field: 'body' },
  );
}

/** How much of a too-large body is still read (and dropped) so the client gets its 413. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

async function collect(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving a for-await early destroys the stream, and with it the connection: a client still
  // sending then sees a reset instead of the 413. So a too-large body is read to its end
  // (within DISCARD_LIMIT) and dropped, and only then refused.
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
    else if (size > DISCARD_LIMIT) break;
  }
  if (size > limit)
    throw withSample(tooLarge(size > DISCARD_LIMIT ? 'more than that' : size, limit), Buffer.concat(chunks));
  return Buffer.concat(chunks, size);
}

function decompress(raw: Buffer, contentEncoding: string | undefined, limit: number): Buffer {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  const gzipMagic = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  const options = { maxOutputLength: limit + 1 };
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip' || gzipMagic)
      return checked(gunzipSync(raw, options), limit);
    if (encoding === 'deflate') return checked(inflateSync(raw, options), limit);
  } catch (error) {
    if (error instanceof RapportError) throw error;
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge('more than that uncompressed', limit);
    throw new RapportError(
      'RAPPORT_INGEST_MALFORMED_BODY',
      `body could not be decompressed: ${(error as Error).message}`,
      {
        field: 'body',
      },
    );
  }
  if (encoding === '' || encoding === 'identity') return raw;
  throw new RapportError(
    'RAPPORT_INGEST_BAD_ENCODING',
    `Content-Encoding ${encoding} is not supported; use gzip or deflate`,
    {
      field: 'Content-Encoding',
    },
  );
}

function checked(body: Buffer, limit: number): Buffer {
  if (body.length > limit) throw tooLarge(`${body.length} bytes uncompressed`, limit);
  return body;
}

export async function readJsonBody(
  stream: Readable,
  contentEncoding: string | undefined,
  limit: number,
): Promise<unknown> {
  const raw = await collect(stream, limit);
  let body: Buffer;
  try {
    body = decompress(raw, contentEncoding, limit);
  } catch (error) {
    throw withSample(error, raw);
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    const error = new RapportError('RAPPORT_INGEST_INVALID_UTF8', 'body is not valid UTF-8', {
      field: 'body',
    });
    throw withSample(error, body);
  }
  if (text.trim() === '') {
    throw new RapportError('RAPPORT_INGEST_MALFORMED_BODY', 'body is empty; send a JSON object', {
      field: 'body',
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = `body is not valid JSON: ${(error as Error).message}`;
    throw withSample(new RapportError('RAPPORT_INGEST_MALFORMED_BODY', reason, { field: 'body' }), body);
  }
}

const SAMPLE_BYTES = 64 * 1024;

/**
 * The start of a body that could not be read, kept on the error (never in the response) so
 * the ingest route can file it as a dead letter: a rejected request is kept for inspection.
 */
export function bodySampleOf(error: unknown): string | undefined {
  return (error as { bodySample?: string } | undefined)?.bodySample;
}

function withSample(error: unknown, bytes: Buffer): unknown {
  if (!(error instanceof RapportError)) return error;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, SAMPLE_BYTES));
  const sample = bytes.length > SAMPLE_BYTES ? `${text}…[truncated; ${bytes.length} bytes]` : text;
  Object.defineProperty(error, 'bodySample', { value: sample, enumerable: false });
  return error;
}
