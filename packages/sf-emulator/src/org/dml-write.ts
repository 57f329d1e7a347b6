// The write path of DML: insert (compiled or generic), update and upsert of one input record each.
import type { DmlError, DmlResult, OrgRecord } from '../contract.js';
import type { CompiledField } from '../schema/compile.js';
import { missingRequired } from './columns.js';
import { columnOf, type DmlContext, extValueOf, idOfInput, inputId, targetOf } from './dml-context.js';
import { err, fail, isError } from './dml-results.js';
import { applyValues, runValidationRules } from './dml-values.js';
import { duplicateOf, indexInserted, indexRecord, lookupIndex, unindexRecord } from './indexes.js';
import { compileInsert, plannedValues } from './insert-plan.js';
import { coerceValue, indexKey, ValueProblem } from './values.js';

export function insertOne(context: DmlContext, input: Record<string, unknown>, now: Date): DmlResult {
  const store = context.store;
  const object = store.object;
  if (!object.createable) {
    return fail(err('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${object.name} does not support insert`));
  }
  const timestamp = context.timestamp;
  const userId = context.host.userId;
  if (context.insertPlan === undefined) context.insertPlan = compileInsert(context, Object.keys(input));
  const plan = context.insertPlan;
  if (plan !== null) {
    const planned = plannedValues(context, plan, input);
    if (planned === true) return finishInsert(context, plan.build(timestamp, userId, plan.values), now);
    if (planned !== false) return fail(planned);
  }
  // One literal with the system fields first: a stable shape and fewer property-store reallocations.
  const record = (
    object.hasIsDeleted
      ? {
          Id: '',
          IsDeleted: false,
          CreatedDate: timestamp,
          CreatedById: userId,
          LastModifiedDate: timestamp,
          LastModifiedById: userId,
          SystemModstamp: timestamp,
        }
      : {
          Id: '',
          CreatedDate: timestamp,
          CreatedById: userId,
          LastModifiedDate: timestamp,
          LastModifiedById: userId,
          SystemModstamp: timestamp,
        }
  ) as OrgRecord;
  const problem = applyValues(context, input, record, 'insert');
  if (problem) return fail(problem);
  return finishInsert(context, record, now);
}

/** The rest of an insert once the input's values are on the record, as a result. */
export function finishInsert(context: DmlContext, record: OrgRecord, now: Date): DmlResult {
  const stored = storeInserted(context, record, now);
  return typeof stored === 'string' ? { success: true, id: stored, created: true, errors: [] } : fail(stored);
}

/**
 * The rest of an insert once the input's values are on the record: defaults, checks, id, indexes. The new id, or the
 * error (no result object: a Bulk insert keeps its outcomes compactly).
 */
export function storeInserted(context: DmlContext, record: OrgRecord, now: Date): string | DmlError {
  const store = context.store;
  const object = store.object;
  const userId = context.host.userId;
  for (const field of object.defaults) {
    if (record[field.name] === undefined) record[field.name] = field.defaultValue;
  }
  const missing = missingRequired(record, object.requiredOnCreate);
  if (missing) return missing;
  if (object.hasOwner && (record.OwnerId === undefined || record.OwnerId === null)) record.OwnerId = userId;
  if (
    context.defaultRecordTypeId !== undefined &&
    (record.RecordTypeId === undefined || record.RecordTypeId === null)
  ) {
    record.RecordTypeId = context.defaultRecordTypeId;
  }
  const invalid = runValidationRules(context.host, store, record, 'insert');
  if (invalid) return invalid;
  const keys = context.indexKeys;
  const duplicate = duplicateOf(store, record, keys);
  if (duplicate) return duplicate;
  const id = context.host.nextId(store);
  record.Id = id;
  const nameField = object.nameField;
  if (object.custom && nameField && !nameField.isAutoNumber && !nameField.isFormula) {
    const name = record[nameField.name];
    if (name === undefined || name === null || name === '') record[nameField.name] = id.slice(0, 15);
  }
  for (const field of object.autoNumbers) record[field.name] = context.host.nextAutoNumber(store, field, now);
  store.records.set(id, record);
  // Keys were computed before autonumbers and the default Name were set: recompute when one is indexed.
  if (object.lateIndexKeys) indexRecord(store, record);
  else indexInserted(store, record, keys);
  context.undo?.push({ store, id, before: undefined });
  return id;
}

export function updateOne(context: DmlContext, input: Record<string, unknown>, knownTarget?: OrgRecord): DmlResult {
  const store = context.store;
  const object = store.object;
  if (!object.updateable) {
    return fail(err('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${object.name} does not support update`));
  }
  let current: OrgRecord;
  if (knownTarget) current = knownTarget;
  else {
    let rawId = inputId(context, input);
    if (context.csv && rawId === '') rawId = undefined;
    const target = targetOf(context, rawId);
    if (isError(target)) return fail(target, idOfInput(input));
    current = target;
  }
  const next = { ...current } as OrgRecord;
  const problem = applyValues(context, input, next, 'update');
  if (problem) return fail(problem, current.Id);
  const missing = missingRequired(next, object.requiredOnUpdate);
  if (missing) return fail(missing, current.Id);
  next.LastModifiedDate = context.timestamp;
  next.LastModifiedById = context.host.userId;
  next.SystemModstamp = context.timestamp;
  const invalid = runValidationRules(context.host, store, next, 'update');
  if (invalid) return fail(invalid, current.Id);
  const duplicate = duplicateOf(store, next);
  if (duplicate) return fail(duplicate, current.Id);
  unindexRecord(store, current);
  store.records.set(current.Id, next);
  indexRecord(store, next);
  context.undo?.push({ store, id: current.Id, before: current });
  return { success: true, id: current.Id, created: false, errors: [] };
}

export function upsertOne(
  context: DmlContext,
  input: Record<string, unknown>,
  extField: CompiledField,
  duplicates: Set<string> | undefined,
  now: Date,
): DmlResult {
  const store = context.store;
  let raw = extValueOf(context, input, extField);
  if (context.csv && raw === '') raw = undefined;
  if (extField.type === 'id') {
    if (raw === undefined || raw === null || raw === '') {
      const withoutId: Record<string, unknown> = {};
      for (const key in input) {
        const column = columnOf(context, key);
        if (!(column.kind === 'field' && column.field.type === 'id')) withoutId[key] = input[key];
      }
      return insertOne(context, withoutId, now);
    }
    const target = targetOf(context, raw);
    if (isError(target)) return fail(target, idOfInput(input));
    return updateOne(context, input, target);
  }
  if (raw === undefined || raw === null || raw === '' || raw === '#N/A') {
    return fail(err('MISSING_ARGUMENT', `${extField.name} not specified`, [extField.name]));
  }
  const coerced = coerceValue(extField, raw, context.csv);
  if (coerced instanceof ValueProblem) return fail(coerced.error);
  const key = indexKey(extField, coerced);
  if (duplicates && key !== undefined && duplicates.has(key)) {
    return fail(err('DUPLICATE_EXTERNAL_ID', `Duplicate external id specified: ${String(raw)}`, [extField.name]));
  }
  const ids = lookupIndex(store, extField, coerced) ?? [];
  if (ids.length > 1) {
    return fail(
      err(
        'DUPLICATE_EXTERNAL_ID',
        `${extField.label}: more than one record found for external id field: [${ids.join(', ')}]`,
        [extField.name],
      ),
    );
  }
  if (ids.length === 0) return insertOne(context, input, now);
  const current = store.records.get(ids[0]!)!;
  return updateOne(context, input, current);
}
