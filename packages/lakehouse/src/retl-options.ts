/** The options and results of {@link reverseEtl}, and the tables it keeps. */
import type { ErrorReportOptions, ReportCounts } from '@kicksaw/error-report';
import type { IngestOptions } from '@kicksaw/sf-bulk';
import type { LakehouseBaseOptions } from './options.js';

/**
 * The table of reverse ETL snapshots: one row per sync name and key, the hash of what was last sent with success.
 *
 * @example
 * ```ts
 * await warehouse.execute(`DELETE FROM ${warehouse.quoteTable(RETL_SNAPSHOT_TABLE)} WHERE name = $1`, ['Contact:update:Id']); // resend all
 * ```
 */
export const RETL_SNAPSHOT_TABLE = '_kicksaw_retl_snapshot';
/**
 * The default table of reverse ETL results, one row per row sent.
 *
 * @example
 * ```ts
 * warehouse.query(`SELECT * FROM ${warehouse.quoteTable(RETL_RESULTS_TABLE)} WHERE status <> 'succeeded'`);
 * ```
 */
export const RETL_RESULTS_TABLE = '_kicksaw_retl_results';

/**
 * Default {@link ReverseEtlOptions.batchRows}: staged rows per statement while sending and recording outcomes.
 * Before batches, DuckDB sorted all 1,000,000 staged rows of the bench for the send (111 MB) and joined all
 * their outcomes at once (140 MB of hash tables); README, Performance.
 *
 * @example
 * ```ts
 * await reverseEtl({ ...options, batchRows: RETL_BATCH_ROWS / 2 });
 * ```
 */
export const RETL_BATCH_ROWS = 50_000;

/**
 * The Salesforce operations reverse ETL runs.
 *
 * @example
 * ```ts
 * const operation: ReverseEtlOperation = 'upsert';
 * ```
 */
export type ReverseEtlOperation = 'insert' | 'update' | 'upsert' | 'delete';

/**
 * Options of {@link reverseEtl}.
 *
 * @example
 * ```ts
 * await reverseEtl({
 *   connection: conn, warehouse, object: 'Account', operation: 'upsert', externalIdField: 'External_Id__c',
 *   sql: 'SELECT "External_Id__c", "Name", "Industry" FROM "accounts_to_push"',
 * } satisfies ReverseEtlOptions);
 * ```
 */
export interface ReverseEtlOptions extends LakehouseBaseOptions {
  object: string;
  operation: ReverseEtlOperation;
  /** A SELECT whose column names are Salesforce field API names (relationship columns `Parent__r.Ext__c` allowed). */
  sql: string;
  /** The external id field of an upsert. */
  externalIdField?: string;
  /**
   * The column that identifies a row for diffing and results: default the external id field (upsert) or `Id`
   * (update, delete). Required for insert. It must be unique in the query.
   */
  key?: string;
  /** The name of this reverse ETL (its snapshot). Default `<object>:<operation>:<key>`. */
  name?: string;
  /** Send every row, not only new and changed ones. Default false. */
  all?: boolean;
  /** Delete in Salesforce the records of rows gone from the query since the last run (needs diffing). Default false. */
  mirror?: boolean;
  /** NULL values set the field to null (`#N/A`). Default false: NULL leaves the field unchanged. */
  clearNulls?: boolean;
  /** Where results go. Default `_kicksaw_retl_results`. */
  resultsTable?: string;
  /**
   * Also write a CSV report of the rows sent, in the `@kicksaw/error-report` layouts: `output` (a path or a
   * stream) gets one line per error of every failed or unprocessed row (`layout: 'default'`, the Python toolkit's
   * `salesforce_object, code, message, upsert_key, upsert_key_value, object_json`, or `'source-row'`), and
   * `includeSuccesses` (a path or a stream) the successful rows. `salesforce_object` is the object and
   * `upsert_key` the key. The file is written (with its header) even when nothing is sent. Default: no report.
   */
  report?: Omit<ErrorReportOptions, 'object' | 'upsertKey'>;
  /**
   * Staged rows the warehouse handles per statement while the changed rows are picked and sent and their
   * outcomes recorded (a range of the rows in key order): what a statement sorts or joins, and what a
   * transaction holds uncommitted, stays this size however many rows the query returns. Default
   * {@link RETL_BATCH_ROWS}.
   */
  batchRows?: number;
  /** Extra options of sf-bulk's `ingest` (job sizes, retries, API choice). */
  ingest?: Partial<
    Pick<
      IngestOptions,
      'maxBytesPerJob' | 'maxRowsPerJob' | 'maxConcurrentJobs' | 'retry' | 'api' | 'restMaxRows' | 'maxPollIntervalMs'
    >
  >;
}

/**
 * What {@link reverseEtl} did. `read` = `sent` + `unchanged`; `sent` = `succeeded` + `failed` + `unprocessed`.
 *
 * @example
 * ```ts
 * const { read, sent, unchanged, succeeded, failed, mirrorDeleted }: ReverseEtlSummary = await reverseEtl(options);
 * ```
 */
export interface ReverseEtlSummary {
  runId: string;
  name: string;
  object: string;
  operation: ReverseEtlOperation;
  /** Rows the query returned. */
  read: number;
  /** Rows not sent because their values were sent before with success (diffing). */
  unchanged: number;
  sent: number;
  succeeded: number;
  created: number;
  failed: number;
  unprocessed: number;
  /** Rows whose key was NULL (sent, never snapshotted). */
  nullKeys: number;
  /** Records deleted because their rows left the query (`mirror`). */
  mirrorDeleted: number;
  mirrorFailed: number;
  /** Bulk jobs created (0 when nothing was sent). */
  jobs: number;
  resultsTable: string;
  /** The CSV report's counts, when `report` was asked for. */
  report?: ReportCounts;
}
