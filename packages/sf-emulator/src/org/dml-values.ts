// Validation and coercion of DML input: values onto a record (types, createable/updateable, references, parents by
// external id), validation rules, and the upsert key (its field, duplicates within one call).
import type { DmlError, OrgRecord } from '../contract.js';
import { OrgError } from '../contract.js';
import { normalizeId } from '../ids.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import type { Column } from './columns.js';
import { columnOf, type DmlContext, type DmlHost, extValueOf } from './dml-context.js';
import { err } from './dml-results.js';
import { lookupIndex } from './indexes.js';
import type { ObjectStore } from './store.js';
import { coerceValue, indexKey, ValueProblem } from './values.js';

/** Nothing to store for a column (an Id on update, an empty Id on insert). */
const SKIP = Symbol('skip');
/** What applying one input value gives: the value to store, {@link SKIP}, or an {@link AppliedError}. */
type Applied = unknown;

/** A column's problem, wrapped so that no value to store (a plain object included) is taken for an error. */
class AppliedError {
  constructor(readonly error: DmlError) {}
}

/**
 * Applies incoming values onto `target` (a new record or a copy of an existing one).
 * Returns an error, or undefined on success.
 */
export function applyValues(
  context: DmlContext,
  input: Record<string, unknown>,
  target: OrgRecord | Record<string, unknown>,
  mode: 'insert' | 'update',
): DmlError | undefined {
  for (const key in input) {
    const column = columnOf(context, key);
    if (column.kind === 'attributes') continue;
    if (column.kind === 'error') return column.error;
    const raw = inputValue(context, input[key]);
    if (raw === undefined) continue;
    const value =
      column.kind === 'field'
        ? fieldValue(context, column.field, raw, mode)
        : relationshipValue(context, column, raw, mode);
    if (value === SKIP) continue;
    if (value instanceof AppliedError) return value.error;
    target[column.field.name] = value;
  }
  return undefined;
}

/** An input value as DML sees it: in CSV an empty cell is no value (undefined) and `#N/A` is null. */
function inputValue(context: DmlContext, raw: unknown): unknown {
  if (context.csv && typeof raw === 'string') {
    if (raw === '') return undefined;
    if (raw === '#N/A') return null;
  }
  return raw;
}

/** The error of a field the operation may not write (not createable on insert, not updateable on update). */
function notWritable(field: CompiledField, mode: 'insert' | 'update'): AppliedError | undefined {
  if (mode === 'insert' ? field.createable : field.updateable) return undefined;
  return new AppliedError(
    err(
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      [field.name],
    ),
  );
}

/** A plain field's value: coerced to its type, a reference checked against the org; the Id is never written. */
function fieldValue(context: DmlContext, field: CompiledField, raw: unknown, mode: 'insert' | 'update'): Applied {
  if (field.type === 'id') {
    if (mode === 'update' || raw === null || raw === '') return SKIP;
    return new AppliedError(err('INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id']));
  }
  const refused = notWritable(field, mode);
  if (refused) return refused;
  const value = coerceValue(field, raw, context.csv);
  if (value instanceof ValueProblem) return new AppliedError(value.error);
  if (field.type !== 'reference' || value === null) return value;
  const checked = checkReference(context.host, field, value as string, context.store.object);
  return typeof checked === 'string' ? checked : new AppliedError(checked);
}

/**
 * A reference given by the parent's external id: an `Account.External_Id__c` column, or a nested
 * `{ Account: { Ext__c: v } }` value; the parent's id, null, or an error.
 */
function relationshipValue(
  context: DmlContext,
  column: Extract<Column, { kind: 'relationship' | 'nested' }>,
  raw: unknown,
  mode: 'insert' | 'update',
): Applied {
  const field = column.field;
  const refused = notWritable(field, mode);
  if (refused) return refused;
  const parent =
    column.kind === 'relationship'
      ? { object: column.target, field: column.targetField, lookup: raw }
      : nestedParent(context, field, raw);
  if (parent instanceof AppliedError || parent === null) return parent;
  if (parent.lookup === null) return null;
  const resolved = resolveByExternalId(context.host, parent.object, parent.field, parent.lookup, field);
  return typeof resolved === 'string' ? resolved : new AppliedError(resolved);
}

/** The parent object, its external id field and the value of a nested `{ attributes?, Ext__c: v }` reference. */
function nestedParent(
  context: DmlContext,
  field: CompiledField,
  raw: unknown,
): { object: CompiledObject; field: CompiledField; lookup: unknown } | AppliedError | null {
  if (raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return new AppliedError(
      err('INVALID_FIELD', `Cannot deserialize instance of ${field.relationshipName} from value ${raw}`, [field.name]),
    );
  }
  const nested = raw as Record<string, unknown>;
  const keys = Object.keys(nested).filter((name) => name !== 'attributes');
  const objectName = (nested.attributes as { type?: string } | undefined)?.type ?? field.referenceTo[0] ?? '';
  const found = context.host.storeOf(objectName)?.object;
  const nestedField = keys.length === 1 ? found?.byLower.get(keys[0]!.toLowerCase()) : undefined;
  if (!found || !nestedField || !(nestedField.idLookup || nestedField.externalId)) {
    return new AppliedError(
      err(
        'INVALID_FIELD',
        `The relationship ${field.relationshipName} must name exactly one external ID field of ${objectName}`,
        [field.name],
      ),
    );
  }
  return { object: found, field: nestedField, lookup: nested[keys[0]!] };
}

