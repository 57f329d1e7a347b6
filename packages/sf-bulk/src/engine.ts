import { rm } from 'node:fs/promises';
import {
  assertAccounted,
  ConfigError,
  countOutcome,
  emptySummary,
  InputError,
  OUTCOME_CODES,
  type RowOutcome,
  type SalesforceError,
  type SalesforceRecord,
  unsentOutcome,
} from '@kicksaw/core';
import {
  createIngestJob,
  downloadResult,
  FINISHED_STATES,
  getJobInfo,
  type IngestJobInfo,
  type ResultKind,
  setJobState,
  uploadJobData,
} from './bulk-api.js';
import { Channel } from './channel.js';
import { readCsvRows } from './csv-reader.js';
import { describeObject, preflightFields } from './describe.js';
import { readFileChunks } from './file-io.js';
import { rowHash } from './hash.js';
import { describeError, SalesforceApiError } from './http.js';
import type {
  IngestOptions,
  IngestProgress,
  IngestRetryOptions,
  IngestRun,
  IngestSummary,
  PendingJob,
} from './ingest-types.js';
import { InputReader, itemNotSent, type NormalizedItem, normalizeInput, screen } from './input.js';
import { cellOf, csvLine, type PartBody, PartBuilder } from './part.js';
import { runRestBatch } from './rest.js';
import { parseBulkError } from './results.js';
import { lastAttemptOutcome, type RetryItem, shouldRetry } from './retry.js';
import { RowIndex } from './row-index.js';
import { type EngineSettings, settingsOf } from './settings.js';

export {
  type IngestInput,
  type IngestOptions,
  type IngestProgress,
  type IngestRetryOptions,
  type IngestRun,
  type IngestSummary,
  MAX_BYTES_PER_JOB,
  type PendingJob,
} from './ingest-types.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The shared machinery of {@link ingest} and {@link resume}. */
class Engine implements IngestRun {
  private readonly channel = new Channel<RowOutcome>(512);
  private readonly counts = emptySummary();
  readonly progress: IngestProgress = {
    rowsRead: 0,
    rowsUploaded: 0,
    rowsProcessed: 0,
    rowsSucceeded: 0,
    rowsFailed: 0,
    rowsUnprocessed: 0,
    rowsRetried: 0,
    jobsOpen: 0,
    jobsDone: 0,
  };
  private readonly pending: PendingJob[] = [];
  private readonly pendingReasons: string[] = [];
  private pendingRows = 0;
  private jobs = 0;
  private unmatchedResults = 0;
  private inputRows = 0;
  private apiUsed: IngestSummary['api'] = 'none';
  private started: Promise<IngestSummary> | undefined;
  private iterating = false;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  private retryQueue: RetryItem[] = [];
  private fields: string[] = [];
  private sourceKeys: string[] = [];
  private externalIdIndex = -1;
  private builder: PartBuilder | undefined;
  /** Row budget of the next job: from `firstJobRows`, doubling with each job up to `maxRows`. */
  private jobRows = 0;
  private deferred: Array<{ row: number; cells: string[]; attempts: number }> = [];

  constructor(
    private readonly settings: EngineSettings,
    private readonly body: (engine: Engine) => Promise<void>,
  ) {}

  // ---- public API ----

  [Symbol.asyncIterator](): AsyncIterator<RowOutcome> {
    if (this.iterating) throw new Error('An IngestRun can be iterated only once');
    this.iterating = true;
    this.start();
    return this.channel.iterate();
  }

  summary(): Promise<IngestSummary> {
    if (!this.iterating) {
      this.iterating = true;
      this.channel.drain();
    }
    return this.start();
  }

  pendingJobs(): string[] {
    return this.pending.map((job) => job.jobId);
  }

  pendingJobStates(): PendingJob[] {
    return this.pending.map((job) => ({ ...job }));
  }

  private start(): Promise<IngestSummary> {
    if (!this.started) {
      this.started = this.body(this).then(
        () => {
          this.report();
          const summary: IngestSummary = {
            ...this.counts,
            input: this.inputRows - this.pendingRows,
            pending: this.pendingRows,
            pendingJobIds: this.pending.map((job) => job.jobId),
            jobs: this.jobs,
            retried: this.progress.rowsRetried,
            unmatchedResults: this.unmatchedResults,
            api: this.apiUsed,
          };
          assertAccounted(summary);
          if (this.pending.length > 0) {
            this.settings.logger.warn('Jobs left running: resume them for the outcomes of their rows', {
              rows: this.pendingRows,
              jobs: summary.pendingJobIds,
              reasons: [...new Set(this.pendingReasons)],
            });
          }
          this.channel.close();
          return summary;
        },
        (error: unknown) => {
          this.channel.close(error);
          throw error;
        },
      );
      // The failure reaches the iterator through the channel; summary() callers get the rejection.
      this.started.catch(() => {});
    }
    return this.started;
  }

  // ---- shared helpers ----

  get s(): EngineSettings {
    return this.settings;
  }

  deadlinePassed(): boolean {
    return this.settings.deadline !== undefined && Date.now() >= this.settings.deadline;
  }

  report(): void {
    this.settings.onProgress?.({ ...this.progress });
  }

