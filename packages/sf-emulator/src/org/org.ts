/**
 * The in-memory org: `LocalOrg`, the one class that owns the org's state (object stores by name and key prefix,
 * definitions, the id and autonumber counters, the schema log, the open transaction) and answers the `Org` contract.
 * About 1,100 lines because its methods are the contract's many entry points (schema changes, reads, recycle bin,
 * generate, seed and persistence) over that private state; each is short and delegates the work to a module:
 * DML to `dml.ts` (with `dml-context.ts`, `dml-values.ts`, `insert-plan.ts`, `dml-write.ts`, `dml-delete.ts`,
 * typed against the `DmlHost` contract), indexes to `indexes.ts`, replication, generate plans, seed checking and
 * the saved form to modules of their own.
 */
import type {
  DmlOperation,
  DmlOptions,
  DmlResult,
  FieldDefinition,
  ObjectDefinition,
  Org,
  OrgRecord,
  QueryResult,
} from '../contract.js';
import { OrgError } from '../contract.js';
import { idFor, normalizeId, toBase62 } from '../ids.js';
import { type CompiledField, type CompiledObject, compileObject } from '../schema/compile.js';
import {
  type ChildRelationship,
  describeGlobalEntry,
  describeObject,
  type RecordTypeInfo,
} from '../schema/describe.js';
import { formulaClock } from '../schema/formula.js';
import { type BulkQueryRows, runBulkQuery, runQuery } from '../soql/engine.js';
import { type ClockInput, OrgClock } from './clock.js';
import { DML_OPERATIONS, type InsertedRows, rollback, runDml, runInsertRows } from './dml.js';
import type { DmlHost, Undo } from './dml-context.js';
import { err, fail } from './dml-results.js';
import type { GenerateResult, GenerateSpec } from './generate.js';
import { generatePlan } from './generate-plan.js';
import { duplicateOf, indexInserted, indexRecord, lookupIndex, rebuildIndexes, unindexRecord } from './indexes.js';
import { type PersistedOrg, persistableField, revivedField, type SchemaChange } from './persisted.js';
import { RecordMap } from './record-map.js';
import { logDeletion, purgeRecord, type RecycleState } from './recycle-bin.js';
import {
  deletedIds,
  type GetDeletedResult,
  type GetUpdatedResult,
  type ReplicationLimits,
  updatedIds,
} from './replication.js';
import { seedRecords } from './seed.js';
import type { ObjectStore } from './store.js';
import { formatDateTime, indexKey } from './values.js';

export type { InsertedRows } from './dml.js';
export type { PersistedOrg, SchemaChange } from './persisted.js';
export type { GetDeletedResult, GetUpdatedResult } from './replication.js';

/** A record in the recycle bin: see {@link EmulatedOrg.recycleBin}. */
export interface RecycleBinEntry {
  id: string;
  /** The object's API name. */
  object: string;
  /** When it was deleted, in REST format (`2024-01-01T00:00:00.000+0000`). */
  deletedDate: string;
}

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
  insertRows(objectName: string, columns: string[], rows: string[][], options?: DmlOptions): InsertedRows;
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

const DAY_MS = 86_400_000;
/**
 * The in-memory org. Create it with `createOrg()`, which also defines the standard objects and seeds the
 * running user and the organization record.
 *
 * @example
 * const org = createOrg();
 * org.dml('insert', 'Account', [{ Name: 'Acme' }]);
 */
export class LocalOrg implements EmulatedOrg, DmlHost {
  readonly orgId: string;
  readonly userId: string;
  readonly apiVersion: string;
  /** The org's clock: every timestamp the org writes comes from it (see {@link OrgClock}). */
  readonly clock: OrgClock;
  private readonly clockMillis: () => number;
  private readonly stores = new Map<string, ObjectStore>();
  private readonly prefixes = new Map<string, ObjectStore>();
  private readonly definitions = new Map<string, ObjectDefinition>();
  private sequence = 0;
  private readonly autoNumbers = new Map<string, number>();
  private childCache: Map<string, ChildRelationship[]> | undefined;
  /** The undo entries of the open transaction (composite allOrNone), oldest first. */
  private transactionUndo: Undo[] | undefined;
  /** Internal (DML): children deleted with their parent and lookups cleared by a deletion, for undelete. */
  readonly recycle: RecycleState = { cascadeOrigin: new Map(), clearedLookups: new Map() };

