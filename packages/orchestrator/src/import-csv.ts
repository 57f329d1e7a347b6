import type { S3Client } from '@aws-sdk/client-s3';
import {
  assertAccounted,
  type BulkOperation,
  ConfigError,
  InputError,
  isUnsent,
  KicksawError,
  type Logger,
  timestamp as makeTimestamp,
  OUTCOME_CODES,
  type RowOutcome,
  type RunSummary,
  type SalesforceRecord,
  silentLogger,
  unsentOutcome,
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
  S3ObjectNotFoundError,
  uploadObject,
} from '@kicksaw/s3';
import { type IngestOptions, type IngestRun, ingest, type PendingJob, pendingJobRows, resume } from '@kicksaw/sf-bulk';
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
import { acquireLease, deleteLeases, type RunLease } from './lease.js';
import { compileMapping, type ImportMapping } from './mapping.js';
import type { ErrorReportSettings, Orchestrator, OrchestratorOptions, UploadedReport } from './orchestrator.js';
import { RowSet } from './rows.js';
import { POSITION_EVERY, type SavedPositions, SourcePositions } from './source-positions.js';

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
  /** @deprecated Unused: a run whose invocation died is taken over once its lease expires (see `leaseMs`). */
  staleAfterMs?: number;
  /**
   * How long the run's lease lasts without a renewal, in ms. One invocation at a time holds a run's
   * lease; it renews it every third of this while it lives, so a killed invocation's lease runs out
   * within `leaseMs` and a later delivery takes the run over. Default: the time to the deadline plus 2
   * minutes, or 5 minutes without a deadline.
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
  /** Default `silentLogger`. */
  logger?: Logger;
}

