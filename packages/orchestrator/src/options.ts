import type { BulkOperation } from '@kicksaw/core';
import type { ReadCsvOptions } from '@kicksaw/csv';
import type { IngestOptions } from '@kicksaw/sf-bulk';
import type { Connection } from 'jsforce';
import type { ExecutionRecordSettings } from './execution-record.js';
import type { ImportMapping } from './mapping.js';
import type { Orchestrator, OrchestratorOptions } from './orchestrator.js';

/**
 * The defaults of flow 1, in one table: the {@link Orchestrator}, {@link importCsv} and the Lambda handler all
 * read them from here.
 *
 * @example
 * ```ts
 * const keptBack = Math.min(
 *   IMPORT_DEFAULTS.reserveMs,
 *   Math.max(IMPORT_DEFAULTS.minReserveMs, remainingMs * IMPORT_DEFAULTS.reserveFraction),
 * );
 * ```
 */
export const IMPORT_DEFAULTS = {
  /** Where the source moves when its run is done. */
  archiveFolder: 'archive',
  /** Where error reports go. */
  errorFolder: 'errors',
  /** Where the state of a run left pending goes (same bucket). */
  stateFolder: '.kicksaw/state',
  /** The bucket's region, for console links. */
  region: 'us-east-1',
  /** Invocations in a row that settle no row before rows never sent are given up. */
  maxStalledAttempts: 5,
  /** Age of a run after which rows never sent are given up, in ms (24 hours). */
  maxRunAgeMs: 24 * 60 * 60_000,
  /** Times the source is opened again within one invocation after its stream broke. */
  sourceRetries: 3,
  /**
   * A run's lease is this share of the time to the deadline (the invocation's working time), kept within
   * `minLeaseMs` and `maxLeaseMs`.
   */
  leaseFraction: 1 / 6,
  /** The shortest default lease, in ms: a renewal every third of it must get through a loaded machine. */
  minLeaseMs: 5_000,
  /** The longest default lease, in ms: how long a killed invocation holds a run up at most. */
  maxLeaseMs: 30_000,
  /** A run's lease without a deadline, in ms. */
  leaseMsWithoutDeadline: 30_000,
  /** @deprecated Unused since the lease is short and renewed by a heartbeat (see `leaseFraction`). */
  leaseMarginMs: 120_000,
  /**
   * Time kept back from a Lambda invocation for the report, the archive and the record, in ms: the most
   * the default reserve takes.
   */
  reserveMs: 60_000,
  /**
   * The share of an invocation's time the default reserve takes (within `minReserveMs` and `reserveMs`).
   * What it covers after the deadline: jobs still running are handed over after one poll (not waited
   * for), but uploads already under way end, jobs that finished are reconciled, then the state is
   * written and the lease released. The soak measured parking itself at 0.3-1.0 s and the whole of it
   * at up to 3.6 s past the deadline on the shared 2-core machine at load averages of 13-23.
   */
  reserveFraction: 0.2,
  /** The least default reserve, in ms: what follows the deadline (see `reserveFraction`) must fit in it. */
  minReserveMs: 3_000,
  /** The least time an invocation must have for work once the reserve is kept back, in ms. */
  minWorkMs: 5_000,
  /** Objects handled at once within one event. */
  concurrency: 1,
} as const;

/**
 * The settings of flow 1 that are the same for every file: what to load and how, where the outputs go, how
 * runs are kept apart and resumed. {@link ImportCsvOptions} (one call for one file) and
 * `S3ImportHandlerOptions` (a Lambda handler for every file an event names) both extend it; the fields shared
 * with the {@link Orchestrator} are its own.
 *
 * @example
 * ```ts
 * const settings: ImportSettings = {
 *   object: 'Contact', operation: 'upsert', externalIdField: 'External_Id__c',
 *   mapping: { fields: { External_Id__c: 'External Id', LastName: 'Last Name' } },
 * };
 * ```
 */
