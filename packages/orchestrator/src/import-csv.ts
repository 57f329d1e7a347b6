import {
  ConfigError,
  emptySummary,
  InputError,
  KicksawError,
  timestamp as makeTimestamp,
  type RunSummary,
  silentLogger,
} from '@kicksaw/core';
import { cacheJson, fileNameOf, getObjectStream, headObject, S3ObjectNotFoundError } from '@kicksaw/s3';
import type { PendingJob } from '@kicksaw/sf-bulk';
import { ImportFailedError } from './errors.js';
import {
  claimExecution,
  type ExistingExecution,
  findExecution,
  idempotencyKeyFor,
  messageOf,
  type ResolvedExecutionRecordSettings,
  resolveExecutionRecordSettings,
} from './execution-record.js';
import { archiveExists, complete, failRun, giveUp, recordFailure } from './finish.js';
import { ImportOrchestrator } from './import-orchestrator.js';
import { acquireLease, type RunLease } from './lease.js';
import { deadlineOf, IMPORT_DEFAULTS, type ImportCsvOptions, leaseMsOf } from './options.js';
import type { Orchestrator, OrchestratorOptions } from './orchestrator.js';
import { assertLeaseHeld, parkRun } from './park.js';
import { RowSet, union } from './rows.js';
import {
  cleanUp,
  type ParkedState,
  type RunPlace,
  readCheckpoints,
  readState,
  runIdentityOf,
  sameETag,
} from './run-state.js';
import { sendRows } from './send-rows.js';
import { settleJobs } from './settle-jobs.js';
import { SourcePositions } from './source-positions.js';
import { RowSpool } from './spool.js';

export { ImportFailedError } from './errors.js';
export type { ImportCsvOptions } from './options.js';

// Flow 1 for one file: `importCsv` claims the run (execution record, then lease) and `runLeased` goes
// through one invocation's share of it top to bottom. Each step is a file of its own: send-rows.ts
// (read, map and send the rows), settle-jobs.ts (resume jobs sent earlier), park.ts (leave the run to
// the next invocation), finish.ts (complete, give up rows never sent, fail), run-state.ts (what a run
// keeps in S3), source-positions.ts (where a reading pass starts), options.ts (options and defaults).

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
  /**
   * Lease records of the run that could not be deleted when it ended (a warning names them; the next
   * delivery of the finished run tries again). Absent when every one went.
   */
  leaseRecordsLeft?: number;
}

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
  const archiveFolder = options.archiveFolder ?? IMPORT_DEFAULTS.archiveFolder;

  const head = await headObject({ client, bucket, key });
  const eTag = options.eTag ?? head?.eTag;
  const versionId = options.versionId ?? head?.versionId;
  const idempotencyKey = idempotencyKeyFor({ bucket, key, eTag, versionId });
  const place: RunPlace = {
    source,
    idempotencyKey,
    stateKey: `${stateFolder}/${idempotencyKey}.json`,
    spoolKey: `${stateFolder}/${idempotencyKey}.outcomes.jsonl`,
    rowSpoolKey: `${stateFolder}/${idempotencyKey}.rows.jsonl`,
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
      const left = settings ? await cleanUp(client, bucket, place, { connection, settings }) : undefined;
      return withLeft(
        { status: 'skipped', reason: 'already-processed', summary: emptySummary(), executionId: existing.id },
        left,
      );
    }
    if (await archiveExists(client, bucket, key, archiveFolder)) {
      logger.info('skipped: the object is already archived', log);
      return { status: 'skipped', reason: 'already-archived', summary: emptySummary() };
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
    const left = await cleanUp(client, bucket, place, { connection, settings });
    return withLeft({ status: 'skipped', reason: 'already-processed', summary: emptySummary(), executionId }, left);
  }

  // 3. The lease: one invocation at a time sends, settles, parks or finishes the run.
  const attempt = await acquireLease(connection, settings, idempotencyKey, {
    leaseMs: leaseMsOf(options),
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
      summary: emptySummary(),
      executionId,
      ...(attempt.heldUntil ? { heldUntil: attempt.heldUntil.toISOString() } : {}),
    };
  }
  const lease = attempt.lease;
  if (!claim.claimed) {
    // The run may have been finished between the claim and the lease.
    const now = await findExecution(connection, settings, idempotencyKey).catch((error: unknown) => {
      lease.stop();
      throw error;
    });
    if (now && isFinal(now.status)) {
      // The run's clean-up deleted its leases before this delivery took a new one: delete that one too
      // (released, it would be left in the execution object for good).
      lease.stop();
      const left = await cleanUp(client, bucket, place, { connection, settings });
      logger.info('skipped: duplicate delivery (already-processed)', { ...log, executionId });
      return withLeft({ status: 'skipped', reason: 'already-processed', summary: emptySummary(), executionId }, left);
    }
  }
  logger.info('run leased', { ...log, executionId, leaseGeneration: lease.generation });
  try {
    return await runLeased(options, settings, executionId, lease, { eTag, versionId, place });
  } finally {
    lease.stop();
  }
}