/** What {@link importCsv} did. */
export interface ImportCsvResult {
  /**
   * `completed`: every row has an outcome, the report is up, the source archived, the record written.
   * `pending`: the deadline came first; Salesforce jobs are still running and a later call finishes.
   * `skipped`: a duplicate delivery (this object version was handled by another run, or another
   * invocation holds the run's lease right now: `in-progress`, deliver it again later) or an already
   * archived object.
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
  /** Rows in those jobs (status `pending`). */
  pendingRows?: number;
  /** Rows not sent yet, for the next invocation (status `pending`). */
  unsentRows?: number;
  /** Why the run is pending, e.g. `deadline reached` or `Bulk API job not created: ...`. */
  pendingReason?: string;
  /** Until when another invocation holds the run (status `skipped`, reason `in-progress`). */
  heldUntil?: string;
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

/** The durable state of a run between invocations, in S3 beside the run's checkpoints. */
interface ParkedState {
  version: 2;
  executionId: string | null;
  bucket: string;
  key: string;
  eTag: string | null;
  versionId: string | null;
  timestamp: string;
  /** Rows with an outcome in the parked spool or in one of `jobs` (a base64 bit set). */
  covered: string;
  /** Rows in the file, once it was read to the end. */
  total: number | null;
  summary: RunSummary;
  /** Jobs still running, to resume. */
  jobs: PendingJob[];
  spooled: number;
  /** The lease generation that wrote this state: checkpoints of later generations are newer. */
  generation: number;
  /** Invocations in a row that settled no row. */
  stalls: number;
  /** When the run began. */
  startedAt: string;
  /** Why rows were left unsent last time. */
  unsentReason: string | null;
  /** Set once every row is settled and the report is up: archive and record are what is left. */
  completing?: { summary: RunSummary; report: UploadedReport };
  /** Where a later reading pass can start in the file (byte offsets), see {@link SourcePositions}. */
  positions?: SavedPositions;
}

/** The state an older version parked (rows up to `after`, minus `resend`, were covered). */
interface ParkedStateV1 {
  version: 1;
  executionId: string | null;
  bucket: string;
  key: string;
  eTag: string | null;
  versionId: string | null;
  timestamp: string;
  after: number;
  resend: string;
  total: number;
  summary: RunSummary;
  jobs: PendingJob[];
  spooled: number;
}

/** A job checkpoint written before the job was closed (see `onJobUploaded` in `@kicksaw/sf-bulk`). */
interface Checkpoint {
  generation: number;
  sequence: number;
  key: string;
  job: PendingJob;
  /** Positions in the file read since the checkpoint before. */
  positions?: SavedPositions | undefined;
}

/** A checkpoint's body in S3 (an older version wrote the bare {@link PendingJob}). */
interface CheckpointBody {
  version: 2;
  job: PendingJob;
  positions?: SavedPositions;
}

/** Where a run keeps its state. */
interface RunPlace {
  source: string;
  idempotencyKey: string;
  stateKey: string;
  spoolKey: string;
  checkpointPrefix: string;
  logger: Logger;
}

const ZERO: RunSummary = { input: 0, succeeded: 0, failed: 0, unprocessed: 0, skipped: 0, created: 0 };

/**
 * The whole of flow 1 in one call: the S3 object streams through CSV parsing and mapping into the
 * Bulk API 2.0 engine (no local copy of the file); every row ends as one outcome; rows with CSV or
 * mapping problems are failed outcomes in the report, never dropped. Then the error report goes to
 * `errors/`, the source moves to `archive/<name>-<timestamp>.<ext>` and the execution record is
 * written.
 *
 * Delivered more than once, cut short, killed: an execution record with a unique idempotency key
 * (bucket, key, version or ETag) is created first, so there is never a second record, report or
 * archive. One invocation at a time holds the run's lease; another delivery meanwhile answers
 * `skipped` / `in-progress` (deliver it again later). Every Bulk API job is checkpointed in S3 before
 * it is closed, so an invocation that takes a run over (after a deadline, a failure or a kill) resumes
 * the jobs already sent by their ids and sends only the rows never sent: no row goes to Salesforce twice.
 *
 * @example
 * ```ts
 * const result = await importCsv({
 *   s3Client, connection, bucket: 'inbound', key: 'contacts.csv',
 *   object: 'Contact', operation: 'upsert', externalIdField: 'External_Id__c',
 *   mapping: { fields: { External_Id__c: 'External Id', LastName: 'Last Name', Email: 'Email' } },
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
  const place: RunPlace = {
    source,
    idempotencyKey,
    stateKey: `${stateFolder}/${idempotencyKey}.json`,
    spoolKey: `${stateFolder}/${idempotencyKey}.outcomes.jsonl`,
    checkpointPrefix: `${stateFolder}/${idempotencyKey}.jobs/`,
    logger,
  };
  const log = { source, idempotencyKey };

  // 1. The source is gone: already archived by an earlier delivery, or deleted.
  const existing = !head && settings ? await findExecution(connection, settings, idempotencyKey) : undefined;
  // The source was archived by an invocation cut off before it wrote the record: finish that run.
  const unfinished = !head && existing !== undefined && !isFinal(existing.status);
  if (!head && !unfinished) {
    if (existing) {
      logger.info('skipped: this object version was already handled', { ...log, executionId: existing.id });
      // A run cut off after its record was written may have left its state and lease records behind.
      if (settings) await cleanUp(client, bucket, place, { connection, settings }).catch(() => undefined);
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

  if (!settings) {
    // No record: no duplicate-delivery protection and no lease (see `execution`).
    return runLeased(options, undefined, undefined, undefined, { eTag, versionId, place });
  }

  // 2. The execution record: created by the first delivery, found by every later one.
  const claim = await claimExecution(connection, settings, idempotencyKey, {
    Name: fileNameOf(key).slice(0, 80),
    ...options.executionFields,
  });
  const executionId = claim.claimed ? claim.id : claim.existing.id;
  if (!claim.claimed && isFinal(claim.existing.status)) {
    logger.info('skipped: duplicate delivery (already-processed)', {
      ...log,
      executionId,
      status: claim.existing.rawStatus,
    });
    await cleanUp(client, bucket, place, { connection, settings }).catch(() => undefined);
    return { status: 'skipped', reason: 'already-processed', summary: { ...ZERO }, executionId };
  }

  // 3. The lease: one invocation at a time sends, settles, parks or finishes the run.
  const leaseMs =
    options.leaseMs ?? (options.deadline !== undefined ? deadlineOf(options.deadline) - Date.now() + 120_000 : 300_000);
  const attempt = await acquireLease(connection, settings, idempotencyKey, {
    leaseMs: Math.max(1_000, leaseMs),
    logger,
  });
  if (!attempt.acquired) {
    logger.info('skipped: another invocation holds this run (in-progress); deliver it again later', {
      ...log,
      executionId,
      leaseGeneration: attempt.generation,
      heldUntil: attempt.heldUntil?.toISOString(),
    });
    return {
      status: 'skipped',
      reason: 'in-progress',
      summary: { ...ZERO },
      executionId,
      ...(attempt.heldUntil ? { heldUntil: attempt.heldUntil.toISOString() } : {}),
    };
  }
  const lease = attempt.lease;
  if (!claim.claimed) {
    // The run may have been finished between the claim and the lease.
    const now = await findExecution(connection, settings, idempotencyKey);
    if (now && isFinal(now.status)) {
      await lease.release().catch(() => undefined);
      logger.info('skipped: duplicate delivery (already-processed)', { ...log, executionId });
      return { status: 'skipped', reason: 'already-processed', summary: { ...ZERO }, executionId };
    }
  }
  logger.info('run leased', { ...log, executionId, leaseGeneration: lease.generation });
  try {
    return await runLeased(options, settings, executionId, lease, { eTag, versionId, place });
  } finally {
    lease.stop();
  }
}

function isFinal(status: ExistingExecution['status']): boolean {
  return status === 'succeeded' || status === 'partial' || status === 'failed';
}

function deadlineOf(deadline: Date | number): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * One invocation's share of a run, under its lease: resume the jobs already sent (parked or
 * checkpointed by an invocation that died), send the rows never sent, then park or complete.
 */
async function runLeased(
  options: ImportCsvOptions,
  settings: ResolvedExecutionRecordSettings | undefined,
  executionId: string | undefined,
  lease: RunLease | undefined,
  run: { eTag: string | undefined; versionId: string | undefined; place: RunPlace },
): Promise<ImportCsvResult> {
  const { s3Client: client, bucket, connection } = options;
  const { place } = run;
  const logger = place.logger;
  const generation = lease?.generation ?? 0;
  const state = await readState(client, bucket, place.stateKey);
  const checkpoints = await readCheckpoints(client, bucket, place.checkpointPrefix, state?.generation ?? 0);
  const identity = {
    timestamp: state?.timestamp ?? options.timestamp ?? makeTimestamp(),
    eTag: state?.eTag ?? run.eTag,
    versionId: state?.versionId ?? run.versionId,
    executionId,
  };
  let orchestrator: Orchestrator;
  try {
    orchestrator = await buildOrchestrator(options, settings, identity);
  } catch (error) {
    const gone = error instanceof KicksawError && error.code === 'S3_OBJECT_NOT_FOUND';
    if (!(gone && state?.completing)) {
      if (isRunFailure(error)) {
        const failed = await failRun(connection, settings, executionId, error, place.source, logger);
        await cleanUp(client, bucket, place, settings ? { connection, settings } : undefined);
        throw failed;
      }
      throw error;
    }
    // The source is archived already: only the record is left to write, by the default orchestrator's
    // set-up-free form (a custom orchestrator's set-up needs the source).
    logger.warn('the source is archived already: the record is written by the default orchestrator', {
      source: place.source,
    });
    orchestrator = await buildOrchestrator(options, settings, identity, { sourceGone: true });
  }
  const startedAt = state?.startedAt ?? new Date().toISOString();
  const writeState = (patch: Partial<ParkedState>): Promise<unknown> =>
    cacheJson(
      {
        version: 2,
        executionId: orchestrator.executionId ?? null,
        bucket,
        key: options.key,
        eTag: orchestrator.eTag ?? null,
        versionId: orchestrator.versionId ?? null,
        timestamp: orchestrator.timestamp,
        covered: '',
        total: null,
        summary: { ...ZERO },
        jobs: [],
        spooled: 0,
        generation: 0,
        stalls: 0,
        startedAt,
        unsentReason: null,
        ...state,
        ...patch,
      } satisfies ParkedState,
      { client, bucket, key: place.stateKey },
    );
  const record = settings ? { connection, settings } : undefined;
  try {
    if (state?.completing) {
      // Every row was settled and reported by an invocation cut off before the archive or the record.
      logger.info('finishing a run whose report is up: archive and record', { source: place.source });
      Object.assign(orchestrator.summary, state.completing.summary);
      orchestrator.uploadedReport = state.completing.report;
      const result = await complete(settings, orchestrator, logger);
      await cleanUp(client, bucket, place, record);
      return result;
    }
    if (!state) {
      // The run's timestamp (report and archive names) is kept from its first invocation on.
      await writeState({});
    }
    if (state || checkpoints.length > 0) {
      if (state) {
        Object.assign(orchestrator.summary, state.summary);
        if (state.spooled > 0) {
          const { body } = await getObjectStream({ client, bucket, key: place.spoolKey });
          await orchestrator.restoreOutcomes(body);
        }
      }
      const head = await headObject({ client, bucket, key: options.key });
      const expected = { eTag: state?.eTag ?? run.eTag, versionId: state?.versionId ?? run.versionId };
      const sameVersion =
        head && (expected.versionId ? head.versionId === expected.versionId : sameETag(head.eTag, expected.eTag));
      if (!sameVersion) {
        throw new InputError('The file changed or disappeared before the run on it could finish', {
          source: orchestrator.sourceUri,
          code: 'SOURCE_CHANGED',
        });
      }
      logger.info('taking the run over', {
        source: place.source,
        parkedBy: state?.generation ?? null,
        pendingJobs: state?.jobs.length ?? 0,
        checkpointedJobs: checkpoints.length,
      });
    }
    const covered = state ? RowSet.fromBase64(state.covered) : new RowSet();
    const positions = new SourcePositions(state?.positions);
    for (const checkpoint of checkpoints) positions.merge(checkpoint.positions);
    let total = state?.total ?? null;
    const settledBefore = covered.size();
    let unsentReason: string | null = null;

    // 1. Jobs already sent: parked ones, and those an invocation that died checkpointed.
    let jobs: PendingJob[] = [];
    const toResume = [...(state?.jobs ?? []), ...checkpoints.map((checkpoint) => checkpoint.job)];
    if (toResume.length > 0) {
      const settled = await settleJobs(options, orchestrator, toResume, covered, logger);
      jobs = settled.pending;
      unsentReason ??= settled.unsentReason;
    }

    // 2. The rows never sent (or sent again after a retryable failure).
    const counter = { sequence: 0 };
    let attemptsLeft = options.sourceRetries ?? 3;
    while (total === null || covered.countThrough(total) < total) {
      if (options.deadline !== undefined && Date.now() >= deadlineOf(options.deadline)) {
        unsentReason ??= 'deadline reached';
        break;
      }
      const pass = await sendRows(options, orchestrator, covered, {
        generation,
        counter,
        lease,
        place,
        positions,
      });
      jobs = [...jobs, ...pass.pending];
      if (pass.exhausted) total = pass.total;
      unsentReason = pass.unsentReason ?? unsentReason;
      if (pass.sourceError === undefined) break;
      unsentReason = `the source stream broke: ${messageOf(pass.sourceError)}`;
      if (--attemptsLeft < 0) break;
      logger.warn('the source stream broke: reading it again from the last row settled or sent', {
        source: place.source,
        error: messageOf(pass.sourceError),
      });
    }

    const unsent = total === null ? null : total - covered.countThrough(total);
    const markReported = async (done: Orchestrator) => {
      if (done.uploadedReport)
        await writeState({ completing: { summary: { ...done.summary }, report: done.uploadedReport } });
    };
    if (total !== null && unsent === 0 && jobs.length === 0) {
      orchestrator.summary.input = total;
      const result = await complete(settings, orchestrator, logger, markReported);
      await cleanUp(client, bucket, place, record);
      return result;
    }

    // 3. Not done: give unsent rows up when the run stalled too long, else park.
    // A stall is an invocation that settled nothing because rows could not be sent (not merely because
    // its deadline came: that is bounded by maxRunAgeMs).
    const progressed = covered.size() > settledBefore || (state?.jobs.length ?? 0) > jobs.length;
    const stalled = !progressed && unsentReason !== null && unsentReason !== 'deadline reached';
    const stalls = progressed ? 0 : (state?.stalls ?? 0) + (stalled ? 1 : 0);
    const age = Date.now() - Date.parse(startedAt);
    const maxStalls = options.maxStalledAttempts ?? 5;
    const maxAge = options.maxRunAgeMs ?? 24 * 60 * 60_000;
    if (jobs.length === 0 && (stalls >= maxStalls || age >= maxAge)) {
      const why =
        `Not sent: ${stalls >= maxStalls ? `${stalls} invocations in a row could not send it` : `the run is older than ${Math.round(maxAge / 60_000)} min`}` +
        (unsentReason ? ` (last: ${unsentReason})` : '');
      logger.error('giving up the rows never sent: they are reported, the run completes with errors', {
        source: place.source,
        reason: why,
      });
      const final = await giveUp(options, orchestrator, covered, why);
      orchestrator.summary.input = final.total;
      const result = await complete(settings, orchestrator, logger, markReported);
      await cleanUp(client, bucket, place, record);
      return result;
    }
    return await parkRun(options, settings, orchestrator, {
      covered,
      positions,
      total,
      jobs,
      generation,
      stalls,
      startedAt,
      unsentReason,
      place,
      lease,
    });
  } catch (error) {
    await orchestrator.dispose();
    if (isRunFailure(error)) {
      const failed = await failRun(connection, settings, orchestrator.executionId, error, place.source, logger);
      await cleanUp(client, bucket, place, record);
      throw failed;
    }
    // Anything else (an outage of S3 or Salesforce, a lost connection) is not a verdict on the run: its
    // durable state and checkpoints stay as they are, and a later delivery takes it over once the lease
    // of this invocation runs out (it is not released: a job of this invocation may still be closing).
    logger.error(`run interrupted, to be taken over by a later delivery: ${messageOf(error)}`, {
      source: place.source,
      executionId: orchestrator.executionId,
    });
    throw new ImportFailedError(`The run was interrupted and stays pending: ${messageOf(error)}`, {
      cause: error,
      code: 'RUN_INTERRUPTED',
      ...(orchestrator.executionId ? { executionId: orchestrator.executionId } : {}),
    });
  }
}

/** Errors that are a verdict on the run (a bad file, a bad setting), not an outage to wait out. */
function isRunFailure(error: unknown): boolean {
  return error instanceof InputError || error instanceof ConfigError || error instanceof S3ObjectNotFoundError;
}

/** Why an outcome's row must be sent again, or undefined when the outcome settles the row. */
function unsentReasonOf(outcome: RowOutcome, retry: { codes: Set<string>; maxAttempts: number }): string | undefined {
  const first = outcome.errors[0];
  if (!first) return undefined;
  // A row never sent (so never processed) goes out again later.
  if (isUnsent(outcome)) {
    return first.statusCode === OUTCOME_CODES.DEADLINE ? 'deadline reached' : `${first.statusCode}: ${first.message}`;
  }
  // A retryable failure whose retries were cut short (the deadline came, or a resumed job's retries).
  if (
    outcome.status === 'failed' &&
    (outcome.attempts ?? 1) < retry.maxAttempts &&
    outcome.errors.every((error) => retry.codes.has(error.statusCode))
  ) {
    return `retry of ${first.statusCode}`;
  }
  return undefined;
}

function retrySettings(options: ImportCsvOptions): { codes: Set<string>; maxAttempts: number } {
  return {
    codes: new Set(options.ingest?.retry?.codes ?? ['UNABLE_TO_LOCK_ROW']),
    maxAttempts: Math.max(1, options.ingest?.retry?.maxAttempts ?? 3),
  };
}

/**
 * Resumes jobs sent by earlier invocations, by id. A row sent in several of them (retried) takes the
 * outcome of its latest job; rows whose job never ran, or whose retries were cut short, are uncovered
 * so that the reading pass sends them again.
 */
async function settleJobs(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  jobs: PendingJob[],
  covered: RowSet,
  logger: Logger,
): Promise<{ pending: PendingJob[]; unsentReason: string | null }> {
  const ordinal = new Map<string, number>();
  let maxRow = 0;
  const rowsOf = jobs.map((job) => pendingJobRows(job));
  for (const rows of rowsOf) for (const row of rows) maxRow = Math.max(maxRow, row);
  // The latest job of each row, as 1 + its position in `jobs` (later positions are later jobs).
  const latest = new Int32Array(maxRow + 1);
  jobs.forEach((job, position) => {
    ordinal.set(job.jobId, position + 1);
    for (const row of rowsOf[position] as Uint32Array) {
      latest[row] = position + 1;
      covered.add(row);
    }
  });
  const tuning = options.ingest ?? {};
  const run = resume({
    ...pick(tuning, ['pollIntervalMs', 'maxPollIntervalMs', 'http', 'spoolDirectory', 'maxConcurrentJobs']),
    connection: options.connection,
    jobs,
    // Nobody else owns these jobs (this invocation holds the lease): an Open one was never closed.
    abortOpenJobs: true,
    // Retries are sent by the reading pass, under this run's checkpoints.
    retry: { maxAttempts: 1 },
    ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    logger,
  });
  const retry = retrySettings(options);
  let unsentReason: string | null = null;
  for await (const outcome of run) {
    const from = outcome.jobId === undefined ? undefined : ordinal.get(outcome.jobId);
    if (from !== undefined && latest[outcome.row] !== from) continue; // superseded by a later job
    const reason = unsentReasonOf(outcome, retry);
    if (reason) {
      covered.delete(outcome.row);
      unsentReason ??= reason;
    } else {
      await orchestrator.logOutcome(outcome);
    }
  }
  await run.summary();
  return { pending: run.pendingJobStates(), unsentReason };
}

/** What one reading pass did. */
interface Pass {
  exhausted: boolean;
  total: number;
  pending: PendingJob[];
  unsentReason: string | null;
  sourceError: unknown;
}

/**
 * Reads the source and sends every row not yet covered through the engine, each job checkpointed in
 * S3 before it is closed. Rows with CSV or mapping problems are logged as failed.
 */
async function sendRows(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  covered: RowSet,
  ctx: {
    generation: number;
    counter: { sequence: number };
    lease: RunLease | undefined;
    place: RunPlace;
    positions: SourcePositions;
  },
): Promise<Pass> {
  const logger = ctx.place.logger;
  const source = orchestrator.sourceUri;
  // Every row before `start` is covered: the pass begins there (a ranged GET) instead of at the top.
  let start = ctx.positions.startFor(covered);
  let body = start ? await orchestrator.openSourceAt(start.position.offset) : undefined;
  if (body === undefined) {
    start = undefined;
    body = await orchestrator.openSource();
  } else if (start) {
    logger.info('reading the source from where the rows not yet settled begin', {
      source,
      offset: start.position.offset,
      afterRow: start.position.row,
    });
  }
  let sourceError: unknown;
  body.once('error', (error: unknown) => {
    sourceError = error;
  });
  const reader = readCsv(body, { ...options.csv, source, offsets: true, ...(start ? { start } : {}) });
  // Problems of the file as a whole (empty, binary, a header without a mapped column) surface here, before any job.
  const mapping = compileMapping(options.mapping);
  if (!start) ctx.positions.setFormat(await reader.format());
  mapping.check(await reader.header(), source);
  const mapper = mapping.map;
  const externalIdField = options.externalIdField ?? '';
  const keyColumn = externalIdField ? sourceColumnOf(options.mapping, externalIdField) : undefined;
  let exhausted = false;
  let seen = start?.position.row ?? 0;
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
      if (row.end !== undefined && row.row % POSITION_EVERY === 0) ctx.positions.add(row.end);
      if (covered.has(row.row)) continue; // settled, or sent in a job, by an earlier invocation
      if ('problem' in row) {
        await orchestrator.logOutcome(problemOutcome(row));
        covered.add(row.row);
        continue;
      }
      const mapped = mapper(row.record, row.row);
      if (mapped.ok) {
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
      covered.add(row.row);
    }
  }
  const { s3Client: client, bucket } = options;
  const run: IngestRun = ingest({
    // Bulk API jobs even for small inputs: a job is checkpointed before it is closed, while an sObject
    // Collections call retried after a lost answer, or cut by a kill, cannot be told from one never made.
    api: 'bulk',
    ...options.ingest,
    connection: options.connection,
    object: options.object,
    operation: options.operation,
    ...(options.externalIdField ? { externalIdField: options.externalIdField } : {}),
    records: records(),
    source,
    ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    logger,
    // Write-ahead: a job is closed (and so processed) only once S3 knows it; an invocation taking the
    // run over resumes it by id instead of sending its rows again.
    onJobUploaded: async (job) => {
      if (ctx.lease && !ctx.lease.held()) {
        throw new KicksawError('the run lease ran out: another invocation may hold the run now', {
          code: 'LEASE_LOST',
        });
      }
      ctx.counter.sequence += 1;
      const name = `g${String(ctx.generation).padStart(6, '0')}-${String(ctx.counter.sequence).padStart(6, '0')}.json`;
      const positions = ctx.positions.takeUnsaved();
      const checkpoint: CheckpointBody = { version: 2, job, ...(positions ? { positions } : {}) };
      await uploadObject({
        client,
        bucket,
        key: `${ctx.place.checkpointPrefix}${name}`,
        body: JSON.stringify(checkpoint),
        contentType: 'application/json',
      });
    },
  });
  const retry = retrySettings(options);
  let unsentReason: string | null = null;
  let failure: unknown;
  try {
    for await (const outcome of run) {
      const reason = unsentReasonOf(outcome, retry);
      if (reason) {
        unsentReason ??= reason;
        continue;
      }
      await orchestrator.logOutcome(outcome);
      covered.add(outcome.row);
    }
    await run.summary();
  } catch (error) {
    failure = error;
  }
  const pending = run.pendingJobStates();
  for (const job of pending) for (const row of pendingJobRows(job)) covered.add(row);
  if (!exhausted) body.destroy();
  if (failure !== undefined) {
    if (sourceError === undefined) throw failure;
    return { exhausted: false, total: 0, pending, unsentReason, sourceError };
  }
  if (!exhausted || unsentReason) {
    logger.warn('not every row was sent: the rest waits for the next invocation', {
      source,
      lastRowRead: seen,
      reason: unsentReason ?? 'deadline reached',
    });
  }
  return { exhausted, total: exhausted ? seen : 0, pending, unsentReason, sourceError: undefined };
}

