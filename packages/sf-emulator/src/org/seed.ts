// Seed input checked and typed: each seed record's values coerced to its fields, ids and references normalized.
import { OrgError, type OrgRecord } from '../contract.js';
import { normalizeId } from '../ids.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import type { ObjectStore } from './store.js';
import { coerceValue, ValueProblem } from './values.js';

/**
 * The seed records of one object as stored values (formula fields and `attributes` dropped, no defaults yet): an
 * unknown field, a bad value, a malformed Id or an Id already used fails the whole seed, naming the record.
 */
export function seedRecords(store: ObjectStore, records: Array<Record<string, unknown>>): OrgRecord[] {
  const object = store.object;
  const prepared: OrgRecord[] = [];
  const pendingIds = new Set<string>();
  for (const [index, input] of records.entries()) {
    const record = {} as OrgRecord;
    for (const key in input) {
      if (key === 'attributes') continue;
      const field = object.byLower.get(key.toLowerCase());
      if (!field) {
        throw new OrgError('INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`, {
          fields: [key],
        });
      }
      if (field.isFormula) continue;
      const raw = input[key];
      if (raw === undefined) continue;
      if (field.type === 'id') {
        record.Id = seedId(store, raw, index, pendingIds);
        continue;
      }
      record[field.name] = seedValue(object, field, raw, index);
    }
    if (record.Id) pendingIds.add(record.Id);
    prepared.push(record);
  }
  return prepared;
}

/** A seed record's own Id: of the object's key prefix, not stored yet, not given twice in the seed. */
function seedId(store: ObjectStore, raw: unknown, index: number, pendingIds: Set<string>): string {
  const object = store.object;
  const id18 = normalizeId(raw);
  if (!id18 || id18.slice(0, 3) !== object.keyPrefix) {
    throw new OrgError('MALFORMED_ID', `${object.name} seed record ${index}: bad Id ${String(raw)}`);
  }
  if (store.records.has(id18) || pendingIds.has(id18)) {
    throw new OrgError('DUPLICATE_VALUE', `${object.name} seed record ${index}: Id ${id18} exists`);
  }
  return id18;
}

/** A seed value coerced to its field's type (no validation rules), references as 18-character ids. */
function seedValue(object: CompiledObject, field: CompiledField, raw: unknown, index: number): unknown {
  const value = coerceValue(field, raw, false);
  if (value instanceof ValueProblem) {
    throw new OrgError(value.error.statusCode, `${object.name} seed record ${index}: ${value.error.message}`, {
      fields: value.error.fields,
    });
  }
  if (field.type === 'reference' && value !== null) {
    const id18 = normalizeId(value);
    if (!id18) throw new OrgError('MALFORMED_ID', `${object.name} seed record ${index}: bad ${field.name}`);
    return id18;
  }
  return value;
}
