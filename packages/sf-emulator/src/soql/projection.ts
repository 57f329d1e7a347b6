// Projection: stored records into Salesforce's REST shape (attributes, parent objects, TYPEOF, child subqueries).
import type { OrgRecord } from '../contract.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import { sortRecords } from './ordering.js';
import type { QuerySource } from './source.js';
import type { FieldPath, SelectItem, ValueReader } from './types.js';

/** What projection reads through: the org, whether deleted parents show, and values on a record's own object. */
export interface RowReader extends ValueReader {
  readonly org: QuerySource;
  readonly includeDeleted: boolean;
  /** The field of a record's own object with the name of `field` (differs from `field` across a polymorphic hop). */
  fieldOn(record: OrgRecord, field: CompiledField, polymorphic: boolean): CompiledField | undefined;
}

/** Child records of a subquery: relationship name to parent id to children (filtered, not yet sorted). */
export type ChildIndex = Map<string, Map<string, OrgRecord[]>>;

export function recordUrl(org: QuerySource, type: string, id: string): string {
  return `/services/data/v${org.apiVersion}/sobjects/${type}/${id}`;
}

/** A field's value on a record: formulas computed, undefined read as null. */
function storedValue(reader: RowReader, field: CompiledField | undefined, record: OrgRecord): unknown {
  const value = !field ? null : field.isFormula ? reader.org.computeFormula(field, record) : record[field.name];
  return value === undefined ? null : value;
}

/** One REST-shaped row: attributes, then each select item (child subqueries read from `children`). */
export function project(
  reader: RowReader,
  object: CompiledObject,
  record: OrgRecord,
  items: SelectItem[],
  children?: ChildIndex,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attributes: { type: object.name, url: recordUrl(reader.org, object.name, record.Id) },
  };
  for (const item of items) {
    if (item.kind === 'field') projectPath(reader, out, item.path!, record, item.transform, item.key);
    else if (item.kind === 'typeof') projectTypeof(reader, out, item, record);
    else if (item.kind === 'subquery') {
      const subquery = item.subquery!;
      const list = children?.get(subquery.relationshipName)?.get(record.Id) ?? [];
      let rows = sortRecords(reader, list, subquery.order);
      if (subquery.offset) rows = rows.slice(subquery.offset);
      if (subquery.limit !== undefined) rows = rows.slice(0, subquery.limit);
      out[subquery.relationshipName] =
        rows.length === 0
          ? null
          : {
              totalSize: rows.length,
              done: true,
              records: rows.map((row) => project(reader, subquery.child.object, row, subquery.items)),
            };
    }
  }
  return out;
}

/** Writes a path's value into a row, nesting a parent object (with attributes) per reference hop. */
export function projectPath(
  reader: RowReader,
  out: Record<string, unknown>,
  path: FieldPath,
  record: OrgRecord,
  transform?: (value: unknown) => unknown,
  key?: string,
): void {
  let target = out;
  let current: OrgRecord | undefined = record;
  for (let index = 0; index < path.hops.length; index++) {
    const hop = path.hops[index]!;
    const name = hop.relationshipName!;
    const id: unknown = current?.[hop.name];
    const parent: OrgRecord | undefined = typeof id === 'string' ? reader.org.rawGetCanonical(id) : undefined;
    if (!parent || (parent.IsDeleted === true && !reader.includeDeleted)) {
      if (!(name in target)) target[name] = null;
      return;
    }
    const type =
      hop.referenceTo.length > 1
        ? (reader.org.storeOfId(parent.Id)?.object.name ?? path.hopObjects[index]!.name)
        : path.hopObjects[index]!.name;
    let nested = target[name] as Record<string, unknown> | null | undefined;
    if (!nested) {
      nested = { attributes: { type, url: recordUrl(reader.org, type, parent.Id) } };
      target[name] = nested;
    }
    target = nested;
    current = parent;
  }
  const last = path.hops[path.hops.length - 1];
  const polymorphic = last !== undefined && last.referenceTo.length > 1;
  if (polymorphic && path.field.lower === 'type') {
    target.Type = reader.org.storeOfId(current!.Id)?.object.name ?? null;
    return;
  }
  const stored = storedValue(reader, reader.fieldOn(current!, path.field, polymorphic), current!);
  target[key ?? path.field.name] = transform && stored !== null ? transform(stored) : stored;
}

/** The nested object of a TYPEOF item: the fields its WHEN (or ELSE) names for the referenced record's type. */
function projectTypeof(reader: RowReader, out: Record<string, unknown>, item: SelectItem, record: OrgRecord): void {
  const { reference, when, otherwise } = item.typeOf!;
  const name = reference.relationshipName!;
  const id: unknown = record[reference.name];
  const parent = typeof id === 'string' ? reader.org.rawGetCanonical(id) : undefined;
  if (!parent || (parent.IsDeleted === true && !reader.includeDeleted)) {
    out[name] = null;
    return;
  }
  const type = reader.org.storeOfId(parent.Id)?.object;
  const nested: Record<string, unknown> = {
    attributes: { type: type?.name ?? null, url: type ? recordUrl(reader.org, type.name, parent.Id) : null },
  };
  const paths = type ? when.get(type.lower) : undefined;
  if (paths) {
    for (const path of paths) projectPath(reader, nested, path, parent);
  } else {
    for (const path of otherwise ?? []) {
      nested[path.field.name] = storedValue(reader, reader.fieldOn(parent, path.field, true), parent);
    }
  }
  out[name] = nested;
}

/** The children of each parent row per subquery item: one pass over each child object's records. */
export function childIndex(reader: RowReader, records: OrgRecord[], items: SelectItem[]): ChildIndex {
  const out: ChildIndex = new Map();
  const parents = new Set(records.map((record) => record.Id));
  for (const item of items) {
    if (item.kind !== 'subquery') continue;
    const subquery = item.subquery!;
    const byParent = new Map<string, OrgRecord[]>();
    for (const child of subquery.child.records.values()) {
      if (child.IsDeleted === true && !reader.includeDeleted) continue;
      const parentId = child[subquery.field.name];
      if (typeof parentId !== 'string' || !parents.has(parentId)) continue;
      if (subquery.where && !subquery.where(child)) continue;
      const list = byParent.get(parentId);
      if (list) list.push(child);
      else byParent.set(parentId, [child]);
    }
    out.set(subquery.relationshipName, byParent);
  }
  return out;
}
