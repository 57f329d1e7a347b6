/**
 * The emulator's admin routes under `/_emulator/` (not Salesforce API: they control the local org). They take
 * the same access token as the API (`Authorization: Bearer <token>`) and answer JSON; errors have the API's
 * shape `[{ message, errorCode }]`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.js';
import { ApiError, readJsonObject, sendJson } from './http.js';

function methodNotAllowed(method: string, allowed: string[]): ApiError {
  return new ApiError(
    405,
    'METHOD_NOT_ALLOWED',
    `HTTP Method '${method}' not allowed. Allowed are ${allowed.join(',')}`,
  );
}

/**
 * `GET /_emulator/clock` answers `{ now, fixed }`. `POST /_emulator/clock` with `{ "realTime": true }`,
 * `{ "set": "2024-01-01T00:00:00Z" }` and/or `{ "advanceMs": 86400000 }` (applied in that order) moves the
 * clock and answers the same.
 */
async function clockRoute(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const clock = ctx.org.clock;
  if (req.method === 'POST') {
    const body = await readJsonObject(req);
    const known = new Set(['realTime', 'set', 'advanceMs']);
    const unknown = Object.keys(body).filter((key) => !known.has(key));
    if (unknown.length > 0 || Object.keys(body).length === 0) {
      throw new ApiError(
        400,
        'INVALID_ARGUMENT',
        `POST /_emulator/clock takes { realTime?: true, set?: ISO date-time, advanceMs?: number }${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`,
      );
    }
    if (body.realTime === true) clock.useRealTime();
    if (body.set !== undefined) clock.set(body.set as string);
    if (body.advanceMs !== undefined) clock.advance(body.advanceMs as number);
  } else if (req.method !== 'GET') {
    throw methodNotAllowed(req.method ?? '', ['GET', 'POST']);
  }
  sendJson(res, 200, clock.toJSON());
}

/** Routes one authenticated `/_emulator/...` request; `segments` follow `/_emulator/`. */
export async function handleAdmin(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  segments: string[],
): Promise<void> {
  const [head] = segments;
  if (head === 'clock' && segments.length === 1) return clockRoute(ctx, req, res);
  throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}
