/**
 * The emulator's admin routes under `/_emulator/` (not Salesforce API: they control the local org). They take
 * the same access token as the API (`Authorization: Bearer <token>`) and answer JSON; errors have the API's
 * shape `[{ message, errorCode }]`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FieldDefinition, ObjectDefinition } from '../contract.js';
import { compileFormula } from '../schema/formula.js';
import { typedFormula } from '../schema/sfdx.js';
import type { EmulatorContext } from './context.js';
import { ApiError, methodNotAllowed, readJsonObject, sendJson } from './http.js';

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

/**
 * A field definition from JSON: a formula given as `formula: { returnType, source }` is compiled here (JSON cannot
 * carry a compute function).
 */
function fieldFromJson(value: unknown): FieldDefinition {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'INVALID_FIELD', 'A field definition is an object: { name, type, ... } (see docs/org.md)');
  }
  const field = value as FieldDefinition & { formula?: { returnType?: string; source?: unknown } };
  if (field.type === 'formula' && field.formula && !field.formula.compute) {
    const { returnType, source } = field.formula;
    if (typeof source !== 'string' || typeof returnType !== 'string') {
      throw new ApiError(400, 'INVALID_FIELD', `${field.name}: a formula field takes formula: { returnType, source }`);
    }
    try {
      const compute = typedFormula(compileFormula(source), returnType as never, field.scale);
      return { ...field, formula: { returnType: returnType as never, source, compute } };
    } catch (error) {
      throw new ApiError(400, 'INVALID_FIELD', `${field.name}: ${(error as Error).message}`);
    }
  }
  return field;
}

/**
 * `POST /_emulator/objects` `{ name, fields: [...] , ...ObjectDefinition }` adds or replaces an object (`merge: true`
 * merges fields into it); `DELETE /_emulator/objects/{T}` removes a custom object; `POST
 * /_emulator/objects/{T}/fields` `{ name, type, ... }` adds a field; `DELETE /_emulator/objects/{T}/fields/{F}`
 * removes a custom field. Changes answer `{ object, lastModifiedDate }` (201 for additions, 200 for removals).
 */
async function objectsRoute(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  segments: string[],
): Promise<void> {
  const org = ctx.org;
  const [, objectName, fields, fieldName] = segments;
  const changed = (status: number, name: string) =>
    sendJson(res, status, { object: name, lastModifiedDate: org.describeLastModified(name).toISOString() });
  if (objectName === undefined) {
    if (req.method !== 'POST') throw methodNotAllowed(req.method ?? '', ['POST']);
    const body = await readJsonObject(req);
    if (typeof body.name !== 'string' || !Array.isArray(body.fields)) {
      throw new ApiError(
        400,
        'INVALID_TYPE',
        'POST /_emulator/objects takes an object definition: { name, fields: [...] }',
      );
    }
    org.defineObject({ ...(body as unknown as ObjectDefinition), fields: body.fields.map(fieldFromJson) });
    changed(201, org.getObject(body.name)?.name ?? body.name);
    return;
  }
  if (fields === undefined) {
    if (req.method !== 'DELETE') throw methodNotAllowed(req.method ?? '', ['DELETE']);
    org.removeObject(objectName);
    sendJson(res, 200, { object: objectName, lastModifiedDate: org.describeLastModified().toISOString() });
    return;
  }
  if (fields !== 'fields' || segments.length > 4)
    throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  if (fieldName === undefined) {
    if (req.method !== 'POST') throw methodNotAllowed(req.method ?? '', ['POST']);
    org.addField(objectName, fieldFromJson(await readJsonObject(req)));
    changed(201, org.getObject(objectName)?.name ?? objectName);
    return;
  }
  if (req.method !== 'DELETE') throw methodNotAllowed(req.method ?? '', ['DELETE']);
  org.removeField(objectName, fieldName);
  changed(200, org.getObject(objectName)?.name ?? objectName);
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
  if (head === 'objects') return objectsRoute(ctx, req, res, segments);
  if (head === 'recycle-bin' && segments.length <= 2) return recycleBinRoute(ctx, req, res, second, query);
  throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}