/** The result, with the count of lease records its clean-up could not delete when there are any. */
function withLeft(result: ImportCsvResult, left: { leaseRecordsLeft: number } | undefined): ImportCsvResult {
  return left && left.leaseRecordsLeft > 0 ? { ...result, leaseRecordsLeft: left.leaseRecordsLeft } : result;
}

function isFinal(status: ExistingExecution['status']): boolean {
  return status === 'succeeded' || status === 'partial' || status === 'failed';
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
        ...runIdentityOf(orchestrator, bucket, options.key),
        covered: '',
        total: null,
        summary: emptySummary(),
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
  const carried = new RowSpool();
  const fresh = new RowSpool();
  try {
    if (state?.completing) {
      // Every row was settled and reported by an invocation cut off before the archive or the record.
      logger.info('finishing a run whose report is up: archive and record', { source: place.source });
      Object.assign(orchestrator.summary, state.completing.summary);
      orchestrator.uploadedReport = state.completing.report;
      assertLeaseHeld(lease);
      const result = await complete(settings, orchestrator, logger);
      return withLeft(result, await cleanUp(client, bucket, place, record));
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
    const deadlinePassed = (): boolean => options.deadline !== undefined && Date.now() >= deadlineOf(options.deadline);
    let unsentReason: string | null = null;

    // 1. The rows an earlier invocation read but could not send, from its spool (sent first, below).
    if (state?.rowSpool && state.rowSpool.count > 0 && (await headObject({ client, bucket, key: place.rowSpoolKey }))) {
      const { body } = await getObjectStream({ client, bucket, key: place.rowSpoolKey });
      await carried.load(body);
    }

    // 2. Jobs already sent: parked ones, and those an invocation that died checkpointed. Rows of theirs
    // to send again (retries cut short) join the spool with the record Salesforce echoed, so that the
    // reading pass need not go back into the file for them.
    let jobs: PendingJob[] = [];
    const toResume = [...(state?.jobs ?? []), ...checkpoints.map((checkpoint) => checkpoint.job)];
    if (toResume.length > 0) {
      const settled = await settleJobs(options, orchestrator, toResume, covered, logger, carried);
      jobs = settled.pending;
      unsentReason ??= settled.unsentReason;
    }

    // 3. The spooled rows (not from the file), then the rows never read. Rows left unsent this time go
    // to a new spool, with those still unsent of the one resumed: the next invocation reads the file only
    // from past all of them.
    const counter = { sequence: 0 };
    const parked = new RowSet();
    for (const row of carried.rows.values()) parked.add(row);
    const stopSending = (): boolean => {
      if (!lease || lease.canSend()) return false;
      unsentReason = lease.stopReason ?? 'the run lease ran out';
      return true;
    };
    if (carried.count > 0 && !deadlinePassed() && !stopSending()) {
      logger.info('sending the rows parked in the spool first', { source: place.source, rows: carried.count });
      const pass = await sendRows(options, orchestrator, covered, {
        generation,
        counter,
        lease,
        place,
        positions,
        parked,
        spool: fresh,
        from: carried.read(),
      });
      jobs = [...jobs, ...pass.pending];
      unsentReason = pass.unsentReason ?? unsentReason;
    }
    let attemptsLeft = options.sourceRetries ?? IMPORT_DEFAULTS.sourceRetries;
    while (total === null || covered.countThrough(total) < total) {
      // Every row left is in a spool, for the next invocation: nothing to read.
      if (total !== null && union(covered, union(parked, fresh.rows)).countThrough(total) >= total) break;
      if (deadlinePassed()) {
        unsentReason ??= 'deadline reached';
        break;
      }
      // A renewal failed (or the lease was lost): no more rows go out; the run parks if it still can.
      if (stopSending()) break;
      const pass = await sendRows(options, orchestrator, covered, {
        generation,
        counter,
        lease,
        place,
        positions,
        parked: union(parked, fresh.rows),
        spool: fresh,
      });
      jobs = [...jobs, ...pass.pending];
      if (pass.exhausted) total = pass.total;
      unsentReason = pass.unsentReason ?? unsentReason;
      if (stopSending()) break;
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
      assertLeaseHeld(lease);
      const result = await complete(settings, orchestrator, logger, markReported);
      return withLeft(result, await cleanUp(client, bucket, place, record));
    }

    // 4. Not done: give unsent rows up when the run stalled too long, else park.
    // A stall is an invocation that settled nothing because rows could not be sent (not merely because
    // its deadline came: that is bounded by maxRunAgeMs).
    const progressed = covered.size() > settledBefore || (state?.jobs.length ?? 0) > jobs.length;
    const stalled = !progressed && unsentReason !== null && unsentReason !== 'deadline reached';
    const stalls = progressed ? 0 : (state?.stalls ?? 0) + (stalled ? 1 : 0);
    const age = Date.now() - Date.parse(startedAt);
    const maxStalls = options.maxStalledAttempts ?? IMPORT_DEFAULTS.maxStalledAttempts;
    const maxAge = options.maxRunAgeMs ?? IMPORT_DEFAULTS.maxRunAgeMs;
    if (jobs.length === 0 && (stalls >= maxStalls || age >= maxAge)) {
      const why =
        `Not sent: ${stalls >= maxStalls ? `${stalls} invocations in a row could not send it` : `the run is older than ${Math.round(maxAge / 60_000)} min`}` +
        (unsentReason ? ` (last: ${unsentReason})` : '');
      logger.error('giving up the rows never sent: they are reported, the run completes with errors', {
        source: place.source,
        reason: why,
      });
      assertLeaseHeld(lease);
      const final = await giveUp(options, orchestrator, covered, why);
      orchestrator.summary.input = final.total;
      assertLeaseHeld(lease);
      const result = await complete(settings, orchestrator, logger, markReported);
      return withLeft(result, await cleanUp(client, bucket, place, record));
    }
    for await (const entry of carried.read()) {
      if (!covered.has(entry.row)) await fresh.write(entry);
    }
    return await parkRun(options, settings, orchestrator, {
      rows: fresh,
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
  } finally {
    await carried.dispose();
    await fresh.dispose();
  }
}

/** Errors that are a verdict on the run (a bad file, a bad setting), not an outage to wait out. */
function isRunFailure(error: unknown): boolean {
  return error instanceof InputError || error instanceof ConfigError || error instanceof S3ObjectNotFoundError;
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
    eTag: run.eTag,
    versionId: run.versionId,
    executionId: run.executionId,
    archiveFolder: options.archiveFolder,
    errorFolder: options.errorFolder,
    region: options.region,
    executionObjectName: settings?.object,
    logger: options.logger,
    errorReport: {
      object: options.object,
      upsertKey: options.externalIdField,
      ...options.errorReport,
    },
  };
  if (options.orchestrator && !how.sourceGone) return options.orchestrator(orchestratorOptions);
  const orchestrator = new ImportOrchestrator({ ...orchestratorOptions, payloadField: settings?.payloadField ?? null });
  if (!how.sourceGone) await orchestrator.setUp();
  return orchestrator;
}
