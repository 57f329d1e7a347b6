/**
 * The org's public contract as the emulator uses it: `EmulatedOrg` (the `Org` contract plus the emulator's members),
 * the options of `createOrg()` and an open transaction. Types only; `LocalOrg` (org.ts)
 * implements them. About 200 lines because each member carries its TSDoc with an example.
 */
import type { DmlResult, FieldDefinition, ObjectDefinition, Org, OrgRecord } from '../contract.js';
import type { CompiledObject } from '../schema/compile.js';
import type { ChildRelationship } from '../schema/describe.js';
import type { BulkQueryRows } from '../soql/engine.js';
import type { ClockInput, OrgClock } from './clock.js';
import type { InsertedRows, InsertRowsOptions } from './dml.js';
import type { GenerateResult, GenerateSpec } from './generate.js';
import type { RecycleBinEntry } from './recycle-bin.js';
import type { GetDeletedResult, GetUpdatedResult } from './replication.js';

/**
 * Options of `createOrg()`.
 *
 * @example
 * const options: CreateOrgOptions = { integrationObjects: true, sfdxProject: './my-project', apiVersion: '62.0' };
 */
export interface CreateOrgOptions {
  /** Custom objects (or extensions of standard objects with `merge: true`). */
  objects?: ObjectDefinition[];
  /** Adds Integration__c, IntegrationExecution__c and IntegrationError__c. */
  integrationObjects?: boolean;
  /** An SFDX project directory whose `force-app/**\/objects` metadata defines objects and fields. */
  sfdxProject?: string;
  /** Records to seed, by object name (parents before children). */
  seed?: Record<string, Array<Record<string, unknown>>>;
  /**
   * The org's clock: an instant to fix it at (`Date` or ISO 8601 string), or a ready {@link OrgClock}. Absent,
   * it runs in real time. Set, advance or release it later through `org.clock`.
   */
  clock?: ClockInput | OrgClock;
  /** The real-time source of the clock (default `() => new Date()`); ignored when `clock` is an {@link OrgClock}. */
  now?: () => Date;
  /** A state written by `org.toJSON()`: records, counters and custom object definitions. */
  fromJSON?: unknown;
  /** API version of record `attributes.url`. Default '62.0'. */
  apiVersion?: string;
  /** The running user's username. Default `admin@kicksaw.local`. */
  username?: string;
  /** The running user's email. Default `admin@kicksaw.local`. */
  userEmail?: string;
  /** The organization's name. Default `Kicksaw Local Org`. */
  orgName?: string;
  /** Days a deleted record stays in the recycle bin (and in the delete log), on the org's clock. Default 15. */
  recycleBinRetentionDays?: number;
  /** Most ids one replication call (`updated` / `deleted`) answers before EXCEEDED_ID_LIMIT. Default 600,000. */
  replicationIdLimit?: number;
}

/**
 * The org as the emulator uses it: the {@link Org} contract plus its optional members, always present.
 *
 * @example
 * const org: EmulatedOrg = createOrg();
 * org.findByExternalId('Account', 'Id', org.userId); // []
 */
