import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  countOutcome,
  emptySummary,
  InputError,
  type Logger,
  timestamp as makeTimestamp,
  type RowOutcome,
  type RunSummary,
  silentLogger,
} from '@kicksaw/core';
import { type S3ErrorReportOptions, uploadErrorReport } from '@kicksaw/error-report';
import {
  archiveKeyFor,
  consoleUrl,
  downloadToFile,
  getObjectStream,
  headObject,
  moveObject,
  objectExists,
  S3ObjectNotFoundError,
} from '@kicksaw/s3';
import type { Connection } from 'jsforce';
import { type BatchResult, batchOutcome } from './batch-result.js';
import { ExecutionRecordError } from './errors.js';
import { IMPORT_DEFAULTS } from './options.js';
import { openObjectAt } from './source-range.js';
import { OutcomeSpool } from './spool.js';

export type { BatchResult } from './batch-result.js';

// One class, kept whole on purpose: `Orchestrator` is the public, subclassable vocabulary of the Python
// kicksaw-integration-utils (log the outcomes, then archive, report and record), and a subclass overrides
// its members one by one, so they live together. Its TSDoc is most of its length; what is not its own idea
// lives beside it: the ranged read of a source (source-range.ts), bulk results as outcomes (batch-result.ts),
// the outcome spool (spool.ts), and the flow that drives it (import-csv.ts).

/** Options of an {@link Orchestrator}. */
export interface OrchestratorOptions {
  /** The bucket holding the source file. */
  bucket: string;
  /** The source file's key. */
  key: string;
  /** The S3 client for the source, the archive and the report. */
  s3Client: S3Client;
  /** The Salesforce connection (for the execution record). May be set later with {@link Orchestrator.setConnection}. */
  connection?: Connection;
  /** The source's version id, when the bucket is versioned. */
  versionId?: string;
  /** The source's ETag, as the S3 event reported it. */
  eTag?: string;
  /** Where the source moves when the run is done. Default `archive`. */
  archiveFolder?: string;
  /** Where the error report goes. Default `errors`. */
  errorFolder?: string;
  /** The report's file name. Default `error-report-<timestamp>.csv`. */
  errorReportFileName?: string;
  /** The Salesforce object the execution record is written to, e.g. `IntegrationExecution__c`. */
  executionObjectName?: string;
  /** The run's timestamp (archive and report names). Default: now, as `20220705T143012Z`. */
  timestamp?: string;
  /** The AWS region of the bucket, for console links. Default `us-east-1`. */
  region?: string;
  /** Options of the error report (layout, object, upsert key, link expiry). */
  errorReport?: ErrorReportSettings;
  /** Download the source to a local file during set-up. Default `false`: stream it instead. */
  download?: boolean;
  /** Where a downloaded source goes. Default: the OS temp folder. */
  downloadDirectory?: string;
  /** Id of an execution record that already exists for this run (created as a claim at the start). */
  executionId?: string;
  /** Default `silentLogger`. */
  logger?: Logger;
}

/** A concrete orchestrator class: what `create` is called on. */
export type OrchestratorClass<T extends Orchestrator> = new (options: OrchestratorOptions) => T;

/** What {@link Orchestrator.uploadErrorReport} did. */
export interface UploadedReport {
  bucket: string;
  key: string;
  /** A presigned link, when the report uploader made one. */
  url?: string;
  /** Lines written (one per error; a row with two errors has two lines). */
  errorLines: number;
  /** Rows in the report. */
  failedRows: number;
}

/** Report options an orchestrator passes to `@kicksaw/error-report` (layout, object, upsert key, link...). */
export type ErrorReportSettings = Omit<S3ErrorReportOptions, 'client' | 'bucket' | 'key' | 'folder' | 'timestamp'>;

