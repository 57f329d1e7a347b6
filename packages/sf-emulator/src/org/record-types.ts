// Record types as the org keeps them: RecordType records (seeded from the objects' `recordTypes`), an object's
// record types for its describe, and the default one a new record gets.
import type { CompiledObject } from '../schema/compile.js';
import type { RecordTypeInfo } from '../schema/describe.js';
import type { ObjectStore } from './store.js';

/** The RecordType records of an object, as describe lists them. */
export function recordTypeInfos(recordTypes: ObjectStore | undefined, object: CompiledObject): RecordTypeInfo[] {
  const out: RecordTypeInfo[] = [];
  if (!recordTypes) return out;
  for (const record of recordTypes.records.values()) {
    if (String(record.SobjectType ?? '').toLowerCase() === object.lower) {
      out.push({
        id: record.Id,
        name: String(record.Name ?? ''),
        developerName: String(record.DeveloperName ?? ''),
        active: record.IsActive === true,
      });
    }
  }
  return out;
}

/** The first active record type of an object (in creation order), or undefined. */
export function defaultRecordTypeId(recordTypes: ObjectStore | undefined, object: CompiledObject): string | undefined {
  if (!recordTypes) return undefined;
  for (const record of recordTypes.records.values()) {
    if (record.IsActive === true && String(record.SobjectType ?? '').toLowerCase() === object.lower) return record.Id;
  }
  return undefined;
}

/** The RecordType records that the objects' `recordTypes` declare and the org does not hold yet (by developer name). */
export function missingRecordTypes(
  recordTypes: ObjectStore,
  stores: Iterable<ObjectStore>,
): Array<Record<string, unknown>> {
  const existing = new Set<string>();
  for (const record of recordTypes.records.values()) {
    existing.add(
      `${String(record.SobjectType ?? '').toLowerCase()}/${String(record.DeveloperName ?? '').toLowerCase()}`,
    );
  }
  const missing: Array<Record<string, unknown>> = [];
  for (const store of stores) {
    for (const recordType of store.object.def.recordTypes ?? []) {
      const key = `${store.object.lower}/${recordType.developerName.toLowerCase()}`;
      if (existing.has(key)) continue;
      existing.add(key);
      missing.push({
        Name: recordType.label ?? recordType.developerName,
        DeveloperName: recordType.developerName,
        SobjectType: store.object.name,
        IsActive: recordType.active !== false,
        Description: recordType.description ?? null,
      });
    }
  }
  return missing;
}
