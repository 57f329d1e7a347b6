// The sObject routes of one record: object info, create, retrieve, update, delete and upsert, by id or by external id.
import type { DmlResult } from '../contract.js';
import { findField } from '../schema/fields.js';
import type { ApiRequest } from '../server/context.js';
import { ApiError, readJsonObject, sendEmpty, sendJson } from '../server/http.js';
import {
  answeredSeveral,
  dmlFailure,
  existing,
  matchesByExternalId,
  notFound,
  readRecord,
  requireObject,
  rowErrors,
  singleMatch,
  stripAttributes,
} from './sobject-access.js';
import { noteViewed, recentItems } from './ui.js';

/** `GET sobjects/{T}`: basic information. */
export function handleObjectInfo(api: ApiRequest, objectName: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  const global = api.ctx.org.describeGlobal() as { sobjects?: Array<Record<string, unknown>> };
  const objectDescribe = global.sobjects?.find((o) => String(o.name).toLowerCase() === definition.name.toLowerCase());
  sendJson(api.res, 200, {
    objectDescribe: objectDescribe ?? { name: definition.name },
    recentItems: recentItems(api, 25, definition.name),
  });
}

/** `POST sobjects/{T}`. */
export async function handleCreate(api: ApiRequest, objectName: string): Promise<void> {
  const definition = requireObject(api.ctx.org, objectName);
  const body = stripAttributes(await readJsonObject(api.req));
  const [result] = api.ctx.org.dml('insert', definition.name, [body], {
    injectError: rowErrors(api, 'insert', definition.name),
  });
  if (!result?.success) throw dmlFailure(result as DmlResult);
  sendJson(api.res, 201, { id: result.id, success: true, errors: [] });
}

/** `GET sobjects/{T}/{id}`. */
export function handleRetrieve(api: ApiRequest, objectName: string, id: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  const record = existing(api, definition, id);
  const found = readRecord(api, definition, `Id = '${record.Id}'`, api.query.get('fields'));
  if (!found) throw notFound();
  noteViewed(api, [found]);
  sendJson(api.res, 200, found);
}

/** `GET sobjects/{T}/{field}/{value}`. */
export function handleRetrieveByExternalId(api: ApiRequest, objectName: string, field: string, value: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  const match = singleMatch(api, definition, field, value);
  if (!match) return;
  const found = readRecord(api, definition, `Id = '${match.Id}'`, api.query.get('fields'));
  if (!found) throw notFound();
  sendJson(api.res, 200, found);
}

/** `PATCH sobjects/{T}/{id}`. */
export async function handleUpdate(api: ApiRequest, objectName: string, id: string): Promise<void> {
  const definition = requireObject(api.ctx.org, objectName);
  const body = stripAttributes(await readJsonObject(api.req));
  const record = existing(api, definition, id);
  const [result] = api.ctx.org.dml('update', definition.name, [{ ...body, Id: record.Id }], {
    injectError: rowErrors(api, 'update', definition.name),
  });
  if (!result?.success) throw dmlFailure(result as DmlResult);
  sendEmpty(api.res, 204);
}

/** `DELETE sobjects/{T}/{id}`. */
export function handleDelete(api: ApiRequest, objectName: string, id: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  const record = existing(api, definition, id);
  const [result] = api.ctx.org.dml('delete', definition.name, [{ Id: record.Id }], {
    injectError: rowErrors(api, 'delete', definition.name),
  });
  if (!result?.success) throw dmlFailure(result as DmlResult);
  sendEmpty(api.res, 204);
}

/** `PATCH sobjects/{T}/{field}/{value}`: upsert, 201 created / 200 updated / 300 several matches. */
export async function handleUpsert(
  api: ApiRequest,
  objectName: string,
  fieldName: string,
  value: string,
): Promise<void> {
  const definition = requireObject(api.ctx.org, objectName);
  const body = stripAttributes(await readJsonObject(api.req));
  const matches = matchesByExternalId(api.ctx.org, definition, fieldName, value);
  if (answeredSeveral(api, definition, matches)) return;
  const field = findField(definition, fieldName);
  const fieldApiName = field?.name ?? fieldName;
  for (const key of Object.keys(body)) {
    if (key.toLowerCase() === fieldApiName.toLowerCase() && String(body[key]) !== value) {
      throw new ApiError(
        400,
        'INVALID_FIELD',
        `The value of the external ID field in the body (${String(body[key])}) does not match the URL (${value})`,
        [fieldApiName],
      );
    }
    if (key.toLowerCase() === fieldApiName.toLowerCase()) delete body[key];
  }
  const record = fieldApiName === 'Id' ? { ...body, Id: value } : { ...body, [fieldApiName]: value };
  const [result] = api.ctx.org.dml('upsert', definition.name, [record], {
    externalIdField: fieldApiName,
    injectError: rowErrors(api, 'upsert', definition.name),
  });
  if (!result?.success) throw dmlFailure(result as DmlResult);
  sendJson(api.res, result.created ? 201 : 200, { id: result.id, success: true, errors: [], created: result.created });
}

/** `DELETE sobjects/{T}/{field}/{value}`. */
export function handleDeleteByExternalId(api: ApiRequest, objectName: string, fieldName: string, value: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  const match = singleMatch(api, definition, fieldName, value);
  if (match) handleDelete(api, definition.name, match.Id);
}
