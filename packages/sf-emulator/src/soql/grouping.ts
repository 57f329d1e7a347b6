// GROUP BY and HAVING: one AggregateResult row per group, filtered, ordered and paged.
import type { Query, WhereClause } from '@jetstreamapp/soql-parser-js';
import type { OrgRecord, QueryResult } from '../contract.js';
import type { ObjectStore } from '../org/store.js';
import { AGGREGATE_FUNCTIONS, aggregate, GROUP } from './aggregates.js';
import type { QueryCompiler } from './compiler.js';
import { malformed, unsupported } from './errors.js';
import { transformed } from './format.js';
import { compareKeys, sortValue } from './ordering.js';
import type { FieldPath, SelectItem, SortDirection } from './types.js';

/** One group's output row and the records it aggregates. */
type Row = { out: Record<string, unknown>; records: OrgRecord[] };

/** An ORDER BY key of a grouped query: a grouped field or an aggregate, computed per group. */
type GroupOrderKey = SortDirection & { compute: (row: Row) => unknown };

/** GROUP BY on plain fields (no ROLLUP/CUBE): one AggregateResult record per group, HAVING applied. */
export function runGrouped(
  compiler: QueryCompiler,
  store: ObjectStore,
  query: Query,
  items: SelectItem[],
  includeDeleted: boolean,
): QueryResult {
  const object = store.object;
  const alias = query.sObjectAlias;
  const groupPaths = groupByPaths(compiler, store, query, items);
  const where = query.where ? compiler.compileWhere(object, query.where, alias) : undefined;
  const groups = new Map<string, OrgRecord[]>();
  for (const record of store.records.values()) {
    if (!includeDeleted && record.IsDeleted === true) continue;
    if (where && !where(record)) continue;
    const key = JSON.stringify(
      groupPaths.map((path) => {
        const value = compiler.valueAt(path, record);
        return typeof value === 'string' ? value.toLowerCase() : value;
      }),
    );
    const list = groups.get(key);
    if (list) list.push(record);
    else groups.set(key, [record]);
  }
  let expression = 0;
  const columns = items.map((item) => {
    if (item.kind === 'aggregate') return item.aggregate!.alias || `expr${expression++}`;
    return item.key ?? item.path!.field.name;
  });
  let rows: Row[] = [...groups.values()].map((records) => groupRow(compiler, items, columns, records));
  if (query.having) {
    const having = compiler.compileWhere(object, query.having as WhereClause, alias, true);
    rows = rows.filter((row) => having({ [GROUP]: row.records } as unknown as OrgRecord));
  }
  rows = sortGroups(rows, groupOrderKeys(compiler, store, query, groupPaths));
  if (query.offset) rows = rows.slice(query.offset);
  if (query.limit !== undefined) rows = rows.slice(0, query.limit);
  return { totalSize: rows.length, records: rows.map((row) => row.out), columns, isCount: false };
}

/** The GROUP BY paths, after checking that every selected field is grouped. */
function groupByPaths(compiler: QueryCompiler, store: ObjectStore, query: Query, items: SelectItem[]): FieldPath[] {
  const clauses = Array.isArray(query.groupBy) ? query.groupBy! : [query.groupBy!];
  const groupPaths = clauses.map((clause) => {
    if (!('field' in clause)) throw unsupported(`GROUP BY ${clause.fn.rawValue ?? clause.fn.functionName ?? ''}`);
    return compiler.resolvePath(store.object, clause.field, query.sObjectAlias);
  });
  if (items.some((item) => item.kind === 'subquery')) throw malformed('A subquery cannot be used with GROUP BY');
  if (items.some((item) => item.kind === 'typeof')) throw unsupported('TYPEOF with GROUP BY');
  for (const item of items) {
    if (item.kind !== 'field') continue;
    if (!groupPaths.some((path) => path.path === item.path!.path)) {
      throw malformed(`Field must be grouped or aggregated: ${item.path!.path}`);
    }
  }
  return groupPaths;
}

/** The AggregateResult row of one group: aggregates over its records, grouped fields read on its first. */
function groupRow(compiler: QueryCompiler, items: SelectItem[], keys: string[], records: OrgRecord[]): Row {
  const out: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
  items.forEach((item, index) => {
    const key = keys[index]!;
    out[key] =
      item.kind === 'aggregate'
        ? aggregate(compiler, item.aggregate!.fn, item.aggregate!.path, records)
        : transformed(item, compiler.valueAt(item.path!, records[0]!));
  });
  return { out, records };
}

function groupOrderKeys(
  compiler: QueryCompiler,
  store: ObjectStore,
  query: Query,
  groupPaths: FieldPath[],
): GroupOrderKey[] {
  const object = store.object;
  const alias = query.sObjectAlias;
  const orderBy = query.orderBy ? (Array.isArray(query.orderBy) ? query.orderBy : [query.orderBy]) : [];
  return orderBy.map((clause) => {
    let compute: (row: Row) => unknown;
    if ('field' in clause && clause.field) {
      const path = compiler.resolvePath(object, clause.field, alias);
      if (!groupPaths.some((candidate) => candidate.path === path.path)) {
        throw malformed(`Ordered field must be grouped or aggregated: ${path.path}`);
      }
      compute = (row) => compiler.valueAt(path, row.records[0]!);
    } else if ('fn' in clause) {
      const fn = String(clause.fn.functionName ?? '').toUpperCase();
      const parameter = clause.fn.parameters?.[0];
      if (!AGGREGATE_FUNCTIONS.includes(fn) || typeof parameter === 'object') {
        throw unsupported(`ORDER BY ${clause.fn.rawValue ?? fn}`);
      }
      const path = parameter === undefined ? undefined : compiler.resolvePath(object, parameter, alias);
      compute = (row) => aggregate(compiler, fn, path, row.records);
    } else throw unsupported('This ORDER BY clause');
    return { compute, descending: clause.order === 'DESC', nullsLast: clause.nulls === 'LAST' };
  });
}

function sortGroups(rows: Row[], keys: GroupOrderKey[]): Row[] {
  if (keys.length === 0) return rows;
  const keyed = rows.map((row) => ({ row, values: keys.map((key) => sortValue(key.compute(row))) }));
  keyed.sort((a, b) => compareKeys(a.values, b.values, keys));
  return keyed.map((entry) => entry.row);
}
