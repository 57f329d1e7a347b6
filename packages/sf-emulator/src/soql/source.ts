// The org as the query engine sees it: the contract it reads through, so the engine never depends on LocalOrg.
import type { OrgRecord } from '../contract.js';
import type { ObjectStore } from '../org/store.js';
import type { CompiledField } from '../schema/compile.js';
import type { ChildRelationship } from '../schema/describe.js';

/** What a query reads from an org: its object stores, raw records, formulas, indexes and clock. */
export interface QuerySource {
  /** The API version that record URLs carry (`62.0`). */
  readonly apiVersion: string;
  /** The org's clock, which date literals (`TODAY`, `LAST_N_DAYS:n`) are relative to. */
  now(): Date;
  /** The store of an object by API name (any case), or undefined. */
  storeOf(name: string): ObjectStore | undefined;
  /** The store owning an id's key prefix, or undefined. */
  storeOfId(id18: string): ObjectStore | undefined;
  /** The stored record for an id in canonical 18-character form, or undefined. */
  rawGetCanonical(id18: string): OrgRecord | undefined;
  /** The value of a formula field for a record (null when it cannot be computed). */
  computeFormula(field: CompiledField, record: OrgRecord): unknown;
  /** The child relationships that point at an object. */
  childRelationships(objectName: string): ChildRelationship[];
  /** Live records whose indexed field equals one of `values`, or undefined when the field has no index. */
  indexedRecords(store: ObjectStore, field: CompiledField, values: string[]): OrgRecord[] | undefined;
}
