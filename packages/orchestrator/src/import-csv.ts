import type { S3Client } from '@aws-sdk/client-s3';
import {
  assertAccounted,
  type BulkOperation,
  InputError,
  KicksawError,
  type Logger,
  timestamp as makeTimestamp,
  type RowOutcome,
  type RunSummary,
  type SalesforceRecord,
  silentLogger,
} from '@kicksaw/core';
import { type CsvProblemRow, type ReadCsvOptions, readCsv } from '@kicksaw/csv';
import {
  archiveKeyFor,
  cacheJson,
  deleteObject,
  fileNameOf,
  getObjectStream,
  headObject,
  listKeys,
  readCachedJson,
  uploadObject,
} from '@kicksaw/s3';
import { type IngestOptions, type IngestRun, ingest, type PendingJob, resume } from '@kicksaw/sf-bulk';
import type { Connection } from 'jsforce';
import {
  claimExecution,
  type ExecutionRecordSettings,
  type ExecutionStatus,
  type ExistingExecution,
  findExecution,
  idempotencyKeyFor,
  messageOf,
  type ResolvedExecutionRecordSettings,
  resolveExecutionRecordSettings,
  updateExecution,
} from './execution-record.js';
import { ImportOrchestrator } from './import-orchestrator.js';
import { compileMapping, type ImportMapping } from './mapping.js';
import type { ErrorReportSettings, Orchestrator, OrchestratorOptions } from './orchestrator.js';
import { RowSet } from './rows.js';

/** Options of {@link importCsv}. */
export interface ImportCsvOptions {
  /** The S3 client. */
  s3Client: S3Client;
  /** A connected jsforce connection. */
  connection: Connection;
  /** The source's bucket. */
  bucket: string;
  /** The source's key. */
  key: string;
  /** The ETag from the S3 event (part of the idempotency key). Default: read with a HEAD request. */
  eTag?: string;
  /** The version id from the S3 event, in versioned buckets (preferred over the ETag). */
  versionId?: string;
  /** The Salesforce object, e.g. `Contact`. */
  object: string;
  /** The Bulk API operation. */
  operation: BulkOperation;
  /** The external id field, for `upsert`. */
  externalIdField?: string;
  /** How CSV columns become Salesforce fields: a `@kicksaw/csv` mapping or your own {@link RowMapper}. */
  mapping: ImportMapping;
  /** CSV reading options (delimiter, encoding, limits). */
  csv?: Omit<ReadCsvOptions, 'source'>;
  /** Ingest engine tuning (job sizes, concurrency, poll intervals, retries). */
  ingest?: Partial<Omit<IngestOptions, 'connection' | 'object' | 'operation' | 'externalIdField' | 'records'>>;
  /**
   * When to stop waiting for Salesforce (a Lambda's remaining time minus a reserve). Jobs still running
   * then are parked in S3 and the run returns `status: 'pending'`; calling `importCsv` again for the
   * same object version finishes it without sending any row twice.
   */
  deadline?: Date | number;
  /** Archive folder. Default `archive`. */
  archiveFolder?: string;
  /** Error report folder. Default `errors`. */
  errorFolder?: string;
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
   * Default: {@link ImportOrchestrator}, which writes a JSON run description to `ExecutionPayload__c`.
   */
  orchestrator?: (options: OrchestratorOptions) => Promise<Orchestrator>;
  /** AWS region of the bucket (console links). Default `us-east-1`. */
  region?: string;
  /** Error report options (layout, link expiry...). `object` and `upsertKey` default to this run's. */
  errorReport?: ErrorReportSettings;
  /** The run's timestamp (archive and report names). Default: now. */
  timestamp?: string;
  /**
   * A record still `In Progress` after this long, with no parked state, belongs to a run that died (a
   * Lambda killed at its time limit before it could park): the delivery marks it `Failed` and throws,
   * instead of skipping it forever. Default 20 minutes (a Lambda runs 15 at most).
   */
  staleAfterMs?: number;
  /** Default `silentLogger`. */
  logger?: Logger;
}

