/**
 * The in-memory org: `LocalOrg`, the one class that owns the org's state (object stores by name and key prefix,
 * definitions, the id and autonumber counters, the schema log, the open transaction) and answers the `Org` contract
 * (`EmulatedOrg`, in emulated-org.ts). Its methods are the contract's entry points over that private state, each a
 * few lines that delegate the work to a module of its own: schema bookkeeping to `object-schema.ts`, record types
 * to `record-types.ts`, DML to `dml.ts` (typed against the `DmlHost` contract), transactions to `transaction.ts`,
 * indexes to `indexes.ts`, the recycle bin to `recycle-bin.ts`, replication to `replication.ts`, generate to
 * `generate-records.ts`, seed to `seed.ts`, the saved form to `persisted.ts`.
 */
import type {
  DmlOperation,
  DmlOptions,
  DmlResult,
  FieldDefinition,
  ObjectDefinition,
  OrgRecord,
  QueryResult,
} from '../contract.js';
import { OrgError } from '../contract.js';
import { idFor, normalizeId } from '../ids.js';
import { type CompiledField, type CompiledObject, compileObject } from '../schema/compile.js';
import { type ChildRelationship, describeGlobalEntry, describeObject } from '../schema/describe.js';
import { formulaClock } from '../schema/formula.js';
import { type BulkQueryRows, runBulkQuery, runQuery } from '../soql/engine.js';
import { formatAutoNumber } from './auto-number.js';
import { type ClockInput, OrgClock } from './clock.js';
import { DML_OPERATIONS, type InsertedRows, type InsertRowsOptions, runDml, runInsertRows } from './dml.js';
import type { DmlHost } from './dml-context.js';
import { byObject } from './dml-results.js';
import type { EmulatedOrg, OrgTransaction } from './emulated-org.js';
import type { GenerateResult, GenerateSpec } from './generate.js';
import { type GenerateHost, generateRecords } from './generate-records.js';
import { indexedRecords, indexRecord, lookupIndex, rebuildIndexes, scanByValue, unindexRecord } from './indexes.js';
import {
  backfillCheckbox,
  checkKeyPrefix,
  checkNewField,
  checkRemovableObject,
  childRelationshipIndex,
  dropFieldValues,
  emptyStore,
  mergeDefinition,
  nextKeyPrefix,
  removableField,
  unknownObject,
} from './object-schema.js';
import {
  type PersistedOrg,
  persistableField,
  persistedMeta,
  restoreRecords,
  revivedField,
  type SchemaChange,
} from './persisted.js';
import { defaultRecordTypeId, missingRecordTypes, recordTypeInfos } from './record-types.js';
import { emptyBin, purgeExpired, type RecycleBinEntry, type RecycleState, recycleBinEntries } from './recycle-bin.js';
import {
  deletedIds,
  type GetDeletedResult,
  type GetUpdatedResult,
  type ReplicationLimits,
  updatedIds,
} from './replication.js';
import { completeSeedRecord, type SeedContext, seedRecords } from './seed.js';
import type { ObjectStore } from './store.js';
import { beginTransaction, type TransactionSlot } from './transaction.js';
import { formatDateTime } from './values.js';

export type { InsertedRows } from './dml.js';
export type { CreateOrgOptions, EmulatedOrg, OrgTransaction } from './emulated-org.js';
export type { PersistedOrg, SchemaChange } from './persisted.js';
export type { RecycleBinEntry } from './recycle-bin.js';
export type { GetDeletedResult, GetUpdatedResult } from './replication.js';

const DAY_MS = 86_400_000;
/**
 * The in-memory org. Create it with `createOrg()`, which also defines the standard objects and seeds the
 * running user and the organization record.
 *
 * @example
 * const org = createOrg();
 * org.dml('insert', 'Account', [{ Name: 'Acme' }]);
 */