export interface EmulatedOrg extends Org {
  readonly apiVersion: string;
  findByExternalId(objectName: string, field: string, value: string): OrgRecord[];
  /** Child relationships of an object (describe's `childRelationships`). */
  childRelationships(objectName: string): ChildRelationship[];
  /** The compiled object (fields by lower-cased name, relationships, flags), for the HTTP layer. */
  compiledObject(objectName: string): CompiledObject | undefined;
  /** Resolves a field name (case-insensitive) to its canonical name; undefined when unknown. */
  fieldName(objectName: string, field: string): string | undefined;
  /** The current time of the org's clock. */
  now(): Date;
  /**
   * The org's controllable clock: every timestamp the org writes (CreatedDate, LastModifiedDate, SystemModstamp,
   * deletion dates) and "now" of SOQL date literals, formulas and the recycle bin's retention come from it.
   *
   * @example
   * org.clock.set('2024-01-01T00:00:00Z');
   * org.dml('insert', 'Account', [{ Name: 'Acme' }]); // CreatedDate 2024-01-01T00:00:00.000+0000
   * org.clock.advance(60_000);
   */
  readonly clock: OrgClock;
  /**
   * Days a deleted record stays in the recycle bin and in the delete log the replication API reads, measured on
   * the org's clock (default 15). Settable; records past it are purged at the next call that reads or writes.
   */
  recycleBinRetentionDays: number;
  /**
   * The records in the recycle bin (soft-deleted, visible to queryAll), oldest deletion first; of one object or all.
   *
   * @example
   * org.dml('delete', 'Account', [{ Id: id }]);
   * org.recycleBin('Account'); // [{ id, object: 'Account', deletedDate: '2024-01-01T00:00:00.000+0000' }]
   */
  recycleBin(objectName?: string): RecycleBinEntry[];
  /**
   * Restores records from the recycle bin (with the children deleted with them), like Apex `undelete`. Results in
   * input order; an id that is not in the bin fails with UNDELETE_FAILED.
   *
   * @example
   * org.undelete([id]); // [{ success: true, id, created: false, errors: [] }]
   */
  undelete(ids: string[]): DmlResult[];
  /**
   * Empties the recycle bin (Apex/SOAP `emptyRecycleBin`): the given records, or every record in it. Emptied records
   * are gone from every query; the delete log keeps them until the retention passes, as it does hard deletes.
   * An id that is not in the bin fails with INVALID_ID_FIELD.
   *
   * @example
   * org.emptyRecycleBin(); // every record in the bin
   */
  emptyRecycleBin(ids?: string[]): DmlResult[];
  /**
   * The replication API's updated records: ids of live records whose SystemModstamp is in [start, end), both
   * truncated to the minute. Throws OrgError INVALID_REPLICATION_DATE (start not before end, start more than 30
   * days back) or EXCEEDED_ID_LIMIT.
   *
   * @example
   * org.getUpdated('Account', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'); // { ids, latestDateCovered }
   */
  getUpdated(objectName: string, start: ClockInput, end: ClockInput): GetUpdatedResult;
  /**
   * The replication API's deleted records: delete log entries with a deletion time in [start, end), both truncated
   * to the minute. Throws OrgError INVALID_REPLICATION_DATE (start not before end, start older than the retention,
   * the log purged past the window's end) or EXCEEDED_ID_LIMIT.
   *
   * @example
   * org.getDeleted('Account', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z');
   * // { deletedRecords: [{ id, deletedDate }], earliestDateAvailable, latestDateCovered }
   */
  getDeleted(objectName: string, start: ClockInput, end: ClockInput): GetDeletedResult;
  /**
   * Adds a field to an object while the org runs (schema drift). Existing records read it as null (checkboxes:
   * their default, as Salesforce backfills them). The object's describe changes, with a new `Last-Modified` and
   * `ETag`. Throws OrgError when the object is unknown, the field exists or the definition is invalid.
   *
   * @example
   * org.addField('Account', { name: 'Tier__c', type: 'picklist', picklistValues: ['Gold', 'Silver'] });
   */
  addField(objectName: string, field: FieldDefinition): void;
  /**
   * Removes a custom field (`__c`) from an object and its values from every record; standard and system fields
   * cannot be removed. Throws OrgError when the object or field is unknown.
   *
   * @example
   * org.removeField('Account', 'Tier__c');
   */
  removeField(objectName: string, fieldName: string): void;
  /**
   * Removes a custom object (`__c`) with its records. Throws OrgError when another object still refers to it
   * (remove those reference fields first) or when it is a standard object.
   *
   * @example
   * org.removeObject('Invoice__c');
   */
  removeObject(objectName: string): void;
  /**
   * When the describe of an object (or, without a name, the list of objects) last changed, on the org's clock:
   * the describe's `Last-Modified` header. Throws NOT_FOUND for an unknown object.
   *
   * @example
   * org.addField('Account', { name: 'Tier__c', type: 'string' });
   * org.describeLastModified('Account'); // the org clock's time of the change
   */
  describeLastModified(objectName?: string): Date;
  /**
   * Populates an object fast (a benchmark's starting point in seconds, not minutes of inserts): `count` records with
   * the name field, the required fields and `spec.fields` filled from their types, `spec.values` as given,
   * timestamps at the clock's now or spread over a range. Values are checked by type and unique fields stay unique;
   * validation rules and required-field checks are skipped (as `seed` skips them). All or nothing.
   *
   * @example
   * org.generate('Account', 1_000_000, { fields: ['Phone', 'Industry', 'AnnualRevenue'] });
   * org.generate('Contact', 1000, { values: { LastName: (i) => `Doe ${i}` } }); // AccountId: not filled unless asked
   */
  generate(objectName: string, count: number, spec?: GenerateSpec): GenerateResult;
  /**
   * Runs a query the way a Bulk API 2.0 query job does (for the HTTP layer): the matching stored records and column
   * readers, no REST-shaped copies. Throws OrgError INVALIDJOB for what Bulk query refuses (child subqueries,
   * aggregate functions, GROUP BY, OFFSET, TYPEOF).
   */
  bulkQuery(soql: string, options?: { all?: boolean }): BulkQueryRows;
  /**
   * Internal (Bulk ingest): `dml('insert', ...)` of CSV rows under one header (`options.csvValues` applies), the rows'
   * cells coerced straight into stored records without an input record each; the outcomes of `dml` kept compactly
   * (ids, flags, failed rows' results). Without `injectError` (the fault hook reads input records: use `dml`).
   */
  insertRows(objectName: string, columns: string[], rows: string[][], options?: InsertRowsOptions): InsertedRows;
  /**
   * Internal (Bulk ingest): `dml('upsert', ...)` of CSV rows under one header by `options.externalIdField`: rows whose
   * external id no record has take the path of `insertRows`, the others `dml`'s with an input record; the outcomes
   * kept compactly. Without `injectError`.
   */
  upsertRows(objectName: string, columns: string[], rows: string[][], options?: InsertRowsOptions): InsertedRows;
  /** Internal (all-or-nothing calls over several objects): removes records just inserted, leaving no trace. */
  discardInserts(ids: string[]): void;
  /**
   * Internal (composite `allOrNone`, collections over several objects): from now on every DML is recorded so that
   * `rollback()` undoes all of it, across calls and objects; `commit()` keeps it (inside an enclosing transaction, which
   * can still undo it). DML of concurrent HTTP requests made while one is open lands in it too.
   */
  beginTransaction(): OrgTransaction;
}

/** An open all-or-nothing unit of DML (see {@link EmulatedOrg.beginTransaction}). */
export interface OrgTransaction {
  commit(): void;
  rollback(): void;
}