/** What {@link importCsv} did. */
export interface ImportCsvResult {
  /**
   * `completed`: every row has an outcome, the report is up, the source archived, the record written.
   * `pending`: the deadline came first; Salesforce jobs are still running and a later call finishes.
   * `skipped`: a duplicate delivery (this object version is or was handled by another run) or an
   * already archived object.
   */
  status: 'completed' | 'pending' | 'skipped';
  /** Why the run was skipped. */
  reason?: 'already-processed' | 'in-progress' | 'already-archived';
  /** Counts; on `pending`, those settled so far. */
  summary: RunSummary;
  /** The error report's key (same bucket). */
  reportKey?: string;
  /** A link to the report (as the orchestrator's `errorReportLink` gives it). */
  reportLink?: string;
  /** Lines in the error report (one per error). */
  reportLines?: number;
  /** Rows in the error report. */
  reportRows?: number;
  /** Where the source was archived. */
  archiveKey?: string;
  /** The execution record's id. */
  executionId?: string;
  /** Ids of the Salesforce jobs still running (status `pending`). */
  pendingJobs?: string[];
}

/** The state of a run left pending at its deadline, parked in S3 for the invocation that finishes it. */
interface PendingState {
  version: 1;
  executionId: string | null;
  bucket: string;
  key: string;
  eTag: string | null;
  versionId: string | null;
  timestamp: string;
  /** Rows up to this one were read (see `Progress.after`). */
  after: number;
  /** Rows read but not sent, as a base64 bit set. */
  resend: string;
  /** Rows in the file, when it was read to the end (0 otherwise). */
  total: number;
  summary: RunSummary;
  jobs: PendingJob[];
  spooled: number;
}

/** A run could not finish; the execution record (when there is one) says so too. */
export class ImportFailedError extends KicksawError {
  /** The execution record written for the failed run, when one could be written. */
  readonly executionId: string | undefined;
  constructor(message: string, options: { cause?: unknown; executionId?: string; code?: string } = {}) {
    super(message, { code: options.code ?? 'IMPORT_FAILED', cause: options.cause });
    this.executionId = options.executionId;
  }
}

const ZERO: RunSummary = { input: 0, succeeded: 0, failed: 0, unprocessed: 0, skipped: 0, created: 0 };

/**
 * The whole of flow 1 in one call: the S3 object streams through CSV parsing and mapping into the
 * Bulk API 2.0 engine (no local copy of the file); every row ends as one outcome; rows with CSV or
 * mapping problems are failed outcomes in the report, never dropped. Then the error report goes to
 * `errors/`, the source moves to `archive/<name>-<timestamp>.<ext>` and the execution record is
 * written.
 *
 * Duplicate deliveries: an execution record with a unique idempotency key (bucket, key, version or
 * ETag) is created before anything else happens; a second delivery of the same object version finds
 * it and is skipped, so there is never a second record, report or load.
 *
 * @example
 * ```ts
 * const result = await importCsv({
 *   s3Client, connection, bucket: 'inbound', key: 'contacts.csv',
 *   object: 'Contact', operation: 'upsert', externalIdField: 'External_Id__c',
 *   mapping: { columns: { 'External Id': 'External_Id__c', 'Last Name': 'LastName', Email: 'Email' } },
 * });
 * console.log(result.summary, result.reportKey, result.archiveKey);
 * ```
 */