/**
 * The run of one S3 file into Salesforce, with the vocabulary of the Python
 * kicksaw-integration-utils: log the outcome of every batch,
 * then {@link Orchestrator.automagicallyFinishUp} archives the source to `archive/<name>-<timestamp>.<ext>`,
 * uploads the error report to `errors/` and writes an execution record to Salesforce.
 *
 * Subclass it: {@link Orchestrator.executionSfdcHash} (what the execution record holds) is abstract,
 * and `archiveFile`, `uploadErrorReport`, `createExecutionObject` and the key getters can be overridden.
 * Build instances with the static {@link Orchestrator.create} (it does the asynchronous set-up:
 * checks the source exists and, with `download: true`, downloads it).
 *
 * Non-succeeded outcomes are spooled to a local JSON-lines file, not held in memory.
 *
 * @example
 * ```ts
 * class ContactsOrchestrator extends Orchestrator {
 *   get executionSfdcHash() {
 *     return {
 *       Number_of_Errors__c: this.errorCount,
 *       Error_Report__c: this.errorReportLink,
 *       Data_File__c: this.key,
 *     };
 *   }
 * }
 * const orchestrator = await ContactsOrchestrator.create({
 *   bucket: 'inbound', key: 'contacts/2026-11-21.csv', s3Client, connection,
 *   executionObjectName: 'Integration_Execution__c',
 * });
 * const results = await connection.bulk.load('Contact', 'upsert', { extIdField: 'External_Id__c' }, data);
 * await orchestrator.logBatch(results, data, 'Contact', 'External_Id__c');
 * await orchestrator.automagicallyFinishUp();
 * ```
 */
export abstract class Orchestrator {
  /** The source's bucket. */
  readonly bucket: string;
  /** The source's key. */
  readonly key: string;
  /** The S3 client. */
  readonly s3Client: S3Client;
  /** The Salesforce connection, when set. */
  connection: Connection | undefined;
  /** The source's version id, when known. */
  versionId: string | undefined;
  /** The source's ETag, when known. */
  eTag: string | undefined;
  /** The source's size in bytes, known after set-up. */
  size: number | undefined;
  /** Archive folder (default `archive`). */
  archiveFolder: string;
  /** Error report folder (default `errors`). */
  errorFolder: string;
  /** The error report's file name. */
  errorReportFileName: string;
  /** The execution record's object. Required by {@link Orchestrator.createExecutionObject}. */
  executionObjectName: string | undefined;
  /** The run's timestamp, as used in the archive and report names. */
  readonly timestamp: string;
  /** The AWS region, for console links. */
  region: string;
  /** The execution record's id once it exists. */
  executionId: string | undefined;
  /** The local path of the downloaded source (with `download: true`). */
  downloadedFile: string | undefined;
  /** The counts of the outcomes logged so far. `input` is set by whoever reads the file. */
  readonly summary: RunSummary = emptySummary();
  /** The uploaded error report, once uploaded. */
  uploadedReport: UploadedReport | undefined;
  /** Where the source was archived to, once archived. */
  archivedTo: string | undefined;
  /** The logger. */
  readonly logger: Logger;
  /** Options of the error report (`@kicksaw/error-report`): layout, object, upsert key, link. */
  errorReportSettings: ErrorReportSettings;

  protected readonly options: OrchestratorOptions;
  protected readonly spool = new OutcomeSpool();

  /** Use {@link Orchestrator.create}; a subclass constructor must keep this signature. */
  constructor(options: OrchestratorOptions) {
    this.options = options;
    this.bucket = options.bucket;
    this.key = options.key;
    this.s3Client = options.s3Client;
    this.connection = options.connection;
    this.versionId = options.versionId;
    this.eTag = options.eTag;
    this.size = undefined;
    this.archiveFolder = options.archiveFolder ?? IMPORT_DEFAULTS.archiveFolder;
    this.errorFolder = options.errorFolder ?? IMPORT_DEFAULTS.errorFolder;
    this.timestamp = options.timestamp ?? makeTimestamp();
    this.errorReportFileName = options.errorReportFileName ?? `error-report-${this.timestamp}.csv`;
    this.executionObjectName = options.executionObjectName;
    this.region = options.region ?? IMPORT_DEFAULTS.region;
    this.executionId = options.executionId;
    this.downloadedFile = undefined;
    this.logger = options.logger ?? silentLogger;
    this.errorReportSettings = { ...options.errorReport };
  }

