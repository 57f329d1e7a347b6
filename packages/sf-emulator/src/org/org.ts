/**
 * The in-memory org: object definitions, records, value indexes, DML with Salesforce's validation, and
 * SOQL through the query engine in `../soql`.
 * Still long (about 2,000 lines) because DML (insert, update, upsert, delete, undelete, cascades, rollback) works on
 * the class's private state throughout; replication, generate plans, seed checking, DML columns and the saved form
 * live in modules of their own beside it.
 */
import type {
  DmlError,
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
import { type Column, missingRequired, resolveColumn } from './columns.js';
import { err, fail, isError, ROLLED_BACK } from './dml-results.js';
import type { GenerateResult, GenerateSpec } from './generate.js';
import { generatePlan } from './generate-plan.js';
import { type PersistedOrg, persistableField, revivedField, type SchemaChange } from './persisted.js';
import {
  deletedIds,
  type GetDeletedResult,
  type GetUpdatedResult,
  type ReplicationLimits,
  updatedIds,
} from './replication.js';
import { seedRecords } from './seed.js';
import type { ObjectStore } from './store.js';
import { SYSTEM_LITERAL_KEYS } from './system-fields.js';
import { coerceValue, formatDateTime, indexKey, ValueProblem } from './values.js';

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

const DML_OPERATIONS = new Set<string>(['insert', 'update', 'upsert', 'delete', 'hardDelete', 'undelete']);

type Undo = { store: ObjectStore; id: string; before: OrgRecord | undefined };

interface DmlContext {
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

/**
 * A compiled insert for inputs whose keys are all plain createable fields, in one order: the values are
 * coerced into `values`, then `build` creates the stored record as one object literal with every property
 * in place (system fields first, then the columns in input order, as the generic path orders them), so
 * no property backing store grows row by row. Any other input (other keys, a skipped value) takes the
 * generic path.
 */
interface InsertPlan {
  keys: string[];
  fields: CompiledField[];
  values: unknown[];
  build: (timestamp: string, userId: string, values: unknown[]) => OrgRecord;
}

/** Compiled inserts by object and input key list (a redefined object compiles afresh). */
const INSERT_PLANS = new WeakMap<CompiledObject, Map<string, InsertPlan | null>>();

/**
 * The in-memory org. Create it with `createOrg()`, which also defines the standard objects and seeds the
 * running user and the organization record.
 *
 * @example
 * const org = createOrg();
 * org.dml('insert', 'Account', [{ Name: 'Acme' }]);
 */
export class LocalOrg implements EmulatedOrg {
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
      records: new Map(),
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
    this.rebuildIndexes(store);
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
          const duplicate = this.duplicateOf(store, record, keys);
          if (duplicate)
            throw new OrgError(duplicate.statusCode, `generate ${object.name} record ${index}: ${duplicate.message}`);
          store.records.set(id, record);
          this.indexRecord(store, record, object.lateIndexKeys ? undefined : keys);
        } else {
          store.records.set(id, record);
          if (object.indexed.length > 0) this.indexRecord(store, record);
        }
        added.push(id);
        firstId ??= id;
        lastId = id;
      }
    } catch (error) {
      for (const id of added) {
        const record = store.records.get(id);
        if (record) this.unindexRecord(store, record);
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

  private rebuildIndexes(store: ObjectStore): void {
    store.indexes = new Map();
    store.deleted = 0;
    store.indexList = store.object.indexed.map((field) => {
      const index = new Map<string, string | string[]>();
      store.indexes.set(field.lower, index);
      return index;
    });
    for (const record of store.records.values()) {
      if (record.IsDeleted === true) store.deleted++;
      else this.indexRecord(store, record);
    }
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
    const ids = this.lookupIndex(store, field, value);
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
      for (const id of this.lookupIndex(store, field, value) ?? []) {
        if (seen.has(id)) continue;
        seen.add(id);
        const record = store.records.get(id);
        if (record) out.push(record);
      }
    }
    return out;
  }

  /** Ids of live records whose indexed field has `value`; undefined when the field has no index. */
  private lookupIndex(store: ObjectStore, field: CompiledField, value: unknown): string[] | undefined {
    const index = store.indexes.get(field.lower);
    if (!index) return undefined;
    const key = indexKey(field, value);
    if (key === undefined) return [];
    const hit = index.get(key);
    if (hit === undefined) return [];
    return typeof hit === 'string' ? [hit] : hit;
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
      else this.unindexRecord(found.store, found.record);
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

  private logDeletion(store: ObjectStore, id: string, millis: number): void {
    store.deleteLog.set(id, millis);
    if (millis < store.deleteLogMin) store.deleteLogMin = millis;
  }

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
        if (record?.IsDeleted === true) this.purgeRecord(store, record);
      }
      store.deleteLogMin = min;
    }
  }

  /** Removes a record of the recycle bin for good (it stays in the delete log). */
  private purgeRecord(store: ObjectStore, record: OrgRecord): void {
    store.records.delete(record.Id);
    store.deleted--;
    this.cascadeOrigin.delete(record.Id);
    this.clearedLookups.delete(record.Id);
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
          this.purgeRecord(store, record);
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
      this.purgeRecord(found.store, found.record);
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

  // ---------------------------------------------------------------- indexes

  /** Adds a live record to the value indexes; `keys` are the precomputed index keys (aligned with `indexed`). */
  private indexRecord(store: ObjectStore, record: OrgRecord, keys?: Array<string | undefined>): void {
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

  private unindexRecord(store: ObjectStore, record: OrgRecord): void {
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
  private duplicateOf(
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

  // ---------------------------------------------------------------- ids

  private nextId(store: ObjectStore): string {
    this.sequence += 1;
    return idFor(store.object.keyPrefix, this.sequence);
  }

  private nextAutoNumber(store: ObjectStore, field: CompiledField, now: Date): string {
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
    const context: DmlContext = {
      store,
      csv: options.csvValues === true,
      timestamp: formatDateTime(now.getTime()),
      millis: now.getTime(),
      columns: new Map(),
      undo: options.allOrNone || this.transactionUndo ? [] : undefined,
      insertPlan: undefined,
      indexKeys: new Array<string | undefined>(store.object.indexed.length),
      defaultRecordTypeId: store.object.byLower.has('recordtypeid')
        ? this.defaultRecordTypeId(store.object)
        : undefined,
    };
    const results: DmlResult[] = new Array(records.length);
    let extField: CompiledField | undefined;
    let duplicates: Set<string> | undefined;
    if (operation === 'upsert') {
      extField = this.upsertField(store, options.externalIdField);
      if (options.rejectDuplicateExternalIds && extField.type !== 'id') {
        duplicates = this.duplicateKeys(context, records, extField);
      }
    }
    const deletedIds: string[] = [];
    for (let index = 0; index < records.length; index++) {
      const record = records[index]!;
      const injected = options.injectError?.(record, index);
      if (injected) {
        results[index] = fail(injected, this.idOfInput(record));
        continue;
      }
      switch (operation) {
        case 'insert':
          results[index] = this.insertOne(context, record, now);
          break;
        case 'update':
          results[index] = this.updateOne(context, record);
          break;
        case 'upsert':
          results[index] = this.upsertOne(context, record, extField!, duplicates, now);
          break;
        case 'delete':
          results[index] = this.deleteOne(context, record, deletedIds);
          break;
        case 'hardDelete':
          results[index] = this.hardDeleteOne(context, record);
          break;
        case 'undelete':
          results[index] = this.undeleteOne(context, record);
          break;
        default:
          throw new OrgError('INVALID_OPERATION', `Unknown DML operation: ${String(operation)}`);
      }
    }
    const anyFailed = results.some((result) => !result.success);
    if (context.undo && options.allOrNone && anyFailed) {
      this.rollback(context.undo);
      return results.map((result) => (result.success ? fail(ROLLED_BACK) : result));
    }
    if (deletedIds.length > 0) this.cascadeDelete(store, deletedIds, context);
    if (this.transactionUndo && context.undo) {
      for (const entry of context.undo) this.transactionUndo.push(entry);
    }
    return results;
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
        if (close()) this.rollback(undo);
      },
    };
  }

  private idOfInput(record: Record<string, unknown>): string | null {
    const raw = record.Id ?? record.id;
    return typeof raw === 'string' ? (normalizeId(raw) ?? null) : null;
  }

  private upsertField(store: ObjectStore, name: string | undefined): CompiledField {
    const field = store.object.byLower.get((name ?? 'Id').toLowerCase());
    if (!field || !(field.type === 'id' || field.externalId)) {
      throw new OrgError(
        'INVALID_FIELD',
        `Provided external ID field does not exist or is not accessible: ${name ?? 'Id'}`,
        { status: 404, fields: name ? [name] : [] },
      );
    }
    return field;
  }

  /** Index keys of the external id that occur more than once in one call. */
  private duplicateKeys(
    context: DmlContext,
    records: Array<Record<string, unknown>>,
    extField: CompiledField,
  ): Set<string> {
    const seen = new Set<string>();
    const dups = new Set<string>();
    for (const record of records) {
      const raw = this.extValueOf(context, record, extField);
      if (typeof raw !== 'string' && typeof raw !== 'number') continue;
      if (context.csv && raw === '#N/A') continue;
      const key = indexKey(extField, raw);
      if (key === undefined) continue;
      if (seen.has(key)) dups.add(key);
      else seen.add(key);
    }
    return dups;
  }

  private extValueOf(context: DmlContext, record: Record<string, unknown>, extField: CompiledField): unknown {
    if (extField.name in record) return record[extField.name];
    for (const key in record) {
      const column = this.column(context, key);
      if (column.kind === 'field' && column.field === extField) return record[key];
    }
    return undefined;
  }

  private column(context: DmlContext, key: string): Column {
    let column = context.columns.get(key);
    if (column) return column;
    column = resolveColumn(context.store.object, key, (name) => this.stores.get(name.toLowerCase())?.object);
    context.columns.set(key, column);
    return column;
  }

  /**
   * Applies incoming values onto `target` (a new record or a copy of an existing one).
   * Returns an error, or undefined on success.
   */
  private applyValues(
    context: DmlContext,
    input: Record<string, unknown>,
    target: OrgRecord | Record<string, unknown>,
    mode: 'insert' | 'update',
  ): DmlError | undefined {
    const csv = context.csv;
    for (const key in input) {
      const column = this.column(context, key);
      if (column.kind === 'attributes') continue;
      if (column.kind === 'error') return column.error;
      let raw = input[key];
      if (csv && typeof raw === 'string') {
        if (raw === '') continue;
        if (raw === '#N/A') raw = null;
      }
      if (raw === undefined) continue;
      if (column.kind === 'field') {
        const field = column.field;
        if (field.type === 'id') {
          if (mode === 'insert') {
            if (raw === null || raw === '') continue;
            return err('INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id']);
          }
          continue;
        }
        if (mode === 'insert' ? !field.createable : !field.updateable) {
          return err(
            'INVALID_FIELD_FOR_INSERT_UPDATE',
            `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
            [field.name],
          );
        }
        const value = coerceValue(field, raw, csv);
        if (value instanceof ValueProblem) return value.error;
        if (field.type === 'reference' && value !== null) {
          const checked = this.checkReference(field, value as string, context.store.object);
          if (typeof checked !== 'string') return checked;
          target[field.name] = checked;
        } else {
          target[field.name] = value;
        }
        continue;
      }
      // Relationship by external id: `Account.External_Id__c` column or nested `{ Account: { Ext__c: v } }`.
      const field = column.field;
      if (mode === 'insert' ? !field.createable : !field.updateable) {
        return err(
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          [field.name],
        );
      }
      let target2: CompiledObject;
      let targetField: CompiledField;
      let lookup: unknown = raw;
      if (column.kind === 'relationship') {
        target2 = column.target;
        targetField = column.targetField;
      } else {
        if (raw === null) {
          target[field.name] = null;
          continue;
        }
        if (typeof raw !== 'object' || Array.isArray(raw)) {
          return err('INVALID_FIELD', `Cannot deserialize instance of ${field.relationshipName} from value ${raw}`, [
            field.name,
          ]);
        }
        const nested = raw as Record<string, unknown>;
        const keys = Object.keys(nested).filter((name) => name !== 'attributes');
        const objectName = (nested.attributes as { type?: string } | undefined)?.type ?? field.referenceTo[0] ?? '';
        const found = this.stores.get(objectName.toLowerCase())?.object;
        const nestedField = keys.length === 1 ? found?.byLower.get(keys[0]!.toLowerCase()) : undefined;
        if (!found || !nestedField || !(nestedField.idLookup || nestedField.externalId)) {
          return err(
            'INVALID_FIELD',
            `The relationship ${field.relationshipName} must name exactly one external ID field of ${objectName}`,
            [field.name],
          );
        }
        target2 = found;
        targetField = nestedField;
        lookup = nested[keys[0]!];
      }
      if (lookup === null) {
        target[field.name] = null;
        continue;
      }
      const resolved = this.resolveByExternalId(target2, targetField, lookup, field);
      if (typeof resolved !== 'string') return resolved;
      target[field.name] = resolved;
    }
    return undefined;
  }

  private resolveByExternalId(
    object: CompiledObject,
    field: CompiledField,
    value: unknown,
    reference: CompiledField,
  ): string | DmlError {
    const store = this.stores.get(object.lower)!;
    const text = String(value);
    if (field.type === 'id') {
      const found = this.rawGet(text);
      if (!found || found.store !== store) {
        return err(
          'INVALID_FIELD',
          `Foreign key external ID: ${text} not found for field Id in entity ${object.name}`,
          [reference.name],
        );
      }
      return found.record.Id;
    }
    let ids = this.lookupIndex(store, field, text);
    if (ids === undefined) {
      ids = [];
      const key = indexKey(field, text);
      for (const record of store.records.values()) {
        if (record.IsDeleted !== true && indexKey(field, record[field.name]) === key) ids.push(record.Id);
      }
    }
    if (ids.length === 0) {
      return err(
        'INVALID_FIELD',
        `Foreign key external ID: ${text} not found for field ${field.name} in entity ${object.name}`,
        [reference.name],
      );
    }
    if (ids.length > 1) {
      return err(
        'INVALID_FIELD',
        `More than 1 record found for External ID field ${field.name} with value ${text} in entity ${object.name}`,
        [reference.name],
      );
    }
    return ids[0]!;
  }

  /** Checks a reference value: a well-formed id of one of the referenced objects, existing and not deleted. */
  private checkReference(field: CompiledField, value: string, owner: CompiledObject): string | DmlError {
    const id18 = normalizeId(value);
    if (!id18) return err('MALFORMED_ID', `${field.label}: id value of incorrect type: ${value}`, [field.name]);
    const store = this.prefixes.get(id18.slice(0, 3));
    const allowed = store !== undefined && field.referenceTo.some((name) => name.toLowerCase() === store.object.lower);
    if (!allowed) {
      return err('FIELD_INTEGRITY_EXCEPTION', `${field.label}: id value of incorrect type: ${value}`, [field.name]);
    }
    const record = store.records.get(id18);
    if (!record) {
      return err('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', []);
    }
    if (record.IsDeleted === true) return err('ENTITY_IS_DELETED', 'entity is deleted', [field.name]);
    if (store.object.lower === 'recordtype' && field.lower === 'recordtypeid') {
      const fits = String(record.SobjectType ?? '').toLowerCase() === owner.lower && record.IsActive === true;
      if (!fits) {
        return err('INVALID_CROSS_REFERENCE_KEY', `${field.label}: this ID value isn't valid for the user: ${value}`, [
          field.name,
        ]);
      }
    }
    return id18;
  }

  /** The first active record type of an object (in creation order), or undefined. */
  private defaultRecordTypeId(object: CompiledObject): string | undefined {
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

  private runValidationRules(
    store: ObjectStore,
    record: OrgRecord,
    operation: 'insert' | 'update',
  ): DmlError | undefined {
    const rules = store.object.def.validationRules;
    if (!rules || rules.length === 0) return undefined;
    const view = this.materialize(store, record);
    for (const rule of rules) {
      let message: string | undefined;
      try {
        message = rule(view, { operation });
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      if (message) return err('FIELD_CUSTOM_VALIDATION_EXCEPTION', message, []);
    }
    return undefined;
  }

  /** The compiled insert for the key set of `input` (cached per object), or null for the generic path. */
  private compileInsert(context: DmlContext, input: Record<string, unknown>): InsertPlan | null {
    const object = context.store.object;
    let plans = INSERT_PLANS.get(object);
    if (!plans) {
      plans = new Map();
      INSERT_PLANS.set(object, plans);
    }
    const signature = Object.keys(input).join('\n');
    let plan = plans.get(signature);
    if (plan === undefined) {
      plan = this.buildInsertPlan(context, input);
      if (plans.size >= 100) plans.clear();
      plans.set(signature, plan);
    }
    return plan;
  }

  private buildInsertPlan(context: DmlContext, input: Record<string, unknown>): InsertPlan | null {
    const object = context.store.object;
    const keys: string[] = [];
    const fields: CompiledField[] = [];
    const seen = new Set<CompiledField>();
    for (const key in input) {
      const column = this.column(context, key);
      if (column.kind !== 'field') return null;
      const field = column.field;
      if (field.type === 'id' || !field.createable || seen.has(field) || SYSTEM_LITERAL_KEYS.has(field.lower)) {
        return null;
      }
      seen.add(field);
      keys.push(key);
      fields.push(field);
    }
    if (fields.length === 0 || fields.length > 200) return null;
    const parts = object.hasIsDeleted ? ["Id: ''", 'IsDeleted: false'] : ["Id: ''"];
    parts.push(
      'CreatedDate: ts',
      'CreatedById: user',
      'LastModifiedDate: ts',
      'LastModifiedById: user',
      'SystemModstamp: ts',
    );
    for (let index = 0; index < fields.length; index++)
      parts.push(`${JSON.stringify(fields[index]!.name)}: v[${index}]`);
    // OwnerId goes last, where the generic path adds it, when no default would come before it.
    const ownerLast =
      object.hasOwner &&
      object.defaults.every(
        (field) =>
          seen.has(field) ||
          (field.lower === 'isdeleted'
            ? object.hasIsDeleted
            : field.lower !== 'ownerid' && field.lower !== 'id' && SYSTEM_LITERAL_KEYS.has(field.lower)),
      ) &&
      !object.requiredOnCreate.some((field) => field.lower === 'ownerid');
    if (ownerLast) parts.push('OwnerId: user');
    const build = new Function('ts', 'user', 'v', `return { ${parts.join(', ')} };`) as InsertPlan['build'];
    return { keys, fields, values: new Array<unknown>(fields.length), build };
  }

  /**
   * Coerces the input's values into `plan.values`: true when done, false when the input needs the generic
   * path (other keys, a value the generic path skips), or the first error (the one the generic path gives).
   */
  private plannedValues(context: DmlContext, plan: InsertPlan, input: Record<string, unknown>): boolean | DmlError {
    const keys = plan.keys;
    const width = keys.length;
    let position = 0;
    for (const key in input) {
      if (position >= width || key !== keys[position]) return false;
      position++;
    }
    if (position !== width) return false;
    const csv = context.csv;
    const fields = plan.fields;
    const values = plan.values;
    for (let index = 0; index < width; index++) {
      let raw = input[keys[index]!];
      if (csv && typeof raw === 'string') {
        if (raw === '') return false;
        if (raw === '#N/A') raw = null;
      }
      if (raw === undefined) return false;
      const field = fields[index]!;
      const value = coerceValue(field, raw, csv);
      if (value instanceof ValueProblem) return value.error;
      if (field.type === 'reference' && value !== null) {
        const checked = this.checkReference(field, value as string, context.store.object);
        if (typeof checked !== 'string') return checked;
        values[index] = checked;
      } else {
        values[index] = value;
      }
    }
    return true;
  }

  private insertOne(context: DmlContext, input: Record<string, unknown>, now: Date): DmlResult {
    const store = context.store;
    const object = store.object;
    if (!object.createable) {
      return fail(err('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${object.name} does not support insert`));
    }
    const timestamp = context.timestamp;
    const userId = this.userId;
    if (context.insertPlan === undefined) context.insertPlan = this.compileInsert(context, input);
    const plan = context.insertPlan;
    if (plan !== null) {
      const planned = this.plannedValues(context, plan, input);
      if (planned === true) return this.finishInsert(context, plan.build(timestamp, userId, plan.values), now);
      if (planned !== false) return fail(planned);
    }
    // One literal with the system fields first: a stable shape and fewer property-store reallocations.
    const record = (
      object.hasIsDeleted
        ? {
            Id: '',
            IsDeleted: false,
            CreatedDate: timestamp,
            CreatedById: userId,
            LastModifiedDate: timestamp,
            LastModifiedById: userId,
            SystemModstamp: timestamp,
          }
        : {
            Id: '',
            CreatedDate: timestamp,
            CreatedById: userId,
            LastModifiedDate: timestamp,
            LastModifiedById: userId,
            SystemModstamp: timestamp,
          }
    ) as OrgRecord;
    const problem = this.applyValues(context, input, record, 'insert');
    if (problem) return fail(problem);
    return this.finishInsert(context, record, now);
  }

  /** The rest of an insert once the input's values are on the record: defaults, checks, id, indexes. */
  private finishInsert(context: DmlContext, record: OrgRecord, now: Date): DmlResult {
    const store = context.store;
    const object = store.object;
    const userId = this.userId;
    for (const field of object.defaults) {
      if (record[field.name] === undefined) record[field.name] = field.defaultValue;
    }
    const missing = missingRequired(record, object.requiredOnCreate);
    if (missing) return fail(missing);
    if (object.hasOwner && (record.OwnerId === undefined || record.OwnerId === null)) record.OwnerId = userId;
    if (
      context.defaultRecordTypeId !== undefined &&
      (record.RecordTypeId === undefined || record.RecordTypeId === null)
    ) {
      record.RecordTypeId = context.defaultRecordTypeId;
    }
    const invalid = this.runValidationRules(store, record, 'insert');
    if (invalid) return fail(invalid);
    const keys = context.indexKeys;
    const duplicate = this.duplicateOf(store, record, keys);
    if (duplicate) return fail(duplicate);
    const id = this.nextId(store);
    record.Id = id;
    const nameField = object.nameField;
    if (object.custom && nameField && !nameField.isAutoNumber && !nameField.isFormula) {
      const name = record[nameField.name];
      if (name === undefined || name === null || name === '') record[nameField.name] = id.slice(0, 15);
    }
    for (const field of object.autoNumbers) record[field.name] = this.nextAutoNumber(store, field, now);
    store.records.set(id, record);
    // Keys were computed before autonumbers and the default Name were set: recompute when one is indexed.
    this.indexRecord(store, record, object.lateIndexKeys ? undefined : keys);
    context.undo?.push({ store, id, before: undefined });
    return { success: true, id, created: true, errors: [] };
  }

  /** Finds the live record an update/delete targets by the input's Id. */
  private targetOf(
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

  private inputId(context: DmlContext, input: Record<string, unknown>): unknown {
    if ('Id' in input) return input.Id;
    for (const key in input) {
      const column = this.column(context, key);
      if (column.kind === 'field' && column.field.type === 'id') return input[key];
    }
    return undefined;
  }

  private updateOne(context: DmlContext, input: Record<string, unknown>, knownTarget?: OrgRecord): DmlResult {
    const store = context.store;
    const object = store.object;
    if (!object.updateable) {
      return fail(err('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${object.name} does not support update`));
    }
    let current: OrgRecord;
    if (knownTarget) current = knownTarget;
    else {
      let rawId = this.inputId(context, input);
      if (context.csv && rawId === '') rawId = undefined;
      const target = this.targetOf(context, rawId);
      if (isError(target)) return fail(target, this.idOfInput(input));
      current = target;
    }
    const next = { ...current } as OrgRecord;
    const problem = this.applyValues(context, input, next, 'update');
    if (problem) return fail(problem, current.Id);
    const missing = missingRequired(next, object.requiredOnUpdate);
    if (missing) return fail(missing, current.Id);
    next.LastModifiedDate = context.timestamp;
    next.LastModifiedById = this.userId;
    next.SystemModstamp = context.timestamp;
    const invalid = this.runValidationRules(store, next, 'update');
    if (invalid) return fail(invalid, current.Id);
    const duplicate = this.duplicateOf(store, next);
    if (duplicate) return fail(duplicate, current.Id);
    this.unindexRecord(store, current);
    store.records.set(current.Id, next);
    this.indexRecord(store, next);
    context.undo?.push({ store, id: current.Id, before: current });
    return { success: true, id: current.Id, created: false, errors: [] };
  }

  private upsertOne(
    context: DmlContext,
    input: Record<string, unknown>,
    extField: CompiledField,
    duplicates: Set<string> | undefined,
    now: Date,
  ): DmlResult {
    const store = context.store;
    let raw = this.extValueOf(context, input, extField);
    if (context.csv && raw === '') raw = undefined;
    if (extField.type === 'id') {
      if (raw === undefined || raw === null || raw === '') {
        const withoutId: Record<string, unknown> = {};
        for (const key in input) {
          const column = this.column(context, key);
          if (!(column.kind === 'field' && column.field.type === 'id')) withoutId[key] = input[key];
        }
        return this.insertOne(context, withoutId, now);
      }
      const target = this.targetOf(context, raw);
      if (isError(target)) return fail(target, this.idOfInput(input));
      return this.updateOne(context, input, target);
    }
    if (raw === undefined || raw === null || raw === '' || raw === '#N/A') {
      return fail(err('MISSING_ARGUMENT', `${extField.name} not specified`, [extField.name]));
    }
    const coerced = coerceValue(extField, raw, context.csv);
    if (coerced instanceof ValueProblem) return fail(coerced.error);
    const key = indexKey(extField, coerced);
    if (duplicates && key !== undefined && duplicates.has(key)) {
      return fail(err('DUPLICATE_EXTERNAL_ID', `Duplicate external id specified: ${String(raw)}`, [extField.name]));
    }
    const ids = this.lookupIndex(store, extField, coerced) ?? [];
    if (ids.length > 1) {
      return fail(
        err(
          'DUPLICATE_EXTERNAL_ID',
          `${extField.label}: more than one record found for external id field: [${ids.join(', ')}]`,
          [extField.name],
        ),
      );
    }
    if (ids.length === 0) return this.insertOne(context, input, now);
    const current = store.records.get(ids[0]!)!;
    return this.updateOne(context, input, current);
  }

  private deleteOne(context: DmlContext, input: Record<string, unknown>, deletedIds: string[]): DmlResult {
    const store = context.store;
    if (!store.object.deletable || !store.object.hasIsDeleted) {
      return fail(
        err('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${store.object.name} does not support delete`),
      );
    }
    const rawId = this.inputId(context, input);
    const target = this.targetOf(context, rawId, false, 'a delete');
    if (isError(target)) return fail(target, this.idOfInput(input));
    const current = target;
    const next = { ...current, IsDeleted: true } as OrgRecord;
    next.LastModifiedDate = context.timestamp;
    next.LastModifiedById = this.userId;
    next.SystemModstamp = context.timestamp;
    this.unindexRecord(store, current);
    store.records.set(current.Id, next);
    store.deleted++;
    this.logDeletion(store, current.Id, context.millis);
    context.undo?.push({ store, id: current.Id, before: current });
    deletedIds.push(current.Id);
    return { success: true, id: current.Id, created: false, errors: [] };
  }

  private hardDeleteOne(context: DmlContext, input: Record<string, unknown>): DmlResult {
    const store = context.store;
    if (!store.object.deletable) {
      return fail(
        err('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${store.object.name} does not support delete`),
      );
    }
    const rawId = this.inputId(context, input);
    const target = this.targetOf(context, rawId, true, 'a delete');
    if (isError(target)) return fail(target, this.idOfInput(input));
    const current = target;
    if (current.IsDeleted === true) store.deleted--;
    else this.unindexRecord(store, current);
    store.records.delete(current.Id);
    if (!store.deleteLog.has(current.Id)) this.logDeletion(store, current.Id, context.millis);
    this.cascadeOrigin.delete(current.Id);
    context.undo?.push({ store, id: current.Id, before: current });
    this.cascadeDelete(store, [current.Id], context, true);
    return { success: true, id: current.Id, created: false, errors: [] };
  }

  private undeleteOne(context: DmlContext, input: Record<string, unknown>): DmlResult {
    const store = context.store;
    const rawId = this.inputId(context, input);
    const target = this.targetOf(context, rawId, true, 'an undelete');
    if (isError(target)) return fail(target, this.idOfInput(input));
    const current = target;
    if (current.IsDeleted !== true || this.cascadeOrigin.has(current.Id)) {
      // A record deleted with its parent comes back only when the parent is undeleted.
      return fail(err('UNDELETE_FAILED', 'Entity is not in the recycle bin', []), current.Id);
    }
    const next = { ...current, IsDeleted: false } as OrgRecord;
    next.LastModifiedDate = context.timestamp;
    next.SystemModstamp = context.timestamp;
    const duplicate = this.duplicateOf(store, next);
    if (duplicate) return fail(duplicate, current.Id);
    store.records.set(current.Id, next);
    store.deleted--;
    store.deleteLog.delete(current.Id);
    this.indexRecord(store, next);
    context.undo?.push({ store, id: current.Id, before: current });
    this.cascadeUndelete(store, current.Id, context);
    this.restoreLookups(current.Id, context);
    return { success: true, id: current.Id, created: false, errors: [] };
  }

  /** Soft- (or hard-) deletes the records that cascade from deleted parents: one scan per child object. */
  private cascadeDelete(parent: ObjectStore, parentIds: string[], context: DmlContext, hard = false): void {
    const relationships = this.childRelationships(parent.object.name);
    if (relationships.length === 0) return;
    const parents = new Set(parentIds);
    for (const relationship of relationships) {
      const childStore = this.stores.get(relationship.child.lower)!;
      if (childStore.records.size === 0) continue;
      const fieldName = relationship.childField.name;
      if (!relationship.cascadeDelete) {
        this.clearLookups(childStore, fieldName, parents, context, hard);
        continue;
      }
      const cascaded: string[] = [];
      // Replacing or deleting entries while iterating a Map is safe: no copy of a possibly large store.
      for (const record of childStore.records.values()) {
        const parentId = record[fieldName];
        if (typeof parentId !== 'string' || !parents.has(parentId)) continue;
        if (hard) {
          if (record.IsDeleted === true) childStore.deleted--;
          else this.unindexRecord(childStore, record);
          childStore.records.delete(record.Id);
          if (!childStore.deleteLog.has(record.Id)) this.logDeletion(childStore, record.Id, context.millis);
          context.undo?.push({ store: childStore, id: record.Id, before: record });
          cascaded.push(record.Id);
          continue;
        }
        if (record.IsDeleted === true) continue;
        const next = {
          ...record,
          IsDeleted: true,
          LastModifiedDate: context.timestamp,
          SystemModstamp: context.timestamp,
        } as OrgRecord;
        this.unindexRecord(childStore, record);
        childStore.records.set(record.Id, next);
        childStore.deleted++;
        this.logDeletion(childStore, record.Id, context.millis);
        this.cascadeOrigin.set(record.Id, parentId);
        cascaded.push(record.Id);
      }
      if (cascaded.length > 0) this.cascadeDelete(childStore, cascaded, context, hard);
    }
  }

  /** Child id to the parent id whose deletion cascaded to it (restored together on undelete). */
  private readonly cascadeOrigin = new Map<string, string>();

  /** Parent id to the lookups cleared when it was deleted (set back when it is undeleted). */
  private readonly clearedLookups = new Map<string, Array<{ store: ObjectStore; id: string; field: string }>>();

  /** A deleted parent's lookups are set to null on its live children (Salesforce's default `SetNull`). */
  private clearLookups(
    childStore: ObjectStore,
    fieldName: string,
    parents: Set<string>,
    context: DmlContext,
    hard: boolean,
  ): void {
    for (const record of childStore.records.values()) {
      const parentId = record[fieldName];
      if (typeof parentId !== 'string' || !parents.has(parentId) || record.Id === parentId) continue;
      const next = { ...record, [fieldName]: null, SystemModstamp: context.timestamp } as OrgRecord;
      childStore.records.set(record.Id, next);
      context.undo?.push({ store: childStore, id: record.Id, before: record });
      if (hard) continue;
      const list = this.clearedLookups.get(parentId);
      const entry = { store: childStore, id: record.Id, field: fieldName };
      if (list) list.push(entry);
      else this.clearedLookups.set(parentId, [entry]);
    }
  }

  private restoreLookups(parentId: string, context: DmlContext): void {
    const list = this.clearedLookups.get(parentId);
    if (!list) return;
    this.clearedLookups.delete(parentId);
    for (const { store, id, field } of list) {
      const record = store.records.get(id);
      if (!record || record[field] !== null) continue;
      store.records.set(id, { ...record, [field]: parentId, SystemModstamp: context.timestamp } as OrgRecord);
    }
  }

  private cascadeUndelete(parent: ObjectStore, parentId: string, context: DmlContext): void {
    if (this.cascadeOrigin.size === 0) return;
    for (const relationship of this.childRelationships(parent.object.name)) {
      if (!relationship.cascadeDelete) continue;
      const childStore = this.stores.get(relationship.child.lower)!;
      for (const record of childStore.records.values()) {
        if (record.IsDeleted !== true || this.cascadeOrigin.get(record.Id) !== parentId) continue;
        this.cascadeOrigin.delete(record.Id);
        const next = { ...record, IsDeleted: false, SystemModstamp: context.timestamp } as OrgRecord;
        if (this.duplicateOf(childStore, next)) continue;
        childStore.records.set(record.Id, next);
        childStore.deleted--;
        childStore.deleteLog.delete(record.Id);
        this.indexRecord(childStore, next);
        this.cascadeUndelete(childStore, record.Id, context);
        this.restoreLookups(record.Id, context);
      }
    }
  }

  private rollback(undo: Undo[]): void {
    for (let index = undo.length - 1; index >= 0; index--) {
      const { store, id, before } = undo[index]!;
      const current = store.records.get(id);
      if (current) {
        if (current.IsDeleted === true) store.deleted--;
        else this.unindexRecord(store, current);
        store.records.delete(id);
      }
      if (before) {
        store.records.set(id, before);
        if (before.IsDeleted === true) store.deleted++;
        else {
          this.indexRecord(store, before);
          store.deleteLog.delete(id);
        }
      }
    }
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
      else this.indexRecord(store, record);
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
    for (const store of this.stores.values()) this.rebuildIndexes(store);
    for (const [name, log] of Object.entries(state.deleteLog ?? {})) {
      const store = this.stores.get(name.toLowerCase());
      if (!store) continue;
      for (const [id, at] of log.entries) this.logDeletion(store, id, at);
      store.lastPurged = log.lastPurged ?? undefined;
    }
    this.sequence = Math.max(this.sequence, state.sequence ?? 0);
    for (const [key, value] of Object.entries(state.autoNumbers ?? {})) this.autoNumbers.set(key, value);
  }
}