export async function importCsv(options: ImportCsvOptions): Promise<ImportCsvResult> {
  const logger = options.logger ?? silentLogger;
  const { s3Client: client, connection, bucket, key } = options;
  const source = `s3://${bucket}/${key}`;
  const settings = options.execution === false ? undefined : resolveExecutionRecordSettings(options.execution);
  const stateFolder = (options.stateFolder ?? '.kicksaw/state').replace(/\/+$/, '');
  const archiveFolder = options.archiveFolder ?? 'archive';

  const head = await headObject({ client, bucket, key });
  const eTag = options.eTag ?? head?.eTag;
  const versionId = options.versionId ?? head?.versionId;
  const idempotencyKey = idempotencyKeyFor({
    bucket,
    key,
    ...(eTag ? { eTag } : {}),
    ...(versionId ? { versionId } : {}),
  });
  const stateKey = `${stateFolder}/${idempotencyKey}.json`;
  const spoolKey = `${stateFolder}/${idempotencyKey}.outcomes.jsonl`;
  const log = { source, idempotencyKey };

  // 1. The source is gone: already archived by an earlier delivery, or deleted.
  if (!head) {
    const existing = settings ? await findExecution(connection, settings, idempotencyKey) : undefined;
    if (existing) {
      logger.info('skipped: this object version was already handled', { ...log, executionId: existing.id });
      return { status: 'skipped', reason: 'already-processed', summary: { ...ZERO }, executionId: existing.id };
    }
    if (await archiveExists(client, bucket, key, archiveFolder)) {
      logger.info('skipped: the object is already archived', log);
      return { status: 'skipped', reason: 'already-archived', summary: { ...ZERO } };
    }
    const error = new InputError(
      'The S3 object does not exist: it was moved or deleted between the event and the download',
      { source, code: 'S3_OBJECT_NOT_FOUND' },
    );
    logger.error(error.message, { ...log, code: error.code });
    const executionId = settings
      ? await recordFailure(connection, settings, idempotencyKey, key, error, options.executionFields, logger)
      : undefined;
    throw new ImportFailedError(error.message, {
      cause: error,
      code: error.code,
      ...(executionId ? { executionId } : {}),
    });
  }

  // 2. Claim this object version.
  let executionId: string | undefined;
  if (settings) {
    const claim = await claimExecution(connection, settings, idempotencyKey, {
      Name: fileNameOf(key).slice(0, 80),
      ...options.executionFields,
    });
    if (claim.claimed) {
      executionId = claim.id;
      logger.info('run claimed', { ...log, executionId });
    } else {
      const existing = claim.existing;
      const parked =
        existing.status === 'pending' || existing.status === 'running'
          ? await readState(client, bucket, stateKey)
          : undefined;
      if (parked) {
        logger.info('finishing a run left pending at its deadline', { ...log, executionId: existing.id });
        return finishPending(options, settings, parked, existing, { stateKey, spoolKey, logger, idempotencyKey });
      }
      const staleAfter = options.staleAfterMs ?? 20 * 60_000;
      const age = existing.lastModified ? Date.now() - existing.lastModified.getTime() : 0;
      if (existing.status === 'running' && age > staleAfter) {
        const error = new KicksawError(
          `An earlier run of ${source} (execution record ${existing.id}) stopped without finishing or parking its ` +
            `state (last change ${existing.lastModified?.toISOString()}); some rows may have been loaded. Check the ` +
            'org, then delete the execution record and deliver the file again to rerun it.',
          { code: 'RUN_ABANDONED' },
        );
        throw await failRun(connection, settings, existing.id, error, source, logger);
      }
      const reason =
        existing.status === 'running' || existing.status === 'pending' ? 'in-progress' : 'already-processed';
      logger.info(`skipped: duplicate delivery (${reason})`, {
        ...log,
        executionId: existing.id,
        status: existing.rawStatus,
      });
      return { status: 'skipped', reason, summary: { ...ZERO }, executionId: existing.id };
    }
  }

  // 3. The run.
  const timestamp = options.timestamp ?? makeTimestamp();
  const orchestrator = await buildOrchestrator(options, settings, { timestamp, eTag, versionId, executionId });
  try {
    const progress = await sendRows(options, orchestrator, { after: 0, resend: new RowSet() }, logger);
    if (!progress.done) {
      return await parkRun(options, settings, orchestrator, progress, { stateKey, spoolKey, logger });
    }
    orchestrator.summary.input = progress.total;
    return await complete(settings, orchestrator, logger);
  } catch (error) {
    await orchestrator.dispose();
    throw await failRun(connection, settings, orchestrator.executionId, error, source, logger);
  }
}