  constructor(options: {
    orgId?: string;
    userId?: string;
    sequence?: number;
    now?: () => Date;
    clock?: OrgClock;
    apiVersion?: string;
    recycleBinRetentionDays?: number;
    replicationIdLimit?: number;
  }) {
    this.recycleBinRetentionDays = options.recycleBinRetentionDays ?? 15;
    this.replicationIdLimit = options.replicationIdLimit ?? 600_000;
    const now = options.now;
    this.clock = options.clock ?? new OrgClock(undefined, now ? () => now().getTime() : Date.now);
    this.clockMillis = () => this.clock.millis();
    this.apiVersion = options.apiVersion ?? '62.0';
    this.sequence = options.sequence ?? 0;
    this.orgId = options.orgId ?? idFor('00D', 1);
    this.userId = options.userId ?? idFor('005', 1);
  }

  now(): Date {
    return this.clock.now();
  }

  /** Internal: the counter behind generated ids and its restoration. */
  get idSequence(): number {
    return this.sequence;
  }

  // ---------------------------------------------------------------- schema

  defineObject(definition: ObjectDefinition): void {
    const lower = definition.name.toLowerCase();
    const existing = this.stores.get(lower);
    let merged = definition;
    if (definition.merge && existing) {
      const base = this.definitions.get(lower) ?? existing.object.def;
      const fields = [...base.fields];
      for (const field of definition.fields) {
        const at = fields.findIndex((candidate) => candidate.name.toLowerCase() === field.name.toLowerCase());
        if (at >= 0) fields[at] = field;
        else fields.push(field);
      }
      merged = {
        ...base,
        fields,
        validationRules: [...(base.validationRules ?? []), ...(definition.validationRules ?? [])],
        recordTypes: [...(base.recordTypes ?? []), ...(definition.recordTypes ?? [])],
        merge: false,
      };
    } else if (definition.merge) {
      merged = { ...definition, merge: false };
    }
    const keyPrefix = existing?.object.keyPrefix ?? merged.keyPrefix ?? this.nextKeyPrefix();
    if (!/^[a-zA-Z0-9]{3}$/.test(keyPrefix)) {
      throw new OrgError('INVALID_TYPE', `Key prefix of ${definition.name} must be 3 letters or digits: ${keyPrefix}`);
    }
    const other = this.prefixes.get(keyPrefix);
    if (other && other.object.lower !== lower) {
      throw new OrgError(
        'INVALID_TYPE',
        `Key prefix ${keyPrefix} of ${definition.name} is used by ${other.object.name}`,
      );
    }
    const object = compileObject(merged, keyPrefix);
    this.definitions.set(lower, merged);
    const changedAt = this.clock.millis();
    this.schemaChanged.set(lower, changedAt);
    if (!existing) this.globalSchemaChanged = changedAt;
    const store: ObjectStore = existing ?? {
      object,
      records: new RecordMap(),
      indexes: new Map(),
      indexList: [],
      deleted: 0,
      deleteLog: new Map(),
      deleteLogMin: Number.POSITIVE_INFINITY,
      lastPurged: undefined,
    };
    store.object = object;
    this.stores.set(lower, store);
    this.prefixes.set(keyPrefix, store);
    rebuildIndexes(store);
    this.childCache = undefined;
    if ((merged.recordTypes?.length ?? 0) > 0) this.syncRecordTypes();
  }

  /** Per object (lower-cased name): when its definition last changed (org clock ms). */
  private readonly schemaChanged = new Map<string, number>();
  /** When an object was last added or removed (org clock ms). */
  private globalSchemaChanged = 0;

  describeLastModified(objectName?: string): Date {
    if (objectName === undefined) {
      let latest = this.globalSchemaChanged;
      for (const at of this.schemaChanged.values()) if (at > latest) latest = at;
      return new Date(latest);
    }
    const lower = objectName.toLowerCase();
    if (!this.stores.has(lower))
      throw new OrgError('NOT_FOUND', 'The requested resource does not exist', { status: 404 });
    return new Date(this.schemaChanged.get(lower) ?? 0);
  }

