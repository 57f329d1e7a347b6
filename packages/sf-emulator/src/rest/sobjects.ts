import type { DmlOperation, DmlResult, ObjectDefinition, Org, OrgRecord } from '../contract.js';
import type { ApiRequest } from '../server/context.js';
import { ApiError, readJson, readJsonObject, sendEmpty, sendJson } from '../server/http.js';
import { noteViewed, recentItems } from './ui.js';

/** The object definition of a path segment, or 404 NOT_FOUND like Salesforce. */
export function requireObject(org: Org, name: string): ObjectDefinition {
  const definition = org.getObject(name);
  if (!definition) {
    throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }
  return definition;
}

function fieldOf(definition: ObjectDefinition, name: string) {
  const lower = name.toLowerCase();
  return definition.fields.find((f) => f.name.toLowerCase() === lower);
}

/** The object whose key prefix starts this id. */
export function objectOfId(org: Org, id: string): ObjectDefinition | undefined {
  const prefix = id.slice(0, 3);
  const direct = org.listObjects().find((o) => o.keyPrefix === prefix);
  if (direct) return direct;
  // Generated key prefixes live in describe output.
  const global = org.describeGlobal() as { sobjects?: Array<{ name?: unknown; keyPrefix?: unknown }> };
  const entry = global.sobjects?.find((o) => o.keyPrefix === prefix);
  return typeof entry?.name === 'string' ? org.getObject(entry.name) : undefined;
}

const ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

function escapeSoql(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

/** Reads one record in REST shape (through the org's query so formulas are computed). */
function readRecord(
  api: ApiRequest,
  definition: ObjectDefinition,
  where: string,
  fieldsParam: string | null,
): Record<string, unknown> | undefined {
  const fields = fieldsParam
    ? fieldsParam
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean)
    : definition.fields.map((f) => f.name);
  for (const name of fields) {
    if (!name.includes('.') && !fieldOf(definition, name)) {
      throw new ApiError(400, 'INVALID_FIELD', `No such column '${name}' on sobject of type ${definition.name}`);
    }
  }
  if (!fields.some((f) => f.toLowerCase() === 'id')) fields.unshift('Id');
  const result = api.ctx.org.query(`SELECT ${fields.join(', ')} FROM ${definition.name} WHERE ${where}`);
  return result.records[0];
}

function notFound(): ApiError {
  return new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

function dmlFailure(result: DmlResult): ApiError {
  const first = result.errors[0];
  return new ApiError(
    400,
    first?.statusCode ?? 'UNKNOWN_EXCEPTION',
    first?.message ?? 'Unknown error',
    first?.fields ?? [],
  );
}

function rowErrors(api: ApiRequest, operation: DmlOperation, objectName: string) {
  return api.ctx.faults.rowErrorHook(objectName, operation);
}

function stripAttributes(body: Record<string, unknown>): Record<string, unknown> {
  const { attributes: _attributes, ...rest } = body;
  return rest;
}

/** The record found by id, with its deleted state; 404 when absent. */
function existing(api: ApiRequest, definition: ObjectDefinition, id: string): OrgRecord {
  if (!ID_PATTERN.test(id)) throw notFound();
  const record = api.ctx.org.get(id, { includeDeleted: true });
  if (!record || objectOfId(api.ctx.org, record.Id)?.name !== definition.name) throw notFound();
  if (record.IsDeleted === true) throw new ApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
  return record;
}

/** Records of an object whose external id field equals the value (per the field's case sensitivity). */
function matchesByExternalId(org: Org, definition: ObjectDefinition, fieldName: string, value: string): OrgRecord[] {
  const field = fieldOf(definition, fieldName);
  if (!field) {
    throw new ApiError(
      404,
      'NOT_FOUND',
      `Provided external ID field does not exist or is not accessible: ${fieldName}`,
    );
  }
  if (field.name === 'Id') {
    const record = org.get(value);
    return record ? [record] : [];
  }
  if (!field.externalId && !field.unique && field.type !== 'id') {
    throw new ApiError(400, 'INVALID_FIELD', `Field ${field.name} is not an external id field`, [field.name]);
  }
  // The org's value index when it has one (createOrg's EmulatedOrg), else a scan.
  const indexed = org as Org & { findByExternalId?: (object: string, field: string, value: string) => OrgRecord[] };
  if (typeof indexed.findByExternalId === 'function') {
    return indexed.findByExternalId(definition.name, field.name, value);
  }
  const sensitive = field.caseSensitive === true;
  const wanted = sensitive ? value : value.toLowerCase();
  return org.records(definition.name).filter((record) => {
    const current = record[field.name];
    if (current === null || current === undefined) return false;
    const text = String(current);
    return (sensitive ? text : text.toLowerCase()) === wanted;
  });
}

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
  const matches = matchesByExternalId(api.ctx.org, definition, field, value);
  if (matches.length === 0) throw notFound();
  if (matches.length > 1) {
    sendJson(
      api.res,
      300,
      matches.map((m) => `/services/data/v${api.version}/sobjects/${definition.name}/${m.Id}`),
    );
    return;
  }
  const found = readRecord(api, definition, `Id = '${(matches[0] as OrgRecord).Id}'`, api.query.get('fields'));
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
  if (matches.length > 1) {
    sendJson(
      api.res,
      300,
      matches.map((m) => `/services/data/v${api.version}/sobjects/${definition.name}/${m.Id}`),
    );
    return;
  }
  const field = fieldOf(definition, fieldName);
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
  const matches = matchesByExternalId(api.ctx.org, definition, fieldName, value);
  if (matches.length === 0) throw notFound();
  if (matches.length > 1) {
    sendJson(
      api.res,
      300,
      matches.map((m) => `/services/data/v${api.version}/sobjects/${definition.name}/${m.Id}`),
    );
    return;
  }
  handleDelete(api, definition.name, (matches[0] as OrgRecord).Id);
}