export function resolveByExternalId(
  host: DmlHost,
  object: CompiledObject,
  field: CompiledField,
  value: unknown,
  reference: CompiledField,
): string | DmlError {
  const store = host.storeOf(object.lower)!;
  const text = String(value);
  if (field.type === 'id') {
    const found = host.rawGet(text);
    if (!found || found.store !== store) {
      return err('INVALID_FIELD', `Foreign key external ID: ${text} not found for field Id in entity ${object.name}`, [
        reference.name,
      ]);
    }
    return found.record.Id;
  }
  let ids = lookupIndex(store, field, text);
  if (ids === undefined) {
    ids = [];
    const key = indexKey(field, text);
    for (const record of store.records.values()) {
      if (record.IsDeleted !== true && indexKey(field, record[field.name]) === key) ids.push(record.Id);
    }
  }
  if (ids.length === 0) {
    return err(
      'INVALID_FIELD',
      `Foreign key external ID: ${text} not found for field ${field.name} in entity ${object.name}`,
      [reference.name],
    );
  }
  if (ids.length > 1) {
    return err(
      'INVALID_FIELD',
      `More than 1 record found for External ID field ${field.name} with value ${text} in entity ${object.name}`,
      [reference.name],
    );
  }
  return ids[0]!;
}

/** Checks a reference value: a well-formed id of one of the referenced objects, existing and not deleted. */
export function checkReference(
  host: DmlHost,
  field: CompiledField,
  value: string,
  owner: CompiledObject,
): string | DmlError {
  const id18 = normalizeId(value);
  if (!id18) return err('MALFORMED_ID', `${field.label}: id value of incorrect type: ${value}`, [field.name]);
  const store = host.storeOfId(id18);
  const allowed = store !== undefined && field.referenceTo.some((name) => name.toLowerCase() === store.object.lower);
  if (!allowed) {
    return err('FIELD_INTEGRITY_EXCEPTION', `${field.label}: id value of incorrect type: ${value}`, [field.name]);
  }
  const record = store.records.get(id18);
  if (!record) {
    return err('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', []);
  }
  if (record.IsDeleted === true) return err('ENTITY_IS_DELETED', 'entity is deleted', [field.name]);
  if (store.object.lower === 'recordtype' && field.lower === 'recordtypeid') {
    const fits = String(record.SobjectType ?? '').toLowerCase() === owner.lower && record.IsActive === true;
    if (!fits) {
      return err('INVALID_CROSS_REFERENCE_KEY', `${field.label}: this ID value isn't valid for the user: ${value}`, [
        field.name,
      ]);
    }
  }
  return id18;
}

export function runValidationRules(
  host: DmlHost,
  store: ObjectStore,
  record: OrgRecord,
  operation: 'insert' | 'update',
): DmlError | undefined {
  const rules = store.object.def.validationRules;
  if (!rules || rules.length === 0) return undefined;
  const view = host.materialize(store, record);
  for (const rule of rules) {
    let message: string | undefined;
    try {
      message = rule(view, { operation });
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    if (message) return err('FIELD_CUSTOM_VALIDATION_EXCEPTION', message, []);
  }
  return undefined;
}

export function upsertField(store: ObjectStore, name: string | undefined): CompiledField {
  const field = store.object.byLower.get((name ?? 'Id').toLowerCase());
  if (!field || !(field.type === 'id' || field.externalId)) {
    throw new OrgError(
      'INVALID_FIELD',
      `Provided external ID field does not exist or is not accessible: ${name ?? 'Id'}`,
      { status: 404, fields: name ? [name] : [] },
    );
  }
  return field;
}

/** Index keys of the external id that occur more than once in one call. */
export function duplicateKeys(
  context: DmlContext,
  records: Array<Record<string, unknown>>,
  extField: CompiledField,
): Set<string> {
  return repeatedKeys(
    context,
    records.map((record) => extValueOf(context, record, extField)),
    extField,
  );
}

/** Index keys that occur more than once among the raw external id values of one call (skipped: non-values, `#N/A` in CSV). */
export function repeatedKeys(context: DmlContext, values: Iterable<unknown>, extField: CompiledField): Set<string> {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const raw of values) {
    if (typeof raw !== 'string' && typeof raw !== 'number') continue;
    if (context.csv && raw === '#N/A') continue;
    const key = indexKey(extField, raw);
    if (key === undefined) continue;
    if (seen.has(key)) dups.add(key);
    else seen.add(key);
  }
  return dups;
}
