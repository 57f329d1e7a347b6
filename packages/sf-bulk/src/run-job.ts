// Running one job: create it, upload its CSV, close it, poll it to its end, then reconcile or hand it over.
import { OUTCOME_CODES, type SalesforceError, unsentOutcome } from '@kicksaw/core';
import {
  createIngestJob,
  FINISHED_STATES,
  getJobInfo,
  type IngestJobInfo,
  setJobState,
  uploadJobData,
} from './bulk-api.js';
import { SalesforceApiError } from './errors.js';
import { describeError } from './http.js';
import type { PartBody, PartBuilder } from './part.js';
import { reconcileJob } from './reconcile.js';
import type { RowIndex } from './row-index.js';
import type { Engine } from './run.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Emits every row of a part as unprocessed (never sent, or sent into a job that could not run). */
async function failPart(
  engine: Engine,
  index: RowIndex,
  body: PartBody,
  error: SalesforceError,
  jobId?: string,
  sent = false,
): Promise<void> {
  const all = new Set<number>();
  for (let i = 0; i < index.size; i++) all.add(i);
  const cells = await body.readPositions(all);
  for (let i = 0; i < index.size; i++) {
    await engine.emit(
      unsentOutcome({
        row: index.rowAt(i),
        error,
        record: engine.recordOf(cells.get(i) ?? []),
        attempts: sent ? index.attemptsAt(i) : index.attemptsAt(i) - 1,
        ...(jobId ? { jobId } : {}),
      }),
    );
  }
}

/** Aborts a job that was never closed (so never processed) and reports the rows of its part unsent. */
async function abortUnstarted(
  engine: Engine,
  jobId: string,
  index: RowIndex,
  body: PartBody,
  statusCode: string,
  message: string,
): Promise<void> {
  await setJobState(engine.s.ctx, jobId, 'Aborted').catch(() => undefined);
  engine.progress.jobsOpen--;
  await failPart(engine, index, body, { statusCode, message, fields: [] }, jobId);
}

/**
 * Runs the job of a closed part to its end. `ended` is called once Salesforce is done with the job (it
 * ended, or it could not be created, uploaded, closed or polled), before its results are read.
 *
 * @internal
 */
export async function runJob(engine: Engine, part: PartBuilder, ended?: () => void): Promise<void> {
  const body = await part.finish();
  const index = part.index;
  try {
    const jobId = await openJob(engine, index, body);
    if (jobId === undefined) return;
    if (!(await uploadJob(engine, jobId, index, body))) return;
    if (!(await closeJob(engine, jobId, index, body))) return;
    engine.s.logger.debug('Bulk API job closed', { jobId, rows: index.size });
    engine.progress.rowsUploaded += index.size;
    engine.report();
    await collectJob(engine, jobId, index, body, ended);
  } finally {
    await body.dispose();
    // Every row of the job has its outcome now, or the job was handed over with its index serialized.
    index.dispose();
  }
}

/** Creates the part's job; when the deadline has passed or the create fails, the rows are reported unsent. */
async function openJob(engine: Engine, index: RowIndex, body: PartBody): Promise<string | undefined> {
  const { ctx, logger } = engine.s;
  if (engine.deadlinePassed()) {
    await failPart(engine, index, body, {
      statusCode: OUTCOME_CODES.DEADLINE,
      message: 'Not sent: the deadline passed before its job was created',
      fields: [],
    });
    return undefined;
  }
  let job: IngestJobInfo;
  try {
    job = await createIngestJob(ctx, {
      object: engine.s.object,
      operation: engine.s.operation,
      externalIdFieldName: engine.externalIdField,
    });
  } catch (error) {
    logger.error('Creating a Bulk API job failed', { error: describeError(error) });
    await failPart(engine, index, body, {
      statusCode: OUTCOME_CODES.JOB_NOT_CREATED,
      message: `Not sent: creating the Bulk API job failed: ${describeError(error)}`,
      fields: [],
    });
    return undefined;
  }
  engine.jobs++;
  engine.progress.jobsOpen++;
  engine.report();
  logger.debug('Bulk API job created', { jobId: job.id, rows: index.size, bytes: body.bytes });
  return job.id;
}

/**
 * Uploads the part's CSV and writes the job's checkpoint; returns false when it aborted the job (its rows
 * reported unsent) because neither could be done.
 */