/** Where a run stands after an invocation: what is settled, running, or still to send. */
interface Progress {
  /** Every row is settled: the run can complete. */
  done: boolean;
  /** Rows up to this one were read; each is settled, in a running job, or in `resend`. */
  after: number;
  /** Rows read but not sent (the time limit came first): the next invocation sends them. */
  resend: RowSet;
  /** Jobs still running. */
  jobs: PendingJob[];
  /** Rows in the file, once it was read to the end. */
  total: number;
}

/**
 * Reads the source and sends its rows through the engine: every row after `select.after`, and the
 * rows in `select.resend`. Rows with CSV or mapping problems are logged as failed. Rows the engine did
 * not send before the deadline go to `resend` (never logged, never lost), as do the rows after the
 * last one it took.
 */
async function sendRows(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  select: { after: number; resend: RowSet },
  logger: Logger,
): Promise<Progress> {
  const source = orchestrator.sourceUri;
  const body = await orchestrator.openSource();
  const reader = readCsv(body, { ...options.csv, source });
  // Problems of the file as a whole (empty, binary, a header without a mapped column) surface here, before any job.
  const mapping = compileMapping(options.mapping);
  mapping.check(await reader.header(), source);
  const mapper = mapping.map;
  const externalIdField = options.externalIdField ?? '';
  const keyColumn = externalIdField ? sourceColumnOf(options.mapping, externalIdField) : undefined;
  let exhausted = false;
  let seen = 0; // the highest row pulled from the file in this invocation
  const handed = new RowSet(); // rows handed to the engine and still without an outcome
  const rows = reader[Symbol.asyncIterator]();
  async function* records(): AsyncGenerator<{ row: number; record: SalesforceRecord }> {
    for (;;) {
      const next = await rows.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      const row = next.value;
      seen = Math.max(seen, row.row);
      if (row.row <= select.after && !select.resend.has(row.row)) continue; // settled by an earlier invocation
      if ('problem' in row) {
        await orchestrator.logOutcome(problemOutcome(row));
        continue;
      }
      const mapped = mapper(row.record, row.row);
      if (mapped.ok) {
        handed.add(row.row);
        yield { row: row.row, record: mapped.record };
        continue;
      }
      await orchestrator.logOutcome({
        row: row.row,
        line: row.line,
        status: 'failed',
        id: null,
        created: false,
        errors: mapped.errors,
        // The source row, plus its external id under the field's name so the report can show it.
        record:
          keyColumn && !(externalIdField in row.record)
            ? { [externalIdField]: row.record[keyColumn] ?? '', ...row.record }
            : row.record,
        attempts: 0,
      });
    }
  }
  const run: IngestRun = ingest({
    ...options.ingest,
    connection: options.connection,
    object: options.object,
    operation: options.operation,
    ...(options.externalIdField ? { externalIdField: options.externalIdField } : {}),
    records: records(),
    source,
    ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    logger,
  });
  const resend = new RowSet();
  for await (const outcome of run) {
    handed.delete(outcome.row);
    if (isNotSent(outcome)) resend.add(outcome.row);
    else await orchestrator.logOutcome(outcome);
  }
  await run.summary();
  const jobs = run.pendingJobStates();
  // Rows the engine took but dropped when it stopped reading at the deadline.
  if (jobs.length === 0) for (const row of handed.values()) resend.add(row);
  if (!exhausted) body.destroy();
  // Rows of the earlier resend list this invocation did not reach stay on the list.
  for (const row of select.resend.values()) if (row > seen) resend.add(row);
  const after = exhausted ? seen : Math.max(select.after, seen);
  const left = resend.size();
  if (!exhausted || left > 0) {
    logger.warn('the time limit came before every row was sent: the rest waits for the next invocation', {
      source,
      lastRowRead: after,
      rowsToResend: left,
    });
  }
  return {
    done: exhausted && left === 0 && jobs.length === 0,
    after,
    resend,
    jobs,
    total: exhausted ? seen : 0,
  };
}

