// Query planning: which records a WHERE clause needs scanned, using the Id, the org's value indexes and its range
// indexes on SystemModstamp and CreatedDate.
import type { WhereClause } from '@jetstreamapp/soql-parser-js';
import type { OrgRecord } from '../contract.js';
import { normalizeId } from '../ids.js';
import { STAMP_FIELDS, stampKey } from '../org/modstamp-index.js';
import type { ObjectStore } from '../org/store.js';
import type { CompiledField } from '../schema/compile.js';
import { filterOf, isRange, literalValues, unquote } from './literals.js';
import type { QuerySource } from './source.js';

/**
 * The records a WHERE clause needs tested: `records` (named by Id or a unique key), or `places` (ascending places in
 * the store's `RecordMap`, found by a range index; read with `recordAt` / `keptAt`). Both are in store order.
 */
export type Candidates = { records: OrgRecord[]; places?: undefined } | { places: Int32Array; records?: undefined };

/**
 * A range index is used when at most this share of the records falls in the range (the index's entries, counted
 * before the records are read); past it, a scan costs about the same and keeps a Bulk query's rows as the store keeps
 * them.
 */
const RANGE_SHARE = 0.5;

/**
 * A tiny query planner: when the WHERE clause is a plain AND chain (no OR, NOT or parentheses) with a condition
 * `Id = '...'` / `Id IN (...)`, or `=` / `IN` on a case-insensitive unique or external id field, only the
 * records those values name are scanned; else, with `<`, `<=`, `>`, `>=` or `=` conditions on SystemModstamp or
 * CreatedDate (datetime or date literals), only the records the field's range index finds in the range. The whole
 * WHERE still runs on the candidates. Undefined means a full scan. `now`: the time the WHERE's date literals were
 * compiled against.
 */
export function plannedCandidates(
  org: QuerySource,
  store: ObjectStore,
  where: WhereClause,
  alias: string | undefined,
  includeDeleted: boolean,
  now: Date,
): Candidates | undefined {
  const conditions = andChain(where) ?? [];
  const ranges = new Map<string, { low: number; high: number }>();
  for (const condition of conditions) {
    const operator = String(condition.operator).toUpperCase();
    const field = fieldOf(store, condition, alias);
    if (!field) continue;
    if (STAMP_FIELDS.includes(field.name) && field.valueType === 'datetime') {
      narrowRange(ranges, field, condition, operator, now);
    }
    if (operator !== '=' && operator !== 'IN') continue;
    const values = Array.isArray(condition.value) ? condition.value : [condition.value];
    const types = Array.isArray(condition.literalType)
      ? condition.literalType
      : values.map(() => condition.literalType);
    if (!types.every((type) => type === 'STRING')) continue;
    const texts = (values as string[]).map(unquote);
    if (field.type === 'id') return { records: recordsById(store, texts) };
    if (!includeDeleted && field.indexed && !field.caseSensitive) {
      const found = org.indexedRecords(store, field, texts);
      if (found) return { records: found };
    }
  }
  return rangeCandidates(store, ranges);
}

/** The field of the queried object a condition tests (its alias taken off), or undefined (a parent's, a function). */
function fieldOf(
  store: ObjectStore,
  condition: Record<string, unknown>,
  alias: string | undefined,
): CompiledField | undefined {
  let name = String(condition.field);
  if (alias && name.toLowerCase().startsWith(`${alias.toLowerCase()}.`)) name = name.slice(alias.length + 1);
  if (name.includes('.')) return undefined;
  return store.object.byLower.get(name.toLowerCase());
}

/**
 * Narrows the key range of `field` in `ranges` by one condition, when it is a comparison with a datetime or date
 * literal. The bounds are inclusive and may hold a little more than the condition (`<` keeps the literal's own key),
 * since the WHERE runs on every candidate.
 */
function narrowRange(
  ranges: Map<string, { low: number; high: number }>,
  field: CompiledField,
  condition: Record<string, unknown>,
  operator: string,
  now: Date,
): void {
  if (operator !== '<' && operator !== '<=' && operator !== '>' && operator !== '>=' && operator !== '=') return;
  const type = String(condition.literalType);
  if (type !== 'DATETIME' && type !== 'DATE_LITERAL' && type !== 'DATE_N_LITERAL') return;
  // The literal converted as the compiled WHERE converts it (the same text, the same clock).
  const filter = filterOf({ rawField: field.name, field, type: 'datetime', get: () => null }, '', now);
  const literal = literalValues(filter, condition).values[0];
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  if (isRange(literal)) {
    // What operators.ts tests a date literal's [start, end) with.
    if (operator === '<') high = stampKey(literal.start);
    else if (operator === '<=') high = stampKey(literal.end);
    else if (operator === '>') low = stampKey(literal.end);
    else if (operator === '>=') low = stampKey(literal.start);
    else {
      low = stampKey(literal.start);
      high = stampKey(literal.end);
    }
  } else {
    const key = stampKey(literal);
    if (operator === '<' || operator === '<=' || operator === '=') high = key;
    if (operator === '>' || operator === '>=' || operator === '=') low = key;
  }
  if (low === -2 || high === -2) return; // a literal the index cannot key (a year past 9999)
  const range = ranges.get(field.name) ?? { low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY };
  range.low = Math.max(range.low, low);
  range.high = Math.min(range.high, high);
  ranges.set(field.name, range);
}

/** The places a range index finds for the narrowest range of `ranges`, or undefined (no usable index, too many). */
function rangeCandidates(
  store: ObjectStore,
  ranges: Map<string, { low: number; high: number }>,
): Candidates | undefined {
  let best: Int32Array | undefined;
  for (const [name, { low, high }] of ranges) {
    const limit = best ? best.length : Math.floor(store.records.size * RANGE_SHARE);
    const places = store.records.stampRange(name, low, high, limit);
    if (places && (!best || places.length < best.length)) best = places;
  }
  return best ? { places: best } : undefined;
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