  /**
   * Builds an orchestrator and runs its asynchronous set-up ({@link Orchestrator.setUp}).
   *
   * @example
   * ```ts
   * const orchestrator = await ContactsOrchestrator.create({ bucket, key, s3Client, connection });
   * ```
   */
  static async create<T extends Orchestrator>(this: OrchestratorClass<T>, options: OrchestratorOptions): Promise<T> {
    const orchestrator = new this(options);
    await orchestrator.setUp();
    return orchestrator;
  }

  /**
   * Checks that the source exists (an {@link InputError} names bucket and key when it does not),
   * records its size, ETag and version, and with `download: true` downloads it to {@link Orchestrator.downloadedFile}.
   */
  async setUp(): Promise<void> {
    const head = await headObject({ client: this.s3Client, bucket: this.bucket, key: this.key });
    if (!head) {
      throw new InputError('The S3 object does not exist (it may have been moved or deleted after the event)', {
        source: this.sourceUri,
        code: 'S3_OBJECT_NOT_FOUND',
      });
    }
    this.size = head.size;
    this.eTag ??= head.eTag;
    this.versionId ??= head.versionId;
    if (this.options.download) {
      this.downloadedFile = await downloadToFile({
        client: this.s3Client,
        bucket: this.bucket,
        key: this.key,
        directory: this.options.downloadDirectory ?? tmpdir(),
        ...(this.versionId ? { versionId: this.versionId } : {}),
      });
    }
  }

  /** `s3://bucket/key` of the source. */
  get sourceUri(): string {
    return `s3://${this.bucket}/${this.key}`;
  }

  /** Sets the Salesforce connection (`set_sf_client` in the Python kicksaw-integration-utils). */
  setConnection(connection: Connection): void {
    this.connection = connection;
  }

  /** Opens the source as a stream (no local copy). */
  async openSource(): Promise<Readable> {
    const { body } = await getObjectStream({
      client: this.s3Client,
      bucket: this.bucket,
      key: this.key,
      ...(this.versionId ? { versionId: this.versionId } : {}),
    });
    return body;
  }

  /**
   * Opens the source from byte `offset` on (an S3 ranged GET of the same version), so that a run taken
   * over mid-file does not read again what was settled. `undefined` when this source cannot be opened
   * mid-file: a subclass that overrides {@link Orchestrator.openSource} (its bytes need not be the
   * object's) is read whole unless it overrides this too.
   *
   * @example
   * ```ts
   * const rest = await orchestrator.openSourceAt(1_048_576); // bytes 1 MiB and on, or undefined
   * ```
   */
  async openSourceAt(offset: number): Promise<Readable | undefined> {
    if (this.openSource !== Orchestrator.prototype.openSource) return undefined;
    if (offset === 0) return this.openSource();
    // Past the last byte S3 answers 416: there is simply nothing left to read.
    if (this.size !== undefined && offset >= this.size) return Readable.from([]);
    return openObjectAt({
      client: this.s3Client,
      bucket: this.bucket,
      key: this.key,
      offset,
      ...(this.versionId ? { versionId: this.versionId } : {}),
    });
  }

  /**
   * Logs the outcome of one row: counted in {@link Orchestrator.summary}, and kept for the error
   * report unless it succeeded.
   */
  async logOutcome(outcome: RowOutcome): Promise<void> {
    countOutcome(this.summary, outcome);
    if (outcome.status !== 'succeeded') await this.spool.write(outcome);
  }

  /** Logs many outcomes (an array or a stream of them). */
  async logOutcomes(outcomes: Iterable<RowOutcome> | AsyncIterable<RowOutcome>): Promise<void> {
    for await (const outcome of outcomes) await this.logOutcome(outcome);
  }