  addField(objectName: string, field: FieldDefinition): void {
    const store = this.requireStore(objectName);
    if (typeof field?.name !== 'string') {
      throw new OrgError('INVALID_FIELD', `${store.object.name}: a field definition needs a name and a type`);
    }
    if (store.object.byLower.has(field.name.toLowerCase())) {
      throw new OrgError(
        'DUPLICATE_DEVELOPER_NAME',
        `${store.object.name}.${field.name} exists already: remove it first, or redefine the object with merge: true to change it`,
      );
    }
    this.defineObject({ name: store.object.name, fields: [field], merge: true });
    this.schemaLog.push({ change: 'addField', object: store.object.name, field: persistableField(field) });
    const added = store.object.byLower.get(field.name.toLowerCase());
    if (added && added.type === 'boolean' && !added.isFormula) {
      for (const [id, record] of store.records) {
        if (record[added.name] === undefined) store.records.set(id, { ...record, [added.name]: added.defaultValue });
      }
    }
  }

  removeField(objectName: string, fieldName: string): void {
    const store = this.requireStore(objectName);
    const field = store.object.byLower.get(String(fieldName).toLowerCase());
    if (!field) {
      throw new OrgError('INVALID_FIELD', `No such column '${fieldName}' on sobject of type ${store.object.name}`, {
        fields: [String(fieldName)],
      });
    }
    if (!field.lower.endsWith('__c')) {
      throw new OrgError(
        'CANNOT_DELETE_FIELD',
        `${store.object.name}.${field.name} is a standard or system field: only custom fields (__c) can be removed`,
      );
    }
    const definition = this.definitions.get(store.object.lower) ?? store.object.def;
    this.defineObject({
      ...definition,
      fields: definition.fields.filter((candidate) => candidate.name.toLowerCase() !== field.lower),
      merge: false,
    });
    this.schemaLog.push({ change: 'removeField', object: store.object.name, field: field.name });
    const name = field.name;
    for (const [id, record] of store.records) {
      if (!(name in record)) continue;
      const { [name]: _removed, ...rest } = record;
      store.records.set(id, rest as OrgRecord);
    }
  }

  removeObject(objectName: string): void {
    const store = this.requireStore(objectName);
    if (!store.object.lower.endsWith('__c')) {
      throw new OrgError(
        'CANNOT_DELETE_ENTITY',
        `${store.object.name} is a standard object: only custom objects (__c) can be removed`,
      );
    }
    const referrers = this.childRelationships(store.object.name).filter(
      (relationship) => relationship.child !== store.object,
    );
    if (referrers.length > 0) {
      throw new OrgError(
        'CANNOT_DELETE_ENTITY',
        `${store.object.name} is referred to by ${referrers.map((r) => `${r.childSObject}.${r.field}`).join(', ')}: remove those fields first`,
      );
    }
    this.stores.delete(store.object.lower);
    this.prefixes.delete(store.object.keyPrefix);
    this.definitions.delete(store.object.lower);
    this.schemaChanged.delete(store.object.lower);
    this.globalSchemaChanged = this.clock.millis();
    this.childCache = undefined;
    this.schemaLog.push({ change: 'removeObject', object: store.object.name });
  }

  /** Fields added and removed (and objects removed) while running, replayed over the startup schema on restore. */
  private readonly schemaLog: SchemaChange[] = [];

  /** Replays saved schema changes; a change that no longer applies (field there already, gone already) is skipped. */
  private replaySchema(changes: SchemaChange[]): void {
    for (const change of changes) {
      const store = this.stores.get(change.object.toLowerCase());
      if (!store) continue;
      if (change.change === 'addField') {
        if (!store.object.byLower.has(change.field.name.toLowerCase()))
          this.addField(change.object, revivedField(change.field));
      } else if (change.change === 'removeField') {
        if (store.object.byLower.has(change.field.toLowerCase())) this.removeField(change.object, change.field);
      } else if (this.childRelationships(store.object.name).every((r) => r.child === store.object)) {
        this.removeObject(change.object);
      }
    }
  }

