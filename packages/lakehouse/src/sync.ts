import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { type Logger, silentLogger } from '@kicksaw/core';
import { query, queryPages, soqlLiteral } from '@kicksaw/sf-bulk';
import { DELETED_AT_COLUMN, describeColumns, planColumns, type TypeChange, withSyncColumns } from './create.js';
import { LakehouseError } from './errors.js';
import type { LakehouseBaseOptions } from './options.js';
import { ensureSyncStateTable, readSyncState, type SyncState, writeSyncState } from './state.js';
import { type TypeOverrides, toSqlValue } from './types.js';
import type { ColumnSpec, MergeResult, SqlValue, Warehouse, WarehouseSession } from './warehouse.js';

/**
 * How deletes are found beyond the soft deletes `queryAll` returns.
 *
 * - `auto` (default): the replication API (`sobjects/{T}/deleted`) while the last check is inside its
 *   window (15 days), else an Id reconciliation.
 * - `replication`: the replication API only (fails when it cannot answer).
 * - `reconcile`: compare every Id (reads all Ids of the object).
 * - `soft`: only soft deletes seen through `queryAll` (hard deletes and purged rows are missed).
 */
export type DeleteDetection = 'auto' | 'replication' | 'reconcile' | 'soft';

/**
 * Options of {@link sync}.
 *
 * @example
 * ```ts
 * await sync({ connection: conn, warehouse, objects: ['Account', 'Contact'], lookbackMs: 10 * 60_000 } satisfies SyncOptions);
 * ```
 */
export interface SyncOptions extends LakehouseBaseOptions {
  /** One object or several (synced one after the other, each atomically). */
  objects: string | readonly string[];
  /** Table names by object. Default: the object's API name. */
  tables?: Record<string, string>;
  /** Rebuild the table from a full read into a new table swapped in at the end. Default: only when never synced. */
  full?: boolean;
  /** Re-read this far before the cursor (late commits). Default 10 minutes. */
  lookbackMs?: number;
  /** A SOQL condition added to every read (LHT's `--where`), e.g. `IsPersonAccount = false`. */
  where?: string;
  /** Only these fields (Id, IsDeleted and the timestamps are always read). Default all. */
  fields?: readonly string[];
  overrides?: TypeOverrides;
  /** Remove deleted rows instead of marking them (`IsDeleted = true`, `_kicksaw_deleted_at`). Default false. */
  hardDeletes?: boolean;
  deletes?: DeleteDetection;
  /** Rows a REST page may hold before a delta goes through Bulk API 2.0 instead. Default 10,000. */
  restMaxRows?: number;
  /**
   * Rows per Bulk result page. Default 200,000 when the engine loads pages itself (`loadCsv`: a page is a file on
   * disk, and fewer, larger loads cost the engine less), else 50,000.
   */
  pageSize?: number;
  /**
   * Re-read the formula fields (describe `calculated: true`) of every row and update only those columns where
   * a value changed. A formula's value can change without SystemModstamp moving (TODAY(), a parent's field, a
   * custom setting), so an incremental read alone misses it. `true`: in this run; `{ olderThanMs }`: when the
   * last full read of the formulas (kept in `_kicksaw_sync_state`) is older than that, so a frequent sync
   * refreshes them on a schedule. A full sync reads them anyway. Default: never (only changed rows' formulas).
   */
  refreshFormulas?: boolean | { olderThanMs: number };
  /**
   * The org's current time (the replication window's end, deleted-at of reconciled rows). Default this machine's
   * clock, or the newest SystemModstamp read in the run when that is later.
   */
  now?: () => Date;
}

/**
 * What one object's sync did. Every distinct row read is one of inserted / updated / unchanged / stale.
 *
 * @example
 * ```ts
 * const [account]: ObjectSyncSummary[] = (await sync(options)).objects;
 * console.log(account.mode, account.read, account.inserted, account.updated, account.deleted);
 * ```
 */