/** Reads the file once more and reports every row still uncovered as not sent. */
async function giveUp(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  covered: RowSet,
  why: string,
): Promise<{ total: number }> {
  const body = await orchestrator.openSource();
  let total = 0;
  for await (const row of readCsv(body, { ...options.csv, source: orchestrator.sourceUri })) {
    total = Math.max(total, row.row);
    if (covered.has(row.row)) continue;
    covered.add(row.row);
    if ('problem' in row) {
      await orchestrator.logOutcome(problemOutcome(row));
      continue;
    }
    await orchestrator.logOutcome(
      unsentOutcome({
        row: row.row,
        line: row.line,
        error: { statusCode: OUTCOME_CODES.NOT_SENT, message: why, fields: [] },
        record: row.record,
      }),
    );
  }
  return { total };
}

async function parkRun(
  options: ImportCsvOptions,
  settings: ResolvedExecutionRecordSettings | undefined,
  orchestrator: Orchestrator,
  park: {
    covered: RowSet;
    positions: SourcePositions;
    total: number | null;
    jobs: PendingJob[];
    generation: number;
    stalls: number;
    startedAt: string;
    unsentReason: string | null;
    place: RunPlace;
    lease: RunLease | undefined;
  },
): Promise<ImportCsvResult> {
  const { s3Client: client, bucket } = options;
  const { place } = park;
  await uploadObject({
    client,
    bucket,
    key: place.spoolKey,
    body: orchestrator.savedOutcomes(),
    contentType: 'application/x-ndjson',
  });
  const state: ParkedState = {
    version: 2,
    executionId: orchestrator.executionId ?? null,
    bucket,
    key: options.key,
    eTag: orchestrator.eTag ?? null,
    versionId: orchestrator.versionId ?? null,
    timestamp: orchestrator.timestamp,
    covered: park.covered.toBase64(),
    total: park.total,
    summary: { ...orchestrator.summary },
    jobs: park.jobs,
    spooled: orchestrator.savedOutcomeCount,
    generation: park.generation,
    stalls: park.stalls,
    startedAt: park.startedAt,
    unsentReason: park.unsentReason,
  };
  const positions = park.positions.toJSON();
  if (positions) state.positions = positions;
  await cacheJson(state, { client, bucket, key: place.stateKey });
  // The state now holds every job this invocation (and those it took over) sent.
  await deleteCheckpoints(client, bucket, place.checkpointPrefix, park.generation).catch(() => undefined);
  if (settings && orchestrator.executionId) {
    await updateExecution(options.connection, settings, orchestrator.executionId, {
      [settings.statusField]: settings.statusValues.pending,
    });
  }
  await orchestrator.dispose();
  await park.lease?.release();
  const ids = park.jobs.map((job) => job.jobId);
  const pendingRows = park.jobs.reduce((sum, job) => sum + job.rows, 0);
  const reason =
    park.unsentReason ??
    (ids.length > 0 && options.deadline === undefined
      ? 'jobs still running: polling them or reading their results failed'
      : 'deadline reached');
  place.logger.warn(`run parked for a later invocation (${reason})`, {
    source: orchestrator.sourceUri,
    pendingJobs: ids,
    pendingRows,
    rowsNotSent: park.total === null ? 'file not read to the end' : park.total - park.covered.countThrough(park.total),
    stalledInvocations: park.stalls,
    state: `s3://${bucket}/${place.stateKey}`,
  });
  return {
    status: 'pending',
    summary: { ...orchestrator.summary },
    pendingJobs: ids,
    pendingRows,
    ...(park.total !== null ? { unsentRows: park.total - park.covered.countThrough(park.total) } : {}),
    pendingReason: reason,
    ...(orchestrator.executionId ? { executionId: orchestrator.executionId } : {}),
  };
}