  generate(objectName: string, count: number, spec: GenerateSpec = {}): GenerateResult {
    this.purgeExpired();
    const store = this.requireStore(objectName);
    const object = store.object;
    if (!Number.isInteger(count) || count < 0) {
      throw new OrgError('INVALID_ARGUMENT', `generate: count must be a whole number >= 0, got ${String(count)}`);
    }
    if (!object.createable) {
      throw new OrgError('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${object.name} does not support insert`);
    }
    const now = this.clock.millis();
    const parents = (name: string): string[] => {
      const parent = this.stores.get(name.toLowerCase());
      if (!parent) return [];
      const ids: string[] = [];
      for (const record of parent.records.values()) if (record.IsDeleted !== true) ids.push(record.Id);
      return ids;
    };
    const { fillers, defaultValues, build, from, span, fixedStamp } = generatePlan(object, spec, {
      now,
      parents,
      defaultRecordTypeId: (target) => this.defaultRecordTypeId(target),
    });
    let lastAt = Number.NaN;
    let lastStamp = fixedStamp;
    const values = new Array<unknown>(fillers.length);
    const keys = new Array<string | undefined>(object.indexed.length);
    const checkDuplicates = object.indexed.some((field) => field.unique);
    const added: string[] = [];
    const nowDate = new Date(now);
    let firstId: string | null = null;
    let lastId: string | null = null;
    try {
      for (let index = 0; index < count; index++) {
        this.sequence += 1;
        const sequence = this.sequence;
        const id = idFor(object.keyPrefix, sequence);
        for (let position = 0; position < fillers.length; position++)
          values[position] = fillers[position]!(index, sequence);
        let stamp = fixedStamp;
        if (span > 0) {
          const at = from + Math.floor((span * index) / count);
          if (at !== lastAt) {
            lastAt = at;
            lastStamp = formatDateTime(at);
          }
          stamp = lastStamp;
        }
        const record = build(id, stamp, this.userId, values, defaultValues);
        for (const field of object.autoNumbers) record[field.name] = this.nextAutoNumber(store, field, nowDate);
        if (checkDuplicates) {
          const duplicate = duplicateOf(store, record, keys);
          if (duplicate)
            throw new OrgError(duplicate.statusCode, `generate ${object.name} record ${index}: ${duplicate.message}`);
          store.records.set(id, record);
          if (object.lateIndexKeys) indexRecord(store, record);
          else indexInserted(store, record, keys);
        } else {
          store.records.set(id, record);
          if (object.indexed.length > 0) indexRecord(store, record);
        }
        added.push(id);
        firstId ??= id;
        lastId = id;
      }
    } catch (error) {
      for (const id of added) {
        const record = store.records.get(id);
        if (record) unindexRecord(store, record);
        store.records.delete(id);
      }
      throw error;
    }
    return { object: object.name, count, firstId, lastId };
  }

  private nextKeyPrefix(): string {
    for (let n = 0; n < 62 * 62; n++) {
      const candidate = `a${toBase62(n, 2)}`;
      if (!this.prefixes.has(candidate)) return candidate;
    }
    throw new OrgError('INVALID_TYPE', 'No key prefix left for a custom object');
  }

  getObject(name: string): ObjectDefinition | undefined {
    return this.stores.get(name.toLowerCase())?.object.def;
  }

  listObjects(): ObjectDefinition[] {
    return [...this.stores.values()].map((store) => store.object.def);
  }

  compiledObject(name: string): CompiledObject | undefined {
    return this.stores.get(name.toLowerCase())?.object;
  }

  fieldName(objectName: string, field: string): string | undefined {
    return this.stores.get(objectName.toLowerCase())?.object.byLower.get(field.toLowerCase())?.name;
  }

  /** Internal: the store of an object, or undefined. */
  storeOf(name: string): ObjectStore | undefined {
    return this.stores.get(name.toLowerCase());
  }

  /** Internal: the store owning an id's key prefix. */
  storeOfId(id18: string): ObjectStore | undefined {
    return this.prefixes.get(id18.slice(0, 3));
  }

  private requireStore(name: string): ObjectStore {
    const store = this.stores.get(name.toLowerCase());
    if (!store) {
      throw new OrgError(
        'INVALID_TYPE',
        `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    return store;
  }

  childRelationships(objectName: string): ChildRelationship[] {
    if (!this.childCache) {
      const cache = new Map<string, ChildRelationship[]>();
      for (const store of this.stores.values()) {
        for (const field of store.object.references) {
          for (const target of field.referenceTo) {
            const lower = target.toLowerCase();
            const list = cache.get(lower) ?? [];
            list.push({
              childSObject: store.object.name,
              field: field.name,
              relationshipName: field.def.childRelationshipName ?? null,
              cascadeDelete: field.cascadeDelete,
              child: store.object,
              childField: field,
            });
            cache.set(lower, list);
          }
        }
      }
      this.childCache = cache;
    }
    return this.childCache.get(objectName.toLowerCase()) ?? [];
  }

  describe(name: string): Record<string, unknown> {
    const store = this.stores.get(name.toLowerCase());
    if (!store) throw new OrgError('NOT_FOUND', 'The requested resource does not exist', { status: 404 });
    const recordTypes: RecordTypeInfo[] = [];
    const rtStore = this.stores.get('recordtype');
    if (rtStore) {
      for (const record of rtStore.records.values()) {
        if (String(record.SobjectType ?? '').toLowerCase() === store.object.lower) {
          recordTypes.push({
            id: record.Id,
            name: String(record.Name ?? ''),
            developerName: String(record.DeveloperName ?? ''),
            active: record.IsActive === true,
          });
        }
      }
    }
    return describeObject(store.object, this.childRelationships(store.object.name), recordTypes, this.apiVersion);
  }

  describeGlobal(): Record<string, unknown> {
    return {
      encoding: 'UTF-8',
      maxBatchSize: 200,
      sobjects: [...this.stores.values()]
        .map((store) => describeGlobalEntry(store.object, this.apiVersion))
        .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    };
  }

  // ---------------------------------------------------------------- reads

  /** Internal: the stored record (not a copy) for an id in any form. */
  rawGet(id: string): { store: ObjectStore; record: OrgRecord } | undefined {
    const id18 = normalizeId(id);
    if (!id18) return undefined;
    const store = this.prefixes.get(id18.slice(0, 3));
    const record = store?.records.get(id18);
    if (!store || !record) return undefined;
    return { store, record };
  }

  /** Internal: the stored record for an id already in canonical 18-character form (as stored in references). */
  rawGetCanonical(id18: string): OrgRecord | undefined {
    const record = this.prefixes.get(id18.slice(0, 3))?.records.get(id18);
    return record ?? this.rawGet(id18)?.record;
  }

  /** A copy of a stored record with its formulas computed. */
  materialize(store: ObjectStore, record: OrgRecord): OrgRecord {
    const copy = { ...record };
    for (const field of store.object.formulas) copy[field.name] = this.computeFormula(field, record);
    return copy;
  }

  /** Internal: the value of a formula field for a record (null when it cannot be computed). */
  computeFormula(field: CompiledField, record: OrgRecord): unknown {
    const compute = field.def.formula?.compute;
    if (!compute) return null;
    formulaClock.millis = this.clockMillis;
    try {
      const value = compute(record);
      return value === undefined ? null : value;
    } catch {
      return null;
    }
  }

  get(id: string, options: { includeDeleted?: boolean } = {}): OrgRecord | undefined {
    this.purgeExpired();
    const found = this.rawGet(id);
    if (!found) return undefined;
    if (found.record.IsDeleted === true && !options.includeDeleted) return undefined;
    return this.materialize(found.store, found.record);
  }

  records(objectName: string, options: { includeDeleted?: boolean } = {}): OrgRecord[] {
    this.purgeExpired();
    const store = this.requireStore(objectName);
    const out: OrgRecord[] = [];
    for (const record of store.records.values()) {
      if (record.IsDeleted === true && !options.includeDeleted) continue;
      out.push(this.materialize(store, record));
    }
    return out;
  }

  findByExternalId(objectName: string, fieldName: string, value: string): OrgRecord[] {
    const store = this.requireStore(objectName);
    const field = store.object.byLower.get(fieldName.toLowerCase());
    if (!field) {
      throw new OrgError('NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${fieldName}`, {
        status: 404,
      });
    }
    if (field.type === 'id') {
      const found = this.rawGet(value);
      if (!found || found.store !== store || found.record.IsDeleted === true) return [];
      return [this.materialize(store, found.record)];
    }
    const ids = lookupIndex(store, field, value);
    if (ids === undefined) {
      // Not indexed: a scan (only for fields that are neither unique nor external ids).
      const out: OrgRecord[] = [];
      const key = indexKey(field, value);
      for (const record of store.records.values()) {
        if (record.IsDeleted !== true && indexKey(field, record[field.name]) === key) {
          out.push(this.materialize(store, record));
        }
      }
      return out;
    }
    return ids.map((id) => this.materialize(store, store.records.get(id)!));
  }

  /**
   * Internal (query planner): live records whose indexed field equals one of `values`, or undefined when the
   * field has no index.
   */
  indexedRecords(store: ObjectStore, field: CompiledField, values: string[]): OrgRecord[] | undefined {
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

  query(soql: string, options: { all?: boolean } = {}): QueryResult {
    this.purgeExpired();
    return runQuery(this, soql, options.all === true);
  }

  discardInserts(ids: string[]): void {
    for (let index = ids.length - 1; index >= 0; index--) {
      const found = this.rawGet(ids[index]!);
      if (!found) continue;
      if (found.record.IsDeleted === true) found.store.deleted--;
      else unindexRecord(found.store, found.record);
      found.store.records.delete(found.record.Id);
      found.store.deleteLog.delete(found.record.Id);
    }
  }

  bulkQuery(soql: string, options: { all?: boolean } = {}): BulkQueryRows {
    this.purgeExpired();
    return runBulkQuery(this, soql, options.all === true);
  }

  // ---------------------------------------------------------------- recycle bin and replication

  recycleBinRetentionDays: number;
  private readonly replicationIdLimit: number;

  /**
   * Drops delete log entries older than the retention and purges their records from the recycle bin. A scan runs
   * only for objects whose oldest logged deletion is due, so the check costs one comparison per object.
   */
  private purgeExpired(): void {
    const cutoff = this.clock.millis() - this.recycleBinRetentionDays * DAY_MS;
    for (const store of this.stores.values()) {
      if (store.deleteLogMin > cutoff) continue;
      let min = Number.POSITIVE_INFINITY;
      for (const [id, deletedAt] of store.deleteLog) {
        if (deletedAt > cutoff) {
          if (deletedAt < min) min = deletedAt;
          continue;
        }
        store.deleteLog.delete(id);
        if (store.lastPurged === undefined || deletedAt > store.lastPurged) store.lastPurged = deletedAt;
        const record = store.records.get(id);
        if (record?.IsDeleted === true) purgeRecord(store, record, this.recycle);
      }
      store.deleteLogMin = min;
    }
  }

  recycleBin(objectName?: string): RecycleBinEntry[] {
    this.purgeExpired();
    const stores = objectName === undefined ? [...this.stores.values()] : [this.requireStore(objectName)];
    const out: Array<RecycleBinEntry & { at: number }> = [];
    for (const store of stores) {
      if (store.deleted === 0) continue;
      for (const record of store.records.values()) {
        if (record.IsDeleted !== true) continue;
        const at = store.deleteLog.get(record.Id) ?? 0;
        out.push({ id: record.Id, object: store.object.name, deletedDate: formatDateTime(at), at });
      }
    }
    out.sort((a, b) => a.at - b.at);
    return out.map(({ id, object, deletedDate }) => ({ id, object, deletedDate }));
  }

  undelete(ids: string[]): DmlResult[] {
    return this.byObject(ids, (store, inputs) => this.dml('undelete', store.object.name, inputs));
  }

  emptyRecycleBin(ids?: string[]): DmlResult[] {
    this.purgeExpired();
    if (ids === undefined) {
      const out: DmlResult[] = [];
      for (const store of this.stores.values()) {
        if (store.deleted === 0) continue;
        for (const record of store.records.values()) {
          if (record.IsDeleted !== true) continue;
          purgeRecord(store, record, this.recycle);
          out.push({ success: true, id: record.Id, created: false, errors: [] });
        }
      }
      return out;
    }
    return ids.map((raw) => {
      const found = this.rawGet(String(raw));
      if (found?.record.IsDeleted !== true) {
        return fail(err('INVALID_ID_FIELD', `The record is not in the recycle bin: ${String(raw)}`), null);
      }
      purgeRecord(found.store, found.record, this.recycle);
      return { success: true, id: found.record.Id, created: false, errors: [] };
    });
  }

  /** Runs `run` once per object of the ids (in first-seen order) and returns the results in input order. */
  private byObject(
    ids: string[],
    run: (store: ObjectStore, inputs: Array<{ Id: string }>) => DmlResult[],
  ): DmlResult[] {
    const results: DmlResult[] = new Array(ids.length);
    const groups = new Map<ObjectStore, number[]>();
    ids.forEach((raw, index) => {
      const id18 = normalizeId(String(raw));
      const store = id18 ? this.prefixes.get(id18.slice(0, 3)) : undefined;
      if (!id18 || !store) {
        results[index] = fail(err('MALFORMED_ID', `invalid id: ${String(raw)}`, ['Id']), null);
        return;
      }
      const list = groups.get(store);
      if (list) list.push(index);
      else groups.set(store, [index]);
    });
    for (const [store, indexes] of groups) {
      const out = run(
        store,
        indexes.map((index) => ({ Id: ids[index]! })),
      );
      indexes.forEach((index, at) => {
        results[index] = out[at]!;
      });
    }
    return results;
  }

  getUpdated(objectName: string, start: ClockInput, end: ClockInput): GetUpdatedResult {
    this.purgeExpired();
    return updatedIds(this.requireStore(objectName), start, end, this.replicationLimits());
  }

  getDeleted(objectName: string, start: ClockInput, end: ClockInput): GetDeletedResult {
    this.purgeExpired();
    return deletedIds(this.requireStore(objectName), start, end, this.replicationLimits());
  }

  private replicationLimits(): ReplicationLimits {
    return { now: this.clockMillis, retentionDays: this.recycleBinRetentionDays, idLimit: this.replicationIdLimit };
  }

  // ---------------------------------------------------------------- ids

  /** Internal (DML): the next record id of an object. */
  nextId(store: ObjectStore): string {
    this.sequence += 1;
    return idFor(store.object.keyPrefix, this.sequence);
  }

  /** Internal (DML): the next value of an autonumber field. */
  nextAutoNumber(store: ObjectStore, field: CompiledField, now: Date): string {
    const key = `${store.object.lower}.${field.lower}`;
    const next = (this.autoNumbers.get(key) ?? 0) + 1;
    this.autoNumbers.set(key, next);
    const format = field.def.displayFormat ?? '{0}';
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    return format
      .replace(/\{0+\}/g, (digits) => pad(next, digits.length - 2))
      .replace(/\{YYYY\}/g, String(now.getUTCFullYear()))
      .replace(/\{YY\}/g, pad(now.getUTCFullYear() % 100, 2))
      .replace(/\{MM\}/g, pad(now.getUTCMonth() + 1, 2))
      .replace(/\{DD\}/g, pad(now.getUTCDate(), 2));
  }

  // ---------------------------------------------------------------- DML

  dml(
    operation: DmlOperation,
    objectName: string,
    records: Array<Record<string, unknown>>,
    options: DmlOptions = {},
  ): DmlResult[] {
    if (!DML_OPERATIONS.has(operation)) {
      throw new OrgError('INVALID_OPERATION', `Unknown DML operation: ${String(operation)}`);
    }
    const store = this.requireStore(objectName);
    const now = this.clock.now();
    this.purgeExpired();
    return runDml(this, store, operation, records, options, now, this.transactionUndo);
  }

  insertRows(objectName: string, columns: string[], rows: string[][], options: DmlOptions = {}): InsertedRows {
    if (options.injectError) {
      throw new OrgError(
        'INVALID_ARGUMENT',
        'insertRows takes no injectError (the hook reads input records): use dml()',
      );
    }
    const store = this.requireStore(objectName);
    const now = this.clock.now();
    this.purgeExpired();
    return runInsertRows(this, store, columns, rows, options, now, this.transactionUndo);
  }

  beginTransaction(): OrgTransaction {
    const parent = this.transactionUndo;
    const undo: Undo[] = [];
    this.transactionUndo = undo;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      if (this.transactionUndo === undo) this.transactionUndo = parent;
      return true;
    };
    return {
      commit: () => {
        // A nested transaction hands its changes to the enclosing one, which may still undo them.
        if (close() && parent) for (const entry of undo) parent.push(entry);
      },
      rollback: () => {
        if (close()) rollback(undo);
      },
    };
  }

  /** Internal: the first active record type of an object (in creation order), or undefined. */
  defaultRecordTypeId(object: CompiledObject): string | undefined {
    const recordTypes = this.stores.get('recordtype');
    if (!recordTypes) return undefined;
    for (const record of recordTypes.records.values()) {
      if (record.IsActive === true && String(record.SobjectType ?? '').toLowerCase() === object.lower) return record.Id;
    }
    return undefined;
  }

  /** Seeds the RecordType records of every object that declares `recordTypes` (once per developer name). */
  syncRecordTypes(): void {
    const recordTypes = this.stores.get('recordtype');
    if (!recordTypes) return;
    const existing = new Set<string>();
    for (const record of recordTypes.records.values()) {
      existing.add(
        `${String(record.SobjectType ?? '').toLowerCase()}/${String(record.DeveloperName ?? '').toLowerCase()}`,
      );
    }
    const toSeed: Array<Record<string, unknown>> = [];
    for (const store of this.stores.values()) {
      for (const recordType of store.object.def.recordTypes ?? []) {
        const key = `${store.object.lower}/${recordType.developerName.toLowerCase()}`;
        if (existing.has(key)) continue;
        existing.add(key);
        toSeed.push({
          Name: recordType.label ?? recordType.developerName,
          DeveloperName: recordType.developerName,
          SobjectType: store.object.name,
          IsActive: recordType.active !== false,
          Description: recordType.description ?? null,
        });
      }
    }
    if (toSeed.length > 0) this.seed('RecordType', toSeed);
  }

  // ---------------------------------------------------------------- seed and persistence

  seed(objectName: string, records: Array<Record<string, unknown>>): OrgRecord[] {
    const store = this.requireStore(objectName);
    const object = store.object;
    const timestamp = formatDateTime(this.clock.millis());
    const prepared = seedRecords(store, records);
    const now = this.clock.now();
    const out: OrgRecord[] = [];
    for (const record of prepared) {
      record.Id ??= this.nextId(store);
      for (const field of object.defaults)
        if (record[field.name] === undefined) record[field.name] = field.defaultValue;
      if (object.hasIsDeleted && record.IsDeleted === undefined) record.IsDeleted = false;
      record.CreatedDate ??= timestamp;
      record.CreatedById ??= this.userId;
      record.LastModifiedDate ??= record.CreatedDate;
      record.LastModifiedById ??= record.CreatedById;
      record.SystemModstamp ??= record.LastModifiedDate;
      if (object.hasOwner) record.OwnerId ??= this.userId;
      const nameField = object.nameField;
      if (object.custom && nameField && !nameField.isAutoNumber && !nameField.isFormula) {
        if (record[nameField.name] === undefined || record[nameField.name] === null)
          record[nameField.name] = record.Id.slice(0, 15);
      }
      for (const field of object.autoNumbers) {
        if (record[field.name] === undefined) record[field.name] = this.nextAutoNumber(store, field, now);
      }
      store.records.set(record.Id, record);
      if (record.IsDeleted === true) store.deleted++;
      else indexRecord(store, record);
      out.push(this.materialize(store, record));
    }
    return out;
  }

  toJSON(): unknown {
    const records: Record<string, OrgRecord[]> = {};
    for (const store of this.stores.values()) {
      if (store.records.size > 0) records[store.object.name] = [...store.records.values()];
    }
    return { ...this.persistedMeta(), records };
  }

  /**
   * Internal (streamed persistence): the state of {@link toJSON} without the records, which
   * {@link persistedRecords} yields one by one.
   */
  persistedMeta(): PersistedOrg {
    const objects = [...this.definitions.values()].map((definition) => ({
      ...definition,
      keyPrefix: this.stores.get(definition.name.toLowerCase())?.object.keyPrefix,
      validationRules: undefined,
    }));
    return {
      format: 'kicksaw-sf-emulator-org',
      version: 1,
      orgId: this.orgId,
      userId: this.userId,
      sequence: this.sequence,
      autoNumbers: Object.fromEntries(this.autoNumbers),
      objects: JSON.parse(JSON.stringify(objects)) as ObjectDefinition[],
      records: {},
      deleteLog: Object.fromEntries(
        [...this.stores.values()]
          .filter((store) => store.deleteLog.size > 0 || store.lastPurged !== undefined)
          .map((store) => [store.object.name, { entries: [...store.deleteLog], lastPurged: store.lastPurged ?? null }]),
      ),
      recycleBinRetentionDays: this.recycleBinRetentionDays,
      schemaChanges: this.schemaLog,
    };
  }

  /** Internal (streamed persistence): every stored record with its object's name, object by object. */
  *persistedRecords(): Generator<[string, OrgRecord]> {
    for (const store of this.stores.values()) {
      for (const record of store.records.values()) yield [store.object.name, record];
    }
  }

  /** Internal: restores records and counters from {@link toJSON} output (objects already defined win). */
  restore(state: PersistedOrg): void {
    for (const definition of state.objects ?? []) {
      if (!this.stores.has(definition.name.toLowerCase())) this.defineObject(definition);
    }
    this.replaySchema(state.schemaChanges ?? []);
    for (const store of this.stores.values()) store.records.clear();
    for (const [name, list] of Object.entries(state.records ?? {})) {
      const store = this.stores.get(name.toLowerCase());
      if (!store) continue;
      for (const record of list) store.records.set(record.Id, record);
    }
    for (const store of this.stores.values()) rebuildIndexes(store);
    for (const [name, log] of Object.entries(state.deleteLog ?? {})) {
      const store = this.stores.get(name.toLowerCase());
      if (!store) continue;
      for (const [id, at] of log.entries) logDeletion(store, id, at);
      store.lastPurged = log.lastPurged ?? undefined;
    }
    this.sequence = Math.max(this.sequence, state.sequence ?? 0);
    for (const [key, value] of Object.entries(state.autoNumbers ?? {})) this.autoNumbers.set(key, value);
  }
}