export class LocalOrg implements EmulatedOrg, DmlHost, GenerateHost {
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
  /** The undo log of the open transaction (composite allOrNone), oldest first. */
  private readonly transaction: TransactionSlot = { undo: undefined };
  /** Internal (DML): children deleted with their parent and lookups cleared by a deletion, for undelete. */
  readonly recycle: RecycleState = { cascadeOrigin: new Map(), clearedLookups: new Map() };
  /** Per object (lower-cased name): when its definition last changed (org clock ms). */
  private readonly schemaChanged = new Map<string, number>();
  /** When an object was last added or removed (org clock ms). */
  private globalSchemaChanged = 0;
  /** Fields added and removed (and objects removed) while running, replayed over the startup schema on restore. */
  private readonly schemaLog: SchemaChange[] = [];
  recycleBinRetentionDays: number;
  private readonly replicationIdLimit: number;

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

  /** Internal (generate): the org clock's now in epoch ms. */
  nowMillis(): number {
    return this.clock.millis();
  }

  /** Internal: the counter behind generated ids and its restoration. */
  get idSequence(): number {
    return this.sequence;
  }

  // ---------------------------------------------------------------- schema

  defineObject(definition: ObjectDefinition): void {
    const lower = definition.name.toLowerCase();
    const existing = this.stores.get(lower);
    const merged = mergeDefinition(
      definition,
      existing ? (this.definitions.get(lower) ?? existing.object.def) : undefined,
    );
    const keyPrefix = existing?.object.keyPrefix ?? merged.keyPrefix ?? nextKeyPrefix(this.prefixes);
    checkKeyPrefix(keyPrefix, definition.name, lower, this.prefixes);
    const object = compileObject(merged, keyPrefix);
    this.definitions.set(lower, merged);
    const changedAt = this.clock.millis();
    this.schemaChanged.set(lower, changedAt);
    if (!existing) this.globalSchemaChanged = changedAt;
    const store = existing ?? emptyStore(object);
    store.object = object;
    this.stores.set(lower, store);
    this.prefixes.set(keyPrefix, store);
    rebuildIndexes(store);
    this.childCache = undefined;
    if ((merged.recordTypes?.length ?? 0) > 0) this.syncRecordTypes();
  }

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
    checkNewField(store.object, field);
    this.defineObject({ name: store.object.name, fields: [field], merge: true });
    this.schemaLog.push({ change: 'addField', object: store.object.name, field: persistableField(field) });
    backfillCheckbox(store, field.name);
  }

  removeField(objectName: string, fieldName: string): void {
    const store = this.requireStore(objectName);
    const field = removableField(store.object, fieldName);
    const definition = this.definitions.get(store.object.lower) ?? store.object.def;
    this.defineObject({
      ...definition,
      fields: definition.fields.filter((candidate) => candidate.name.toLowerCase() !== field.lower),
      merge: false,
    });
    this.schemaLog.push({ change: 'removeField', object: store.object.name, field: field.name });
    dropFieldValues(store, field.name);
  }

  removeObject(objectName: string): void {
    const store = this.requireStore(objectName);
    checkRemovableObject(store.object, this.childRelationships(store.object.name));
    this.stores.delete(store.object.lower);
    this.prefixes.delete(store.object.keyPrefix);
    this.definitions.delete(store.object.lower);
    this.schemaChanged.delete(store.object.lower);
    this.globalSchemaChanged = this.clock.millis();
    this.childCache = undefined;
    this.schemaLog.push({ change: 'removeObject', object: store.object.name });
  }

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
    return generateRecords(this, this.requireStore(objectName), count, spec);
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
    if (!store) throw unknownObject(name);
    return store;
  }

  childRelationships(objectName: string): ChildRelationship[] {
    this.childCache ??= childRelationshipIndex(this.stores.values());
    return this.childCache.get(objectName.toLowerCase()) ?? [];
  }

  describe(name: string): Record<string, unknown> {
    const store = this.stores.get(name.toLowerCase());
    if (!store) throw new OrgError('NOT_FOUND', 'The requested resource does not exist', { status: 404 });
    const recordTypes = recordTypeInfos(this.stores.get('recordtype'), store.object);
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
    // Not indexed: a scan (only for fields that are neither unique nor external ids).
    const found = ids === undefined ? scanByValue(store, field, value) : ids.map((id) => store.records.get(id)!);
    return found.map((record) => this.materialize(store, record));
  }

  /**
   * Internal (query planner): live records whose indexed field equals one of `values`, or undefined when the
   * field has no index.
   */
  indexedRecords(store: ObjectStore, field: CompiledField, values: string[]): OrgRecord[] | undefined {
    return indexedRecords(store, field, values);
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

  /** Drops what the retention has passed (see `purgeExpired` in recycle-bin.ts): one comparison per object when none. */
  private purgeExpired(): void {
    purgeExpired(this.stores.values(), this.clock.millis() - this.recycleBinRetentionDays * DAY_MS, this.recycle);
  }

  recycleBin(objectName?: string): RecycleBinEntry[] {
    this.purgeExpired();
    return recycleBinEntries(objectName === undefined ? this.stores.values() : [this.requireStore(objectName)]);
  }

  undelete(ids: string[]): DmlResult[] {
    return byObject(
      ids,
      (id18) => this.storeOfId(id18),
      (store, inputs) => this.dml('undelete', store.object.name, inputs),
    );
  }

  emptyRecycleBin(ids?: string[]): DmlResult[] {
    this.purgeExpired();
    return emptyBin(this.stores.values(), ids, (id) => this.rawGet(id), this.recycle);
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

  /** Internal (generate): advances the org's one id counter and returns it. */
  nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

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
    return formatAutoNumber(field.def.displayFormat ?? '{0}', next, now);
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
    return runDml(this, store, operation, records, options, now, this.transaction.undo);
  }

  insertRows(objectName: string, columns: string[], rows: string[][], options: InsertRowsOptions = {}): InsertedRows {
    return this.runRows('insert', objectName, columns, rows, options);
  }

  upsertRows(objectName: string, columns: string[], rows: string[][], options: InsertRowsOptions = {}): InsertedRows {
    return this.runRows('upsert', objectName, columns, rows, options);
  }

  /** {@link insertRows} and {@link upsertRows}: CSV rows under one header, without an input record a row. */
  private runRows(
    operation: 'insert' | 'upsert',
    objectName: string,
    columns: string[],
    rows: string[][],
    options: InsertRowsOptions,
  ): InsertedRows {
    if (options.injectError) {
      throw new OrgError(
        'INVALID_ARGUMENT',
        `${operation}Rows takes no injectError (the hook reads input records): use dml()`,
      );
    }
    const store = this.requireStore(objectName);
    const now = this.clock.now();
    this.purgeExpired();
    return runInsertRows(this, store, columns, rows, options, now, this.transaction.undo, operation);
  }

  beginTransaction(): OrgTransaction {
    return beginTransaction(this.transaction);
  }

  /** Internal: the first active record type of an object (in creation order), or undefined. */
  defaultRecordTypeId(object: CompiledObject): string | undefined {
    return defaultRecordTypeId(this.stores.get('recordtype'), object);
  }

  /** Seeds the RecordType records of every object that declares `recordTypes` (once per developer name). */
  syncRecordTypes(): void {
    const recordTypes = this.stores.get('recordtype');
    if (!recordTypes) return;
    const missing = missingRecordTypes(recordTypes, this.stores.values());
    if (missing.length > 0) this.seed('RecordType', missing);
  }

  // ---------------------------------------------------------------- seed and persistence

  seed(objectName: string, records: Array<Record<string, unknown>>): OrgRecord[] {
    const store = this.requireStore(objectName);
    const timestamp = formatDateTime(this.clock.millis());
    const prepared = seedRecords(store, records);
    const seedContext: SeedContext = {
      userId: this.userId,
      timestamp,
      now: this.clock.now(),
      nextId: (target) => this.nextId(target),
      nextAutoNumber: (target, field, now) => this.nextAutoNumber(target, field, now),
    };
    const out: OrgRecord[] = [];
    for (const record of prepared) {
      completeSeedRecord(store, record, seedContext);
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
    return persistedMeta({
      orgId: this.orgId,
      userId: this.userId,
      sequence: this.sequence,
      autoNumbers: this.autoNumbers,
      definitions: this.definitions,
      stores: this.stores,
      recycleBinRetentionDays: this.recycleBinRetentionDays,
      schemaLog: this.schemaLog,
    });
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
    restoreRecords(this.stores, state);
    this.sequence = Math.max(this.sequence, state.sequence ?? 0);
    for (const [key, value] of Object.entries(state.autoNumbers ?? {})) this.autoNumbers.set(key, value);
  }
}
