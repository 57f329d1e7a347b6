// sObject Collections (`composite/sobjects`): save, upsert, delete and retrieve up to 200 records of one or several
// types in one call, all or none across types in one org transaction.
import type { DmlOperation, DmlResult } from '../contract.js';
import { err, fail, ROLLED_BACK } from '../org/dml-results.js';
import type { ApiRequest } from '../server/context.js';
import { ApiError, readJson, readJsonObject, sendJson } from '../server/http.js';
import {
  escapeSoql,
  externalIdField,
  ID_PATTERN,
  objectOfId,
  readRecord,
  requireObject,
  rowErrors,
  stripAttributes,
} from './sobject-access.js';

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
    return results.map((result) => (result.success ? fail(ROLLED_BACK) : result));
  }
  transaction?.commit();
  return results;
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
  const field = externalIdField(definition, fieldName);
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
      results[index] = fail(
        ID_PATTERN.test(id)
          ? err('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id')
          : err('MALFORMED_ID', `malformed id ${id}`),
      );
      return;
    }
    items.push({ type: definition.name, record: { Id: id } });
    positions.push(index);
  });
  const failedEarly = results.some((r) => r && !r.success);
  if (allOrNone && failedEarly) {
    ids.forEach((id, index) => {
      results[index] ??= fail(ROLLED_BACK, id);
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