const COLLECTION_LIMIT = 200;

function collectionResult(result: DmlResult, withCreated: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: result.id ?? undefined,
    success: result.success,
    errors: result.errors.map((e) => ({ statusCode: e.statusCode, message: e.message, fields: e.fields })),
  };
  if (!result.id) delete out.id;
  if (withCreated) out.created = result.created;
  return out;
}

function tooMany(): ApiError {
  return new ApiError(
    400,
    'EXCEEDED_ID_LIMIT',
    `record limit reached. cannot submit more than ${COLLECTION_LIMIT} records into this call`,
  );
}

/**
 * Runs one DML over records that may be of several types: one org call per type, results merged in input order.
 * With allOrNone and a failure in any type, every change of every type is undone (one org transaction) and every
 * record that had succeeded reports ALL_OR_NONE_OPERATION_ROLLED_BACK.
 */
function dmlByType(
  api: ApiRequest,
  operation: DmlOperation,
  items: Array<{ type: string; record: Record<string, unknown> }>,
  allOrNone: boolean,
  externalIdField?: string,
): DmlResult[] {
  const results: DmlResult[] = new Array(items.length);
  const groups = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = item.type;
    const list = groups.get(key) ?? [];
    list.push(index);
    groups.set(key, list);
  });
  const transaction = allOrNone && groups.size > 1 ? api.ctx.org.beginTransaction() : undefined;
  try {
    for (const [type, indexes] of groups) {
      const groupResults = api.ctx.org.dml(
        operation,
        type,
        indexes.map((i) => (items[i] as { record: Record<string, unknown> }).record),
        {
          allOrNone,
          externalIdField,
          // Salesforce refuses one external id twice in a call (else the second row "updates" the first).
          rejectDuplicateExternalIds: operation === 'upsert',
          injectError: rowErrors(api, operation, type),
        },
      );
      indexes.forEach((inputIndex, k) => {
        results[inputIndex] = groupResults[k] as DmlResult;
      });
    }
  } catch (error) {
    transaction?.rollback();
    throw error;
  }
  if (transaction && results.some((result) => !result.success)) {
    transaction.rollback();
    return results.map((result) => (result.success ? rolledBack() : result));
  }
  transaction?.commit();
  return results;
}

function rolledBack(): DmlResult {
  return {
    success: false,
    id: null,
    created: false,
    errors: [
      {
        statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
        message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
        fields: [],
      },
    ],
  };
}

function parseRecords(body: Record<string, unknown>): Array<Record<string, unknown>> {
  const records = body.records;
  if (!Array.isArray(records)) {
    throw new ApiError(400, 'JSON_PARSER_ERROR', 'Expected a records array in the request body');
  }
  if (records.length > COLLECTION_LIMIT) throw tooMany();
  return records.map((r) => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) {
      throw new ApiError(400, 'JSON_PARSER_ERROR', 'Each record must be a JSON object');
    }
    return r as Record<string, unknown>;
  });
}

