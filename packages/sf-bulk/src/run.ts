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
  /** Progress kept here; rows succeeded, failed and unprocessed are the outcome counts (see {@link report}). */
  readonly progress: Omit<IngestProgress, 'rowsSucceeded' | 'rowsFailed' | 'rowsUnprocessed'> = {
    rowsRead: 0,
    rowsUploaded: 0,
    rowsProcessed: 0,
    rowsRetried: 0,
    jobsOpen: 0,
    jobsDone: 0,
  };
  private readonly pending: PendingJob[] = [];
  private readonly pendingReasons: string[] = [];
  /** Jobs created. */
  jobs = 0;
  /** Result rows that matched no sent row. */
  unmatchedResults = 0;
  /** Rows of the jobs a resume took over (the rows an ingest read are `progress.rowsRead`). */
  private resumedRows = 0;
  private apiUsed: IngestSummary['api'] = 'none';
  private started: Promise<IngestSummary> | undefined;
  private iterating = false;
  /** The job's columns (API names) and the input keys they come from, in the same order. */
  fields: string[] = [];
  private sourceKeys: string[] = [];
  /** The external id field of the job (as the preflight resolved it) and its position among the fields of an upsert, else -1. */
  externalIdField: string | undefined;
  externalIdIndex = -1;
  /** The field retries are sorted by (as the preflight resolved it). */
  sortBy: string | undefined;
  readonly launcher = new JobLauncher(this);

  constructor(
    private readonly settings: Readonly<EngineSettings>,
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
            input: this.progress.rowsRead + this.resumedRows - this.pendingRows,
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

  get s(): Readonly<EngineSettings> {
    return this.settings;
  }

  deadlinePassed(): boolean {
    return this.settings.deadline !== undefined && Date.now() >= this.settings.deadline;
  }

  /** Rows of the jobs handed over for resume. */
  private get pendingRows(): number {
    let rows = 0;
    for (const job of this.pending) rows += job.rows;
    return rows;
  }

  report(): void {
    this.settings.onProgress?.({
      ...this.progress,
      rowsSucceeded: this.counts.succeeded,
      rowsFailed: this.counts.failed,
      rowsUnprocessed: this.counts.unprocessed,
    });
  }

  countRead(rows = 1): void {
    this.progress.rowsRead += rows;
    if (this.progress.rowsRead % 10_000 === 0) this.report();
  }

  countResumed(rows: number): void {
    this.resumedRows += rows;
  }

  useApi(api: IngestSummary['api']): void {
    this.apiUsed = api;
  }

  /**
   * Counts an outcome and queues it. Returns a promise only when the caller has to wait (the queue is full,
   * or the outcome could not be counted): a hot loop awaits it only then, which saves a promise and a
   * microtask a row.
   */
  emit(outcome: RowOutcome): Promise<void> | undefined {
    try {
      countOutcome(this.counts, outcome);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.channel.push(outcome);
  }

  /**
   * Sets the job's columns once, before the first row: the fields, the input keys they come from, and the
   * external id and sort field as the preflight resolved them (by default as given).
   */
  setColumns(
    fields: string[],
    sourceKeys: string[],
    names: { externalIdField?: string | undefined; sortBy?: string | undefined } = {},
  ): void {
    this.fields = fields;
    this.sourceKeys = sourceKeys;
    this.externalIdField = 'externalIdField' in names ? names.externalIdField : this.settings.externalIdField;
    this.sortBy = 'sortBy' in names ? names.sortBy : this.settings.sortBy;
    const ext = this.externalIdField?.toLowerCase();
    this.externalIdIndex =
      this.settings.operation === 'upsert' && ext ? fields.findIndex((f) => f.toLowerCase() === ext) : -1;
  }

  /** The record as sent, from its cells in field order (`#N/A` is null): one a settled row. */
  recordOf(cells: readonly string[]): SalesforceRecord {
    if (this.recordBuilder === undefined || this.recordBuilderFields !== this.fields) {
      this.recordBuilderFields = this.fields;
      this.recordBuilder = recordBuilderFor(this.fields);
    }
    return this.recordBuilder(cells);
  }

  private recordBuilder: ((cells: readonly string[]) => SalesforceRecord) | undefined;
  private recordBuilderFields: string[] | undefined;

  /** Cells of a record in field order, or the unknown keys it holds. */
  cellsOf(record: SalesforceRecord): { cells: string[] } | { unknown: string[] } {
    const cells = new Array<string>(this.sourceKeys.length);
    let matched = 0;
    for (let i = 0; i < this.sourceKeys.length; i++) {
      const value = record[this.sourceKeys[i] as string];
      if (value !== undefined) matched++;
      cells[i] = cellOf(value);
    }
    // Counted with for-in (the object's enum cache: no array a row, as Object.keys would allocate); it counts
    // inherited enumerable keys too, so it is never below Object.keys' count, which settles the rare case.
    let keys = 0;
    for (const _key in record) keys++;
    if (matched < keys && matched < Object.keys(record).length) {
      const known = new Set(this.sourceKeys);
      const unknown = Object.keys(record).filter((key) => !known.has(key) && record[key] !== undefined);
      if (unknown.length > 0) return { unknown };
    }
    return { cells };
  }

  /** Hands a job that is still running (or whose results could not be read) over for {@link resume}. */
  handOver(jobId: string, index: RowIndex, reason: string): void {
    this.progress.jobsOpen--;
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
      ...(this.externalIdField ? { externalIdField: this.externalIdField } : {}),
      fields: [...this.fields],
      rows: index.size,
      index: index.toJSON(),
      retry: {
        codes: [...this.settings.retryCodes],
        maxAttempts: this.settings.maxAttempts,
        ...(this.sortBy ? { sortBy: this.sortBy } : {}),
        unprocessed: this.settings.retryUnprocessed,
      },
    };
  }
}

/** A cell as a record value: `#N/A` (the null marker sent) is null, a missing cell the empty string. */
function recordValue(cell: string | undefined): string | null {
  const value = cell ?? '';
  return value === '#N/A' ? null : value;
}

/**
 * A function that builds the record of a row from its cells, the fields as the keys of one object literal
 * (`{ "Name": v(c[0]), ... }`), compiled once a run. Why generated code: keys chosen at run time are stored
 * one by one through a generic keyed store (the same site sees every field name), about 80 ns a key; an object
 * literal gets its shape at once (0.23-0.32 µs a 10-field record against 0.84-1.1 µs, once a settled row).
 * Only plain API names are compiled (letters, digits, underscores, not `__proto__`, no duplicates: a literal
 * key could not set a prototype or change the order); anything else, or a runtime that refuses code from
 * strings, takes the loop. Tests compare both ways.
 *
 * @internal
 */
export function recordBuilderFor(fields: readonly string[]): (cells: readonly string[]) => SalesforceRecord {
  const loop = (cells: readonly string[]): SalesforceRecord => {
    const record: SalesforceRecord = {};
    for (let i = 0; i < fields.length; i++) record[fields[i] as string] = recordValue(cells[i]);
    return record;
  };
  const plain = fields.every((f) => /^[A-Za-z][A-Za-z0-9_]*$/.test(f) && f !== '__proto__');
  if (!plain || new Set(fields).size !== fields.length || fields.length > 500) return loop;
  try {
    const literal = fields.map((f, i) => `${JSON.stringify(f)}: v(c[${i}])`).join(', ');
    return new Function('v', `return function record(c) { return { ${literal} }; };`)(recordValue) as (
      cells: readonly string[],
    ) => SalesforceRecord;
  } catch {
    return loop;
  }
}
