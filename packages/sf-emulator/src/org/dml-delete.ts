// Deletes through DML: soft delete to the recycle bin, hard delete, undelete, their cascades to children (master-detail
// children deleted, lookups cleared and restored), and the rollback of an undo log.
import type { DmlResult, OrgRecord } from '../contract.js';
import { type DmlContext, idOfInput, inputId, targetOf } from './dml-context.js';
import { err, fail, isError } from './dml-results.js';
import { duplicateOf, indexRecord, unindexRecord } from './indexes.js';
import { logDeletion } from './recycle-bin.js';
import type { ObjectStore } from './store.js';

export function deleteOne(context: DmlContext, input: Record<string, unknown>, deletedIds: string[]): DmlResult {
  const store = context.store;
  if (!store.object.deletable || !store.object.hasIsDeleted) {
    return fail(
      err('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${store.object.name} does not support delete`),
    );
  }
  const rawId = inputId(context, input);
  const target = targetOf(context, rawId, false, 'a delete');
  if (isError(target)) return fail(target, idOfInput(input));
  const current = target;
  const next = { ...current, IsDeleted: true } as OrgRecord;
  next.LastModifiedDate = context.timestamp;
  next.LastModifiedById = context.host.userId;
  next.SystemModstamp = context.timestamp;
  unindexRecord(store, current);
  store.records.set(current.Id, next);
  store.deleted++;
  logDeletion(store, current.Id, context.millis);
  context.undo?.push({ store, id: current.Id, before: current });
  deletedIds.push(current.Id);
  return { success: true, id: current.Id, created: false, errors: [] };
}

export function hardDeleteOne(context: DmlContext, input: Record<string, unknown>): DmlResult {
  const store = context.store;
  if (!store.object.deletable) {
    return fail(
      err('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${store.object.name} does not support delete`),
    );
  }
  const rawId = inputId(context, input);
  const target = targetOf(context, rawId, true, 'a delete');
  if (isError(target)) return fail(target, idOfInput(input));
  const current = target;
  if (current.IsDeleted === true) store.deleted--;
  else unindexRecord(store, current);
  store.records.delete(current.Id);
  if (!store.deleteLog.has(current.Id)) logDeletion(store, current.Id, context.millis);
  context.host.recycle.cascadeOrigin.delete(current.Id);
  context.undo?.push({ store, id: current.Id, before: current });
  cascadeDelete(store, [current.Id], context, true);
  return { success: true, id: current.Id, created: false, errors: [] };
}

export function undeleteOne(context: DmlContext, input: Record<string, unknown>): DmlResult {
  const store = context.store;
  const rawId = inputId(context, input);
  const target = targetOf(context, rawId, true, 'an undelete');
  if (isError(target)) return fail(target, idOfInput(input));
  const current = target;
  if (current.IsDeleted !== true || context.host.recycle.cascadeOrigin.has(current.Id)) {
    // A record deleted with its parent comes back only when the parent is undeleted.
    return fail(err('UNDELETE_FAILED', 'Entity is not in the recycle bin', []), current.Id);
  }
  const next = { ...current, IsDeleted: false } as OrgRecord;
  next.LastModifiedDate = context.timestamp;
  next.SystemModstamp = context.timestamp;
  const duplicate = duplicateOf(store, next);
  if (duplicate) return fail(duplicate, current.Id);
  store.records.set(current.Id, next);
  store.deleted--;
  store.deleteLog.delete(current.Id);
  indexRecord(store, next);
  context.undo?.push({ store, id: current.Id, before: current });
  cascadeUndelete(store, current.Id, context);
  restoreLookups(current.Id, context);
  return { success: true, id: current.Id, created: false, errors: [] };
}

/** Soft- (or hard-) deletes the records that cascade from deleted parents: one scan per child object. */
export function cascadeDelete(parent: ObjectStore, parentIds: string[], context: DmlContext, hard = false): void {
  const relationships = context.host.childRelationships(parent.object.name);
  if (relationships.length === 0) return;
  const parents = new Set(parentIds);
  for (const relationship of relationships) {
    const childStore = context.host.storeOf(relationship.child.lower)!;
    if (childStore.records.size === 0) continue;
    const fieldName = relationship.childField.name;
    if (!relationship.cascadeDelete) {
      clearLookups(childStore, fieldName, parents, context, hard);
      continue;
    }
    const cascaded: string[] = [];
    // Replacing or deleting entries while iterating a Map is safe: no copy of a possibly large store.
    for (const record of childStore.records.values()) {
      const parentId = record[fieldName];
      if (typeof parentId !== 'string' || !parents.has(parentId)) continue;
      if (hard) {
        if (record.IsDeleted === true) childStore.deleted--;
        else unindexRecord(childStore, record);
        childStore.records.delete(record.Id);
        if (!childStore.deleteLog.has(record.Id)) logDeletion(childStore, record.Id, context.millis);
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
      unindexRecord(childStore, record);
      childStore.records.set(record.Id, next);
      childStore.deleted++;
      logDeletion(childStore, record.Id, context.millis);
      context.host.recycle.cascadeOrigin.set(record.Id, parentId);
      cascaded.push(record.Id);
    }
    if (cascaded.length > 0) cascadeDelete(childStore, cascaded, context, hard);
  }
}

/** A deleted parent's lookups are set to null on its live children (Salesforce's default `SetNull`). */
export function clearLookups(
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
    const list = context.host.recycle.clearedLookups.get(parentId);
    const entry = { store: childStore, id: record.Id, field: fieldName };
    if (list) list.push(entry);
    else context.host.recycle.clearedLookups.set(parentId, [entry]);
  }
}

export function restoreLookups(parentId: string, context: DmlContext): void {
  const list = context.host.recycle.clearedLookups.get(parentId);
  if (!list) return;
  context.host.recycle.clearedLookups.delete(parentId);
  for (const { store, id, field } of list) {
    const record = store.records.get(id);
    if (!record || record[field] !== null) continue;
    store.records.set(id, { ...record, [field]: parentId, SystemModstamp: context.timestamp } as OrgRecord);
  }
}

export function cascadeUndelete(parent: ObjectStore, parentId: string, context: DmlContext): void {
  if (context.host.recycle.cascadeOrigin.size === 0) return;
  for (const relationship of context.host.childRelationships(parent.object.name)) {
    if (!relationship.cascadeDelete) continue;
    const childStore = context.host.storeOf(relationship.child.lower)!;
    for (const record of childStore.records.values()) {
      if (record.IsDeleted !== true || context.host.recycle.cascadeOrigin.get(record.Id) !== parentId) continue;
      context.host.recycle.cascadeOrigin.delete(record.Id);
      const next = { ...record, IsDeleted: false, SystemModstamp: context.timestamp } as OrgRecord;
      if (duplicateOf(childStore, next)) continue;
      childStore.records.set(record.Id, next);
      childStore.deleted--;
      childStore.deleteLog.delete(record.Id);
      indexRecord(childStore, next);
      cascadeUndelete(childStore, record.Id, context);
      restoreLookups(record.Id, context);
    }
  }
}
