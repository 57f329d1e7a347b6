// The column insert: a Bulk CSV row whose cells the compiled insert (insert-plan.ts) has coerced goes straight into
// the object's columns (record-columns.ts), without a record object. It does what `storeInserted` does to a record
// the compiled insert built (defaults, required fields, owner, record type, unique check, id, default Name,
// indexes), on an array of values in the stored key order instead of on an object.
//
// Why: a Bulk insert of a million rows spent about a fifth of the org's CPU building a record object a row (the
// system stamps, the values, the defaults added), walking its keys to split it into columns again, and making and
// decoding an id string a row for the record map, the unique index and the results; the object, the id and the
// index key were most of the per-row garbage the collector then scavenged.
//
// It only takes the success path of a row. Where anything differs from it (a value missing or undefined, a
// required field empty, a unique value taken, an object with validation rules or autonumbers, a record map that
// cannot take the row into a segment), the row goes through `storeInserted` with the record object as before, so
// the outcome (and the error text) is the generic path's by construction. The first row of a compiled insert's first
// call goes through `storeInserted` too, and the column insert is used only when the stored record's keys are the
// ones it derived (remembered for the plan's next calls, which take their first row as columns).
import type { OrgRecord } from '../contract.js';
import { idFor } from '../ids.js';
import type { CompiledField } from '../schema/compile.js';
import type { DmlContext, InsertPlan } from './dml-context.js';
import { indexKey } from './values.js';

/** The column insert of one compiled insert in one DML call. */
export interface ColumnInsert {
  /** The stored record's keys, in order. */
  keys: string[];
  /** Per key: the index of the compiled insert's value it takes, or -1 (a constant). */
  sources: Int32Array;
  /** Per key: the constant value (system stamps and users, defaults), where `sources` is -1. */
  constants: unknown[];
  /** Scratch: the row's values in key order (each row sets every one before it reads any). */
  values: unknown[];
  /** Positions of the required fields in `keys` (-1: not a key of the record: never set). */
  required: Int32Array;
  /** Position of OwnerId (set to the user when empty), of RecordTypeId (set to the default), of a default Name. */
  ownerAt: number;
  recordTypeAt: number;
  nameAt: number;
  /** Per indexed field (aligned with `object.indexed`): its position in `keys`, or -1. */
  indexAt: Int32Array;
  /** The key prefix of the object's ids. */
  prefix: string;
  /** Builds the record object from `values` (the fallback when the record map cannot take the row as columns). */
  build: (values: unknown[]) => OrgRecord;
  /**
   * True when a call before this one stored a record the generic way with the plan and found these keys in it
   * ({@link sameKeys}): this call takes its first row as columns too. `keys` is then that call's array (one array a
   * shape, so the record map's segment knows it by identity).
   */
  verified: boolean;
}

/** Per compiled insert: the key lists (joined) a call checked against a stored record, and that call's array. */
const VERIFIED = new WeakMap<InsertPlan, Map<string, string[]>>();
/** Record builders by key list (one generated function a shape, not one a call). */
const BUILDERS = new Map<string, (values: unknown[]) => OrgRecord>();

/** Remembers that `insert`'s keys are those of a record stored with `plan` (the next calls need not check again). */
export function verifyColumnInsert(plan: InsertPlan, insert: ColumnInsert): void {
  let shapes = VERIFIED.get(plan);
  if (shapes === undefined) {
    shapes = new Map();
    VERIFIED.set(plan, shapes);
  }
  if (shapes.size >= 16) shapes.clear();
  shapes.set(insert.keys.join('\n'), insert.keys);
  insert.verified = true;
}

/** Rows stored by the column insert since the process started (tests check that their rows took it). */
export const columnInsertRows = { count: 0 };

/** A value of the compiled insert's `index`th field, told apart from every stored value by identity. */
class Slot {
  constructor(readonly index: number) {}
}

/**
 * The column insert for `plan` in the call of `context`, or null when the object needs the record object on the way
 * (validation rules read it; autonumbers and late index keys are set from it; its plan puts no Id first).
 */
