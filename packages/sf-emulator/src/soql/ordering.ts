// ORDER BY: sorting rows by keys, nulls first or last, text case-insensitively.
import type { OrgRecord } from '../contract.js';
import type { OrderKey, SortDirection, ValueReader } from './types.js';

/** A sort key's value as compared: text upper-cased. */
export function sortValue(value: unknown): unknown {
  return typeof value === 'string' ? value.toUpperCase() : value;
}

/** Compares two rows' key values key by key (nulls first unless NULLS LAST, DESC reverses the rest). */
export function compareKeys(left: unknown[], right: unknown[], keys: SortDirection[]): number {
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    const a = left[index];
    const b = right[index];
    const aNull = a === null || a === undefined;
    const bNull = b === null || b === undefined;
    if (aNull || bNull) {
      if (aNull && bNull) continue;
      return (aNull ? -1 : 1) * (key.nullsLast ? -1 : 1);
    }
    let cmp: number;
    if (typeof a === 'number' && typeof b === 'number') cmp = a - b;
    else if (typeof a === 'boolean' && typeof b === 'boolean') cmp = Number(a) - Number(b);
    else cmp = String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
    if (cmp !== 0) return key.descending ? -cmp : cmp;
  }
  return 0;
}

/** Sorts records by ORDER BY keys (a stable sort; no keys returns the list itself). */
export function sortRecords(reader: ValueReader, records: OrgRecord[], order: OrderKey[]): OrgRecord[] {
  if (order.length === 0) return records;
  const keyed = records.map((record) => ({
    record,
    keys: order.map((key) => sortValue(reader.valueAt(key.path, record))),
  }));
  keyed.sort((a, b) => compareKeys(a.keys, b.keys, order));
  return keyed.map((entry) => entry.record);
}