function sameETag(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.replaceAll('"', '') === b.replaceAll('"', '');
}

function isNotSent(outcome: RowOutcome): boolean {
  return outcome.status === 'unprocessed' && outcome.errors.some((error) => error.statusCode === 'KICKSAW_DEADLINE');
}

async function buildOrchestrator(
  options: ImportCsvOptions,
  settings: ResolvedExecutionRecordSettings | undefined,
  run: { timestamp: string; eTag: string | undefined; versionId: string | undefined; executionId: string | undefined },
): Promise<Orchestrator> {
  const orchestratorOptions: OrchestratorOptions = {
    bucket: options.bucket,
    key: options.key,
    s3Client: options.s3Client,
    connection: options.connection,
    timestamp: run.timestamp,
    ...(run.eTag ? { eTag: run.eTag } : {}),
    ...(run.versionId ? { versionId: run.versionId } : {}),
    ...(run.executionId ? { executionId: run.executionId } : {}),
    ...(options.archiveFolder ? { archiveFolder: options.archiveFolder } : {}),
    ...(options.errorFolder ? { errorFolder: options.errorFolder } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(settings ? { executionObjectName: settings.object } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    errorReport: {
      object: options.object,
      ...(options.externalIdField ? { upsertKey: options.externalIdField } : {}),
      ...options.errorReport,
    },
  };
  if (options.orchestrator) return options.orchestrator(orchestratorOptions);
  const orchestrator = new ImportOrchestrator({ ...orchestratorOptions, payloadField: settings?.payloadField ?? null });
  await orchestrator.setUp();
  return orchestrator;
}

/** The CSV column a `@kicksaw/csv` mapping fills a field from, when it is a plain column. */
function sourceColumnOf(mapping: ImportMapping, field: string): string | undefined {
  if (typeof mapping === 'function') return undefined;
  const spec = mapping.fields[field];
  if (typeof spec === 'string') return spec;
  if (spec && typeof spec === 'object' && 'from' in spec && typeof spec.from === 'string') return spec.from;
  return undefined;
}

function problemOutcome(row: CsvProblemRow): RowOutcome {
  const raw = row.problem.raw.length > 200 ? `${row.problem.raw.slice(0, 200)}…` : row.problem.raw;
  return {
    row: row.row,
    line: row.line,
    status: 'failed',
    id: null,
    created: false,
    errors: [{ statusCode: row.problem.code, message: row.problem.message, fields: [] }],
    record: { raw },
    attempts: 0,
  };
}

async function archiveExists(client: S3Client, bucket: string, key: string, folder: string): Promise<boolean> {
  // archive/<name>-<timestamp>.<ext>: any key that starts like the archive key without its stamp.
  const sample = archiveKeyFor(key, { folder, timestamp: 'STAMP' });
  const prefix = sample.slice(0, sample.indexOf('STAMP'));
  for await (const found of listKeys({ client, bucket, prefix })) {
    if (found.length > prefix.length) return true;
  }
  return false;
}

function pendingJobsOf(run: IngestRun): PendingJob[] {
  return run.pendingJobStates();
}

async function parkRun(
  options: ImportCsvOptions,
  settings: ResolvedExecutionRecordSettings | undefined,
  orchestrator: Orchestrator,
  progress: Progress,
  where: { stateKey: string; spoolKey: string; logger: Logger },
): Promise<ImportCsvResult> {
  const { s3Client: client, bucket } = options;
  const jobs = progress.jobs;
  const spooled = await parkSpool(client, bucket, where.spoolKey, orchestrator);
  const state: PendingState = {
    version: 1,
    executionId: orchestrator.executionId ?? null,
    bucket,
    key: options.key,
    eTag: orchestrator.eTag ?? null,
    versionId: orchestrator.versionId ?? null,
    timestamp: orchestrator.timestamp,
    after: progress.after,
    resend: progress.resend.toBase64(),
    total: progress.total,
    summary: { ...orchestrator.summary },
    jobs,
    spooled,
  };
  await cacheJson(state, { client, bucket, key: where.stateKey });
  if (settings && orchestrator.executionId) {
    await updateExecution(options.connection, settings, orchestrator.executionId, {
      [settings.statusField]: settings.statusValues.pending,
    });
  }
  await orchestrator.dispose();
  const ids = jobs.map(jobIdOf);
  where.logger.warn('time limit reached: the run is parked for a later invocation', {
    source: orchestrator.sourceUri,
    pendingJobs: ids,
    rowsRead: progress.after,
    rowsToResend: progress.resend.size(),
    state: `s3://${bucket}/${where.stateKey}`,
  });
  return {
    status: 'pending',
    summary: { ...orchestrator.summary },
    pendingJobs: ids,
    ...(orchestrator.executionId ? { executionId: orchestrator.executionId } : {}),
  };
}

async function parkSpool(client: S3Client, bucket: string, key: string, orchestrator: Orchestrator): Promise<number> {
  await uploadObject({ client, bucket, key, body: orchestrator.savedOutcomes(), contentType: 'application/x-ndjson' });
  return orchestrator.savedOutcomeCount;
}

async function readState(client: S3Client, bucket: string, key: string): Promise<PendingState | undefined> {
  const head = await headObject({ client, bucket, key });
  if (!head) return undefined;
  return readCachedJson<PendingState>({ client, bucket, key });
}

async function finishPending(
  options: ImportCsvOptions,
  settings: ResolvedExecutionRecordSettings,
  state: PendingState,
  existing: ExistingExecution,
  where: { stateKey: string; spoolKey: string; logger: Logger; idempotencyKey: string },
): Promise<ImportCsvResult> {
  const { s3Client: client, bucket, connection } = options;
  const orchestrator = await buildOrchestrator(options, settings, {
    timestamp: state.timestamp,
    eTag: state.eTag ?? undefined,
    versionId: state.versionId ?? undefined,
    executionId: existing.id,
  });
  try {
    Object.assign(orchestrator.summary, state.summary);
    if (state.spooled > 0) {
      const { body } = await getObjectStream({ client, bucket, key: where.spoolKey });
      await orchestrator.restoreOutcomes(body);
    }
    const resend = RowSet.fromBase64(state.resend);
    let jobs = state.jobs;
    if (jobs.length > 0) {
      const tuning = options.ingest ?? {};
      const run: IngestRun = resume({
        ...pick(tuning, [
          'pollIntervalMs',
          'maxPollIntervalMs',
          'onProgress',
          'http',
          'spoolDirectory',
          'maxConcurrentJobs',
        ]),
        connection,
        jobs: state.jobs,
        ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
        logger: where.logger,
      });
      for await (const outcome of run) {
        if (isNotSent(outcome)) resend.add(outcome.row);
        else await orchestrator.logOutcome(outcome);
      }
      await run.summary();
      jobs = pendingJobsOf(run);
    }
    let progress: Progress = { done: false, after: state.after, resend, jobs, total: state.total };
    const moreToSend = state.total === 0 || resend.size() > 0;
    if (jobs.length === 0 && moreToSend) {
      // The file was not all read or sent: go on from where the last invocation stopped.
      const head = await headObject({ client, bucket, key: options.key });
      const sameVersion =
        head && (state.versionId ? head.versionId === state.versionId : sameETag(head.eTag, state.eTag ?? undefined));
      if (!sameVersion) {
        throw new InputError('The file changed or disappeared before the run parked on it could send its last rows', {
          source: orchestrator.sourceUri,
          code: 'SOURCE_CHANGED',
        });
      }
      progress = await sendRows(options, orchestrator, { after: state.after, resend }, where.logger);
    } else {
      progress.done = jobs.length === 0;
    }
    if (!progress.done) {
      return await parkRun(options, settings, orchestrator, progress, { ...where });
    }
    orchestrator.summary.input = progress.total;
    const result = await complete(settings, orchestrator, where.logger);
    await deleteObject({ client, bucket, key: where.stateKey }).catch(() => undefined);
    await deleteObject({ client, bucket, key: where.spoolKey }).catch(() => undefined);
    return result;
  } catch (error) {
    await orchestrator.dispose();
    // Two deliveries may finish the same parked run at once; if the other one completed it (and
    // removed the parked state under this one), this is a duplicate, not a failure.
    const now = await findExecution(connection, settings, where.idempotencyKey).catch(() => undefined);
    if (now && (now.status === 'succeeded' || now.status === 'partial')) {
      where.logger.info('skipped: another delivery finished this run', { executionId: existing.id });
      return { status: 'skipped', reason: 'already-processed', summary: { ...ZERO }, executionId: existing.id };
    }
    throw await failRun(connection, settings, existing.id, error, `s3://${bucket}/${options.key}`, where.logger);
  }
}

async function complete(
  settings: ResolvedExecutionRecordSettings | undefined,
  orchestrator: Orchestrator,
  logger: Logger,
): Promise<ImportCsvResult> {
  const summary = assertAccounted({ ...orchestrator.summary });
  const status: ExecutionStatus = orchestrator.errorCount > 0 ? 'partial' : 'succeeded';
  if (settings) orchestrator.executionFields[settings.statusField] = settings.statusValues[status];
  if (settings || orchestrator.executionObjectName) {
    await orchestrator.report();
  } else {
    await orchestrator.archiveFile();
    await orchestrator.uploadErrorReport();
    await orchestrator.dispose();
  }
  logger.info('run completed', {
    source: orchestrator.sourceUri,
    ...summary,
    report: orchestrator.uploadedReport?.key,
    archive: orchestrator.archivedTo,
    executionId: orchestrator.executionId,
  });
  return {
    status: 'completed',
    summary,
    ...(orchestrator.uploadedReport
      ? {
          reportKey: orchestrator.uploadedReport.key,
          reportLink: orchestrator.errorReportLink,
          reportLines: orchestrator.uploadedReport.errorLines,
          reportRows: orchestrator.uploadedReport.failedRows,
        }
      : {}),
    ...(orchestrator.archivedTo ? { archiveKey: orchestrator.archivedTo } : {}),
    ...(orchestrator.executionId ? { executionId: orchestrator.executionId } : {}),
  };
}

/** Logs a failed run, writes it to the execution record when possible, and returns the error to throw. */
async function failRun(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings | undefined,
  executionId: string | undefined,
  error: unknown,
  source: string,
  logger: Logger,
): Promise<ImportFailedError> {
  const message = messageOf(error);
  const code = error instanceof KicksawError ? error.code : 'IMPORT_FAILED';
  logger.error(`run failed: ${message}`, { source, code, executionId });
  if (settings && executionId) {
    try {
      await updateExecution(connection, settings, executionId, {
        [settings.statusField]: settings.statusValues.failed,
        ...(settings.payloadField
          ? { [settings.payloadField]: JSON.stringify({ source, error: { code, message } }) }
          : {}),
      });
    } catch (updateError) {
      logger.error('could not write the failure to the execution record', {
        executionId,
        error: messageOf(updateError),
      });
    }
  }
  return new ImportFailedError(message, { cause: error, code, ...(executionId ? { executionId } : {}) });
}

async function recordFailure(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  idempotencyKey: string,
  key: string,
  error: KicksawError,
  extra: Record<string, unknown> | undefined,
  logger: Logger,
): Promise<string | undefined> {
  try {
    const claim = await claimExecution(
      connection,
      settings,
      idempotencyKey,
      {
        Name: fileNameOf(key).slice(0, 80),
        ...extra,
        ...(settings.payloadField
          ? { [settings.payloadField]: JSON.stringify({ error: { code: error.code, message: error.message } }) }
          : {}),
      },
      'failed',
    );
    return claim.claimed ? claim.id : claim.existing.id;
  } catch (recordError) {
    logger.error('could not write the failure to an execution record', { error: messageOf(recordError) });
    return undefined;
  }
}

function jobIdOf(job: PendingJob): string {
  return job.jobId;
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
