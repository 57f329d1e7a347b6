// Aggregate functions (COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX) over a set of records.
import type { OrgRecord } from '../contract.js';
import type { FieldPath, ValueReader } from './types.js';

/** The aggregate functions SOQL knows. */
export const AGGREGATE_FUNCTIONS = ['COUNT', 'COUNT_DISTINCT', 'MIN', 'MAX', 'SUM', 'AVG'];

/** The key under which a HAVING predicate receives a group's records. */
export const GROUP = Symbol('group');

/** A group of records as a HAVING predicate receives it (in place of a record). */
export type Group = { [GROUP]: OrgRecord[] };

/** The records of a group handed to a HAVING predicate. */
export function groupRecords(group: OrgRecord): OrgRecord[] {
  return (group as unknown as Group)[GROUP];
}

/** An aggregate function's value over records: `COUNT()` (no path) counts them, the others skip nulls. */
export function aggregate(reader: ValueReader, fn: string, path: FieldPath | undefined, records: OrgRecord[]): unknown {
  if (!path) return records.length;
  const values = records.map((record) => reader.valueAt(path, record)).filter((value) => value !== null);
  switch (fn) {
    case 'COUNT':
      return values.length;
    case 'COUNT_DISTINCT':
      return new Set(values.map((value) => (typeof value === 'string' ? value.toLowerCase() : value))).size;
    case 'SUM':
      return values.length === 0 ? null : values.reduce((sum: number, value) => sum + Number(value), 0);
    case 'AVG':
      return values.length === 0 ? null : values.reduce((sum: number, value) => sum + Number(value), 0) / values.length;
    case 'MIN':
    case 'MAX':
      return extreme(fn, values);
    default:
      return null;
  }
}

/** The least (MIN) or greatest (MAX) value: numbers by value, anything else as text. */
function extreme(fn: 'MIN' | 'MAX', values: unknown[]): unknown {
  if (values.length === 0) return null;
  let best = values[0];
  for (const value of values) {
    const better =
      typeof value === 'number' && typeof best === 'number'
        ? fn === 'MIN'
          ? value < best
          : value > best
        : fn === 'MIN'
          ? String(value) < String(best)
          : String(value) > String(best);
    if (better) best = value;
  }
  return best;
}