export interface ObjectSyncSummary {
  object: string;
  table: string;
  mode: 'full' | 'incremental';
  /** Rows read from Salesforce. */
  read: number;
  inserted: number;
  updated: number;
  /** Rows read again with an unchanged version (inside the lookback). */
  unchanged: number;
  /** Rows older than the table's (skipped by the guard). */
  stale: number;
  /** Rows read twice in this run (the newest kept). */
  duplicates: number;
  /** Rows newly marked deleted (or removed with `hardDeletes`). */
  deleted: number;
  /** Rows found deleted earlier that exist again. */
  undeleted: number;
  /** How hard deletes were looked for. */
  deleteCheck: 'replication' | 'reconcile' | 'soft' | 'full';
  columnsAdded: string[];
  /** Columns the table keeps whose fields Salesforce no longer lists (their data is left alone). */
  columnsNotInSalesforce: string[];
  typeChanges: TypeChange[];
  /** The object's formula fields among the synced columns. */
  formulaFields: string[];
  /** The formula fields were read in full in this run (`refreshFormulas`, or a full sync). */
  formulasRefreshed: boolean;
  /** Rows whose formula values changed in that refresh (only those columns were written). */
  formulaRowsUpdated: number;
  cursorField: string | null;
  cursorBefore: Date | null;
  cursorAfter: Date | null;
  durationMs: number;
}

/**
 * A failed object of a multi-object sync (its table and cursor were left as they were).
 *
 * @example
 * ```ts
 * for (const failure of summary.failures) console.error(failure.object, failure.message);
 * ```
 */
export interface SyncFailure {
  object: string;
  code: string;
  message: string;
  error: unknown;
}

/**
 * The summary of {@link sync}.
 *
 * @example
 * ```ts
 * const { objects, failures }: SyncSummary = await sync(options);
 * ```
 */
export interface SyncSummary {
  objects: ObjectSyncSummary[];
  failures: SyncFailure[];
}

/**
 * An error of {@link sync} when an object failed; `summary` holds what the other objects did.
 *
 * @example
 * ```ts
 * try { await sync(options); } catch (error) { if (error instanceof SyncError) console.log(error.summary.failures); }
 * ```
 */
export class SyncError extends LakehouseError {
  readonly summary: SyncSummary;
  constructor(message: string, summary: SyncSummary, cause: unknown) {
    super(message, { code: 'SYNC_FAILED', cause });
    this.summary = summary;
  }
}

const CURSOR_FIELDS = ['SystemModstamp', 'LastModifiedDate', 'CreatedDate'];
const REPLICATION_WINDOW_MS = 15 * 24 * 3600_000;

function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

