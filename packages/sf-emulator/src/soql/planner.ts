// Query planning: which records a WHERE clause needs scanned, using the Id and the org's value indexes.
import type { WhereClause } from '@jetstreamapp/soql-parser-js';
import type { OrgRecord } from '../contract.js';
import { normalizeId } from '../ids.js';
import type { ObjectStore } from '../org/store.js';
import { unquote } from './literals.js';
import type { QuerySource } from './source.js';

/**
 * A tiny query planner: when the WHERE clause is a plain AND chain (no OR, NOT or parentheses) with a condition
 * `Id = '...'` / `Id IN (...)`, or `=` / `IN` on a case-insensitive unique or external id field, only the
 * records those values name are scanned (the whole WHERE still runs on them). Undefined means a full scan.
 */
export function plannedCandidates(
  org: QuerySource,
  store: ObjectStore,
  where: WhereClause,
  alias: string | undefined,
  includeDeleted: boolean,
): OrgRecord[] | undefined {
  for (const condition of andChain(where) ?? []) {
    const operator = String(condition.operator).toUpperCase();
    if (operator !== '=' && operator !== 'IN') continue;
    let name = String(condition.field);
    if (alias && name.toLowerCase().startsWith(`${alias.toLowerCase()}.`)) name = name.slice(alias.length + 1);
    if (name.includes('.')) continue;
    const field = store.object.byLower.get(name.toLowerCase());
    if (!field) continue;
    const values = Array.isArray(condition.value) ? condition.value : [condition.value];
    const types = Array.isArray(condition.literalType)
      ? condition.literalType
      : values.map(() => condition.literalType);
    if (!types.every((type) => type === 'STRING')) continue;
    const texts = (values as string[]).map(unquote);
    if (field.type === 'id') return recordsById(store, texts);
    if (!includeDeleted && field.indexed && !field.caseSensitive) {
      const found = org.indexedRecords(store, field, texts);
      if (found) return found;
    }
  }
  return undefined;
}

/** The conditions of a WHERE clause that is a plain AND chain of field conditions, else undefined. */
function andChain(where: WhereClause): Array<Record<string, unknown>> | undefined {
  const conditions: Array<Record<string, unknown>> = [];
  let node: WhereClause | undefined = where;
  while (node) {
    const left = node.left as Record<string, unknown> | null;
    const operator = 'operator' in node ? node.operator : undefined;
    if (operator !== undefined && operator !== 'AND') return undefined;
    if (!left || !('field' in left) || 'openParen' in left || 'closeParen' in left || 'valueQuery' in left) {
      return undefined;
    }
    conditions.push(left);
    node = 'right' in node ? (node.right as WhereClause | undefined) : undefined;
  }
  return conditions;
}

/** The stored records (live or deleted) with the given ids, each once, in the order named. */
function recordsById(store: ObjectStore, texts: string[]): OrgRecord[] {
  const out: OrgRecord[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const id = normalizeId(text);
    if (!id || seen.has(id)) continue;
    seen.add(id);
    const record = store.records.get(id);
    if (record) out.push(record);
  }
  return out;
}
