// What one DML call works with: the org as DML sees it (DmlHost, a contract, not the concrete LocalOrg), the call's
// context (object store, timestamp, column cache, undo log), and the input helpers every operation shares.
import type { DmlError, OrgRecord } from '../contract.js';
import { normalizeId } from '../ids.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import type { ChildRelationship } from '../schema/describe.js';
import { type Column, resolveColumn } from './columns.js';
import { err } from './dml-results.js';
import type { RecycleState } from './recycle-bin.js';
import type { ObjectStore } from './store.js';
import type { Coercer } from './values.js';

/** The org as its DML modules use it: stores, ids, relationships, formulas, the recycle bin's bookkeeping. */
export interface DmlHost {
  /** The running user: CreatedById, LastModifiedById and the default OwnerId. */
  readonly userId: string;
  /** The store of an object by API name (any case), or undefined. */
  storeOf(name: string): ObjectStore | undefined;
  /** The store owning an id's key prefix, or undefined. */
  storeOfId(id18: string): ObjectStore | undefined;
  /** The stored record (not a copy) for an id in any form. */
  rawGet(id: string): { store: ObjectStore; record: OrgRecord } | undefined;
  /** The child relationships that point at an object. */
  childRelationships(objectName: string): ChildRelationship[];
  /** A copy of a stored record with its formulas computed (what validation rules see). */
  materialize(store: ObjectStore, record: OrgRecord): OrgRecord;
  /** The next record id of an object (the org's one counter). */
  nextId(store: ObjectStore): string;
  /** Advances the org's one id counter and returns it (the id of an object is `idFor(keyPrefix, sequence)`). */
  nextSequence(): number;
  /** The next value of an autonumber field. */
  nextAutoNumber(store: ObjectStore, field: CompiledField, now: Date): string;
  /** The first active record type of an object, or undefined. */
  defaultRecordTypeId(object: CompiledObject): string | undefined;
  /** Cascade and lookup bookkeeping that undelete reads back. */
  readonly recycle: RecycleState;
}

/**
 * A compiled insert for inputs whose keys are all plain createable fields, in one order: the values are
 * coerced into `values`, then `build` creates the stored record as one object literal with every property
 * in place (system fields first, then the columns in input order, as the generic path orders them), so
 * no property backing store grows row by row. Any other input (other keys, a skipped value) takes the
 * generic path.
 */
export interface InsertPlan {
  keys: string[];
  fields: CompiledField[];
  /** The coercer of each field (its CSV cells are strings: no null or `Date` to tell apart first). */
  coercers: Coercer[];
  values: unknown[];
  /** Scratch: an input record's values in key order. */
  raws: unknown[];
  build: (timestamp: string, userId: string, values: unknown[]) => OrgRecord;
}

/** One change of a call or transaction, undone by putting `before` back (or removing a new record). */
export type Undo = { store: ObjectStore; id: string; before: OrgRecord | undefined };

/** The state of one DML call. */
export interface DmlContext {
  host: DmlHost;
  /** The record type given to inserts without RecordTypeId (the first active one, as describe reports). */
  defaultRecordTypeId: string | undefined;
  store: ObjectStore;
  csv: boolean;
  timestamp: string;
  /** `timestamp` as epoch milliseconds. */
  millis: number;
  columns: Map<string, Column>;
  undo: Undo[] | undefined;
  /** Scratch for the index keys of the record being inserted (aligned with `object.indexed`). */
  indexKeys: Array<string | undefined>;
  /** The compiled insert of the first input's column set (undefined: not yet; null: not applicable). */
  insertPlan: InsertPlan | null | undefined;
}

export function columnOf(context: DmlContext, key: string): Column {
  let column = context.columns.get(key);
  if (column) return column;
  column = resolveColumn(context.store.object, key, (name) => context.host.storeOf(name)?.object);
  context.columns.set(key, column);
  return column;
}

export function inputId(context: DmlContext, input: Record<string, unknown>): unknown {
  if ('Id' in input) return input.Id;
  for (const key in input) {
    const column = columnOf(context, key);
    if (column.kind === 'field' && column.field.type === 'id') return input[key];
  }
  return undefined;
}

export function idOfInput(record: Record<string, unknown>): string | null {
  const raw = record.Id ?? record.id;
  return typeof raw === 'string' ? (normalizeId(raw) ?? null) : null;
}

export function extValueOf(context: DmlContext, record: Record<string, unknown>, extField: CompiledField): unknown {
  if (extField.name in record) return record[extField.name];
  for (const key in record) {
    const column = columnOf(context, key);
    if (column.kind === 'field' && column.field === extField) return record[key];
  }
  return undefined;
}

/** Finds the live record an update/delete targets by the input's Id. */
export function targetOf(
  context: DmlContext,
  rawId: unknown,
  allowDeleted = false,
  call = 'an update',
): OrgRecord | DmlError {
  const store = context.store;
  if (rawId === undefined || rawId === null || rawId === '') {
    return err('MISSING_ARGUMENT', `Id not specified in ${call} call`, []);
  }
  const text = String(rawId).trim();
  const id18 = normalizeId(text);
  if (!id18) return err('MALFORMED_ID', `${store.object.label} ID: id value of incorrect type: ${text}`, ['Id']);
  if (id18.slice(0, 3) !== store.object.keyPrefix) {
    return err('MALFORMED_ID', `${store.object.label} ID: id value of incorrect type: ${text}`, ['Id']);
  }
  const record = store.records.get(id18);
  if (!record) return err('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', []);
  if (record.IsDeleted === true && !allowDeleted) return err('ENTITY_IS_DELETED', 'entity is deleted', []);
  return record;
}