async function uploadJob(engine: Engine, jobId: string, index: RowIndex, body: PartBody): Promise<boolean> {
  const { ctx, logger } = engine.s;
  const abort = (statusCode: string, message: string) =>
    abortUnstarted(engine, jobId, index, body, statusCode, message);
  let uploadError: unknown;
  try {
    await uploadJobData(ctx, jobId, body);
  } catch (error) {
    uploadError = error;
    logger.warn('Uploading job data failed', { jobId, error: describeError(error) });
  }
  // A refused second upload means an earlier attempt (whose answer was lost) did land: go on and close.
  const alreadyUploaded = uploadError instanceof SalesforceApiError && /multiple contents/i.test(uploadError.message);
  if (uploadError && !alreadyUploaded) {
    // Nothing (or not all) reached Salesforce: abort the empty job and report the rows unsent.
    await abort(OUTCOME_CODES.UPLOAD_FAILED, `Not sent: ${describeError(uploadError)}`);
    return false;
  }
  if (engine.s.onJobUploaded) {
    try {
      await engine.s.onJobUploaded(engine.pendingStateOf(jobId, index));
    } catch (error) {
      // Not closed, so never processed: abort it and report its rows unsent.
      logger.error('The job checkpoint could not be written; job aborted', {
        jobId,
        error: describeError(error),
      });
      await abort(
        OUTCOME_CODES.JOB_NOT_STARTED,
        `Not processed: the job checkpoint could not be written: ${describeError(error)}`,
      );
      return false;
    }
  }
  return true;
}

/**
 * Closes the job (UploadComplete); returns false when it could not: a job still open is aborted, one whose state
 * cannot be read is handed over for resume.
 */
async function closeJob(engine: Engine, jobId: string, index: RowIndex, body: PartBody): Promise<boolean> {
  const { ctx, logger } = engine.s;
  try {
    await setJobState(ctx, jobId, 'UploadComplete');
  } catch (error) {
    const info = await getJobInfo(ctx, jobId).catch(() => undefined);
    if (!info) {
      // The close may have landed (its answer lost) and the job be running: aborting it now could stop
      // it halfway, with rows loaded but reported unsent. Keep it for resume, which reads its real state.
      logger.warn('Closing a job failed and its state cannot be read; job kept for resume', {
        jobId,
        error: describeError(error),
      });
      engine.handOver(jobId, index, `closing the job failed: ${describeError(error)}`);
      return false;
    }
    if (info.state === 'Open') {
      await abortUnstarted(
        engine,
        jobId,
        index,
        body,
        OUTCOME_CODES.JOB_NOT_STARTED,
        `Not processed: closing the job failed: ${describeError(error)}`,
      );
      return false;
    }
  }
  return true;
}

/**
 * Polls a job to its end (or the deadline) and reconciles its results; `ended` is called once the polls are
 * over, before the results are read.
 *
 * @internal
 */
export async function collectJob(
  engine: Engine,
  jobId: string,
  index: RowIndex,
  body: PartBody | undefined,
  ended?: () => void,
): Promise<void> {
  let info: IngestJobInfo | 'deadline' | 'lost';
  try {
    info = await poll(engine, jobId, index.size);
    ended?.();
  } catch (error) {
    ended?.();
    // The job runs on; only our view of it is gone. Hand it over for resume instead of guessing.
    engine.s.logger.error('Polling a job failed; job left running, kept for resume', {
      jobId,
      rows: index.size,
      error: describeError(error),
    });
    engine.handOver(jobId, index, `polling failed: ${describeError(error)}`);
    return;
  }
  if (info === 'deadline') {
    engine.handOver(jobId, index, 'deadline reached');
    engine.s.logger.info('Deadline reached: job left running', { jobId, rows: index.size });
    return;
  }
  if (info.state === 'Open') {
    // resume({ abortOpenJobs }): a job whose uploader died before closing it was never processed.
    await setJobState(engine.s.ctx, jobId, 'Aborted').catch(() => undefined);
    engine.s.logger.warn('Job was never closed: aborted, its rows reported unsent', { jobId, rows: index.size });
    engine.progress.jobsOpen--;
    for (let i = 0; i < index.size; i++) {
      await engine.emit(
        unsentOutcome({
          row: index.rowAt(i),
          error: {
            statusCode: OUTCOME_CODES.JOB_NOT_STARTED,
            message: `Not processed: job ${jobId} was never closed by the process that uploaded it; aborted`,
            fields: [],
          },
          record: {},
          attempts: Math.max(0, index.attemptsAt(i) - 1),
          jobId,
        }),
      );
    }
    return;
  }
  engine.s.logger.debug('Bulk API job ended', {
    jobId,
    state: info.state,
    processed: info.numberRecordsProcessed,
    failed: info.numberRecordsFailed,
    systemModstamp: info.systemModstamp,
  });
  try {
    await reconcileJob(engine, info, index, body);
  } catch (error) {
    // Results could not be read: the job stays (never deleted) and is handed over for resume.
    engine.s.logger.error('Reading job results failed; job kept for resume', {
      jobId,
      error: describeError(error),
    });
    engine.handOver(jobId, index, `reading results failed: ${describeError(error)}`);
    if (index.matched > 0) {
      throw new SalesforceApiError(
        `Results of job ${jobId} broke off after ${index.matched} rows; the job is kept for resume but those rows were already reported`,
        { status: 0, errorCode: 'RESULTS_INCOMPLETE', cause: error },
      );
    }
    return;
  }
  engine.progress.jobsOpen--;
  engine.progress.jobsDone++;
  engine.s.logger.debug('Bulk API job reconciled', { jobId });
  engine.report();
}

