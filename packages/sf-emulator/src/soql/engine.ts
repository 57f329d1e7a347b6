/**
 * The SOQL engine's entry points: parses with `@jetstreamapp/soql-parser-js`, checks every name against the org's
 * schema, then filters, sorts, pages and projects records into Salesforce's REST shape (or, for Bulk API query
 * jobs, into column readers over the stored records). Anything it does not support fails with MALFORMED_QUERY
 * naming the construct, never a wrong answer. It reads the org through {@link QuerySource} only.
 */
import { parseQuery, type Query } from '@jetstreamapp/soql-parser-js';
import { OrgError, type OrgRecord, type QueryResult } from '../contract.js';
import type { ObjectStore } from '../org/store.js';
import { aggregate } from './aggregates.js';
import { QueryCompiler } from './compiler.js';
import { bulkRefusal, malformed, positioned } from './errors.js';
import { transformed } from './format.js';
import { runGrouped } from './grouping.js';
import { sortRecords } from './ordering.js';
import { type Candidates, plannedCandidates } from './planner.js';
import { childIndex, project } from './projection.js';
import type { QuerySource } from './source.js';
import type { FieldPath, Predicate, SelectItem } from './types.js';

export type { QuerySource } from './source.js';

/** Runs a SOQL query against an org. `includeDeleted`: queryAll. */
export function runQuery(org: QuerySource, soql: string, includeDeleted: boolean): QueryResult {
  let query: Query;
  try {
    query = parseQuery(soql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const found = /but found: '([^']*)'/.exec(message);
    if (found) throw malformed(positioned(soql, found[1]!, `unexpected token: '${found[1]}'`));
    throw malformed(message.split('\n')[0] ?? message);
  }
  return runParsed(org, soql, query, includeDeleted);
}

/** A compiler for one query; semi-join subqueries run as queries of their own (deleted records excluded). */
function compilerFor(org: QuerySource, soql: string, includeDeleted: boolean): QueryCompiler {
  return new QueryCompiler(org, soql, includeDeleted, (inner) => runParsed(org, soql, inner, false));
}

/** `SELECT COUNT() FROM ...` alone: the count, no records. */
function isPlainCount(query: Query): boolean {
  const fields = query.fields ?? [];
  const first = fields[0];
  return (
    fields.length === 1 &&
    first?.type === 'FieldFunctionExpression' &&
    first.functionName.toUpperCase() === 'COUNT' &&
    first.parameters.length === 0 &&
    !first.alias
  );
}

function runParsed(org: QuerySource, soql: string, query: Query, includeDeleted: boolean): QueryResult {
  const compiler = compilerFor(org, soql, includeDeleted);
  compiler.checkQueryShape(query, false);
  if (!query.sObject) throw malformed('A FROM clause is required');
  const store = compiler.objectStore(query.sObject);
  const object = store.object;
  const alias = query.sObjectAlias;
  const isCount = isPlainCount(query);
  const items = isCount ? [] : compiler.compileSelect(store, query.fields ?? [], query, alias, false);
  const aggregates = items.filter((item) => item.kind === 'aggregate');
  if (query.groupBy) {
    if (isCount) throw malformed('COUNT() cannot be used with GROUP BY; use COUNT(Id)');
    return runGrouped(compiler, store, query, items, includeDeleted);
  }
  checkUngroupedAggregates(items, aggregates.length, isCount);
  const where = query.where ? compiler.compileWhere(object, query.where, alias) : undefined;
  const order = compiler.compileOrder(object, query.orderBy, alias);
  const matched = matchRecords(compiler, store, query, where, includeDeleted);
  if (isCount) return countResult(matched.length, query);
  if (aggregates.length > 0) return aggregateResult(compiler, aggregates, matched);
  let rows = sortRecords(compiler, matched, order);
  if (query.offset) rows = rows.slice(query.offset);
  if (query.limit !== undefined) rows = rows.slice(0, query.limit);
  const children = items.some((item) => item.kind === 'subquery') ? childIndex(compiler, rows, items) : undefined;
  const records = rows.map((record) => project(compiler, object, record, items, children));
  const columns = items.map((item) => (item.kind === 'subquery' ? item.subquery!.relationshipName : item.path!.path));
  return { totalSize: records.length, records, columns, isCount: false };
}

/** Without GROUP BY, aggregates are all or nothing of the SELECT list, and COUNT() stands alone. */
function checkUngroupedAggregates(items: SelectItem[], aggregates: number, isCount: boolean): void {
  if (aggregates > 0 && aggregates !== items.length) {
    throw new OrgError(
      'MALFORMED_QUERY',
      'Field must be grouped or aggregated: an aggregate query without GROUP BY selects only aggregate functions',
    );
  }
  if (
    !isCount &&
    items.some((item) => item.kind === 'aggregate' && item.aggregate!.fn === 'COUNT' && !item.aggregate!.path) &&
    items.length > 1
  ) {
    throw malformed('COUNT() must be the only item of the SELECT list');
  }
}