function typeOf(api: ApiRequest, record: Record<string, unknown>, fallback?: string): string {
  const attributes = record.attributes as { type?: unknown } | undefined;
  const type = typeof attributes?.type === 'string' ? attributes.type : fallback;
  if (!type) {
    throw new ApiError(400, 'INVALID_TYPE', 'Must specify a type in the attributes of each record');
  }
  const definition = api.ctx.org.getObject(type);
  if (!definition) throw new ApiError(400, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
  return definition.name;
}

/** `POST composite/sobjects` (create) and `PATCH composite/sobjects` (update). */
export async function handleCollectionSave(api: ApiRequest, operation: 'insert' | 'update'): Promise<void> {
  const body = await readJsonObject(api.req);
  const records = parseRecords(body);
  const allOrNone = body.allOrNone === true;
  const items = records.map((record) => ({ type: typeOf(api, record), record: stripAttributes(record) }));
  const results = dmlByType(api, operation, items, allOrNone);
  sendJson(
    api.res,
    200,
    results.map((r) => collectionResult(r, false)),
  );
}

/** `PATCH composite/sobjects/{T}/{field}`: upsert collection. */
export async function handleCollectionUpsert(api: ApiRequest, objectName: string, fieldName: string): Promise<void> {
  const definition = requireObject(api.ctx.org, objectName);
  const body = await readJsonObject(api.req);
  const records = parseRecords(body);
  const field = fieldOf(definition, fieldName);
  if (!field) {
    throw new ApiError(
      404,
      'NOT_FOUND',
      `Provided external ID field does not exist or is not accessible: ${fieldName}`,
    );
  }
  const items = records.map((record) => ({
    type: typeOf(api, record, definition.name),
    record: stripAttributes(record),
  }));
  // Salesforce reports `created` on failed rows too: true when no record had the row's key (the row would have
  // been inserted), as jsforce's own allOrNone test expects. Decided before the DML, which may roll back.
  const wouldCreate = items.map(({ type, record }) => {
    const key = Object.keys(record).find((name) => name.toLowerCase() === field.name.toLowerCase());
    const value = key === undefined ? undefined : record[key];
    if (value === undefined || value === null || value === '') return true;
    if (field.name === 'Id') return false;
    return (api.ctx.org.findByExternalId?.(type, field.name, String(value)) ?? []).length === 0;
  });
  const results = dmlByType(api, 'upsert', items, body.allOrNone === true, field.name);
  sendJson(
    api.res,
    200,
    results.map((r, i) => collectionResult(r.success ? r : { ...r, created: wouldCreate[i] === true }, true)),
  );
}

/** `DELETE composite/sobjects?ids=...&allOrNone=`. */
export function handleCollectionDelete(api: ApiRequest): void {
  const ids = (api.query.get('ids') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length > COLLECTION_LIMIT) throw tooMany();
  const allOrNone = api.query.get('allOrNone') === 'true';
  const results: DmlResult[] = new Array(ids.length);
  const items: Array<{ type: string; record: Record<string, unknown> }> = [];
  const positions: number[] = [];
  ids.forEach((id, index) => {
    const definition = ID_PATTERN.test(id) ? objectOfId(api.ctx.org, id) : undefined;
    if (!definition) {
      results[index] = {
        success: false,
        id: null,
        created: false,
        errors: [
          {
            statusCode: ID_PATTERN.test(id) ? 'INVALID_CROSS_REFERENCE_KEY' : 'MALFORMED_ID',
            message: ID_PATTERN.test(id) ? 'invalid cross reference id' : `malformed id ${id}`,
            fields: [],
          },
        ],
      };
      return;
    }
    items.push({ type: definition.name, record: { Id: id } });
    positions.push(index);
  });
  const failedEarly = results.some((r) => r && !r.success);
  if (allOrNone && failedEarly) {
    ids.forEach((id, index) => {
      results[index] ??= {
        success: false,
        id,
        created: false,
        errors: [
          {
            statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
            message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
            fields: [],
          },
        ],
      };
    });
  } else {
    const deleted = dmlByType(api, 'delete', items, allOrNone);
    positions.forEach((inputIndex, k) => {
      results[inputIndex] = deleted[k] as DmlResult;
    });
  }
  sendJson(
    api.res,
    200,
    results.map((r) => collectionResult(r, false)),
  );
}

/** `POST composite/sobjects/{T}` `{ids, fields}` and `GET composite/sobjects/{T}?ids=&fields=`. */
export async function handleCollectionRetrieve(api: ApiRequest, objectName: string): Promise<void> {
  const definition = requireObject(api.ctx.org, objectName);
  let ids: string[];
  let fields: string[];
  if (api.req.method === 'POST') {
    const body = await readJson(api.req);
    const value = (body ?? {}) as { ids?: unknown; fields?: unknown };
    if (!Array.isArray(value.ids) || !Array.isArray(value.fields)) {
      throw new ApiError(400, 'JSON_PARSER_ERROR', 'Expected ids and fields arrays in the request body');
    }
    ids = value.ids.map(String);
    fields = value.fields.map(String);
  } else {
    ids = (api.query.get('ids') ?? '').split(',').filter(Boolean);
    fields = (api.query.get('fields') ?? '').split(',').filter(Boolean);
  }
  if (ids.length > 2000) throw tooMany();
  const out = ids.map((id) => {
    if (!ID_PATTERN.test(id)) return null;
    const record = api.ctx.org.get(id);
    if (!record || objectOfId(api.ctx.org, record.Id)?.name !== definition.name) return null;
    return readRecord(api, definition, `Id = '${escapeSoql(record.Id)}'`, fields.join(',')) ?? null;
  });
  sendJson(api.res, 200, out);
}