export function compileColumnInsert(context: DmlContext, plan: InsertPlan): ColumnInsert | null {
  const object = context.store.object;
  const rules = object.def.validationRules;
  if ((rules && rules.length > 0) || object.autoNumbers.length > 0 || object.lateIndexKeys) return null;
  const userId = context.host.userId;
  // The keys and values of the record the compiled insert builds, each field's value a marker of its index.
  const probe = plan.build(
    context.timestamp,
    userId,
    plan.fields.map((_, index) => new Slot(index)),
  );
  const keys: string[] = [];
  const sources: number[] = [];
  const constants: unknown[] = [];
  const add = (key: string, value: unknown) => {
    keys.push(key);
    sources.push(value instanceof Slot ? value.index : -1);
    constants.push(value instanceof Slot ? undefined : value);
  };
  for (const key in probe) add(key, probe[key]);
  if (keys[0] !== 'Id') return null;
  // storeInserted's additions, in its order: defaults of the fields not given, OwnerId, RecordTypeId, the Name.
  for (const field of object.defaults) if (!keys.includes(field.name)) add(field.name, field.defaultValue);
  if (object.hasOwner && !keys.includes('OwnerId')) add('OwnerId', userId);
  if (context.defaultRecordTypeId !== undefined && !keys.includes('RecordTypeId')) {
    add('RecordTypeId', context.defaultRecordTypeId);
  }
  const nameField = object.nameField;
  let nameAt = -1;
  if (object.custom && nameField && !nameField.isAutoNumber && !nameField.isFormula) {
    if (!keys.includes(nameField.name)) add(nameField.name, undefined);
    nameAt = keys.indexOf(nameField.name);
  }
  const positionOf = (field: CompiledField) => keys.indexOf(field.name);
  const signature = keys.join('\n');
  let build = BUILDERS.get(signature);
  if (build === undefined) {
    build = new Function(
      'v',
      `return { ${keys.map((key, at) => `${JSON.stringify(key)}: v[${at}]`).join(', ')} };`,
    ) as (values: unknown[]) => OrgRecord;
    if (BUILDERS.size >= 100) BUILDERS.clear();
    BUILDERS.set(signature, build);
  }
  const known = VERIFIED.get(plan)?.get(signature);
  return {
    keys: known ?? keys,
    sources: Int32Array.from(sources),
    constants,
    values: new Array<unknown>(keys.length),
    required: Int32Array.from(object.requiredOnCreate.map(positionOf)),
    ownerAt: object.hasOwner ? keys.indexOf('OwnerId') : -1,
    recordTypeAt: context.defaultRecordTypeId !== undefined ? keys.indexOf('RecordTypeId') : -1,
    nameAt,
    indexAt: Int32Array.from(object.indexed.map(positionOf)),
    prefix: object.keyPrefix,
    build,
    verified: known !== undefined,
  };
}

/** Lets go of the last row's values (at the end of a call). */
export function clearColumnInsert(insert: ColumnInsert): void {
  insert.values.fill(undefined);
}

/** True when `keys` are the column insert's keys in its order (checked against a record stored the generic way). */
export function sameKeys(insert: ColumnInsert, record: OrgRecord): boolean {
  const keys = insert.keys;
  let at = 0;
  for (const key in record) if (key !== keys[at++]) return false;
  return at === keys.length;
}

/**
 * Stores the row whose coerced values are in `planValues` (the compiled insert's order) as columns: the new record's
 * sequence number (its Id is `idFor(prefix, sequence)`), or -1 when the row is not the success path this takes
 * (nothing changed: the caller sends it through `storeInserted`).
 */
export function insertColumns(context: DmlContext, insert: ColumnInsert, planValues: unknown[]): number {
  const { sources, constants, values } = insert;
  const width = sources.length;
  for (let at = 0; at < width; at++) {
    const source = sources[at] as number;
    if (source < 0) values[at] = constants[at];
    else {
      const value = planValues[source];
      if (value === undefined) return -1; // the generic path would give it a default
      values[at] = value;
    }
  }
  const required = insert.required;
  for (let index = 0; index < required.length; index++) {
    const at = required[index] as number;
    const value = at < 0 ? undefined : values[at];
    if (value === undefined || value === null || value === '') return -1;
  }
  const host = context.host;
  if (insert.ownerAt >= 0) {
    const owner = values[insert.ownerAt];
    if (owner === undefined || owner === null) values[insert.ownerAt] = host.userId;
  }
  if (insert.recordTypeAt >= 0) {
    const recordType = values[insert.recordTypeAt];
    if (recordType === undefined || recordType === null) values[insert.recordTypeAt] = context.defaultRecordTypeId;
  }
  // The unique check, with the index keys kept for the indexes (a taken value: the generic path says which).
  const store = context.store;
  const indexed = store.object.indexed;
  const indexAt = insert.indexAt;
  const keys = context.indexKeys;
  for (let position = 0; position < indexed.length; position++) {
    const at = indexAt[position] as number;
    const field = indexed[position] as CompiledField;
    const key = at < 0 ? undefined : indexKey(field, values[at]);
    keys[position] = key;
    if (field.unique && key !== undefined && store.indexList[position]!.get(key) !== undefined) return -1;
  }
  const prefix = insert.prefix;
  const sequence = host.nextSequence();
  let id: string | undefined;
  if (insert.nameAt >= 0) {
    const name = values[insert.nameAt];
    if (name === undefined || name === null || name === '') {
      id = idFor(prefix, sequence);
      values[insert.nameAt] = id.slice(0, 15);
    }
  }
  if (!store.records.setValues(insert.keys, prefix, values, sequence, id)) {
    id ??= idFor(prefix, sequence);
    values[0] = id;
    store.records.set(id, insert.build(values));
  }
  for (let position = 0; position < indexed.length; position++) {
    const key = keys[position];
    if (key === undefined) continue;
    const index = store.indexList[position]!;
    if (indexed[position]!.unique) {
      index.setAbsentOrgId(key, sequence, prefix);
      continue;
    }
    id ??= idFor(prefix, sequence);
    const hit = index.get(key);
    if (hit === undefined) index.set(key, id);
    else if (typeof hit === 'string') index.set(key, [hit, id]);
    else hit.push(id);
  }
  if (context.undo) context.undo.push({ store, id: id ?? idFor(prefix, sequence), before: undefined });
  // `values` keeps this row's values until the next row overwrites every one of them (the caller clears it after the
  // call's last row: {@link clearColumnInsert}).
  columnInsertRows.count++;
  return sequence;
}
