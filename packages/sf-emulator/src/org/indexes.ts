// The value indexes of an object store (unique and external-id fields): adding and removing a record, the duplicate
// check of a write, lookups and a full rebuild. Functions of the store alone, shared by DML, generate, seed and reads.
import type { DmlError, OrgRecord } from '../contract.js';
import type { CompiledField } from '../schema/compile.js';
import { err } from './dml-results.js';
import { KeyIndex } from './key-index.js';
import type { ObjectStore } from './store.js';
import { indexKey } from './values.js';

/** Adds a live record to the value indexes; `keys` are the precomputed index keys (aligned with `indexed`). */
export function indexRecord(store: ObjectStore, record: OrgRecord, keys?: Array<string | undefined>): void {
  const indexed = store.object.indexed;
  for (let position = 0; position < indexed.length; position++) {
    const field = indexed[position]!;
    const key = keys ? keys[position] : indexKey(field, record[field.name]);
    if (key === undefined) continue;
    const index = store.indexList[position]!;
    const hit = index.get(key);
    if (hit === undefined) index.set(key, record.Id);
    else if (typeof hit === 'string') {
      if (hit !== record.Id) index.set(key, [hit, record.Id]);
    } else if (!hit.includes(record.Id)) hit.push(record.Id);
  }
}

/**
 * Adds a record just inserted to the value indexes, with the keys {@link duplicateOf} computed for it and found free:
 * a unique field's key is absent from its index, so it is set without being looked up again (one hash operation a
 * unique field instead of two).
 */
export function indexInserted(store: ObjectStore, record: OrgRecord, keys: Array<string | undefined>): void {
  const indexed = store.object.indexed;
  for (let position = 0; position < indexed.length; position++) {
    const key = keys[position];
    if (key === undefined) continue;
    const index = store.indexList[position]!;
    if (indexed[position]!.unique) {
      index.setAbsent(key, record.Id);
      continue;
    }
    const hit = index.get(key);
    if (hit === undefined) index.set(key, record.Id);
    else if (typeof hit === 'string') {
      if (hit !== record.Id) index.set(key, [hit, record.Id]);
    } else if (!hit.includes(record.Id)) hit.push(record.Id);
  }
}

/** Removes a record from the value indexes (its current values). */
export function unindexRecord(store: ObjectStore, record: OrgRecord): void {
  for (const field of store.object.indexed) {
    const key = indexKey(field, record[field.name]);
    if (key === undefined) continue;
    const index = store.indexes.get(field.lower)!;
    const hit = index.get(key);
    if (hit === undefined) continue;
    if (typeof hit === 'string') {
      if (hit === record.Id) index.delete(key);
    } else {
      const at = hit.indexOf(record.Id);
      if (at >= 0) hit.splice(at, 1);
      if (hit.length === 1) index.set(key, hit[0]!);
      else if (hit.length === 0) index.delete(key);
    }
  }
}

/** First unique-field conflict of `record` with another live record. */
export function duplicateOf(
  store: ObjectStore,
  record: OrgRecord,
  keysOut?: Array<string | undefined>,
): DmlError | undefined {
  const indexed = store.object.indexed;
  for (let position = 0; position < indexed.length; position++) {
    const field = indexed[position]!;
    const key = indexKey(field, record[field.name]);
    if (keysOut) keysOut[position] = key;
    if (!field.unique || key === undefined) continue;
    const hit = store.indexList[position]!.get(key);
    if (hit === undefined) continue;
    const other = typeof hit === 'string' ? hit : hit.find((id) => id !== record.Id);
    if (other !== undefined && other !== record.Id) {
      return err(
        'DUPLICATE_VALUE',
        `duplicate value found: ${field.name} duplicates value on record with id: ${other}`,
        [],
      );
    }
  }
  return undefined;
}

/** Empties and refills the indexes of a store from its live records (and recounts the deleted ones). */
export function rebuildIndexes(store: ObjectStore): void {
  store.indexes = new Map();
  store.deleted = 0;
  store.indexList = store.object.indexed.map((field) => {
    const index = new KeyIndex(store.object.keyPrefix);
    store.indexes.set(field.lower, index);
    return index;
  });
  // Only the fields the indexes read are built from records kept as columns (a load rebuilds millions).
  const names = ['Id', 'IsDeleted', ...store.object.indexed.map((field) => field.name)];
  const { rows, pickAt } = store.records.keptRows();
  for (const row of rows) {
    const record = typeof row === 'number' ? pickAt(row, names) : row;
    if (record.IsDeleted === true) store.deleted++;
    else indexRecord(store, record);
  }
}

/** Ids of live records whose indexed field has `value`; undefined when the field has no index. */
export function lookupIndex(store: ObjectStore, field: CompiledField, value: unknown): string[] | undefined {
  const index = store.indexes.get(field.lower);
  if (!index) return undefined;
  const key = indexKey(field, value);
  if (key === undefined) return [];
  const hit = index.get(key);
  if (hit === undefined) return [];
  return typeof hit === 'string' ? [hit] : hit;
}

/**
 * Live records whose indexed field equals one of `values` (each once, in the order found), or undefined when the
 * field has no index (the query planner then scans).
 */
export function indexedRecords(store: ObjectStore, field: CompiledField, values: string[]): OrgRecord[] | undefined {
  if (!store.indexes.has(field.lower)) return undefined;
  const out: OrgRecord[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    for (const id of lookupIndex(store, field, value) ?? []) {
      if (seen.has(id)) continue;
      seen.add(id);
      const record = store.records.get(id);
      if (record) out.push(record);
    }
  }
  return out;
}

/** Live records whose field equals `value` (by index key), found by a scan: for a field without an index. */
export function scanByValue(store: ObjectStore, field: CompiledField, value: unknown): OrgRecord[] {
  const out: OrgRecord[] = [];
  const key = indexKey(field, value);
  for (const record of store.records.values()) {
    if (record.IsDeleted !== true && indexKey(field, record[field.name]) === key) out.push(record);
  }
  return out;
}
