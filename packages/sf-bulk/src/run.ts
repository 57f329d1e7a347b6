// The state of one run: outcomes out through a back-pressured channel, counts, columns, jobs handed over.
import { assertAccounted, countOutcome, emptySummary, type RowOutcome, type SalesforceRecord } from '@kicksaw/core';
import { Channel } from './channel.js';
import type { IngestProgress, IngestRun, IngestSummary, PendingJob } from './ingest-types.js';
import { JobLauncher } from './jobs.js';
import { cellOf } from './part.js';
import type { RowIndex } from './row-index.js';
import type { EngineSettings } from './settings.js';

/**
 * The shared machinery of {@link ingest} and {@link resume}: what a run knows and reports. Building and
 * launching jobs is {@link JobLauncher}'s (`launcher`), running one job `run-job.ts`'s.
 *
 * @internal
 */
export class Engine implements IngestRun {
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
  /** Jobs created. */
  jobs = 0;
  /** Result rows that matched no sent row. */
  unmatchedResults = 0;
  private inputRows = 0;
  private apiUsed: IngestSummary['api'] = 'none';
  private started: Promise<IngestSummary> | undefined;
  private iterating = false;
  /** The job's columns (API names) and the input keys they come from, in the same order. */
  fields: string[] = [];
  private sourceKeys: string[] = [];
  /** Position of the external id among the fields of an upsert, else -1. */
  externalIdIndex = -1;
  readonly launcher = new JobLauncher(this);

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

  /** Hands a job that is still running (or whose results could not be read) over for {@link resume}. */
  handOver(jobId: string, index: RowIndex, reason: string): void {
    this.progress.jobsOpen--;
    this.pendingRows += index.size;
    this.pendingReasons.push(reason);
    this.pending.push(this.pendingStateOf(jobId, index));
  }

  /** A job's serializable state, for {@link resume}. */
  pendingStateOf(jobId: string, index: RowIndex): PendingJob {
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
}
