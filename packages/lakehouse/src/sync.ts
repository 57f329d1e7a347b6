/**
 * {@link sync}: Salesforce objects into warehouse tables. The steps of one object read top to bottom in
 * `syncObject`: plan (sync-plan.ts), read into staging (sync-read.ts), formulas and deletes looked up
 * (sync-read.ts, sync-deletes.ts), then one transaction writes it all (sync-apply.ts).
 */
import { silentLogger } from '@kicksaw/core';
import { LakehouseError } from './errors.js';
import { ensureSyncStateTable, type SyncState } from './state.js';
import { applyRun, toDate } from './sync-apply.js';
import { findDeletes } from './sync-deletes.js';
import {
  type ObjectSyncSummary,
  SyncError,
  type SyncFailure,
  type SyncOptions,
  type SyncSummary,
} from './sync-options.js';
import { type ObjectPlan, planObject, type SyncContext } from './sync-plan.js';
import { readFormulas, readIntoStaging } from './sync-read.js';

/**
 * Copies Salesforce objects into warehouse tables, in full the first time (or with `full`) and incrementally
 * after: rows whose cursor (SystemModstamp, else LastModifiedDate, else CreatedDate) is at or after the last
 * cursor minus the lookback are read through `queryAll` (REST for small deltas, Bulk API 2.0 above),
 * streamed into a staging table and merged (duplicates collapsed, an older row never overwriting a newer
 * one). Soft deletes arrive with `IsDeleted`; hard deletes and purged rows come from the replication API or
 * an Id reconciliation. New fields become new columns; removed fields keep their column and data; type
 * changes are reported. Each object is atomic: a failure leaves its table and cursor as they were.
 *
 * @example
 * ```ts
 * const summary = await sync({ connection: conn, warehouse, objects: ['Account', 'Contact'] });
 * for (const o of summary.objects) console.log(o.object, o.mode, o.inserted, o.updated, o.deleted);
 * ```
 */
export async function sync(options: SyncOptions): Promise<SyncSummary> {
  const logger = options.logger ?? silentLogger;
  const context: SyncContext = {
    options,
    warehouse: options.warehouse,
    logger,
    now: options.now ?? (() => new Date()),
  };
  const objects = typeof options.objects === 'string' ? [options.objects] : [...options.objects];
  if (objects.length === 0) throw new LakehouseError('sync needs at least one object', { code: 'SYNC_NO_OBJECTS' });
  await ensureSyncStateTable(options.warehouse);
  const summary: SyncSummary = { objects: [], failures: [] };
  for (const object of objects) {
    options.signal?.throwIfAborted();
    try {
      summary.objects.push(await syncObject(context, object));
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'SYNC_OBJECT_FAILED';
      const message = error instanceof Error ? error.message : String(error);
      logger.error('Sync of an object failed; its table and cursor are unchanged', { object, code, message });
      summary.failures.push({ object, code, message, error });
      if (options.signal?.aborted) break;
    }
  }
  if (summary.failures.length > 0) {
    const first = summary.failures[0] as SyncFailure;
    throw new SyncError(
      `Sync failed for ${summary.failures.map((f) => f.object).join(', ')}: ${first.message} (tables and cursors of failed objects are unchanged; run the sync again)`,
      summary,
      first.error,
    );
  }
  return summary;
}

async function syncObject(context: SyncContext, requested: string): Promise<ObjectSyncSummary> {
  const { options, warehouse, logger } = context;
  const started = Date.now();
  options.onProgress?.({ object: requested, phase: 'describe', rows: 0 });
  const { plan, summary } = await planObject(context, requested);
  const { objectName } = plan;
  try {
    if (plan.direct) await warehouse.createTable(plan.staging, plan.allColumns, { primaryKey: 'Id' });
    else await warehouse.createTable(plan.staging, plan.stagingColumns);
    summary.read = await readIntoStaging(context, plan);
    options.onProgress?.({ object: objectName, phase: 'read', rows: summary.read });
    options.signal?.throwIfAborted();

    const runNow = await runTime(context, plan);
    // Formula fields in full (only their columns are written), when asked or when the schedule says so.
    const refreshFormulas =
      !plan.full && plan.formulaFields.length > 0 && formulaRefreshDue(options.refreshFormulas, plan.state, runNow);
    if (refreshFormulas) {
      await readFormulas(context, plan);
      summary.formulasRefreshed = true;
    }
    // Hard deletes are looked up before the transaction (API calls), applied inside it.
    const deletes = await findDeletes(context, plan, summary, runNow);

    options.onProgress?.({ object: objectName, phase: 'merge', rows: summary.read });
    const applied = await warehouse.transaction((session) =>
      applyRun(session, plan, { options, runNow, refreshFormulas, columnsAdded: summary.columnsAdded, deletes }),
    );
    summary.inserted = applied.result.inserted;
    summary.updated = applied.result.updated;
    summary.unchanged = applied.result.unchanged;
    summary.stale = applied.result.stale;
    summary.duplicates = applied.result.duplicates;
    summary.deleted = applied.deleted;
    summary.undeleted = applied.undeleted;
    summary.cursorAfter = applied.cursorAfter;
    summary.formulaRowsUpdated = applied.formulaRowsUpdated;
  } finally {
    await dropWorkTables(context, plan);
  }
  summary.durationMs = Date.now() - started;
  options.onProgress?.({ object: objectName, phase: 'done', rows: summary.read });
  logger.info('Synced', { ...summary, typeChanges: summary.typeChanges.length });
  return summary;
}

/**
 * "Now" for the replication window and deleted-at stamps: this machine's clock (or `now`), but never earlier
 * than the newest row just read, which is on the org's clock (a local org with a moved clock, a machine
 * running late).
 */
async function runTime(context: SyncContext, plan: ObjectPlan): Promise<Date> {
  const { warehouse } = context;
  let runNow = context.now();
  if (!plan.cursorField) return runNow;
  for await (const row of warehouse.query(
    `SELECT max(${warehouse.quoteIdentifier(plan.cursorField)}) AS v FROM ${warehouse.quoteTable(plan.staging)}`,
  )) {
    const newest = toDate(row.v);
    if (newest && newest.getTime() > runNow.getTime()) runNow = newest;
  }
  return runNow;
}

/** Whether this run reads the formula fields in full: asked for, or the last full read is older than the schedule. */
function formulaRefreshDue(option: SyncOptions['refreshFormulas'], state: SyncState | undefined, now: Date): boolean {
  if (option === undefined || option === false) return false;
  if (option === true) return true;
  const last = state?.formulasRefreshedAt ?? state?.lastFullSyncAt ?? null;
  return last === null || now.getTime() - last.getTime() >= option.olderThanMs;
}

async function dropWorkTables(context: SyncContext, plan: ObjectPlan): Promise<void> {
  const { warehouse } = context;
  await warehouse.dropTable(plan.staging).catch(() => undefined);
  await warehouse.dropTable(plan.idsTable).catch(() => undefined);
  await warehouse.dropTable(plan.formulasTable).catch(() => undefined);
  if (plan.rebuilt) await warehouse.dropTable(plan.rebuilt).catch(() => undefined);
  if (plan.direct) await warehouse.dropTable(plan.deduplicated).catch(() => undefined);
}
