/** The options and results of {@link sync}: what a caller passes and gets back. */
import type { TypeChange } from './create.js';
import { LakehouseError } from './errors.js';
import type { LakehouseBaseOptions } from './options.js';
import type { TypeOverrides } from './types.js';

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
