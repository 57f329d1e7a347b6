// The recycle bin's bookkeeping: the delete log the replication API reads, the children a parent's deletion
// cascaded to, the lookups it cleared, purging a record for good, expiry at the end of the retention, and listing
// and emptying the bin.
import type { DmlResult, OrgRecord } from '../contract.js';
import { err, fail } from './dml-results.js';
import type { ObjectStore } from './store.js';
import { formatDateTime } from './values.js';

/** A record in the recycle bin: see `EmulatedOrg.recycleBin`. */
export interface RecycleBinEntry {
  id: string;
  /** The object's API name. */
  object: string;
  /** When it was deleted, in REST format (`2024-01-01T00:00:00.000+0000`). */
  deletedDate: string;
}

/** What undelete needs to put back: cascaded children and cleared lookups, by parent id. */
export interface RecycleState {
  /** Child id to the parent id whose deletion cascaded to it (restored together on undelete). */
  readonly cascadeOrigin: Map<string, string>;
  /** Parent id to the lookups cleared when it was deleted (set back when it is undeleted). */
  readonly clearedLookups: Map<string, Array<{ store: ObjectStore; id: string; field: string }>>;
}

/** Writes a deletion to the store's delete log. */
export function logDeletion(store: ObjectStore, id: string, millis: number): void {
  store.deleteLog.set(id, millis);
  if (millis < store.deleteLogMin) store.deleteLogMin = millis;
}

/** Removes a record of the recycle bin for good (it stays in the delete log). */
export function purgeRecord(store: ObjectStore, record: OrgRecord, recycle: RecycleState): void {
  store.records.delete(record.Id);
  store.deleted--;
  recycle.cascadeOrigin.delete(record.Id);
  recycle.clearedLookups.delete(record.Id);
}

/**
 * Drops delete log entries older than `cutoff` (epoch ms) and purges their records from the recycle bin. A scan
 * runs only for objects whose oldest logged deletion is due, so the check costs one comparison per object.
 */
export function purgeExpired(stores: Iterable<ObjectStore>, cutoff: number, recycle: RecycleState): void {
  for (const store of stores) {
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
      if (record?.IsDeleted === true) purgeRecord(store, record, recycle);
    }
    store.deleteLogMin = min;
  }
}

/** The records in the bins of `stores`, oldest deletion first. */
export function recycleBinEntries(stores: Iterable<ObjectStore>): RecycleBinEntry[] {
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

/** Purges the given ids from the bin (every record in it when `ids` is undefined); results in input order. */
export function emptyBin(
  stores: Iterable<ObjectStore>,
  ids: string[] | undefined,
  rawGet: RawGet,
  recycle: RecycleState,
): DmlResult[] {
  if (ids === undefined) {
    const out: DmlResult[] = [];
    for (const store of stores) {
      if (store.deleted === 0) continue;
      for (const record of store.records.values()) {
        if (record.IsDeleted !== true) continue;
        purgeRecord(store, record, recycle);
        out.push({ success: true, id: record.Id, created: false, errors: [] });
      }
    }
    return out;
  }
  return ids.map((raw) => {
    const found = rawGet(String(raw));
    if (found?.record.IsDeleted !== true) {
      return fail(err('INVALID_ID_FIELD', `The record is not in the recycle bin: ${String(raw)}`), null);
    }
    purgeRecord(found.store, found.record, recycle);
    return { success: true, id: found.record.Id, created: false, errors: [] };
  });
}

/** The stored record of an id in any form (the org's `rawGet`). */
type RawGet = (id: string) => { store: ObjectStore; record: OrgRecord } | undefined;
