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
  /** Job tasks not yet done (the job running in Salesforce, or its results being read). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Jobs launched that Salesforce has not ended yet: these count against `maxConcurrentJobs`. */
  private running = 0;
  /** Waiting for a job to end or a job task to finish. */
  private waiters: Array<() => void> = [];
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

  /**
   * Whether a job may start: fewer than `maxConcurrentJobs` running in Salesforce, and fewer than twice that
   * many tasks in all. A job's slot is free once Salesforce has ended it, while its results are still read:
   * reading them is the client's work, and holding the slot for it kept the next job out of Salesforce for
   * that long (0.3-1 s a 50,000-row job). The second bound keeps the memory of jobs whose results are being
   * read (their reconciliation index and body) to as many again.
   */
  private hasSlot(): boolean {
    const max = this.engine.s.maxConcurrent;
    return this.running < max && this.inFlight.size < 2 * max;
  }

  /** Resolves once a job ends or a job task finishes. */
  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Waits for a free slot, then starts a job for the part. */
  private async launch(part: PartBuilder): Promise<void> {
    while (!this.hasSlot()) await this.changed();
    this.throwIfFailed();
    this.running++;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.running--;
      this.wake();
    };
    // A job task never rejects: its failure is kept and rethrown by the run (no unhandled rejection).
    const tracked: Promise<void> = runJob(this.engine, part, end)
      .catch((error: unknown) => {
        this.engine.s.logger.error('Job failed unexpectedly', { error: describeError(error) });
        this.failure ??= { error };
      })
      .finally(() => {
        this.inFlight.delete(tracked);
        end();
        this.wake();
      });
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

  /**
   * After the input: drains jobs and retries until nothing is left. Queued retries go out as soon as a slot
   * is free, while other jobs still run: each row in the queue failed in a job whose results are read, so it
   * is not in any job now. Waiting for every job to end first (as before) put one more job's whole time
   * (a round) after the last first-pass job for every retry round.
   */
  async finish(): Promise<void> {
    await this.flushAll();
    for (;;) {
      if (this.failure) break;
      if (this.retryQueue.length > 0 && this.hasSlot()) {
        await this.flushRetries();
        continue;
      }
      if (this.inFlight.size === 0) break;
      await this.changed();
    }
    await this.waitAll();
  }
}