function maxDate(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() >= b.getTime() ? a : b;
}

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const date = new Date(`${String(value).replace(' ', 'T')}${/[zZ]|[+-]\d\d:?\d\d$/.test(String(value)) ? '' : 'Z'}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

async function firstRow(
  session: WarehouseSession,
  sql: string,
  params: SqlValue[] = [],
): Promise<Record<string, SqlValue>> {
  for await (const row of session.query(sql, params)) return row;
  return {};
}

interface Context {
  options: SyncOptions;
  warehouse: Warehouse;
  logger: Logger;
  now: () => Date;
}

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
  const context: Context = { options, warehouse: options.warehouse, logger, now: options.now ?? (() => new Date()) };
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

async function syncObject(context: Context, requested: string): Promise<ObjectSyncSummary> {
  const { options, warehouse, logger } = context;
  const started = Date.now();
  options.onProgress?.({ object: requested, phase: 'describe', rows: 0 });
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

  const summary: ObjectSyncSummary = {
    object: objectName,
    table,
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
    formulaFields,
    formulasRefreshed: full && formulaFields.length > 0,
    formulaRowsUpdated: 0,
    cursorField,
    cursorBefore: state?.cursorValue ?? null,
    cursorAfter: state?.cursorValue ?? null,
    durationMs: 0,
  };

  // Staging takes the target's column types where the column exists, so the merge never needs a cast.
  let stagingColumns: ColumnSpec[] = columns;
  if (existing && !full) {
    const plan = planColumns(warehouse, existing, allColumns);
    summary.columnsAdded = plan.missing.map((c) => c.name);
    summary.columnsNotInSalesforce = plan.notInSalesforce;
    summary.typeChanges = plan.typeChanges;
    for (const change of plan.typeChanges) logger.warn('Column type differs from the describe', { table, ...change });
    const existingTypes = new Map(existing.map((c) => [c.name, c.sqlType]));
    stagingColumns = columns.map((c) => {
      const sqlType = existingTypes.get(c.name);
      return sqlType ? { name: c.name, type: { kind: 'sql', sql: sqlType } } : c;
    });
  } else if (existing) {
    summary.columnsNotInSalesforce = planColumns(warehouse, existing, allColumns).notInSalesforce;
  }

  const rebuilt = full ? uniqueName(`${table}__kicksaw_new`).slice(0, 60) : undefined;
  // A full read through the engine's CSV loader goes straight into the new table: a Bulk query result holds each
  // Id once (one snapshot), so there is nothing to merge, and the rows are written once instead of twice. Should
  // an engine without enforced keys see an Id twice, they are merged into a fresh table instead.
  const direct = rebuilt !== undefined && typeof warehouse.loadCsv === 'function';
  const staging = direct ? rebuilt : uniqueName('_kicksaw_stage');
  const deduplicated = uniqueName(`${table}__kicksaw_dedup`).slice(0, 60);
  const idsTable = uniqueName('_kicksaw_ids');
  const formulasTable = uniqueName('_kicksaw_formulas');
  const fieldList = columns.map((c) => c.name);
  // queryAll brings soft-deleted rows (marked, or removed with hardDeletes); a full rebuild with hardDeletes skips them.
  const includeDeleted = hasIsDeleted && !(full && options.hardDeletes);
  try {
    if (direct) await warehouse.createTable(staging, allColumns, { primaryKey: 'Id' });
    else await warehouse.createTable(staging, stagingColumns);
    let soqlText = `SELECT ${fieldList.join(', ')} FROM ${objectName}`;
    const conditions: string[] = [];
    let since: Date | null = null;
    if (!full && cursorField && state?.cursorValue) {
      since = new Date(state.cursorValue.getTime() - (options.lookbackMs ?? 600_000));
      conditions.push(`${cursorField} >= ${soqlLiteral(since)}`);
    }
    if (options.where) conditions.push(`(${options.where})`);
    if (conditions.length > 0) soqlText += ` WHERE ${conditions.join(' AND ')}`;
    logger.info('Reading from Salesforce', { object: objectName, mode: summary.mode, since: since?.toISOString() });

    const types = stagingColumns.map((c) => columns.find((d) => d.name === c.name)?.type ?? c.type);
    const signal = options.signal;
    const onProgress = options.onProgress;
    // A full read goes through Bulk API 2.0; an incremental one through REST when its rows fit in a REST read
    // (a Bulk job's fixed latency is seconds on Salesforce), counted first with SELECT COUNT().
    const restMaxRows = options.restMaxRows ?? 10_000;
    const bulk = full || (await countRows(context, objectName, conditions, includeDeleted)) > restMaxRows;
    if (bulk && warehouse.loadCsv) {
      // Result pages go to the engine's CSV loader as Salesforce wrote them: no row is parsed in JavaScript.
      // The describe's types say how each value reads (staging may hold the table's own SQL types).
      const loadColumns = columns;
      const loadCsv = warehouse.loadCsv.bind(warehouse);
      for await (const page of queryPages(options.connection, soqlText, {
        all: includeDeleted,
        pageSize: options.pageSize ?? 200_000,
        pollIntervalMs: options.pollIntervalMs ?? 100,
        logger,
        ...(signal ? { signal } : {}),
      })) {
        // The engines skip the header line and take the columns by position: check it names them in order.
        if (page.index === 1) await expectHeader(page.path, fieldList, objectName);
        const loaded = await loadCsv({ table: staging, file: page.path, columns: loadColumns });
        if (page.records !== null && loaded !== page.records) {
          throw new LakehouseError(
            `Page ${page.index} of query job ${page.jobId} holds ${page.records} records but ${loaded} rows were loaded from it; nothing was written to ${table}`,
            { code: 'SYNC_PAGE_COUNT_MISMATCH' },
          );
        }
        summary.read += loaded;
        onProgress?.({ object: objectName, phase: 'read', rows: summary.read });
      }
    } else {
      const records = query(options.connection, soqlText, {
        all: includeDeleted,
        api: bulk ? 'bulk' : 'rest',
        pageSize: options.pageSize ?? 50_000,
        pollIntervalMs: options.pollIntervalMs ?? 100,
        logger,
      });
      async function* rows(): AsyncGenerator<SqlValue[]> {
        let n = 0;
        for await (const record of records) {
          signal?.throwIfAborted();
          const values: SqlValue[] = new Array(fieldList.length);
          for (let i = 0; i < fieldList.length; i++) {
            values[i] = toSqlValue(record[fieldList[i] as string], types[i] as ColumnSpec['type']);
          }
          n++;
          if (onProgress && n % 10_000 === 0) onProgress({ object: objectName, phase: 'read', rows: n });
          yield values;
        }
        summary.read = n;
      }
      await warehouse.load(staging, fieldList, rows());
    }
    options.onProgress?.({ object: objectName, phase: 'read', rows: summary.read });
    options.signal?.throwIfAborted();

    // Hard deletes are looked up before the transaction (API calls), applied inside it.
    let deletedIds: { id: string; deletedAt: string }[] | undefined;
    let deletesCheckedAt = state?.deletesCheckedAt ?? null;
    let reconcile = false;
    // "Now" for the replication window and deleted-at stamps: this machine's clock (or `now`), but never earlier than
    // the newest row just read, which is on the org's clock (a local org with a moved clock, a machine running late).
    let runNow = context.now();
    if (cursorField) {
      for await (const row of warehouse.query(
        `SELECT max(${warehouse.quoteIdentifier(cursorField)}) AS v FROM ${warehouse.quoteTable(staging)}`,
      )) {
        const newest = toDate(row.v);
        if (newest && newest.getTime() > runNow.getTime()) runNow = newest;
      }
    }
    // Formula fields in full (only their columns are written), when asked or when the schedule says so.
    const refreshFormulas =
      !full && formulaFields.length > 0 && formulaRefreshDue(options.refreshFormulas, state, runNow);
    if (refreshFormulas) {
      options.onProgress?.({ object: objectName, phase: 'formulas', rows: 0 });
      const formulaColumns = [
        { name: 'Id', type: { kind: 'id' } } as ColumnSpec,
        ...stagingColumns.filter((c) => formulaFields.includes(c.name)),
      ];
      const formulaTypes = formulaColumns.map((c) => columns.find((d) => d.name === c.name)?.type ?? c.type);
      await warehouse.createTable(formulasTable, formulaColumns);
      const formulaSoql = `SELECT ${formulaColumns.map((c) => c.name).join(', ')} FROM ${objectName}${options.where ? ` WHERE (${options.where})` : ''}`;
      async function* formulaRows(): AsyncGenerator<SqlValue[]> {
        let n = 0;
        for await (const record of query(options.connection, formulaSoql, {
          all: includeDeleted,
          api: 'bulk',
          pageSize: options.pageSize ?? 50_000,
          pollIntervalMs: options.pollIntervalMs ?? 500,
          logger,
        })) {
          signal?.throwIfAborted();
          const values: SqlValue[] = new Array(formulaColumns.length);
          for (let i = 0; i < formulaColumns.length; i++) {
            values[i] = toSqlValue(
              record[(formulaColumns[i] as ColumnSpec).name],
              formulaTypes[i] as ColumnSpec['type'],
            );
          }
          n++;
          if (onProgress && n % 10_000 === 0) onProgress({ object: objectName, phase: 'formulas', rows: n });
          yield values;
        }
      }
      await warehouse.load(
        formulasTable,
        formulaColumns.map((c) => c.name),
        formulaRows(),
      );
      summary.formulasRefreshed = true;
    }

    if (!full && hasIsDeleted) {
      const mode = options.deletes ?? 'auto';
      const last = state?.deletesCheckedAt ?? state?.lastSyncAt ?? null;
      const inWindow = last !== null && runNow.getTime() - last.getTime() < REPLICATION_WINDOW_MS;
      if (mode === 'replication' || (mode === 'auto' && inWindow)) {
        try {
          const found = await replicationDeleted(context, objectName, last ?? runNow, runNow);
          deletedIds = found.ids;
          deletesCheckedAt = found.latestDateCovered;
          summary.deleteCheck = 'replication';
        } catch (error) {
          if (mode === 'replication') throw error;
          logger.info('Replication API could not answer; reconciling Ids instead', {
            object: objectName,
            reason: error instanceof Error ? error.message : String(error),
          });
          reconcile = true;
        }
      } else if (mode === 'reconcile' || mode === 'auto') reconcile = true;
      if (reconcile) {
        options.onProgress?.({ object: objectName, phase: 'deletes', rows: 0 });
        await warehouse.createTable(idsTable, [{ name: 'Id', type: { kind: 'id' } }]);
        const idSoql = `SELECT Id FROM ${objectName}${options.where ? ` WHERE (${options.where})` : ''}`;
        async function* idRows(): AsyncGenerator<SqlValue[]> {
          for await (const record of query(options.connection, idSoql, {
            api: 'auto',
            typed: false,
            pollIntervalMs: options.pollIntervalMs ?? 500,
            logger,
          })) {
            signal?.throwIfAborted();
            yield [String(record.Id)];
          }
        }
        await warehouse.load(idsTable, ['Id'], idRows());
        deletesCheckedAt = runNow;
        summary.deleteCheck = 'reconcile';
      }
    }

    options.onProgress?.({ object: objectName, phase: 'merge', rows: summary.read });
    const q = (name: string) => warehouse.quoteIdentifier(name);
    const merged = await warehouse.transaction(async (session) => {
      let target = rebuilt ?? table;
      const mergeSpec = {
        staging,
        key: 'Id',
        columns: fieldList,
        ...(cursorField ? { versionColumn: cursorField } : {}),
      };
      let result: MergeResult;
      if (direct) {
        const counts = await firstRow(
          session,
          `SELECT count(*) AS n, count(DISTINCT ${q('Id')}) AS d FROM ${session.quoteTable(staging)}`,
        );
        const loaded = Number(counts.n ?? 0);
        if (loaded === Number(counts.d ?? 0)) {
          result = { inserted: loaded, updated: 0, unchanged: 0, stale: 0, duplicates: 0 };
        } else {
          target = deduplicated;
          await session.createTable(deduplicated, allColumns, { primaryKey: 'Id' });
          result = await session.merge({ ...mergeSpec, target });
        }
      } else {
        if (rebuilt) {
          await session.createTable(rebuilt, allColumns, { primaryKey: 'Id' });
        } else if (summary.columnsAdded.length > 0) {
          await session.addColumns(
            table,
            allColumns.filter((c) => summary.columnsAdded.includes(c.name)),
          );
        }
        result = await session.merge({ ...mergeSpec, target });
      }
      const t = session.quoteTable(target);
      let formulaRowsUpdated = 0;
      if (refreshFormulas) {
        const set = formulaFields.map((f) => `${q(f)} = f.${q(f)}`).join(', ');
        const differs = formulaFields.map((f) => `t.${q(f)} IS DISTINCT FROM f.${q(f)}`).join(' OR ');
        formulaRowsUpdated = await session.execute(
          `UPDATE ${t} AS t SET ${set} FROM ${session.quoteTable(formulasTable)} AS f WHERE t.${q('Id')} = f.${q('Id')} AND (${differs})`,
        );
      }
      let found = 0;
      if (deletedIds && deletedIds.length > 0) {
        const deletedTable = uniqueName('_kicksaw_deleted');
        await session.createTable(deletedTable, [
          { name: 'Id', type: { kind: 'id' } },
          { name: 'deleted_at', type: { kind: 'timestamp' } },
        ]);
        await session.load(
          deletedTable,
          ['Id', 'deleted_at'],
          deletedIds.map((d) => [d.id, d.deletedAt]),
        );
        // A row changed after its deletion was undeleted since: the merge has it right already.
        const guard = cursorField ? ` AND (t.${q(cursorField)} IS NULL OR t.${q(cursorField)} <= d.deleted_at)` : '';
        found += await session.execute(
          `UPDATE ${t} AS t SET ${q('IsDeleted')} = TRUE, ${q(DELETED_AT_COLUMN)} = d.deleted_at FROM ${session.quoteTable(deletedTable)} AS d WHERE t.${q('Id')} = d.${q('Id')} AND t.${q(DELETED_AT_COLUMN)} IS NULL${guard}`,
        );
        await session.dropTable(deletedTable);
      }
      if (reconcile) {
        found += await session.execute(
          `UPDATE ${t} AS t SET ${q('IsDeleted')} = TRUE, ${q(DELETED_AT_COLUMN)} = CAST($1 AS TIMESTAMP) WHERE t.${q(DELETED_AT_COLUMN)} IS NULL AND (t.${q('IsDeleted')} IS NULL OR t.${q('IsDeleted')} = FALSE) AND NOT EXISTS (SELECT 1 FROM ${session.quoteTable(idsTable)} AS i WHERE i.${q('Id')} = t.${q('Id')})`,
          [runNow],
        );
      }
      let deleted = 0;
      let undeleted = 0;
      if (hasIsDeleted) {
        if (options.hardDeletes) {
          deleted = await session.execute(`DELETE FROM ${t} WHERE ${q('IsDeleted')} = TRUE`);
        } else {
          const stamp = cursorField ? q(cursorField) : 'CAST($1 AS TIMESTAMP)';
          deleted =
            found +
            (await session.execute(
              `UPDATE ${t} SET ${q(DELETED_AT_COLUMN)} = ${stamp} WHERE ${q('IsDeleted')} = TRUE AND ${q(DELETED_AT_COLUMN)} IS NULL`,
              cursorField ? [] : [runNow],
            ));
          undeleted = await session.execute(
            `UPDATE ${t} SET ${q(DELETED_AT_COLUMN)} = NULL WHERE (${q('IsDeleted')} = FALSE OR ${q('IsDeleted')} IS NULL) AND ${q(DELETED_AT_COLUMN)} IS NOT NULL`,
          );
        }
      }
      let cursorAfter = state?.cursorValue ?? null;
      if (cursorField) {
        const row = await firstRow(session, `SELECT max(${q(cursorField)}) AS v FROM ${session.quoteTable(staging)}`);
        cursorAfter = maxDate(cursorAfter, toDate(row.v));
      }
      if (rebuilt) await session.swapTable(target, table);
      const nextState: SyncState = {
        table,
        object: objectName,
        cursorField,
        cursorValue: cursorAfter,
        deletesCheckedAt: full ? runNow : deletesCheckedAt,
        lastFullSyncAt: full ? runNow : (state?.lastFullSyncAt ?? null),
        lastSyncAt: runNow,
        formulasRefreshedAt:
          full || refreshFormulas ? (formulaFields.length > 0 ? runNow : null) : (state?.formulasRefreshedAt ?? null),
      };
      await writeSyncState(session, nextState);
      return { result, deleted, undeleted, cursorAfter, formulaRowsUpdated };
    });
    summary.inserted = merged.result.inserted;
    summary.updated = merged.result.updated;
    summary.unchanged = merged.result.unchanged;
    summary.stale = merged.result.stale;
    summary.duplicates = merged.result.duplicates;
    summary.deleted = merged.deleted;
    summary.undeleted = merged.undeleted;
    summary.cursorAfter = merged.cursorAfter;
    summary.formulaRowsUpdated = merged.formulaRowsUpdated;
  } finally {
    await warehouse.dropTable(staging).catch(() => undefined);
    await warehouse.dropTable(idsTable).catch(() => undefined);
    await warehouse.dropTable(formulasTable).catch(() => undefined);
    if (rebuilt) await warehouse.dropTable(rebuilt).catch(() => undefined);
    if (direct) await warehouse.dropTable(deduplicated).catch(() => undefined);
  }
  summary.durationMs = Date.now() - started;
  options.onProgress?.({ object: objectName, phase: 'done', rows: summary.read });
  logger.info('Synced', { ...summary, typeChanges: summary.typeChanges.length });
  return summary;
}

/** Throws unless the first line of a result page names `fields` in order (matched without regard to case). */
async function expectHeader(path: string, fields: readonly string[], object: string): Promise<void> {
  const file = await open(path, 'r');
  let head: string;
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    head = buffer.toString('utf8', 0, bytesRead).split(/\r?\n/, 1)[0] ?? '';
  } finally {
    await file.close();
  }
  const names = head.split(',').map((name) => name.replace(/^"|"$/g, '').toLowerCase());
  const expected = fields.map((f) => f.toLowerCase());
  if (names.length !== expected.length || names.some((name, i) => name !== expected[i])) {
    throw new LakehouseError(
      `The Bulk result of ${object} has the columns ${head.slice(0, 300)}, not the ${fields.length} fields asked for in that order; nothing was written`,
      { code: 'SYNC_UNEXPECTED_COLUMNS' },
    );
  }
}

/** Rows a read would return, by REST `SELECT COUNT()` (queryAll when deleted rows are read too). */
async function countRows(
  context: Context,
  object: string,
  conditions: readonly string[],
  all: boolean,
): Promise<number> {
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const result = (await context.options.connection.request(
    `/${all ? 'queryAll' : 'query'}?q=${encodeURIComponent(`SELECT COUNT() FROM ${object}${where}`)}`,
  )) as unknown as { totalSize?: number };
  return Number(result.totalSize ?? 0);
}

/** Whether this run reads the formula fields in full: asked for, or the last full read is older than the schedule. */
function formulaRefreshDue(option: SyncOptions['refreshFormulas'], state: SyncState | undefined, now: Date): boolean {
  if (option === undefined || option === false) return false;
  if (option === true) return true;
  const last = state?.formulasRefreshedAt ?? state?.lastFullSyncAt ?? null;
  return last === null || now.getTime() - last.getTime() >= option.olderThanMs;
}

interface ReplicationDeleted {
  deletedRecords?: { id: string; deletedDate: string }[];
  earliestDateAvailable?: string;
  latestDateCovered?: string;
}

async function replicationDeleted(
  context: Context,
  object: string,
  start: Date,
  end: Date,
): Promise<{ ids: { id: string; deletedAt: string }[]; latestDateCovered: Date }> {
  const lookback = context.options.lookbackMs ?? 600_000;
  const from = new Date(start.getTime() - lookback);
  const to = end.getTime() - from.getTime() < 60_000 ? new Date(from.getTime() + 60_000) : end;
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const result = (await context.options.connection.request(
    `/sobjects/${encodeURIComponent(object)}/deleted/?start=${encodeURIComponent(iso(from))}&end=${encodeURIComponent(iso(to))}`,
  )) as unknown as ReplicationDeleted;
  const earliest = result.earliestDateAvailable ? new Date(result.earliestDateAvailable) : undefined;
  if (earliest && earliest.getTime() > from.getTime()) {
    throw new LakehouseError(
      `The replication API's deleted records of ${object} start at ${earliest.toISOString()}, after the last check`,
      { code: 'REPLICATION_WINDOW_PASSED' },
    );
  }
  const ids = (result.deletedRecords ?? []).map((d) => ({
    id: d.id,
    deletedAt: toSqlValue(d.deletedDate, { kind: 'timestamp' }) as string,
  }));
  const covered = result.latestDateCovered ? new Date(result.latestDateCovered) : to;
  return { ids, latestDateCovered: Number.isNaN(covered.getTime()) ? to : covered };
}
