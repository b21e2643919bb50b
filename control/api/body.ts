// body.ts - guards a JSON request body before any route validator parses it: size limit, media type, JSON syntax.
// Invariants: at most `maxBytes` (+ one chunk) is ever read, whatever Content-Length claims; a body over the limit
// is 413 `too_large`, a non-JSON media type 415, bad JSON 400 `invalid`; an empty body reads as `{}`.
import type { MiddlewareHandler } from 'hono';
import { FlurryError } from '../core/errors.ts';
import { notJsonError } from './errors.ts';

/** 1 MiB: the documented limit for request bodies. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Middleware for routes that take a JSON body. Reads and checks the body once, then hands the validated text on to
 * Hono (replacing the raw request's body as Hono's own `bodyLimit` does), so later parsing cannot fail or grow.
 * @example createRoute({ ..., middleware: [requireAuth(auth), jsonBody(1 << 20)] })
 */
export function jsonBody(maxBytes: number = DEFAULT_MAX_BODY_BYTES): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    const declared = raw.headers.get('content-length');
    if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
    const bytes = raw.body ? await readCapped(raw.body, maxBytes) : new Uint8Array(0);
    const contentType = raw.headers.get('content-type');
    const isJson = contentType !== null && JSON_MEDIA_TYPE.test(contentType.split(';')[0]!.trim());
    if (bytes.byteLength > 0 && !isJson) {
      throw new FlurryError('unsupported_media_type', 'Content-Type must be application/json');
    }
    let text = '';
    if (bytes.byteLength > 0) {
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        JSON.parse(text);
      } catch (err) {
        throw notJsonError(err);
      }
    } else if (isJson) {
      text = '{}'; // an empty JSON body means "no fields", so optional bodies may be left out
    }
    // A fresh Request (the original's body stream is consumed; Node's fetch refuses to copy a used Request), with
    // the checked text. A string body would add a text/plain Content-Type when there is none: null for "no body".
    if (raw.body || text !== '') {
      const headers = new Headers(raw.headers);
      headers.delete('content-length');
      c.req.raw = new Request(raw.url, { method: raw.method, headers, body: text === '' ? null : text, signal: raw.signal });
    }
    await next();
  };
}

/** Reads a stream to the end, throwing 413 as soon as it holds more than `maxBytes`. */
async function readCapped(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function tooLarge(maxBytes: number): FlurryError {
  return new FlurryError('too_large', `request body is larger than the limit of ${maxBytes} bytes`);
}