/**
 * The waits between the polls of one job. While `numberRecordsProcessed` stands still the wait grows 1.5x a
 * poll from `pollIntervalMs`; once it moves, the wait is half the time left at the rate seen so far (so polls
 * close in on the end instead of overshooting it by a fixed step), within `pollIntervalMs` ..
 * `maxPollIntervalMs`; once every row is processed (the job still `InProgress` while its results are
 * written), `pollIntervalMs`: it ends within moments, and the grown wait overshot that end by up to
 * `maxPollIntervalMs` (0.4-0.9 s a job in the soak, whose jobs wait 500 ms before processing).
 *
 * @internal
 */
export class PollPacer {
  private interval: number;
  /** When a poll last saw no row processed (at first, when polling began). */
  private still: number;
  private moved: { at: number; processed: number } | undefined;

  constructor(
    private readonly rows: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    startedAt: number,
  ) {
    this.interval = minMs;
    this.still = startedAt;
  }

  /** The wait after a poll at `now` that found the job not ended, with `processed` rows processed. */
  next(processed: number, now: number): number {
    if (processed >= this.rows) return this.minMs;
    if (processed > (this.moved?.processed ?? 0)) {
      // Rows per ms since the first poll that saw progress, or (at that poll) since the last poll that saw
      // none: processing began after it. Counting from the job's close instead takes in the time it waited
      // for processing time in Salesforce's queue, underrates the pace, and overshoots the end.
      const from = this.moved ?? { at: this.still, processed: 0 };
      this.moved ??= { at: now, processed };
      const rate = (processed - from.processed) / Math.max(1, now - from.at);
      const left = (this.rows - processed) / rate;
      return Math.min(this.maxMs, Math.max(this.minMs, Math.ceil(left / 2)));
    }
    if (processed === 0) this.still = now;
    const wait = this.interval;
    this.interval = Math.min(this.maxMs, Math.ceil(this.interval * 1.5));
    return wait;
  }
}

/** Polls a job until it ends (or the deadline), paced by {@link PollPacer}. */
async function poll(engine: Engine, jobId: string, rows: number): Promise<IngestJobInfo | 'deadline'> {
  const pacer = new PollPacer(rows, engine.s.pollIntervalMs, engine.s.maxPollIntervalMs, Date.now());
  for (let polls = 1; ; polls++) {
    const info = await getJobInfo(engine.s.ctx, jobId);
    engine.s.logger.debug('Bulk API job polled', {
      jobId,
      poll: polls,
      state: info.state,
      processed: info.numberRecordsProcessed,
    });
    if (FINISHED_STATES.has(info.state)) return info;
    if (info.state === 'Open' && engine.s.abortOpenJobs) return info;
    const now = Date.now();
    const deadline = engine.s.deadline;
    if (deadline !== undefined && now >= deadline) return 'deadline';
    let wait = pacer.next(info.numberRecordsProcessed ?? 0, now);
    if (deadline !== undefined) wait = Math.max(0, Math.min(wait, deadline - now));
    await sleep(wait);
  }
}