/** The records that pass WHERE, in store order: the planned candidates when the planner finds some, else all. */
function matchRecords(
  compiler: QueryCompiler,
  store: ObjectStore,
  query: Query,
  where: Predicate | undefined,
  includeDeleted: boolean,
): OrgRecord[] {
  const matched: OrgRecord[] = [];
  const skipDeleted = !includeDeleted && store.deleted > 0;
  const candidates = planned(compiler, store, query, includeDeleted);
  if (candidates?.places) {
    const places = candidates.places;
    const records = store.records;
    for (let at = 0; at < places.length; at++) {
      const record = records.recordAt(places[at]!);
      if (record === undefined) continue;
      if (skipDeleted && record.IsDeleted === true) continue;
      if (where && !where(record)) continue;
      matched.push(record);
    }
    return matched;
  }
  for (const record of candidates?.records ?? store.records.values()) {
    if (skipDeleted && record.IsDeleted === true) continue;
    if (where && !where(record)) continue;
    matched.push(record);
  }
  return matched;
}

/** The planner's candidates for a query's WHERE, or undefined (a full scan). */
function planned(
  compiler: QueryCompiler,
  store: ObjectStore,
  query: Query,
  includeDeleted: boolean,
): Candidates | undefined {
  if (!query.where) return undefined;
  return plannedCandidates(compiler.org, store, query.where, query.sObjectAlias, includeDeleted, compiler.now);
}

/**
 * {@link matchRecords} for a Bulk query: the rows as the store keeps them (records kept as columns are built only to
 * test WHERE, and not at all without one), and how to build the record of a row.
 */
function matchKept(
  compiler: QueryCompiler,
  store: ObjectStore,
  query: Query,
  where: Predicate | undefined,
  includeDeleted: boolean,
  names: readonly string[] | undefined,
): {
  rows: Array<OrgRecord | number>;
  recordOf: (row: OrgRecord | number) => OrgRecord;
  whole: (row: OrgRecord | number) => OrgRecord;
} {
  const candidates = planned(compiler, store, query, includeDeleted);
  if (candidates?.records) {
    const asRecord = (row: OrgRecord | number) => row as OrgRecord;
    return { rows: matchRecords(compiler, store, query, where, includeDeleted), recordOf: asRecord, whole: asRecord };
  }
  const { recordAt, pickAt } = store.records.keptReader();
  const whole = (row: OrgRecord | number) => (typeof row === 'number' ? recordAt(row) : row);
  // The results read the selected fields only (a sorted result is built whole before this is used).
  const recordOf = names ? (row: OrgRecord | number) => (typeof row === 'number' ? pickAt(row, names) : row) : whole;
  const skipDeleted = !includeDeleted && store.deleted > 0;
  const rows: Array<OrgRecord | number> = [];
  if (candidates?.places) {
    const places = candidates.places;
    for (let at = 0; at < places.length; at++) {
      const row = store.records.keptAt(places[at]!);
      if (row === undefined) continue;
      const record = whole(row);
      if (skipDeleted && record.IsDeleted === true) continue;
      if (where && !where(record)) continue;
      rows.push(row);
    }
    return { rows, recordOf, whole };
  }
  const all = store.records.keptRows().rows;
  if (!where && !skipDeleted) return { rows: all, recordOf, whole };
  for (const row of all) {
    const record = whole(row);
    if (skipDeleted && record.IsDeleted === true) continue;
    if (where && !where(record)) continue;
    rows.push(row);
  }
  return { rows, recordOf, whole };
}

/** `COUNT()`: the number of matches after OFFSET and LIMIT. */
function countResult(matches: number, query: Query): QueryResult {
  let count = matches;
  if (query.offset) count = Math.max(0, count - query.offset);
  if (query.limit !== undefined) count = Math.min(count, query.limit);
  return { totalSize: count, records: [], columns: [], isCount: true };
}

/** Aggregates without GROUP BY: one AggregateResult row over all matches. */
function aggregateResult(compiler: QueryCompiler, aggregates: SelectItem[], matched: OrgRecord[]): QueryResult {
  const row: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
  const columns: string[] = [];
  let expression = 0;
  for (const item of aggregates) {
    const { fn, path, alias: name } = item.aggregate!;
    const key = name || `expr${expression++}`;
    row[key] = aggregate(compiler, fn, path, matched);
    columns.push(key);
  }
  return { totalSize: 1, records: [row], columns, isCount: false };
}

