/**
 * The plan of one object's sync, fixed before anything is read: the describe's columns, the cursor, full or
 * incremental, the work tables, and how staging's columns fit the existing table.
 */
import type { Logger } from '@kicksaw/core';
import { describeColumns, planColumns, withSyncColumns } from './create.js';
import { readSyncState, type SyncState } from './state.js';
import type { ObjectSyncSummary, SyncOptions } from './sync-options.js';
import type { ColumnSpec, TableColumn, Warehouse } from './warehouse.js';
import { uniqueName } from './work-tables.js';

const CURSOR_FIELDS = ['SystemModstamp', 'LastModifiedDate', 'CreatedDate'];

/** What every step of a sync run works with. */
export interface SyncContext {
  options: SyncOptions;
  warehouse: Warehouse;
  logger: Logger;
  now: () => Date;
}

/** One object's sync, planned. */
export interface ObjectPlan {
  objectName: string;
  table: string;
  /** The describe's columns, in the order they are read. */
  columns: ColumnSpec[];
  /** `columns` plus the sync's own (`_kicksaw_deleted_at`). */
  allColumns: ColumnSpec[];
  /** The staging table's columns: the target's SQL types where the column exists, so the merge needs no cast. */
  stagingColumns: ColumnSpec[];
  fieldList: string[];
  formulaFields: string[];
  cursorField: string | null;
  hasIsDeleted: boolean;
  state: SyncState | undefined;
  full: boolean;
  /** queryAll brings soft-deleted rows (marked, or removed with hardDeletes); a full rebuild with hardDeletes skips them. */
  includeDeleted: boolean;
  /** The new table a full sync builds and swaps in. */
  rebuilt: string | undefined;
  /**
   * A full read through the engine's CSV loader goes straight into the new table: a Bulk query result holds
   * each Id once (one snapshot), so there is nothing to merge, and the rows are written once instead of twice.
   * Should an engine without enforced keys see an Id twice, they are merged into `deduplicated` instead.
   */
  direct: boolean;
  staging: string;
  deduplicated: string;
  idsTable: string;
  formulasTable: string;
}

/** Describes the object, reads its state and table, and plans the run; the summary starts from the plan. */
export async function planObject(
  context: SyncContext,
  requested: string,
): Promise<{ plan: ObjectPlan; summary: ObjectSyncSummary }> {
  const { options, warehouse } = context;
  const { objectName, columns, fieldNames, formulaFields } = await describeColumns({
    connection: options.connection,
    object: requested,
    fields: options.fields,
    overrides: options.overrides,
  });
  const table = options.tables?.[requested] ?? options.tables?.[objectName] ?? objectName;
  const cursorField = CURSOR_FIELDS.find((f) => fieldNames.has(f)) ?? null;
  const hasIsDeleted = fieldNames.has('IsDeleted');
  const state = await readSyncState(warehouse, table);
  const existing = await warehouse.listColumns(table);
  const full = options.full === true || !state || !existing || !cursorField || !state.cursorValue;
  const allColumns = withSyncColumns(columns);
  const rebuilt = full ? uniqueName(`${table}__kicksaw_new`).slice(0, 60) : undefined;
  const direct = rebuilt !== undefined && typeof warehouse.loadCsv === 'function';
  const plan: ObjectPlan = {
    objectName,
    table,
    columns,
    allColumns,
    stagingColumns: columns,
    fieldList: columns.map((c) => c.name),
    formulaFields,
    cursorField,
    hasIsDeleted,
    state,
    full,
    includeDeleted: hasIsDeleted && !(full && options.hardDeletes),
    rebuilt,
    direct,
    staging: direct ? rebuilt : uniqueName('_kicksaw_stage'),
    deduplicated: uniqueName(`${table}__kicksaw_dedup`).slice(0, 60),
    idsTable: uniqueName('_kicksaw_ids'),
    formulasTable: uniqueName('_kicksaw_formulas'),
  };
  const summary = startSummary(plan);
  if (existing) planAgainstTable(context, plan, summary, existing);
  return { plan, summary };
}

function startSummary(plan: ObjectPlan): ObjectSyncSummary {
  const { full, state } = plan;
  return {
    object: plan.objectName,
    table: plan.table,
    mode: full ? 'full' : 'incremental',
    read: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    stale: 0,
    duplicates: 0,
    deleted: 0,
    undeleted: 0,
    deleteCheck: full ? 'full' : 'soft',
    columnsAdded: [],
    columnsNotInSalesforce: [],
    typeChanges: [],
    formulaFields: plan.formulaFields,
    formulasRefreshed: full && plan.formulaFields.length > 0,
    formulaRowsUpdated: 0,
    cursorField: plan.cursorField,
    cursorBefore: state?.cursorValue ?? null,
    cursorAfter: state?.cursorValue ?? null,
    durationMs: 0,
  };
}

/** Columns to add, columns Salesforce no longer lists, type changes; staging takes the table's own types. */
function planAgainstTable(
  context: SyncContext,
  plan: ObjectPlan,
  summary: ObjectSyncSummary,
  existing: TableColumn[],
): void {
  const columnPlan = planColumns(context.warehouse, existing, plan.allColumns);
  summary.columnsNotInSalesforce = columnPlan.notInSalesforce;
  if (plan.full) return;
  summary.columnsAdded = columnPlan.missing.map((c) => c.name);
  summary.typeChanges = columnPlan.typeChanges;
  for (const change of columnPlan.typeChanges) {
    context.logger.warn('Column type differs from the describe', { table: plan.table, ...change });
  }
  const existingTypes = new Map(existing.map((c) => [c.name, c.sqlType]));
  plan.stagingColumns = plan.columns.map((c) => {
    const sqlType = existingTypes.get(c.name);
    return sqlType ? { name: c.name, type: { kind: 'sql', sql: sqlType } } : c;
  });
}

/** The describe's type of each staging column (staging may hold the table's own SQL types). */
export function describedTypes(plan: ObjectPlan, columns: readonly ColumnSpec[]): ColumnSpec['type'][] {
  return columns.map((c) => plan.columns.find((d) => d.name === c.name)?.type ?? c.type);
}
