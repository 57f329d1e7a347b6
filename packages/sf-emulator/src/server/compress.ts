import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip, gzipSync } from 'node:zlib';
import { drainedOrClosed, type SendBody, sendText } from './http.js';

// Response compression as the Bulk APIs do it: "Responses are compressed if the client makes a request using the
// Accept-Encoding header, with a value of gzip ... If a request is made using the Accept-Encoding header with a
// value other than gzip, the encoding type is ignored" (Bulk API, "Use Compression for Responses", API 27.0+).
// Clients built on fetch (jsforce 3, and so the sf CLI) send `Accept-Encoding: gzip, deflate` on every request, so
// a real org answers them compressed; so does this one. Level 1: the org's CPU is what a benchmark must not measure.

const GZIP_LEVEL = constants.Z_BEST_SPEED;

/** Whether the request accepts a gzip response (`gzip` listed in Accept-Encoding and not refused with `q=0`). */
export function acceptsGzip(req: IncomingMessage | undefined): boolean {
  const header = req?.headers['accept-encoding'];
  if (!header) return false;
  for (const part of String(header).split(',')) {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/**
 * Sends a whole body, gzip-compressed when the request accepts it (with `Content-Encoding: gzip` and the compressed
 * length), as is otherwise.
 */
export const sendMaybeCompressed: SendBody = (res, status, body, contentType, headers = {}) => {
  if (!acceptsGzip(res.req)) sendText(res, status, body, contentType, headers);
  else {
    const compressed = gzipSync(body, { level: GZIP_LEVEL });
    sendText(res, status, compressed, contentType, { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding', ...headers });
  }
};

/** A response body written piece by piece, compressed when the request accepts gzip. */
export interface StreamedBody {
  /** Writes one piece; resolves when the piece may be followed by the next (back-pressure kept). */
  write(piece: string): Promise<void>;
  /** Ends the body; resolves when it has been handed to the socket. */
  end(): Promise<void>;
  /** True once the client has gone: stop writing. */
  readonly closed: boolean;
}

/**
 * Starts a streamed response (chunked transfer) and returns its body writer: through a gzip stream when the
 * request accepts it, straight to the response otherwise.
 */
export function openStreamedBody(
  res: ServerResponse,
  status: number,
  contentType: string,
  headers: Record<string, string> = {},
): StreamedBody {
  const gzip = acceptsGzip(res.req);
  res.writeHead(status, {
    'Content-Type': contentType,
    ...(gzip ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}),
    ...headers,
  });
  const compressor = gzip ? createGzip({ level: GZIP_LEVEL }) : undefined;
  const target: Writable = compressor ?? res;
  // The gzip stream feeds the response; a client that goes away ends the pipeline (its error is the client's, not
  // the org's: nothing to report).
  const piped = compressor ? pipeline(compressor, res).catch(() => undefined) : Promise.resolve();
  const waitDrain = () => drainedOrClosed(target, res);
  return {
    get closed() {
      return res.destroyed || target.destroyed;
    },
    async write(piece) {
      if (res.destroyed || target.destroyed) return;
      if (!target.write(piece)) await waitDrain();
    },
    async end() {
      if (res.destroyed || target.destroyed) return;
      target.end();
      await piped;
    },
  };
}
