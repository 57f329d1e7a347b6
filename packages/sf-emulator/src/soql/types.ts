// The compiled shapes of a query: field paths, select items, subqueries, order keys and predicates.
import type { OrgRecord } from '../contract.js';
import type { ObjectStore } from '../org/store.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';

/** A resolved field path: reference hops, then the final field. */
export interface FieldPath {
  hops: CompiledField[];
  /** Objects reached by each hop (same length as hops). */
  hopObjects: CompiledObject[];
  field: CompiledField;
  /** Canonical path (`Owner.Name`). */
  path: string;
}

/** A compiled WHERE or HAVING clause. */
export type Predicate = (record: OrgRecord) => boolean;

/** Reads the value at a path for a record (formulas computed, missing parents give null). */
export interface ValueReader {
  valueAt(path: FieldPath, record: OrgRecord): unknown;
}

/** One item of a SELECT list. */
export interface SelectItem {
  kind: 'field' | 'subquery' | 'aggregate' | 'typeof';
  path?: FieldPath;
  subquery?: CompiledSubquery;
  aggregate?: { fn: string; path: FieldPath | undefined; alias: string };
  /** `FORMAT(field)`: the value as the user's locale shows it. */
  transform?: (value: unknown) => unknown;
  /** The output key when it is not the field's name (an alias of `toLabel(...)` / `FORMAT(...)`). */
  key?: string;
  /** `TYPEOF rel WHEN Type THEN fields ... ELSE fields END`. */
  typeOf?: { reference: CompiledField; when: Map<string, FieldPath[]>; otherwise: FieldPath[] | undefined };
}

/** A child relationship subquery in a SELECT list. */
export interface CompiledSubquery {
  relationshipName: string;
  child: ObjectStore;
  field: CompiledField;
  items: SelectItem[];
  where: Predicate | undefined;
  order: OrderKey[];
  limit: number | undefined;
  offset: number | undefined;
}

/** How an ORDER BY key sorts. */
export interface SortDirection {
  descending: boolean;
  nullsLast: boolean;
}

/** One ORDER BY key on a field path. */
export interface OrderKey extends SortDirection {
  path: FieldPath;
}
