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

function idList(body: Record<string, unknown>, required: boolean): string[] | undefined {
  const ids = body.ids;
  if (ids === undefined && !required) return undefined;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
    throw new ApiError(
      400,
      'INVALID_ARGUMENT',
      `The body must hold ids: an array of record ids${required ? '' : ' (or no ids: all)'}`,
    );
  }
  return ids as string[];
}

/**
 * `GET /_emulator/recycle-bin[?object=Account]` -> `{ retentionDays, records: [{ id, object, deletedDate }] }`;
 * `POST /_emulator/recycle-bin` `{ retentionDays }` sets the retention; `POST .../undelete` `{ ids }` and
 * `POST .../empty` `{ ids? }` answer DML results `[{ id, success, errors }]`.
 */
async function recycleBinRoute(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  action: string | undefined,
  query: URLSearchParams,
): Promise<void> {
  const org = ctx.org;
  if (action === undefined) {
    if (req.method === 'POST') {
      const body = await readJsonObject(req);
      const days = body.retentionDays;
      if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0) {
        throw new ApiError(
          400,
          'INVALID_ARGUMENT',
          'POST /_emulator/recycle-bin takes { retentionDays: a positive number }',
        );
      }
      org.recycleBinRetentionDays = days;
    } else if (req.method !== 'GET') throw methodNotAllowed(req.method ?? '', ['GET', 'POST']);
    const object = query.get('object') ?? undefined;
    sendJson(res, 200, { retentionDays: org.recycleBinRetentionDays, records: org.recycleBin(object) });
    return;
  }
  if (req.method !== 'POST') throw methodNotAllowed(req.method ?? '', ['POST']);
  const body = await readJsonObject(req);
  if (action === 'undelete') {
    sendJson(res, 200, org.undelete(idList(body, true)!));
    return;
  }
  if (action === 'empty') {
    sendJson(res, 200, org.emptyRecycleBin(idList(body, false)));
    return;
  }
  throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

/** Routes one authenticated `/_emulator/...` request; `segments` follow `/_emulator/`. */
export async function handleAdmin(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  segments: string[],
  query: URLSearchParams,
): Promise<void> {
  const [head, second] = segments;
  if (head === 'clock' && segments.length === 1) return clockRoute(ctx, req, res);
  if (head === 'recycle-bin' && segments.length <= 2) return recycleBinRoute(ctx, req, res, second, query);
  throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}
