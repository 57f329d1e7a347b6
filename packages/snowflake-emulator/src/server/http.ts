// The HTTP side of the protocol: request bodies (gzip or not), JSON replies (gzip when large and accepted),
// Snowflake's reply envelopes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';

/** A request's JSON body, unzipped when the driver gzipped it; `{}` when empty or not JSON. */
export async function readBody(request: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  let body = Buffer.concat(parts);
  if (body.length === 0) return {};
  if (request.headers['content-encoding'] === 'gzip' || (body[0] === 0x1f && body[1] === 0x8b)) body = gunzipSync(body);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return {};
  }
}

export function sendJson(request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void {
  let payload: Buffer = Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number> = { 'content-type': 'application/json' };
  if (payload.length > 65536 && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
    payload = gzipSync(payload, { level: 1 });
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = payload.length;
  response.writeHead(status, headers);
  response.end(payload);
}

/** Snowflake's envelope of a successful reply. */
export function success(data: unknown): Record<string, unknown> {
  return { success: true, code: null, message: null, data };
}

/** Snowflake's envelope of a failed reply. */
export function failure(code: string, message: string, data: Record<string, unknown> = {}): Record<string, unknown> {
  return { success: false, code, message, data: { errorCode: code, internalError: false, ...data } };
}

/** The session token of a request's `Authorization: Snowflake Token="..."` header. */
export function tokenOf(request: IncomingMessage): string | undefined {
  return /Snowflake Token="([^"]*)"/.exec(String(request.headers.authorization ?? ''))?.[1];
}
