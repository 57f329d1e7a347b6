// `org.generate()`'s loop: records built from the generate plan and stored straight into an object's store, unique
// fields checked, timestamps spread, all or nothing (every record added is removed again when one fails).
import { OrgError, type OrgRecord } from '../contract.js';
import { idFor } from '../ids.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import type { GenerateResult, GenerateSpec } from './generate.js';
import { generatePlan } from './generate-plan.js';
import { duplicateOf, indexInserted, indexRecord, unindexRecord } from './indexes.js';
import type { ObjectStore } from './store.js';
import { formatDateTime } from './values.js';

/** What generating records takes from the org. */
export interface GenerateHost {
  readonly userId: string;
  /** The org clock's now in epoch ms. */
  nowMillis(): number;
  /** Advances the org's id counter and returns it. */
  nextSequence(): number;
  storeOf(name: string): ObjectStore | undefined;
  nextAutoNumber(store: ObjectStore, field: CompiledField, now: Date): string;
  defaultRecordTypeId(object: CompiledObject): string | undefined;
}

/** Ids of the live records of an object (the parents a generated reference points at in turn). */
function liveIds(store: ObjectStore | undefined): string[] {
  if (!store) return [];
  const ids: string[] = [];
  for (const record of store.records.values()) if (record.IsDeleted !== true) ids.push(record.Id);
  return ids;
}

/** Throws OrgError when `count` is not a whole number >= 0 or the object cannot be inserted. */
function checkGenerate(object: ObjectStore['object'], count: number): void {
  if (!Number.isInteger(count) || count < 0) {
    throw new OrgError('INVALID_ARGUMENT', `generate: count must be a whole number >= 0, got ${String(count)}`);
  }
  if (!object.createable) {
    throw new OrgError('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${object.name} does not support insert`);
  }
}

/** Adds one generated record (the `index`-th) to `store` and its indexes; throws OrgError on a duplicate key. */
function storeGenerated(
  store: ObjectStore,
  record: OrgRecord,
  keys: Array<string | undefined>,
  checkDuplicates: boolean,
  index: number,
): void {
  const object = store.object;
  if (checkDuplicates) {
    const duplicate = duplicateOf(store, record, keys);
    if (duplicate)
      throw new OrgError(duplicate.statusCode, `generate ${object.name} record ${index}: ${duplicate.message}`);
    store.records.set(record.Id, record);
    if (object.lateIndexKeys) indexRecord(store, record);
    else indexInserted(store, record, keys);
  } else {
    store.records.set(record.Id, record);
    if (object.indexed.length > 0) indexRecord(store, record);
  }
}

/** Takes the records of a failed `generateRecords` call back out of `store` and its indexes. */
function removeGenerated(store: ObjectStore, added: readonly string[]): void {
  for (const id of added) {
    const record = store.records.get(id);
    if (record) unindexRecord(store, record);
    store.records.delete(id);
  }
}

/** Generates `count` records of `store`'s object (see `EmulatedOrg.generate`); throws OrgError and adds none. */
export function generateRecords(
  host: GenerateHost,
  store: ObjectStore,
  count: number,
  spec: GenerateSpec,
): GenerateResult {
  const object = store.object;
  checkGenerate(object, count);
  const now = host.nowMillis();
  const { fillers, defaultValues, build, from, span, fixedStamp } = generatePlan(object, spec, {
    now,
    parents: (name) => liveIds(host.storeOf(name)),
    defaultRecordTypeId: (target) => host.defaultRecordTypeId(target),
  });
  let lastAt = Number.NaN;
  let lastStamp = fixedStamp;
  const values = new Array<unknown>(fillers.length);
  const keys = new Array<string | undefined>(object.indexed.length);
  const checkDuplicates = object.indexed.some((field) => field.unique);
  const added: string[] = [];
  const nowDate = new Date(now);
  try {
    for (let index = 0; index < count; index++) {
      const sequence = host.nextSequence();
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
      const record = build(id, stamp, host.userId, values, defaultValues);
      for (const field of object.autoNumbers) record[field.name] = host.nextAutoNumber(store, field, nowDate);
      storeGenerated(store, record, keys, checkDuplicates, index);
      added.push(id);
    }
  } catch (error) {
    removeGenerated(store, added);
    throw error;
  }
  return { object: object.name, count, firstId: added[0] ?? null, lastId: added.at(-1) ?? null };
}