  /**
   * `log_batch` of the Python kicksaw-integration-utils: after a bulk call you ran yourself, pass its per-record results (in
   * input order, as jsforce's `bulk.load` and sObject collections return them) and the records you
   * sent; every record becomes an outcome. `input` grows by the number of records. Returns the
   * number of failed rows in this batch.
   *
   * @example
   * ```ts
   * const results = await connection.sobject('Account').upsert(data, 'External_Id__c');
   * await orchestrator.logBatch(results, data, 'Account', 'External_Id__c');
   * ```
   */
  async logBatch(
    results: ReadonlyArray<BatchResult>,
    data: ReadonlyArray<Record<string, unknown>>,
    object: string,
    // Kept for the Python kicksaw-integration-utils' signature; the errors come from the results.
    _upsertKey?: string,
  ): Promise<number> {
    if (results.length !== data.length) {
      throw new InputError(
        `logBatch got ${results.length} results for ${data.length} records of ${object}; they must pair up one to one`,
        { code: 'BATCH_MISMATCH' },
      );
    }
    const firstRow = this.summary.input + 1;
    let failed = 0;
    for (const [index, result] of results.entries()) {
      const outcome = batchOutcome(result, data[index], firstRow + index);
      if (outcome.status === 'failed') failed += 1;
      this.summary.input += 1;
      await this.logOutcome(outcome);
    }
    return failed;
  }

  /** Rows that did not succeed and were not deliberately skipped: failed plus unprocessed. */
  get errorCount(): number {
    return this.summary.failed + this.summary.unprocessed;
  }

  /** `archive/<name>-<timestamp>.<ext>` (in {@link Orchestrator.archiveFolder}). */
  get archiveFileS3Key(): string {
    return archiveKeyFor(this.key, { folder: this.archiveFolder, timestamp: this.timestamp });
  }

  /** `errors/error-report-<timestamp>.csv` (in {@link Orchestrator.errorFolder}). */
  get errorFileS3Key(): string {
    return `${this.errorFolder.replace(/\/+$/, '')}/${this.errorReportFileName}`;
  }

  /**
   * A link to the error report for the execution record: the S3 console page of the object (stable;
   * needs an AWS login). Override to return {@link UploadedReport.url} (a presigned link that expires)
   * or your own.
   */
  get errorReportLink(): string {
    return consoleUrl({ bucket: this.bucket, key: this.errorFileS3Key, region: this.region });
  }

  /**
   * What the execution record holds, e.g.
   * `{ Number_of_Errors__c: this.errorCount, Error_Report__c: this.errorReportLink, Data_File__c: this.key }`.
   */
  abstract get executionSfdcHash(): Record<string, unknown>;

  /**
   * A JSON-ready description of the run: source, archive and report keys, report link, counts.
   * Handy in {@link Orchestrator.executionSfdcHash} when the execution object has one long text field.
   */
  get executionDetails(): Record<string, unknown> {
    return {
      source: this.sourceUri,
      ...(this.eTag ? { eTag: this.eTag } : {}),
      ...(this.versionId ? { versionId: this.versionId } : {}),
      archive: this.archivedTo ? `s3://${this.bucket}/${this.archivedTo}` : null,
      errorReport: this.uploadedReport ? `s3://${this.uploadedReport.bucket}/${this.uploadedReport.key}` : null,
      errorReportLink: this.uploadedReport ? this.errorReportLink : null,
      errorCount: this.errorCount,
      summary: { ...this.summary },
      timestamp: this.timestamp,
    };
  }

  /**
   * Fields the running flow adds to the execution record on top of {@link Orchestrator.executionSfdcHash}
   * (for example the status set by {@link importCsv}).
   */
  executionFields: Record<string, unknown> = {};

  /** `report()`, by its name in the Python kicksaw-integration-utils. */
  async automagicallyFinishUp(): Promise<void> {
    await this.report();
  }

  /** Archives the source, uploads the error report, writes the execution record. */
  async report(): Promise<void> {
    await this.archiveFile();
    await this.uploadErrorReport();
    await this.createExecutionObject();
    await this.spool.dispose();
  }

