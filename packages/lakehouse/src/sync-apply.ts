/**
 * What a sync writes, in one transaction per object: staged rows merged (or a direct load checked for
 * duplicate Ids), formula columns refreshed, deletes marked (or removed), the new table swapped in, and the
 * state written. A failure anywhere leaves table and cursor as they were.
 */
import { DELETED_AT_COLUMN } from './create.js';
import { type SyncState, writeSyncState } from './state.js';
import type { FoundDeletes } from './sync-deletes.js';
import type { SyncOptions } from './sync-options.js';
import type { ObjectPlan } from './sync-plan.js';
import type { MergeResult, SqlValue, WarehouseSession } from './warehouse.js';
import { firstRow, uniqueName } from './work-tables.js';

/** What the transaction did. */
export interface Applied {
  result: MergeResult;
  deleted: number;
  undeleted: number;
  cursorAfter: Date | null;
  formulaRowsUpdated: number;
}

/** The run's inputs to the transaction beyond the plan. */
export interface ApplyInputs {
  options: SyncOptions;
  runNow: Date;
  refreshFormulas: boolean;
  columnsAdded: readonly string[];
  deletes: FoundDeletes;
}

/** The body of the object's transaction. */
export async function applyRun(session: WarehouseSession, plan: ObjectPlan, inputs: ApplyInputs): Promise<Applied> {
  const { result, target } = await mergeStaged(session, plan, inputs.columnsAdded);
  const t = session.quoteTable(target);
  const formulaRowsUpdated = inputs.refreshFormulas ? await updateFormulas(session, plan, t) : 0;
  const found = await markHardDeletes(session, plan, t, inputs.deletes, inputs.runNow);
  const { deleted, undeleted } = await settleDeletes(session, plan, t, found, inputs);
  let cursorAfter = plan.state?.cursorValue ?? null;
  if (plan.cursorField) {
    const q = (name: string) => session.quoteIdentifier(name);
    const row = await firstRow(
      session,
      `SELECT max(${q(plan.cursorField)}) AS v FROM ${session.quoteTable(plan.staging)}`,
    );
    cursorAfter = maxDate(cursorAfter, toDate(row.v));
  }
  if (plan.rebuilt) await session.swapTable(target, plan.table);
  await writeSyncState(session, nextState(plan, inputs, cursorAfter));
  return { result, deleted, undeleted, cursorAfter, formulaRowsUpdated };
}

/** Staging into the target (the rebuilt table of a full sync, else the table); returns the table written. */
async function mergeStaged(
  session: WarehouseSession,
  plan: ObjectPlan,
  columnsAdded: readonly string[],
): Promise<{ result: MergeResult; target: string }> {
  const mergeSpec = {
    staging: plan.staging,
    key: 'Id',
    columns: plan.fieldList,
    ...(plan.cursorField ? { versionColumn: plan.cursorField } : {}),
  };
  if (plan.direct) {
    const counts = await firstRow(
      session,
      `SELECT count(*) AS n, count(DISTINCT ${session.quoteIdentifier('Id')}) AS d FROM ${session.quoteTable(plan.staging)}`,
    );
    const loaded = Number(counts.n ?? 0);
    if (loaded === Number(counts.d ?? 0)) {
      return {
        result: { inserted: loaded, updated: 0, unchanged: 0, stale: 0, duplicates: 0 },
        target: plan.rebuilt ?? plan.table,
      };
    }
    await session.createTable(plan.deduplicated, plan.allColumns, { primaryKey: 'Id' });
    return { result: await session.merge({ ...mergeSpec, target: plan.deduplicated }), target: plan.deduplicated };
  }
  if (plan.rebuilt) {
    await session.createTable(plan.rebuilt, plan.allColumns, { primaryKey: 'Id' });
  } else if (columnsAdded.length > 0) {
    await session.addColumns(
      plan.table,
      plan.allColumns.filter((c) => columnsAdded.includes(c.name)),
    );
  }
  const target = plan.rebuilt ?? plan.table;
  return { result: await session.merge({ ...mergeSpec, target }), target };
}

/** Formula columns written from the formulas table where a value differs; returns the rows updated. */
async function updateFormulas(session: WarehouseSession, plan: ObjectPlan, t: string): Promise<number> {
  const q = (name: string) => session.quoteIdentifier(name);
  const set = plan.formulaFields.map((f) => `${q(f)} = f.${q(f)}`).join(', ');
  const differs = plan.formulaFields.map((f) => `t.${q(f)} IS DISTINCT FROM f.${q(f)}`).join(' OR ');
  return session.execute(
    `UPDATE ${t} AS t SET ${set} FROM ${session.quoteTable(plan.formulasTable)} AS f WHERE t.${q('Id')} = f.${q('Id')} AND (${differs})`,
  );
}

