// Seed input checked and typed: each seed record's values coerced to its fields, ids and references normalized;
// then completed with the system fields and defaults the org fills.
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

/** What completing a seed record takes from the org: its running user, timestamps, ids and autonumbers. */
export interface SeedContext {
  /** The running user: CreatedById, LastModifiedById and OwnerId when absent. */
  userId: string;
  /** CreatedDate when absent (REST format). */
  timestamp: string;
  /** The org clock's now, for autonumber formats. */
  now: Date;
  nextId(store: ObjectStore): string;
  nextAutoNumber(store: ObjectStore, field: CompiledField, now: Date): string;
}

/**
 * Fills what a prepared seed record leaves out: its Id, field defaults, IsDeleted, the audit fields, the owner, a
 * custom object's name (the id's first 15 characters) and autonumbers.
 */
export function completeSeedRecord(store: ObjectStore, record: OrgRecord, context: SeedContext): void {
  const object = store.object;
  record.Id ??= context.nextId(store);
  for (const field of object.defaults) if (record[field.name] === undefined) record[field.name] = field.defaultValue;
  if (object.hasIsDeleted && record.IsDeleted === undefined) record.IsDeleted = false;
  record.CreatedDate ??= context.timestamp;
  record.CreatedById ??= context.userId;
  record.LastModifiedDate ??= record.CreatedDate;
  record.LastModifiedById ??= record.CreatedById;
  record.SystemModstamp ??= record.LastModifiedDate;
  if (object.hasOwner) record.OwnerId ??= context.userId;
  const nameField = object.nameField;
  if (object.custom && nameField && !nameField.isAutoNumber && !nameField.isFormula) {
    if (record[nameField.name] === undefined || record[nameField.name] === null)
      record[nameField.name] = record.Id.slice(0, 15);
  }
  for (const field of object.autoNumbers) {
    if (record[field.name] === undefined) record[field.name] = context.nextAutoNumber(store, field, context.now);
  }
}
