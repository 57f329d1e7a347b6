// The org's schema bookkeeping as functions of its stores: merging an object definition, choosing and checking key
// prefixes, a new object's empty store, the child relationships pointing at each object, and the record changes
// that adding or removing a field implies.
import { type FieldDefinition, type ObjectDefinition, OrgError, type OrgRecord } from '../contract.js';
import { toBase62 } from '../ids.js';
import type { CompiledObject } from '../schema/compile.js';
import type { ChildRelationship } from '../schema/describe.js';
import { RecordMap } from './record-map.js';
import type { ObjectStore } from './store.js';

/** The error of a call naming an object the org does not have (Salesforce's wording). */
export function unknownObject(name: string): OrgError {
  return new OrgError(
    'INVALID_TYPE',
    `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
}

/**
 * A definition with `merge: true` laid over the object's current definition (`base`, absent for a new object):
 * fields replaced by name or added, validation rules and record types appended.
 */
export function mergeDefinition(definition: ObjectDefinition, base: ObjectDefinition | undefined): ObjectDefinition {
  if (!definition.merge) return definition;
  if (!base) return { ...definition, merge: false };
  const fields: FieldDefinition[] = [...base.fields];
  for (const field of definition.fields) {
    const at = fields.findIndex((candidate) => candidate.name.toLowerCase() === field.name.toLowerCase());
    if (at >= 0) fields[at] = field;
    else fields.push(field);
  }
  return {
    ...base,
    fields,
    validationRules: [...(base.validationRules ?? []), ...(definition.validationRules ?? [])],
    recordTypes: [...(base.recordTypes ?? []), ...(definition.recordTypes ?? [])],
    merge: false,
  };
}

/** The first custom key prefix (`a00`, `a01`, ...) no object uses yet. */
export function nextKeyPrefix(prefixes: Map<string, ObjectStore>): string {
  for (let n = 0; n < 62 * 62; n++) {
    const candidate = `a${toBase62(n, 2)}`;
    if (!prefixes.has(candidate)) return candidate;
  }
  throw new OrgError('INVALID_TYPE', 'No key prefix left for a custom object');
}

/** Throws unless `keyPrefix` is three letters or digits that no other object (than `lower`) uses. */
export function checkKeyPrefix(
  keyPrefix: string,
  objectName: string,
  lower: string,
  prefixes: Map<string, ObjectStore>,
): void {
  if (!/^[a-zA-Z0-9]{3}$/.test(keyPrefix)) {
    throw new OrgError('INVALID_TYPE', `Key prefix of ${objectName} must be 3 letters or digits: ${keyPrefix}`);
  }
  const other = prefixes.get(keyPrefix);
  if (other && other.object.lower !== lower) {
    throw new OrgError('INVALID_TYPE', `Key prefix ${keyPrefix} of ${objectName} is used by ${other.object.name}`);
  }
}

/** The empty store of a newly defined object. */
export function emptyStore(object: CompiledObject): ObjectStore {
  return {
    object,
    records: new RecordMap(),
    indexes: new Map(),
    indexList: [],
    deleted: 0,
    deleteLog: new Map(),
    deleteLogMin: Number.POSITIVE_INFINITY,
    lastPurged: undefined,
  };
}

/** Every reference field of every object, as child relationships keyed by the lower-cased name they point at. */
export function childRelationshipIndex(stores: Iterable<ObjectStore>): Map<string, ChildRelationship[]> {
  const index = new Map<string, ChildRelationship[]>();
  for (const store of stores) {
    for (const field of store.object.references) {
      for (const target of field.referenceTo) {
        const lower = target.toLowerCase();
        const list = index.get(lower) ?? [];
        list.push({
          childSObject: store.object.name,
          field: field.name,
          relationshipName: field.def.childRelationshipName ?? null,
          cascadeDelete: field.cascadeDelete,
          child: store.object,
          childField: field,
        });
        index.set(lower, list);
      }
    }
  }
  return index;
}

/** Throws unless `field` can be added to the object: it has a name, and the object has no field of that name. */
export function checkNewField(object: CompiledObject, field: FieldDefinition): void {
  if (typeof field?.name !== 'string') {
    throw new OrgError('INVALID_FIELD', `${object.name}: a field definition needs a name and a type`);
  }
  if (object.byLower.has(field.name.toLowerCase())) {
    throw new OrgError(
      'DUPLICATE_DEVELOPER_NAME',
      `${object.name}.${field.name} exists already: remove it first, or redefine the object with merge: true to change it`,
    );
  }
}

/** After adding a checkbox: existing records read its default (Salesforce backfills them), not null. */
export function backfillCheckbox(store: ObjectStore, fieldName: string): void {
  const added = store.object.byLower.get(fieldName.toLowerCase());
  if (added?.type !== 'boolean' || added.isFormula) return;
  for (const [id, record] of store.records) {
    if (record[added.name] === undefined) store.records.set(id, { ...record, [added.name]: added.defaultValue });
  }
}

/** The custom field of an object that `removeField` may remove; throws for an unknown or a standard field. */
export function removableField(object: CompiledObject, fieldName: string) {
  const field = object.byLower.get(String(fieldName).toLowerCase());
  if (!field) {
    throw new OrgError('INVALID_FIELD', `No such column '${fieldName}' on sobject of type ${object.name}`, {
      fields: [String(fieldName)],
    });
  }
  if (!field.lower.endsWith('__c')) {
    throw new OrgError(
      'CANNOT_DELETE_FIELD',
      `${object.name}.${field.name} is a standard or system field: only custom fields (__c) can be removed`,
    );
  }
  return field;
}

/** After removing a field: its values leave every record. */
export function dropFieldValues(store: ObjectStore, name: string): void {
  for (const [id, record] of store.records) {
    if (!(name in record)) continue;
    const { [name]: _removed, ...rest } = record;
    store.records.set(id, rest as OrgRecord);
  }
}

/** Throws unless the object is custom and no other object refers to it (`relationships` point at it). */
export function checkRemovableObject(object: CompiledObject, relationships: ChildRelationship[]): void {
  if (!object.lower.endsWith('__c')) {
    throw new OrgError(
      'CANNOT_DELETE_ENTITY',
      `${object.name} is a standard object: only custom objects (__c) can be removed`,
    );
  }
  const referrers = relationships.filter((relationship) => relationship.child !== object);
  if (referrers.length > 0) {
    throw new OrgError(
      'CANNOT_DELETE_ENTITY',
      `${object.name} is referred to by ${referrers.map((r) => `${r.childSObject}.${r.field}`).join(', ')}: remove those fields first`,
    );
  }
}