export interface ImportSettings
  extends Pick<OrchestratorOptions, 'archiveFolder' | 'errorFolder' | 'region' | 'errorReport' | 'logger'> {
  /** The Salesforce object, e.g. `Contact`. */
  object: string;
  /** The Bulk API operation. */
  operation: BulkOperation;
  /** The external id field, for `upsert`. */
  externalIdField?: string;
  /** How CSV columns become Salesforce fields: a `@kicksaw/csv` mapping or your own `RowMapper`. */
  mapping: ImportMapping;
  /** CSV reading options (delimiter, encoding, limits). */
  csv?: Omit<ReadCsvOptions, 'source' | 'offsets' | 'start'>;
  /** Ingest engine tuning (job sizes, concurrency, poll intervals, retries). */
  ingest?: Partial<Omit<IngestOptions, 'connection' | 'object' | 'operation' | 'externalIdField' | 'records'>>;
  /** Where the state of a run left pending goes (same bucket). Default `.kicksaw/state`. */
  stateFolder?: string;
  /**
   * The execution record: where it is kept and its idempotency key field. `false` turns off both the
   * record and the duplicate-delivery protection (not recommended with S3 or SQS triggers), and with them
   * resuming: a run cut short by the time limit cannot be finished later, because the record is what a
   * later invocation claims to finish it.
   */
  execution?: ExecutionRecordSettings | false;
  /** Extra fields for the execution record (e.g. `{ Integration__c: '<id>' }`). */
  executionFields?: Record<string, unknown>;
  /**
   * Builds the orchestrator (your subclass): `(options) => MyOrchestrator.create(options)`.
   * Default: `ImportOrchestrator`, which writes a JSON run description to `ExecutionPayload__c`.
   */
  orchestrator?: (options: OrchestratorOptions) => Promise<Orchestrator>;
  /**
   * How long the run's lease lasts without a renewal, in ms. One invocation at a time holds a run's
   * lease; a heartbeat renews it every third of this while the invocation works, so a killed
   * invocation's lease runs out within `leaseMs` and the next delivery takes the run over at once. A
   * holder whose renewal fails (after 3 quick tries) sends no more rows and parks the run; one whose
   * lease lapsed or was taken writes nothing more. Default: a sixth of the time to the deadline, at
   * least 5 s and at most 30 s (5 s for a 15 s Lambda, 8 s for 60 s, 30 s for 15 min), or 30 s without
   * a deadline. Shorter means a faster takeover after a kill and more renewals (two API calls each).
   */
  leaseMs?: number;
  /**
   * Rows never sent (the Bulk API job could not be created, the upload failed, the source stream
   * broke) keep the run pending for a later invocation. After this many invocations in a row that
   * settle no row, they are given up: reported as `KICKSAW_NOT_SENT` and the run completes with errors.
   * Default 5.
   */
  maxStalledAttempts?: number;
  /** The same, by age: rows still unsent this long after the run began are given up. Default 24 hours. */
  maxRunAgeMs?: number;
  /** Times the source is opened again within one invocation after its stream broke. Default 3. */
  sourceRetries?: number;
}

/**
 * Options of {@link importCsv}: the {@link ImportSettings}, plus the file and the clients.
 *
 * @example
 * ```ts
 * const options: ImportCsvOptions = {
 *   s3Client, connection, bucket: 'inbound', key: 'contacts.csv',
 *   object: 'Contact', operation: 'insert', mapping: { fields: { LastName: 'Last Name' } },
 * };
 * ```
 */
export interface ImportCsvOptions
  extends ImportSettings,
    Pick<OrchestratorOptions, 'bucket' | 'key' | 's3Client' | 'eTag' | 'versionId' | 'timestamp'> {
  /** A connected jsforce connection. */
  connection: Connection;
  /**
   * When to stop waiting for Salesforce (a Lambda's remaining time minus a reserve). Jobs still running
   * then are parked in S3 and the run returns `status: 'pending'`; calling `importCsv` again for the
   * same object version finishes it without sending any row twice.
   */
  deadline?: Date | number;
  /** @deprecated Unused: a run whose invocation died is taken over once its lease expires (see `leaseMs`). */
  staleAfterMs?: number;
}

/** The deadline as milliseconds since the epoch. */
export function deadlineOf(deadline: Date | number): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * The lease of a run: `leaseMs`, or by default a share of the time to the deadline (see
 * {@link IMPORT_DEFAULTS}`.leaseFraction`).
 */
export function leaseMsOf(options: Pick<ImportCsvOptions, 'leaseMs' | 'deadline'>): number {
  if (options.leaseMs !== undefined) return Math.max(1_000, options.leaseMs);
  if (options.deadline === undefined) return IMPORT_DEFAULTS.leaseMsWithoutDeadline;
  const work = deadlineOf(options.deadline) - Date.now();
  const share = Math.round(work * IMPORT_DEFAULTS.leaseFraction);
  return Math.min(IMPORT_DEFAULTS.maxLeaseMs, Math.max(IMPORT_DEFAULTS.minLeaseMs, share));
}

/** Which failures the engine retries, and how often: a row whose retries were cut short goes out again. */
export function retrySettingsOf(options: Pick<ImportCsvOptions, 'ingest'>): {
  codes: Set<string>;
  maxAttempts: number;
} {
  return {
    codes: new Set(options.ingest?.retry?.codes ?? ['UNABLE_TO_LOCK_ROW']),
    maxAttempts: Math.max(1, options.ingest?.retry?.maxAttempts ?? 3),
  };
}