  /** Moves the source to {@link Orchestrator.archiveFileS3Key}. */
  async archiveFile(): Promise<void> {
    const to = this.archiveFileS3Key;
    try {
      await moveObject({
        client: this.s3Client,
        from: { bucket: this.bucket, key: this.key, ...(this.versionId ? { versionId: this.versionId } : {}) },
        to: { bucket: this.bucket, key: to },
      });
    } catch (error) {
      // Another invocation finishing the same run got there first: the archive is what counts.
      const alreadyMoved =
        error instanceof S3ObjectNotFoundError &&
        (await objectExists({ client: this.s3Client, bucket: this.bucket, key: to }));
      if (!alreadyMoved) throw error;
      this.logger.info('source already archived', { from: this.sourceUri, to: `s3://${this.bucket}/${to}` });
    }
    this.archivedTo = to;
    this.logger.info('source archived', { from: this.sourceUri, to: `s3://${this.bucket}/${to}` });
  }

  /** Streams the error report (one line per failed row) to {@link Orchestrator.errorFileS3Key}. */
  async uploadErrorReport(): Promise<UploadedReport> {
    const uploaded = await uploadErrorReport({
      ...this.errorReportSettings,
      client: this.s3Client,
      bucket: this.bucket,
      key: this.errorFileS3Key,
      outcomes: this.spool.read(),
    });
    this.uploadedReport = {
      bucket: uploaded.bucket,
      key: uploaded.key,
      ...(uploaded.url ? { url: uploaded.url } : {}),
      errorLines: uploaded.counts.errorLines,
      failedRows: uploaded.counts.failedRows,
    };
    this.logger.info('error report uploaded', { report: `s3://${uploaded.bucket}/${uploaded.key}` });
    return this.uploadedReport;
  }

  /**
   * Writes {@link Orchestrator.executionSfdcHash} to Salesforce: creates the record, or updates it
   * when one was created at the start of the run ({@link Orchestrator.executionId}). Returns its id.
   */
  async createExecutionObject(): Promise<string> {
    const connection = this.connection;
    if (!connection) {
      throw new ExecutionRecordError('No Salesforce connection: pass `connection` or call setConnection() first.');
    }
    const object = this.executionObjectName;
    if (!object) {
      throw new ExecutionRecordError('No execution object: set `executionObjectName` (e.g. IntegrationExecution__c).');
    }
    const fields = { ...this.executionSfdcHash, ...this.executionFields };
    if (this.executionId) {
      const result = await connection.sobject(object).update({ Id: this.executionId, ...fields });
      if (!result.success) {
        throw new ExecutionRecordError(`Could not update ${object} ${this.executionId}: ${describeErrors(result)}`);
      }
      return this.executionId;
    }
    const result = await connection.sobject(object).create(fields);
    if (!result.success || !result.id) {
      throw new ExecutionRecordError(`Could not create the ${object} record: ${describeErrors(result)}`);
    }
    this.executionId = result.id;
    return result.id;
  }

  /**
   * The outcomes kept for the report so far, as JSON lines (to park a run that a later invocation
   * finishes). Pair with {@link Orchestrator.restoreOutcomes}.
   */
  savedOutcomes(): AsyncIterable<Buffer> {
    return this.spool.raw();
  }

  /** How many outcomes are kept for the report. */
  get savedOutcomeCount(): number {
    return this.spool.count;
  }

  /** Loads outcomes saved by {@link Orchestrator.savedOutcomes} (counts are not changed). */
  async restoreOutcomes(body: Readable): Promise<void> {
    await this.spool.load(body);
  }

  /** Deletes the local spool without reporting (after a failure). */
  async dispose(): Promise<void> {
    await this.spool.dispose();
  }
}

function describeErrors(result: unknown): string {
  const errors = typeof result === 'object' && result !== null && 'errors' in result ? result.errors : result;
  return JSON.stringify(errors);
}