async function readState(client: S3Client, bucket: string, key: string): Promise<ParkedState | undefined> {
  const head = await headObject({ client, bucket, key });
  if (!head) return undefined;
  const state = await readCachedJson<ParkedState | ParkedStateV1>({ client, bucket, key });
  if (state.version === 2) return state;
  // A run parked by an earlier version: rows up to `after` were covered except those in `resend`.
  const resend = RowSet.fromBase64(state.resend);
  const covered = new RowSet();
  for (let row = 1; row <= state.after; row++) if (!resend.has(row)) covered.add(row);
  return {
    version: 2,
    executionId: state.executionId,
    bucket: state.bucket,
    key: state.key,
    eTag: state.eTag,
    versionId: state.versionId,
    timestamp: state.timestamp,
    covered: covered.toBase64(),
    total: state.total > 0 ? state.total : null,
    summary: state.summary,
    jobs: state.jobs,
    spooled: state.spooled,
    generation: 0,
    stalls: 0,
    startedAt: new Date().toISOString(),
    unsentReason: null,
  };
}

/** Checkpoints newer than the parked state, oldest first. */
async function readCheckpoints(
  client: S3Client,
  bucket: string,
  prefix: string,
  parkedBy: number,
): Promise<Checkpoint[]> {
  const found: Checkpoint[] = [];
  for await (const key of listKeys({ client, bucket, prefix })) {
    const match = /g(\d+)-(\d+)\.json$/.exec(key);
    if (!match) continue;
    const generation = Number(match[1]);
    if (generation <= parkedBy) continue; // already in the parked state
    const body = await readCachedJson<PendingJob | CheckpointBody>({ client, bucket, key });
    const { job, positions } = 'jobId' in body ? { job: body, positions: undefined } : body;
    found.push({ generation, sequence: Number(match[2]), key, job, positions });
  }
  return found.sort((a, b) => a.generation - b.generation || a.sequence - b.sequence);
}

