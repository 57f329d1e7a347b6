// The recycle bin's bookkeeping: the delete log the replication API reads, the children a parent's deletion
// cascaded to, the lookups it cleared, and purging a record for good.
import type { OrgRecord } from '../contract.js';
import type { ObjectStore } from './store.js';

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