/** The rows of a Bulk API query job: the matching stored records and how to read each column. */
export interface BulkQueryRows {
  /**
   * The matching stored records in result order, as the store keeps them (a record, or a number `recordOf` builds the
   * record from): a snapshot, since updates replace stored records and rows kept as columns never change.
   */
  rows: Array<OrgRecord | number>;
  /** The record of a row of `rows`. */
  recordOf: (row: OrgRecord | number) => OrgRecord;
  /** Column names in SELECT order (`Owner.Name` for parent fields). */
  columns: string[];
  /** Per column: reads its value from a stored record (parents followed, formulas computed, null when absent). */
  cells: Array<(record: OrgRecord) => unknown>;
  /** Per column: the value type (`datetime`, `string`, ...). */
  types: string[];
  /** Per column: the stored property to read directly (a plain field of the queried object), else undefined. */
  direct: Array<string | undefined>;
}

/**
 * Runs a SOQL query for a Bulk API 2.0 query job: the rows stay stored records (no REST-shaped copies), read column
 * by column when a results page is written. Refuses what Bulk query refuses: child subqueries, aggregate functions
 * (COUNT() included), GROUP BY, OFFSET and TYPEOF.
 */
export function runBulkQuery(org: QuerySource, soql: string, includeDeleted: boolean): BulkQueryRows {
  let query: Query;
  try {
    query = parseQuery(soql);
  } catch (error) {
    runQuery(org, soql, includeDeleted); // throws the syntax error worded as the REST path words it
    throw malformed(error instanceof Error ? error.message : String(error));
  }
  const compiler = compilerFor(org, soql, includeDeleted);
  compiler.checkQueryShape(query, false);
  if (!query.sObject) throw malformed('A FROM clause is required');
  checkBulkQuery(query);
  const store = compiler.objectStore(query.sObject);
  const object = store.object;
  const alias = query.sObjectAlias;
  const items = compiler.compileSelect(store, query.fields ?? [], query, alias, false);
  const where = query.where ? compiler.compileWhere(object, query.where, alias) : undefined;
  const order = compiler.compileOrder(object, query.orderBy, alias);
  if (items.some((item) => item.path!.field.valueType === 'address')) {
    throw new OrgError('INVALIDJOB', 'FUNCTIONALITY_NOT_ENABLED: Selecting compound data not supported in Bulk Query');
  }
  // When every column is a plain field, a results page reads those fields of each row and nothing else.
  const direct = items.map((item) => (!item.transform && plain(item.path!) ? item.path!.field.name : undefined));
  const names = direct.every((name) => name !== undefined) ? (direct as string[]) : undefined;
  const { rows: matched, recordOf, whole } = matchKept(compiler, store, query, where, includeDeleted, names);
  let rows = order.length > 0 ? sortRecords(compiler, matched.map(whole), order) : matched;
  if (query.limit !== undefined && rows.length > query.limit) rows = rows.slice(0, query.limit);
  return {
    rows,
    recordOf,
    columns: items.map((item) => item.key ?? item.path!.path),
    cells: items.map((item) => bulkCell(compiler, item)),
    types: items.map((item) => (item.transform ? 'string' : item.path!.field.valueType)),
    direct,
  };
}

/** Refuses what a Bulk API 2.0 query job refuses (before any name is resolved). */
function checkBulkQuery(query: Query): void {
  const fields = query.fields ?? [];
  if (fields.some((field) => field.type === 'FieldSubquery')) throw bulkRefusal('Aggregate Relationships');
  if (fields.some((field) => field.type === 'FieldTypeof')) throw bulkRefusal('TYPEOF');
  if (query.groupBy) throw bulkRefusal('GROUP BY');
  if (
    fields.some(
      (field) =>
        field.type === 'FieldFunctionExpression' &&
        /^(count|count_distinct|sum|avg|min|max)$/i.test(field.functionName),
    )
  ) {
    throw bulkRefusal('Aggregate functions');
  }
  if (query.offset !== undefined) throw bulkRefusal('OFFSET');
}

/** A plain field of the queried object (no hop, not a formula): read as a stored property. */
function plain(path: FieldPath): boolean {
  // A polymorphic path reads the field on each record's own object: never a direct property read.
  return path.hops.length === 0 && !path.field.isFormula && !path.hops.some((hop) => hop.referenceTo.length > 1);
}

/** How a Bulk query column reads its value from a stored record. */
function bulkCell(compiler: QueryCompiler, item: SelectItem): (record: OrgRecord) => unknown {
  const path = item.path!;
  if (item.transform) return (record: OrgRecord) => transformed(item, compiler.valueAt(path, record));
  if (plain(path)) {
    const name = path.field.name;
    return (record: OrgRecord) => record[name] ?? null;
  }
  return (record: OrgRecord) => compiler.valueAt(path, record);
}