  countRead(rows = 1): void {
    this.inputRows += rows;
    this.progress.rowsRead += rows;
    if (this.progress.rowsRead % 10_000 === 0) this.report();
  }

  countResumed(rows: number): void {
    this.inputRows += rows;
  }

  useApi(api: IngestSummary['api']): void {
    this.apiUsed = api;
  }

  async emit(outcome: RowOutcome): Promise<void> {
    countOutcome(this.counts, outcome);
    if (outcome.status === 'succeeded') this.progress.rowsSucceeded++;
    else if (outcome.status === 'failed') this.progress.rowsFailed++;
    else if (outcome.status === 'unprocessed') this.progress.rowsUnprocessed++;
    await this.channel.push(outcome);
  }

  setColumns(fields: string[], sourceKeys: string[]): void {
    this.fields = fields;
    this.sourceKeys = sourceKeys;
    const ext = this.settings.externalIdField?.toLowerCase();
    this.externalIdIndex =
      this.settings.operation === 'upsert' && ext ? fields.findIndex((f) => f.toLowerCase() === ext) : -1;
  }

  recordOf(cells: readonly string[]): SalesforceRecord {
    const record: SalesforceRecord = {};
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const cell = cells[i] ?? '';
      record[fields[i] as string] = cell === '#N/A' ? null : cell;
    }
    return record;
  }

  /** Cells of a record in field order, or the unknown keys it holds. */
  cellsOf(record: SalesforceRecord): { cells: string[] } | { unknown: string[] } {
    const cells = new Array<string>(this.sourceKeys.length);
    let matched = 0;
    for (let i = 0; i < this.sourceKeys.length; i++) {
      const value = record[this.sourceKeys[i] as string];
      if (value !== undefined) matched++;
      cells[i] = cellOf(value);
    }
    if (matched < Object.keys(record).length) {
      const known = new Set(this.sourceKeys);
      const unknown = Object.keys(record).filter((key) => !known.has(key) && record[key] !== undefined);
      if (unknown.length > 0) return { unknown };
    }
    return { cells };
  }

  // ---- bulk: building and launching jobs ----

  private newBuilder(): PartBuilder {
    if (this.jobRows === 0) this.jobRows = Math.min(this.settings.firstJobRows, this.settings.maxRows);
    return new PartBuilder({
      fields: this.fields,
      spoolThresholdBytes: this.settings.spoolThresholdBytes,
      maxRows: this.jobRows,
      ...(this.settings.spoolDirectory ? { spoolDirectory: this.settings.spoolDirectory } : {}),
    });
  }

  /**
   * Adds a row to the open job CSV, cutting a job on a record boundary when the budget is reached.
   * Returns a promise only when it has to wait (a chunk to spool, a job to cut): most rows are added
   * without one, which saves the input loop a promise and a microtask a row.
   */
  addRow(row: number, cells: string[], attempts: number): Promise<void> | undefined {
    if (!this.builder) this.builder = this.newBuilder();
    let key = '';
    if (this.externalIdIndex >= 0) {
      key = (cells[this.externalIdIndex] ?? '').toLowerCase();
      // has() keeps the key's hashes: addLast() below adds it without hashing it again.
      if (key !== '' && this.builder.externalIds.has(key)) {
        if (this.settings.duplicateExternalIds === 'fail') {
          return this.emit({
            row,
            status: 'failed',
            id: null,
            created: false,
            errors: [
              {
                statusCode: 'DUPLICATE_EXTERNAL_ID',
                message: `Another row in the same job has ${this.settings.externalIdField} = ${cells[this.externalIdIndex]}; not sent`,
                fields: [this.settings.externalIdField ?? ''],
              },
            ],
            record: this.recordOf(cells),
            attempts: attempts - 1,
          });
        }
        this.deferred.push({ row, cells, attempts });
        return undefined;
      }
    }
    const line = csvLine(cells);
    const bytes = Buffer.byteLength(line);
    if (
      this.builder.rows > 0 &&
      (this.builder.rows >= this.jobRows || this.builder.bytes + bytes > this.settings.maxBytes)
    ) {
      return this.cut().then(() => this.addRow(row, cells, attempts));
    }
    const keys = key !== '' ? this.builder.externalIds : undefined;
    const writing = this.builder.add(cells, line, bytes, row, attempts);
    if (writing) return writing.then(() => keys?.addLast());
    keys?.addLast();
    return undefined;
  }

  /** Closes the open job CSV and launches its job; rows deferred for duplicate external ids open the next one. */
  async cut(): Promise<void> {
    const part = this.builder;
    this.builder = undefined;
    if (part && part.rows > 0) {
      this.jobRows = Math.min(this.settings.maxRows, this.jobRows * 2);
      await this.launch(part);
    } else await part?.discard();
    if (this.deferred.length > 0) {
      const deferred = this.deferred;
      this.deferred = [];
      for (const item of deferred) await this.addRow(item.row, item.cells, item.attempts);
    }
  }

  /** Flushes everything buffered (open CSV, deferred rows) into jobs. */
  async flushAll(): Promise<void> {
    while (this.builder || this.deferred.length > 0) await this.cut();
  }

  /** Waits for a free slot, then starts a job for the part. */
  private async launch(part: PartBuilder): Promise<void> {
    while (this.inFlight.size >= this.settings.maxConcurrent) await Promise.race(this.inFlight);
    this.throwIfFailed();
    // A job task never rejects: its failure is kept and rethrown by the run (no unhandled rejection).
    const tracked: Promise<void> = this.runPart(part)
      .catch((error: unknown) => {
        this.settings.logger.error('Job failed unexpectedly', { error: describeError(error) });
        this.failure ??= { error };
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  async waitAll(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    this.throwIfFailed();
  }

  /** Emits every row of a part as unprocessed (never sent, or sent into a job that could not run). */
  private async failPart(
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
      await this.emit(
        unsentOutcome({
          row: index.rowAt(i),
          error,
          record: this.recordOf(cells.get(i) ?? []),
          attempts: sent ? index.attemptsAt(i) : index.attemptsAt(i) - 1,
          ...(jobId ? { jobId } : {}),
        }),
      );
    }
  }

  private async runPart(part: PartBuilder): Promise<void> {
    const { ctx, logger } = this.settings;
    const body = await part.finish();
    const index = part.index;
    try {
      if (this.deadlinePassed()) {
        await this.failPart(index, body, {
          statusCode: OUTCOME_CODES.DEADLINE,
          message: 'Not sent: the deadline passed before its job was created',
          fields: [],
        });
        return;
      }
      let job: IngestJobInfo;
      try {
        job = await createIngestJob(ctx, {
          object: this.settings.object,
          operation: this.settings.operation,
          externalIdFieldName: this.settings.externalIdField,
        });
      } catch (error) {
        logger.error('Creating a Bulk API job failed', { error: describeError(error) });
        await this.failPart(index, body, {
          statusCode: OUTCOME_CODES.JOB_NOT_CREATED,
          message: `Not sent: creating the Bulk API job failed: ${describeError(error)}`,
          fields: [],
        });
        return;
      }
      this.jobs++;
      this.progress.jobsOpen++;
      this.report();
      logger.debug('Bulk API job created', { jobId: job.id, rows: index.size, bytes: body.bytes });
      let uploadError: unknown;
      try {
        await uploadJobData(ctx, job.id, body);
      } catch (error) {
        uploadError = error;
        logger.warn('Uploading job data failed', { jobId: job.id, error: describeError(error) });
      }
      // A refused second upload means an earlier attempt (whose answer was lost) did land: go on and close.
      const alreadyUploaded =
        uploadError instanceof SalesforceApiError && /multiple contents/i.test(uploadError.message);
      if (uploadError && !alreadyUploaded) {
        // Nothing (or not all) reached Salesforce: abort the empty job and report the rows unsent.
        await setJobState(ctx, job.id, 'Aborted').catch(() => undefined);
        this.progress.jobsOpen--;
        await this.failPart(
          index,
          body,
          { statusCode: OUTCOME_CODES.UPLOAD_FAILED, message: `Not sent: ${describeError(uploadError)}`, fields: [] },
          job.id,
        );
        return;
      }
      if (this.settings.onJobUploaded) {
        try {
          await this.settings.onJobUploaded(this.pendingStateOf(job.id, index));
        } catch (error) {
          // Not closed, so never processed: abort it and report its rows unsent.
          logger.error('The job checkpoint could not be written; job aborted', {
            jobId: job.id,
            error: describeError(error),
          });
          await setJobState(ctx, job.id, 'Aborted').catch(() => undefined);
          this.progress.jobsOpen--;
          await this.failPart(
            index,
            body,
            {
              statusCode: OUTCOME_CODES.JOB_NOT_STARTED,
              message: `Not processed: the job checkpoint could not be written: ${describeError(error)}`,
              fields: [],
            },
            job.id,
          );
          return;
        }
      }
      try {
        await setJobState(ctx, job.id, 'UploadComplete');
      } catch (error) {
        const info = await getJobInfo(ctx, job.id).catch(() => undefined);
        if (!info) {
          // The close may have landed (its answer lost) and the job be running: aborting it now could stop
          // it halfway, with rows loaded but reported unsent. Keep it for resume, which reads its real state.
          logger.warn('Closing a job failed and its state cannot be read; job kept for resume', {
            jobId: job.id,
            error: describeError(error),
          });
          this.handOver(job.id, index, `closing the job failed: ${describeError(error)}`);
          return;
        }
        if (info.state === 'Open') {
          await setJobState(ctx, job.id, 'Aborted').catch(() => undefined);
          this.progress.jobsOpen--;
          await this.failPart(
            index,
            body,
            {
              statusCode: OUTCOME_CODES.JOB_NOT_STARTED,
              message: `Not processed: closing the job failed: ${describeError(error)}`,
              fields: [],
            },
            job.id,
          );
          return;
        }
      }
      this.progress.rowsUploaded += index.size;
      this.report();
      await this.collect(job.id, index, body);
    } finally {
      await body.dispose();
    }
  }

  /** Hands a job that is still running (or whose results could not be read) over for {@link resume}. */
  private handOver(jobId: string, index: RowIndex, reason: string): void {
    this.progress.jobsOpen--;
    this.pendingRows += index.size;
    this.pendingReasons.push(reason);
    this.pending.push(this.pendingStateOf(jobId, index));
  }

  /** A job's serializable state, for {@link resume}. */
  private pendingStateOf(jobId: string, index: RowIndex): PendingJob {
    return {
      version: 1,
      jobId,
      object: this.settings.object,
      operation: this.settings.operation,
      ...(this.settings.externalIdField ? { externalIdField: this.settings.externalIdField } : {}),
      fields: [...this.fields],
      rows: index.size,
      index: index.toJSON(),
      retry: {
        codes: [...this.settings.retryCodes],
        maxAttempts: this.settings.maxAttempts,
        ...(this.settings.sortBy ? { sortBy: this.settings.sortBy } : {}),
        unprocessed: this.settings.retryUnprocessed,
      },
    };
  }

  /** Polls a job to its end (or the deadline) and reconciles its results. */
  async collect(jobId: string, index: RowIndex, body: PartBody | undefined): Promise<void> {
    let info: IngestJobInfo | 'deadline' | 'lost';
    try {
      info = await this.poll(jobId, index.size);
    } catch (error) {
      // The job runs on; only our view of it is gone. Hand it over for resume instead of guessing.
      this.settings.logger.error('Polling a job failed; job left running, kept for resume', {
        jobId,
        rows: index.size,
        error: describeError(error),
      });
      this.handOver(jobId, index, `polling failed: ${describeError(error)}`);
      return;
    }
    if (info === 'deadline') {
      this.handOver(jobId, index, 'deadline reached');
      this.settings.logger.info('Deadline reached: job left running', { jobId, rows: index.size });
      return;
    }
    if (info.state === 'Open') {
      // resume({ abortOpenJobs }): a job whose uploader died before closing it was never processed.
      await setJobState(this.settings.ctx, jobId, 'Aborted').catch(() => undefined);
      this.settings.logger.warn('Job was never closed: aborted, its rows reported unsent', { jobId, rows: index.size });
      this.progress.jobsOpen--;
      for (let i = 0; i < index.size; i++) {
        await this.emit(
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
    try {
      await this.reconcile(info, index, body);
    } catch (error) {
      // Results could not be read: the job stays (never deleted) and is handed over for resume.
      this.settings.logger.error('Reading job results failed; job kept for resume', {
        jobId,
        error: describeError(error),
      });
      this.handOver(jobId, index, `reading results failed: ${describeError(error)}`);
      if (index.matched > 0) {
        throw new SalesforceApiError(
          `Results of job ${jobId} broke off after ${index.matched} rows; the job is kept for resume but those rows were already reported`,
          { status: 0, errorCode: 'RESULTS_INCOMPLETE', cause: error },
        );
      }
      return;
    }
    this.progress.jobsOpen--;
    this.progress.jobsDone++;
    this.report();
  }

  /**
   * Polls a job until it ends (or the deadline). The wait follows what the job reports: while
   * `numberRecordsProcessed` stands still it grows 1.5x a poll from `pollIntervalMs`; once it moves,
   * the wait is half the time left at the rate seen so far (so polls close in on the end instead of
   * overshooting it by a fixed step), within `pollIntervalMs` .. `maxPollIntervalMs`.
   */
  private async poll(jobId: string, rows: number): Promise<IngestJobInfo | 'deadline'> {
    const { pollIntervalMs, maxPollIntervalMs } = this.settings;
    let interval = pollIntervalMs;
    const started = Date.now();
    let moved: { at: number; processed: number } | undefined;
    for (;;) {
      const info = await getJobInfo(this.settings.ctx, jobId);
      if (FINISHED_STATES.has(info.state)) return info;
      if (info.state === 'Open' && this.settings.abortOpenJobs) return info;
      const now = Date.now();
      const deadline = this.settings.deadline;
      if (deadline !== undefined && now >= deadline) return 'deadline';
      const processed = info.numberRecordsProcessed ?? 0;
      let wait: number;
      if (processed > (moved?.processed ?? 0) && processed < rows) {
        // Rows per ms since the first poll that saw progress (or since polling began).
        const from = moved ?? { at: started, processed: 0 };
        moved ??= { at: now, processed };
        const rate = (processed - from.processed) / Math.max(1, now - from.at);
        const left = (rows - processed) / rate;
        wait = Math.min(maxPollIntervalMs, Math.max(pollIntervalMs, Math.ceil(left / 2)));
      } else {
        wait = interval;
        interval = Math.min(maxPollIntervalMs, Math.ceil(interval * 1.5));
      }
      if (deadline !== undefined) wait = Math.max(0, Math.min(wait, deadline - now));
      await sleep(wait);
    }
  }

  /** Reads the three result sets and settles every row of the job. */
  private async reconcile(info: IngestJobInfo, index: RowIndex, body: PartBody | undefined): Promise<void> {
    const { ctx, logger } = this.settings;
    const jobId = info.id;
    const fieldPositions = new Map(this.fields.map((f, i) => [f.toLowerCase(), i]));
    const width = this.fields.length;
    const files: Partial<Record<ResultKind, string | undefined>> = {};
    try {
      // Download all three first: a failure here leaves nothing reported, so the job can be resumed whole.
      for (const kind of ['successfulResults', 'failedResults', 'unprocessedrecords'] as const) {
        files[kind] = await downloadResult(ctx, jobId, kind, { directory: this.settings.spoolDirectory });
      }
      let unmatched = 0;
      for (const kind of ['successfulResults', 'failedResults', 'unprocessedrecords'] as const) {
        const file = files[kind];
        if (!file) continue;
        const parser = readCsvRows(readFileChunks(file));
        let header: string[] | undefined;
        let map: number[] = [];
        let idAt = -1;
        let createdAt = -1;
        let errorAt = -1;
        const cells = new Array<string>(width);
        for await (const raw of parser) {
          if (!header) {
            header = raw;
            map = raw.map((name) => fieldPositions.get(name.toLowerCase()) ?? -1);
            idAt = raw.indexOf('sf__Id');
            createdAt = raw.indexOf('sf__Created');
            errorAt = raw.indexOf('sf__Error');
            const missing = this.fields.filter((f) => !raw.some((name) => name.toLowerCase() === f.toLowerCase()));
            if (missing.length > 0) logger.warn('Result set lacks sent columns', { jobId, kind, missing });
            continue;
          }
          cells.fill('');
          for (let i = 0; i < raw.length; i++) {
            const at = map[i] as number;
            if (at >= 0) cells[at] = raw[i] as string;
          }
          const position = index.take(rowHash(cells));
          this.progress.rowsProcessed++;
          if (position < 0) {
            unmatched++;
            continue;
          }
          const row = index.rowAt(position);
          const attempts = index.attemptsAt(position);
          if (kind === 'successfulResults') {
            await this.emit({
              row,
              status: 'succeeded',
              id: idAt >= 0 ? raw[idAt] || null : null,
              created: createdAt >= 0 && (raw[createdAt] ?? '').toLowerCase() === 'true',
              errors: [],
              record: this.recordOf(cells),
              attempts,
              jobId,
            });
          } else if (kind === 'failedResults') {
            const errors = parseBulkError(errorAt >= 0 ? (raw[errorAt] ?? '') : '');
            const id = idAt >= 0 ? raw[idAt] || null : null;
            await this.settleOrRetry({ row, cells: [...cells], attempts, errors, status: 'failed', jobId }, id);
          } else {
            const errors: SalesforceError[] = [
              {
                statusCode: info.state === 'Aborted' ? OUTCOME_CODES.JOB_ABORTED : OUTCOME_CODES.JOB_FAILED,
                message: `Not processed: job ${jobId} ended ${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ''}`,
                fields: [],
              },
            ];
            await this.settleOrRetry({ row, cells: [...cells], attempts, errors, status: 'unprocessed', jobId }, null);
          }
        }
      }
      const remaining = index.remaining();
      if (remaining.length > 0 || unmatched > 0) {
        this.unmatchedResults += unmatched;
        (unmatched > 0 ? logger.error : logger.warn)('Job results do not cover every row', {
          jobId,
          rowsWithoutResult: remaining.length,
          resultsWithoutRow: unmatched,
          state: info.state,
        });
      }
      if (remaining.length > 0) {
        const sent = body ? await body.readPositions(new Set(remaining)) : new Map<number, string[]>();
        for (const position of remaining) {
          await this.emit({
            row: index.rowAt(position),
            status: 'unprocessed',
            id: null,
            created: false,
            errors: [
              {
                statusCode: OUTCOME_CODES.RESULT_MISSING,
                message:
                  `Job ${jobId} (${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ''}) reported no result for this row` +
                  (unmatched > 0
                    ? `; ${unmatched} result row(s) matched no sent row, so it may have been processed`
                    : ''),
                fields: [],
              },
            ],
            record: sent.has(position) ? this.recordOf(sent.get(position) as string[]) : {},
            attempts: index.attemptsAt(position),
            jobId,
          });
        }
      }
    } finally {
      for (const file of Object.values(files)) if (file) await rm(file, { force: true });
    }
  }

  private async settleOrRetry(item: RetryItem, id: string | null): Promise<void> {
    if (shouldRetry(this.settings, item, () => this.deadlinePassed())) {
      this.retryQueue.push(item);
      return;
    }
    await this.emit(lastAttemptOutcome(item, id, this.recordOf(item.cells)));
  }

  /**
   * True when enough retries are queued to fill a job. Checked by the input loop (never inside a job
   * task, which holds a slot: launching from there could wait on itself).
   */
  retriesReady(): boolean {
    return this.retryQueue.length >= Math.min(this.settings.maxRows, 50_000);
  }

  /** Sends queued retries in their own jobs (sorted by `retry.sortBy`); after the deadline they settle as their last attempt. */
  async flushRetries(): Promise<void> {
    if (this.retryQueue.length === 0) return;
    const queue = this.retryQueue;
    this.retryQueue = [];
    if (this.deadlinePassed()) {
      for (const item of queue) await this.emit(lastAttemptOutcome(item, null, this.recordOf(item.cells)));
      return;
    }
    const sortAt = this.settings.sortBy
      ? this.fields.findIndex((f) => f.toLowerCase() === this.settings.sortBy?.toLowerCase())
      : -1;
    if (sortAt >= 0)
      queue.sort((a, b) =>
        (a.cells[sortAt] ?? '') < (b.cells[sortAt] ?? '') ? -1 : a.cells[sortAt] === b.cells[sortAt] ? 0 : 1,
      );
    this.settings.logger.info('Retrying rows', { rows: queue.length });
    // Retries go in their own jobs: park the open CSV of fresh rows meanwhile.
    const openPart = this.builder;
    const openDeferred = this.deferred;
    this.builder = undefined;
    this.deferred = [];
    for (const item of queue) {
      this.progress.rowsRetried++;
      await this.addRow(item.row, item.cells, item.attempts + 1);
    }
    await this.flushAll();
    this.builder = openPart;
    this.deferred = openDeferred;
  }

  /** After the input: drain jobs and retries until nothing is left. */
  async finish(): Promise<void> {
    await this.flushAll();
    for (;;) {
      await this.waitAll();
      if (this.retryQueue.length === 0) break;
      await this.flushRetries();
    }
  }
}

/**
 * Streams rows into Salesforce through Bulk API 2.0 (or sObject Collections for small inputs) and
 * yields exactly one {@link RowOutcome} per input row, matched to its source row by content. Jobs
 * are cut on record boundaries under a byte and a row budget (the first small, `firstJobRows`, each
 * later one up to twice the one before), run up to `maxConcurrentJobs` at a time, and polled by the
 * progress they report. Rows failing with retryable codes are sent again in
 * follow-up jobs. At the `deadline` the run stops waiting and hands running jobs over for
 * {@link resume}. Memory: the open job's CSV (spooled to disk past 4 MiB) and 13-18 bytes a row of the jobs in flight.
 *
 * @example
 * ```ts
 * const run = ingest({ connection, object: 'Contact', operation: 'upsert', externalIdField: 'External_Id__c', records });
 * for await (const outcome of run) if (outcome.status !== 'succeeded') await report.write(outcome);
 * const summary = await run.summary(); // { input, succeeded, failed, unprocessed, skipped, pending, ... }
 * ```
 */
export function ingest(options: IngestOptions): IngestRun {
  if (!options?.connection) throw new ConfigError('is required', { setting: 'connection' });
  if (!options.object) throw new ConfigError('is required', { setting: 'object' });
  if (!['insert', 'update', 'upsert', 'delete', 'hardDelete'].includes(options.operation)) {
    throw new ConfigError('must be insert, update, upsert, delete or hardDelete', { setting: 'operation' });
  }
  if (options.operation === 'upsert' && !options.externalIdField) {
    throw new ConfigError('is required for upsert', { setting: 'externalIdField' });
  }
  if (options.api === 'rest' && options.operation === 'hardDelete') {
    throw new ConfigError('cannot be rest for hardDelete (sObject Collections have no hard delete)', {
      setting: 'api',
    });
  }
  const settings = settingsOf(options);
  return new Engine(settings, (engine) => runIngest(engine, options));
}

async function runIngest(engine: Engine, options: IngestOptions): Promise<void> {
  const s = engine.s;
  const input = new InputReader(normalizeInput(options.records, options.source));
  const buffered: NormalizedItem[] = [];
  // Find the columns: the `fields` option, or the keys of the first record.
  let firstRecord: SalesforceRecord | undefined;
  let exhausted = false;
  while (!firstRecord) {
    const next = await input.next();
    if (!next) {
      exhausted = true;
      break;
    }
    buffered.push(next);
    if ('record' in next) firstRecord = next.record;
  }
  const sourceKeys = options.fields ?? (firstRecord ? Object.keys(firstRecord) : []);
  let fields = sourceKeys;
  let externalIdField = options.externalIdField;
  if (firstRecord && options.preflight !== false) {
    const checked = await preflightFields(s.ctx, {
      object: options.object,
      operation: options.operation,
      fields: sourceKeys,
      externalIdField: options.externalIdField,
    });
    fields = checked.apiFields;
    externalIdField = checked.externalIdField ?? externalIdField;
    s.externalIdField = externalIdField;
    if (s.sortBy) {
      const sort = s.sortBy.toLowerCase();
      s.sortBy = fields.find((f, i) => f.toLowerCase() === sort || sourceKeys[i]?.toLowerCase() === sort) ?? s.sortBy;
    }
  }
  engine.setColumns(fields, sourceKeys);

  // Choose the API: small inputs through sObject Collections.
  const api = options.api ?? 'auto';
  const restMax = options.restMaxRows ?? 200;
  if (api !== 'bulk' && options.operation !== 'hardDelete' && firstRecord) {
    while (!exhausted && (api === 'rest' || buffered.length <= restMax)) {
      const next = await input.next();
      if (!next) exhausted = true;
      else buffered.push(next);
    }
    if (exhausted) {
      engine.useApi('rest');
      await runRest(engine, options, buffered, fields);
      return;
    }
  }
  if (firstRecord) engine.useApi('bulk');

  /** Reads one row into a job; a promise only when that has to wait (see Engine.addRow). */
  const handle = (item: NormalizedItem): Promise<void> | undefined => {
    engine.countRead();
    const screened = screen(engine, item);
    if ('outcome' in screened) return engine.emit(screened.outcome);
    return engine.addRow(item.row, screened.cells, 1);
  };

  /** A row taken from the input after the deadline: never sent, still accounted for. */
  const settleUnsent = async (item: NormalizedItem): Promise<void> => {
    engine.countRead();
    await engine.emit(
      itemNotSent(item, 'unprocessed', {
        statusCode: OUTCOME_CODES.DEADLINE,
        message: 'Not sent: the deadline passed before it was read into a job',
        fields: [],
      }),
    );
  };

  let stoppedByDeadline = false;
  let sinceYield = 0;
  for (const item of buffered) {
    if (!stoppedByDeadline && engine.deadlinePassed()) stoppedByDeadline = true;
    // Taken from the input already (to choose the API), so it must still get its outcome.
    if (stoppedByDeadline) await settleUnsent(item);
    else await handle(item);
  }
  buffered.length = 0;
  try {
    reading: while (!stoppedByDeadline && !exhausted) {
      const batch = await input.nextBatch();
      if (!batch) break;
      for (let i = 0; i < batch.length; i++) {
        if (engine.deadlinePassed()) {
          // Taken from the input already (in this batch), so they must still get their outcomes.
          stoppedByDeadline = true;
          for (let j = i; j < batch.length; j++) await settleUnsent(batch[j] as NormalizedItem);
          break reading;
        }
        const waiting = handle(batch[i] as NormalizedItem);
        if (waiting) await waiting;
        if (engine.retriesReady()) await engine.flushRetries();
        // A synchronous input never yields to the event loop: let uploads and polls of running jobs move.
        if (++sinceYield === 1000) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    }
  } catch (error) {
    // The input broke (a stream error, a bad file): settle the rows already read, then fail the run.
    s.logger.error('Reading the input failed; settling the rows already read', { error: describeError(error) });
    await engine.finish().catch(() => undefined);
    throw error;
  }
  if (stoppedByDeadline) {
    // Rows of a batch already taken from the input (but not read into a job) get their outcome too.
    for (let item = input.takeInHand(); item; item = input.takeInHand()) await settleUnsent(item);
    s.logger.warn('Deadline reached while reading input: reading stopped', { rowsRead: engine.progress.rowsRead });
    await input.close();
  }
  await engine.finish();
}

async function runRest(
  engine: Engine,
  options: IngestOptions,
  items: NormalizedItem[],
  fields: string[],
): Promise<void> {
  const s = engine.s;
  const describe = await describeObject(s.ctx, options.object);
  const pendingRows: Array<{ row: number; line?: number | undefined; record: SalesforceRecord; attempts: number }> = [];
  for (const item of items) {
    engine.countRead();
    const screened = screen(engine, item);
    if ('outcome' in screened) {
      await engine.emit(screened.outcome);
      continue;
    }
    pendingRows.push({ row: item.row, line: item.line, record: engine.recordOf(screened.cells), attempts: 0 });
  }
  let queue = pendingRows;
  while (queue.length > 0) {
    const retry: typeof queue = [];
    for (let start = 0; start < queue.length; start += 200) {
      const batch = queue.slice(start, start + 200);
      for (const item of batch) item.attempts++;
      const results = await runRestBatch(s.ctx, {
        object: describe.name,
        operation: options.operation,
        externalIdField: s.externalIdField,
        describe,
        fields,
        records: batch.map((item) => item.record),
      });
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i] as (typeof batch)[number];
        const result = results[i];
        const line = item.line !== undefined ? { line: item.line } : {};
        if (!result) {
          await engine.emit({
            row: item.row,
            status: 'unprocessed',
            id: null,
            created: false,
            errors: [
              {
                statusCode: OUTCOME_CODES.RESULT_MISSING,
                message: 'Salesforce returned no result for this record',
                fields: [],
              },
            ],
            record: item.record,
            attempts: item.attempts,
            ...line,
          });
          continue;
        }
        if (result.success) {
          await engine.emit({
            row: item.row,
            status: 'succeeded',
            id: result.id ?? null,
            created: result.created,
            errors: [],
            record: item.record,
            attempts: item.attempts,
            ...line,
          });
          continue;
        }
        // sObject Collections: the codes decide for every result, also one the API left unsent.
        if (
          shouldRetry(s, { attempts: item.attempts, errors: result.errors, status: 'failed' }, () =>
            engine.deadlinePassed(),
          )
        ) {
          retry.push(item);
          continue;
        }
        await engine.emit({
          row: item.row,
          status: result.unsent ? 'unprocessed' : 'failed',
          id: result.id ?? null,
          created: false,
          errors: result.errors,
          record: item.record,
          attempts: result.unsent ? item.attempts - 1 : item.attempts,
          ...line,
        });
      }
    }
    if (retry.length > 0 && s.sortBy) {
      const key = s.sortBy;
      retry.sort((a, b) => String(a.record[key] ?? '').localeCompare(String(b.record[key] ?? '')));
    }
    engine.progress.rowsRetried += retry.length;
    queue = retry;
  }
}

/**
 * Options of {@link resume}.
 *
 * @example
 * ```ts
 * resume({ connection, jobs: JSON.parse(saved), deadline: Date.now() + 60_000 } satisfies ResumeOptions);
 * ```
 */
export interface ResumeOptions
  extends Pick<
    IngestOptions,
    | 'connection'
    | 'pollIntervalMs'
    | 'maxPollIntervalMs'
    | 'deadline'
    | 'logger'
    | 'onProgress'
    | 'http'
    | 'spoolDirectory'
    | 'maxConcurrentJobs'
  > {
  /** Jobs from {@link IngestRun.pendingJobStates} (JSON, possibly from another process). */
  jobs: PendingJob[];
  /**
   * Abort jobs found still `Open` (uploaded but never closed: their uploader died, e.g. a checkpoint
   * written by `onJobUploaded` just before a crash) and report their rows unprocessed with
   * `KICKSAW_JOB_NOT_STARTED`: they were never processed. Default false (an Open job is waited for).
   * Only for jobs no live process still owns.
   */
  abortOpenJobs?: boolean;
  /** Override the jobs' retry settings (e.g. `{ maxAttempts: 1 }`: no retries, every row settles as its job ended). */
  retry?: IngestRetryOptions;
}

/**
 * Collects jobs an ingest left running at its deadline and yields the outcomes the ingest would
 * have yielded for their rows (retries included). Can meet its own deadline and hand over again.
 *
 * @example
 * ```ts
 * const first = ingest({ ...options, deadline: Date.now() + 60_000 });
 * for await (const outcome of first) save(outcome);
 * const state = first.pendingJobStates(); // JSON: store it
 * for await (const outcome of resume({ connection, jobs: state })) save(outcome);
 * ```
 */
export function resume(options: ResumeOptions): IngestRun {
  if (!options?.connection) throw new ConfigError('is required', { setting: 'connection' });
  const jobs = options.jobs ?? [];
  const groups = new Map<string, PendingJob[]>();
  for (const job of jobs) {
    if (job?.version !== 1 || !job.jobId || !job.index) {
      throw new InputError('Not a pending job state from ingest().pendingJobStates()', { field: 'jobs' });
    }
    const key = JSON.stringify([job.object, job.operation, job.externalIdField, job.fields, job.retry]);
    groups.set(key, [...(groups.get(key) ?? []), job]);
  }
  const groupList = [...groups.values()];
  if (groupList.length > 1) {
    // One run per shape of job; outcomes are concatenated.
    const runs = groupList.map((group) => resume({ ...options, jobs: group }));
    return combineRuns(runs);
  }
  const first = jobs[0];
  const settings = settingsOf({
    ...options,
    object: first?.object ?? 'unknown',
    operation: first?.operation ?? 'insert',
    ...(first?.externalIdField ? { externalIdField: first.externalIdField } : {}),
    retry: { ...first?.retry, ...options.retry },
  });
  settings.abortOpenJobs = options.abortOpenJobs ?? false;
  return new Engine(settings, async (engine) => {
    if (!first) return;
    engine.useApi('bulk');
    engine.setColumns(first.fields, first.fields);
    await Promise.all(
      jobs.map(async (job) => {
        engine.countResumed(job.rows);
        await engine.collect(job.jobId, RowIndex.fromJSON(job.index), undefined);
      }),
    );
    await engine.finish();
  });
}

/**
 * The input row numbers a pending job holds, in job order (e.g. to know which rows a checkpointed job
 * covers without resuming it).
 *
 * @example
 * ```ts
 * for (const row of pendingJobRows(job)) sent.add(row);
 * ```
 */
export function pendingJobRows(job: PendingJob): Uint32Array {
  const bytes = Buffer.from(job.index.rows, 'base64');
  const rows = new Uint32Array(bytes.length >>> 2);
  new Uint8Array(rows.buffer).set(bytes.subarray(0, rows.length * 4));
  return rows;
}

function combineRuns(runs: IngestRun[]): IngestRun {
  let summaryPromise: Promise<IngestSummary> | undefined;
  return {
    async *[Symbol.asyncIterator]() {
      for (const run of runs) yield* run;
    },
    summary() {
      summaryPromise ??= Promise.all(runs.map((run) => run.summary())).then((all) =>
        all.reduce(
          (total, s) => ({
            input: total.input + s.input,
            succeeded: total.succeeded + s.succeeded,
            failed: total.failed + s.failed,
            unprocessed: total.unprocessed + s.unprocessed,
            skipped: total.skipped + s.skipped,
            created: (total.created ?? 0) + (s.created ?? 0),
            pending: total.pending + s.pending,
            pendingJobIds: [...total.pendingJobIds, ...s.pendingJobIds],
            jobs: total.jobs + s.jobs,
            retried: total.retried + s.retried,
            unmatchedResults: total.unmatchedResults + s.unmatchedResults,
            api: 'bulk' as const,
          }),
          {
            ...emptySummary(),
            pending: 0,
            pendingJobIds: [] as string[],
            jobs: 0,
            retried: 0,
            unmatchedResults: 0,
            api: 'bulk' as IngestSummary['api'],
          },
        ),
      );
      return summaryPromise;
    },
    pendingJobs: () => runs.flatMap((run) => run.pendingJobs()),
    pendingJobStates: () => runs.flatMap((run) => run.pendingJobStates()),
  };
}

/**
 * {@link ingest} for inputs that fit in memory: collects every outcome.
 *
 * @example
 * ```ts
 * const { outcomes, summary } = await ingestAll({ connection, object: 'Account', operation: 'insert', records: [{ Name: 'Acme' }] });
 * ```
 */
export async function ingestAll(
  options: IngestOptions,
): Promise<{ outcomes: RowOutcome[]; summary: IngestSummary; pendingJobs: string[] }> {
  const run = ingest(options);
  const outcomes: RowOutcome[] = [];
  for await (const outcome of run) outcomes.push(outcome);
  return { outcomes, summary: await run.summary(), pendingJobs: run.pendingJobs() };
}