async function deleteCheckpoints(client: S3Client, bucket: string, prefix: string, upTo: number): Promise<void> {
  const keys: string[] = [];
  for await (const key of listKeys({ client, bucket, prefix })) {
    const match = /g(\d+)-\d+\.json$/.exec(key);
    if (match && Number(match[1]) <= upTo) keys.push(key);
  }
  for (const key of keys) await deleteObject({ client, bucket, key });
}

/** The run completed: its state, spool, checkpoints and lease records go. */
async function cleanUp(
  client: S3Client,
  bucket: string,
  place: RunPlace,
  record: { connection: Connection; settings: ResolvedExecutionRecordSettings } | undefined,
): Promise<void> {
  await deleteObject({ client, bucket, key: place.stateKey }).catch(() => undefined);
  await deleteObject({ client, bucket, key: place.spoolKey }).catch(() => undefined);
  await deleteCheckpoints(client, bucket, place.checkpointPrefix, Number.MAX_SAFE_INTEGER).catch(() => undefined);
  if (record) await deleteLeases(record.connection, record.settings, place.idempotencyKey).catch(() => undefined);
}

function sameETag(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.replaceAll('"', '') === b.replaceAll('"', '');
}

async function buildOrchestrator(
  options: ImportCsvOptions,
  settings: ResolvedExecutionRecordSettings | undefined,
  run: { timestamp: string; eTag: string | undefined; versionId: string | undefined; executionId: string | undefined },
  how: { sourceGone?: boolean } = {},
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
  if (options.orchestrator && !how.sourceGone) return options.orchestrator(orchestratorOptions);
  const orchestrator = new ImportOrchestrator({ ...orchestratorOptions, payloadField: settings?.payloadField ?? null });
  if (!how.sourceGone) await orchestrator.setUp();
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

async function complete(
  settings: ResolvedExecutionRecordSettings | undefined,
  orchestrator: Orchestrator,
  logger: Logger,
  onReported?: (orchestrator: Orchestrator) => Promise<void>,
): Promise<ImportCsvResult> {
  const summary = assertAccounted({ ...orchestrator.summary });
  const status: ExecutionStatus = orchestrator.errorCount > 0 ? 'partial' : 'succeeded';
  if (settings) orchestrator.executionFields[settings.statusField] = settings.statusValues[status];
  // Report first, then a marker, then the archive and the record: an invocation cut off between
  // these steps leaves the marker, and the next one finishes the same steps (same report key, same
  // archive key) instead of redoing or losing them.
  if (!orchestrator.uploadedReport) await orchestrator.uploadErrorReport();
  await onReported?.(orchestrator);
  await orchestrator.archiveFile();
  if (settings || orchestrator.executionObjectName) await orchestrator.createExecutionObject();
  await orchestrator.dispose();
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

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
