// Building and launching jobs: rows cut into job CSVs under the budgets, up to maxConcurrent jobs at a time, retries in their own jobs.
import { describeError } from './http.js';
import { csvLine, PartBuilder } from './part.js';
import { lastAttemptOutcome, type RetryItem } from './retry.js';
import type { Engine } from './run.js';
import { runJob } from './run-job.js';

/**
 * Cuts the rows of a run into jobs and launches them; holds the open job CSV, the rows deferred for a
 * duplicate external id, the jobs in flight and the queued retries.
 *
 * @internal
 */
export class JobLauncher {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  private retryQueue: RetryItem[] = [];
  private builder: PartBuilder | undefined;
  /** Row budget of the next job: from `firstJobRows`, doubling with each job up to `grownJobRows`. */
  private jobRows = 0;
  private deferred: Array<{ row: number; cells: string[]; attempts: number }> = [];

  constructor(private readonly engine: Engine) {}

  private newBuilder(): PartBuilder {
    if (this.jobRows === 0) this.jobRows = Math.min(this.engine.s.firstJobRows, this.engine.s.maxRows);
    return new PartBuilder({
      fields: this.engine.fields,
      spoolThresholdBytes: this.engine.s.spoolThresholdBytes,
      maxRows: this.jobRows,
      ...(this.engine.s.spoolDirectory ? { spoolDirectory: this.engine.s.spoolDirectory } : {}),
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
    if (this.engine.externalIdIndex >= 0) {
      key = (cells[this.engine.externalIdIndex] ?? '').toLowerCase();
      // has() keeps the key's hashes: addLast() below adds it without hashing it again.
      if (key !== '' && this.builder.externalIds.has(key)) {
        if (this.engine.s.duplicateExternalIds === 'fail') {
          return this.engine.emit({
            row,
            status: 'failed',
            id: null,
            created: false,
            errors: [
              {
                statusCode: 'DUPLICATE_EXTERNAL_ID',
                message: `Another row in the same job has ${this.engine.externalIdField} = ${cells[this.engine.externalIdIndex]}; not sent`,
                fields: [this.engine.externalIdField ?? ''],
              },
            ],
            record: this.engine.recordOf(cells),
            attempts: attempts - 1,
          });
        }
        this.deferred.push({ row, cells, attempts });
        return undefined;
      }
    }
    // Most rows are written straight into the open chunk (line and hash in one pass) and taken in once the
    // budgets allow; a row that may not fit the chunk goes the way of a line string, which flushes it first.
    let line: string | undefined;
    let bytes = this.builder.stage(cells);
    if (bytes < 0) {
      line = csvLine(cells);
      bytes = Buffer.byteLength(line);
    }
    if (
      this.builder.rows > 0 &&
      (this.builder.rows >= this.jobRows || this.builder.bytes + bytes > this.engine.s.maxBytes)
    ) {
      return this.cut().then(() => this.addRow(row, cells, attempts));
    }
    const keys = key !== '' ? this.builder.externalIds : undefined;
    if (line === undefined) {
      this.builder.commit(bytes, row, attempts);
      keys?.addLast();
      return undefined;
    }
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
      this.jobRows = Math.min(this.engine.s.grownJobRows, this.jobRows * 2);
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
    while (this.inFlight.size >= this.engine.s.maxConcurrent) await Promise.race(this.inFlight);
    this.throwIfFailed();
    // A job task never rejects: its failure is kept and rethrown by the run (no unhandled rejection).
    const tracked: Promise<void> = runJob(this.engine, part)
      .catch((error: unknown) => {
        this.engine.s.logger.error('Job failed unexpectedly', { error: describeError(error) });
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

  /** Queues a row for a retry job. */
  queueRetry(item: RetryItem): void {
    this.retryQueue.push(item);
  }

  /**
   * True when enough retries are queued to fill a job. Checked by the input loop (never inside a job
   * task, which holds a slot: launching from there could wait on itself).
   */
  retriesReady(): boolean {
    return this.retryQueue.length >= Math.min(this.engine.s.maxRows, 50_000);
  }

  /** Sends queued retries in their own jobs (sorted by `retry.sortBy`); after the deadline they settle as their last attempt. */
  async flushRetries(): Promise<void> {
    if (this.retryQueue.length === 0) return;
    const queue = this.retryQueue;
    this.retryQueue = [];
    if (this.engine.deadlinePassed()) {
      for (const item of queue)
        await this.engine.emit(lastAttemptOutcome(item, null, this.engine.recordOf(item.cells)));
      return;
    }
    const sortAt = this.engine.sortBy
      ? this.engine.fields.findIndex((f) => f.toLowerCase() === this.engine.sortBy?.toLowerCase())
      : -1;
    if (sortAt >= 0)
      queue.sort((a, b) =>
        (a.cells[sortAt] ?? '') < (b.cells[sortAt] ?? '') ? -1 : a.cells[sortAt] === b.cells[sortAt] ? 0 : 1,
      );
    this.engine.s.logger.info('Retrying rows', { rows: queue.length });
    // Retries go in their own jobs: park the open CSV of fresh rows meanwhile.
    const openPart = this.builder;
    const openDeferred = this.deferred;
    this.builder = undefined;
    this.deferred = [];
    for (const item of queue) {
      this.engine.progress.rowsRetried++;
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
