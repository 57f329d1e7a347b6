// What the sObject routes (one record, collections, UI resources) share: the object of a path or an id, one record
// read in REST shape, the record of an id or of an external id (300 when several match), DML failures as API errors.
import type { DmlOperation, DmlResult, ObjectDefinition, Org, OrgRecord } from '../contract.js';
import { findField } from '../schema/fields.js';
import type { ApiRequest } from '../server/context.js';
import { ApiError, notFound, sendJson } from '../server/http.js';

/** The object definition of a path segment, or 404 NOT_FOUND like Salesforce. */
export function requireObject(org: Org, name: string): ObjectDefinition {
  const definition = org.getObject(name);
  if (!definition) {
    throw notFound();
  }
  return definition;
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

export const ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

export function escapeSoql(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

/** Reads one record in REST shape (through the org's query so formulas are computed). */
export function readRecord(
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
    if (!name.includes('.') && !findField(definition, name)) {
      throw new ApiError(400, 'INVALID_FIELD', `No such column '${name}' on sobject of type ${definition.name}`);
    }
  }
  if (!fields.some((f) => f.toLowerCase() === 'id')) fields.unshift('Id');
  const result = api.ctx.org.query(`SELECT ${fields.join(', ')} FROM ${definition.name} WHERE ${where}`);
  return result.records[0];
}

export { notFound };

export function dmlFailure(result: DmlResult): ApiError {
  const first = result.errors[0];
  return new ApiError(
    400,
    first?.statusCode ?? 'UNKNOWN_EXCEPTION',
    first?.message ?? 'Unknown error',
    first?.fields ?? [],
  );
}

export function rowErrors(api: ApiRequest, operation: DmlOperation, objectName: string) {
  return api.ctx.faults.rowErrorHook(objectName, operation);
}

export function stripAttributes(body: Record<string, unknown>): Record<string, unknown> {
  const { attributes: _attributes, ...rest } = body;
  return rest;
}

/** The record found by id, with its deleted state; 404 when absent. */
export function existing(api: ApiRequest, definition: ObjectDefinition, id: string): OrgRecord {
  if (!ID_PATTERN.test(id)) throw notFound();
  const record = api.ctx.org.get(id, { includeDeleted: true });
  if (!record || objectOfId(api.ctx.org, record.Id)?.name !== definition.name) throw notFound();
  if (record.IsDeleted === true) throw new ApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
  return record;
}

/** Records of an object whose external id field equals the value (per the field's case sensitivity). */
export function matchesByExternalId(
  org: Org,
  definition: ObjectDefinition,
  fieldName: string,
  value: string,
): OrgRecord[] {
  const field = externalIdField(definition, fieldName);
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

/** The field an external id route names; 404 NOT_FOUND (Salesforce's wording) when the object has no such field. */
export function externalIdField(definition: ObjectDefinition, fieldName: string) {
  const field = findField(definition, fieldName);
  if (!field) {
    throw new ApiError(
      404,
      'NOT_FOUND',
      `Provided external ID field does not exist or is not accessible: ${fieldName}`,
    );
  }
  return field;
}

/**
 * Answers 300 Multiple Choices with the records' URLs when an external id matched several records (as Salesforce
 * does); true when it did, and the route is done.
 */
export function answeredSeveral(api: ApiRequest, definition: ObjectDefinition, matches: OrgRecord[]): boolean {
  if (matches.length <= 1) return false;
  sendJson(
    api.res,
    300,
    matches.map((m) => `/services/data/v${api.version}/sobjects/${definition.name}/${m.Id}`),
  );
  return true;
}

/**
 * The one record of an object whose external id field has `value`: 404 when none, undefined (after answering 300)
 * when several.
 */
export function singleMatch(
  api: ApiRequest,
  definition: ObjectDefinition,
  fieldName: string,
  value: string,
): OrgRecord | undefined {
  const matches = matchesByExternalId(api.ctx.org, definition, fieldName, value);
  if (matches.length === 0) throw notFound();
  return answeredSeveral(api, definition, matches) ? undefined : matches[0];
}