/** Marks the rows the replication API or the reconciliation found deleted; returns how many. */
async function markHardDeletes(
  session: WarehouseSession,
  plan: ObjectPlan,
  t: string,
  deletes: FoundDeletes,
  runNow: Date,
): Promise<number> {
  const q = (name: string) => session.quoteIdentifier(name);
  let found = 0;
  if (deletes.deletedIds && deletes.deletedIds.length > 0) {
    const deletedTable = uniqueName('_kicksaw_deleted');
    await session.createTable(deletedTable, [
      { name: 'Id', type: { kind: 'id' } },
      { name: 'deleted_at', type: { kind: 'timestamp' } },
    ]);
    await session.load(
      deletedTable,
      ['Id', 'deleted_at'],
      deletes.deletedIds.map((d) => [d.id, d.deletedAt]),
    );
    // A row changed after its deletion was undeleted since: the merge has it right already.
    const cursor = plan.cursorField;
    const guard = cursor ? ` AND (t.${q(cursor)} IS NULL OR t.${q(cursor)} <= d.deleted_at)` : '';
    found += await session.execute(
      `UPDATE ${t} AS t SET ${q('IsDeleted')} = TRUE, ${q(DELETED_AT_COLUMN)} = d.deleted_at FROM ${session.quoteTable(deletedTable)} AS d WHERE t.${q('Id')} = d.${q('Id')} AND t.${q(DELETED_AT_COLUMN)} IS NULL${guard}`,
    );
    await session.dropTable(deletedTable);
  }
  if (deletes.reconcile) {
    found += await session.execute(
      `UPDATE ${t} AS t SET ${q('IsDeleted')} = TRUE, ${q(DELETED_AT_COLUMN)} = CAST($1 AS TIMESTAMP) WHERE t.${q(DELETED_AT_COLUMN)} IS NULL AND (t.${q('IsDeleted')} IS NULL OR t.${q('IsDeleted')} = FALSE) AND NOT EXISTS (SELECT 1 FROM ${session.quoteTable(plan.idsTable)} AS i WHERE i.${q('Id')} = t.${q('Id')})`,
      [runNow],
    );
  }
  return found;
}

/** Deleted rows removed (`hardDeletes`) or stamped, undeleted rows unstamped. */
async function settleDeletes(
  session: WarehouseSession,
  plan: ObjectPlan,
  t: string,
  found: number,
  inputs: ApplyInputs,
): Promise<{ deleted: number; undeleted: number }> {
  if (!plan.hasIsDeleted) return { deleted: 0, undeleted: 0 };
  const q = (name: string) => session.quoteIdentifier(name);
  if (inputs.options.hardDeletes) {
    return { deleted: await session.execute(`DELETE FROM ${t} WHERE ${q('IsDeleted')} = TRUE`), undeleted: 0 };
  }
  const stamp = plan.cursorField ? q(plan.cursorField) : 'CAST($1 AS TIMESTAMP)';
  const params: SqlValue[] = plan.cursorField ? [] : [inputs.runNow];
  const deleted =
    found +
    (await session.execute(
      `UPDATE ${t} SET ${q(DELETED_AT_COLUMN)} = ${stamp} WHERE ${q('IsDeleted')} = TRUE AND ${q(DELETED_AT_COLUMN)} IS NULL`,
      params,
    ));
  const undeleted = await session.execute(
    `UPDATE ${t} SET ${q(DELETED_AT_COLUMN)} = NULL WHERE (${q('IsDeleted')} = FALSE OR ${q('IsDeleted')} IS NULL) AND ${q(DELETED_AT_COLUMN)} IS NOT NULL`,
  );
  return { deleted, undeleted };
}

function nextState(plan: ObjectPlan, inputs: ApplyInputs, cursorAfter: Date | null): SyncState {
  const { full, state, formulaFields } = plan;
  const { runNow } = inputs;
  return {
    table: plan.table,
    object: plan.objectName,
    cursorField: plan.cursorField,
    cursorValue: cursorAfter,
    deletesCheckedAt: full ? runNow : inputs.deletes.deletesCheckedAt,
    lastFullSyncAt: full ? runNow : (state?.lastFullSyncAt ?? null),
    lastSyncAt: runNow,
    formulasRefreshedAt:
      full || inputs.refreshFormulas
        ? formulaFields.length > 0
          ? runNow
          : null
        : (state?.formulasRefreshedAt ?? null),
  };
}

function maxDate(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() >= b.getTime() ? a : b;
}

/** A timestamp read back from a warehouse (a `Date`, or text in UTC) as a `Date`. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const date = new Date(`${String(value).replace(' ', 'T')}${/[zZ]|[+-]\d\d:?\d\d$/.test(String(value)) ? '' : 'Z'}`);
  return Number.isNaN(date.getTime()) ? null : date;
}
