import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchResultErrorEntry } from '@aws-sdk/client-sqs';
import { errorMessage, errorName, isFatalRequestError, isRetryableRequestError } from './errors.js';
import { assertWhole } from './limits.js';

/**
 * How failed batch entries are retried. An entry SQS reports with `SenderFault: false` (a fault on
 * its side) and a request that failed for a transient reason (throttling, 5xx, a dropped connection)
 * are tried again after an exponential backoff with full jitter: a random wait up to
 * `min(maxDelayMs, baseDelayMs * 2^(attempt - 1))`. Sender faults (a message too large, a bad receipt
 * handle) are final at once: sending them again would fail again.
 *
 * @example
 * ```ts
 * await queue.sendAll(messages, { retry: { maxAttempts: 6, baseDelayMs: 200 } });
 * ```
 */
export interface RetryOptions {
  /** Tries per entry, the first included. Default 4. */
  maxAttempts?: number;
  /** Default 100 ms. */
  baseDelayMs?: number;
  /** Default 5,000 ms. */
  maxDelayMs?: number;
}

export interface ResolvedRetry {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export function resolveRetry(options: RetryOptions = {}): ResolvedRetry {
  const resolved = {
    maxAttempts: options.maxAttempts ?? 4,
    baseDelayMs: options.baseDelayMs ?? 100,
    maxDelayMs: options.maxDelayMs ?? 5_000,
  };
  assertWhole('retry.maxAttempts', resolved.maxAttempts, 1, 100);
  assertWhole('retry.baseDelayMs', resolved.baseDelayMs, 0, 3_600_000);
  assertWhole('retry.maxDelayMs', resolved.maxDelayMs, 0, 3_600_000);
  return resolved;
}

function backoff(retry: ResolvedRetry, attempt: number): Promise<void> | undefined {
  const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  const wait = Math.floor(Math.random() * cap);
  return wait > 0 ? sleep(wait) : undefined;
}

/**
 * Why one entry (a message to send, a receipt handle to delete) failed. `code` is SQS's error code
 * (`InvalidParameterValue`, `ReceiptHandleIsInvalid`, `RequestThrottled`, ...) or one of this
 * package's (`SQS_MESSAGE_TOO_LARGE`, `SQS_MESSAGE_INVALID`, `SQS_ABORTED`, ...). `senderFault` is
 * true when the entry itself is at fault and sending it again cannot help.
 *
 * @example
 * ```ts
 * const failure: EntryFailure = { code: 'ReceiptHandleIsInvalid', reason: 'The input receipt handle is invalid.', senderFault: true };
 * ```
 */
export interface EntryFailure {
  code: string;
  reason: string;
  senderFault: boolean;
  /** The error a whole request failed with, when that is how this entry failed. */
  cause?: unknown;
}

export type EntryOutcome<S> =
  | { ok: true; success: S; attempts: number }
  | { ok: false; failure: EntryFailure; attempts: number };

export interface BatchRun<S> {
  outcomes: Map<string, EntryOutcome<S>>;
  /** Set when a request failed in a way no later request can pass (no queue, no access): stop sending. */
  fatal?: unknown;
}

export interface BatchAnswer<S> {
  Successful?: S[] | undefined;
  Failed?: BatchResultErrorEntry[] | undefined;
}

function requestFailure(error: unknown): EntryFailure {
  return {
    code: errorName(error),
    reason: errorMessage(error),
    senderFault: !isRetryableRequestError(error),
    cause: error,
  };
}

type BatchCall<E, S> = (entries: E[]) => Promise<BatchAnswer<S>>;

/** Every entry of `entries` failed at `attempt`, each with its own failure object. */
function failAll<S>(
  outcomes: Map<string, EntryOutcome<S>>,
  entries: ReadonlyArray<{ Id: string }>,
  failure: () => EntryFailure,
  attempt: number,
): void {
  for (const entry of entries) outcomes.set(entry.Id, { ok: false, failure: failure(), attempts: attempt });
}

/**
 * Each entry of a batch SQS refused as a whole, sent alone with the tries left, so that one bad entry
 * fails alone. A fatal request stops it: the entries not yet sent fail with that request's error.
 */
async function runSingly<E extends { Id: string }, S extends { Id?: string | undefined }>(
  pending: readonly E[],
  call: BatchCall<E, S>,
  retry: ResolvedRetry,
  attempt: number,
  outcomes: Map<string, EntryOutcome<S>>,
): Promise<BatchRun<S>> {
  for (const entry of pending) {
    const single = await runBatch([entry], call, { ...retry, maxAttempts: retry.maxAttempts - attempt + 1 }, false);
    for (const [id, outcome] of single.outcomes) outcomes.set(id, { ...outcome, attempts: outcome.attempts + attempt });
    if (single.fatal !== undefined) {
      const rest = pending.filter((other) => !outcomes.has(other.Id));
      failAll(outcomes, rest, () => requestFailure(single.fatal), attempt);
      return { outcomes, fatal: single.fatal };
    }
  }
  return { outcomes };
}

/**
 * Settles the entries an answer reports: successes, and failures that are final (a sender fault, or no
 * tries left). Returns the entries to try again. An entry the answer leaves out is reported, not sent
 * again (it may have gone through).
 */
function settleAnswer<E extends { Id: string }, S extends { Id?: string | undefined }>(
  answer: BatchAnswer<S>,
  pending: readonly E[],
  attempt: number,
  retry: ResolvedRetry,
  outcomes: Map<string, EntryOutcome<S>>,
): E[] {
  const waiting = new Map(pending.map((entry) => [entry.Id, entry]));
  const again: E[] = [];
  for (const success of answer.Successful ?? []) {
    if (success.Id === undefined || !waiting.has(success.Id)) continue;
    waiting.delete(success.Id);
    outcomes.set(success.Id, { ok: true, success, attempts: attempt });
  }
  for (const failed of answer.Failed ?? []) {
    const entry = failed.Id === undefined ? undefined : waiting.get(failed.Id);
    if (entry === undefined) continue;
    waiting.delete(entry.Id);
    const senderFault = failed.SenderFault !== false;
    if (!senderFault && attempt < retry.maxAttempts) {
      again.push(entry);
      continue;
    }
    const failure = {
      code: failed.Code ?? 'UnknownError',
      reason: failed.Message ?? 'SQS gave no reason',
      senderFault,
    };
    outcomes.set(entry.Id, { ok: false, failure, attempts: attempt });
  }
  failAll(outcomes, [...waiting.values()], unreported, attempt);
  return again;
}

/** The failure of an entry SQS answered a batch without. */
function unreported(): EntryFailure {
  return {
    code: 'SQS_ENTRY_UNREPORTED',
    reason: 'SQS answered the batch without a result for this entry; it was not retried because it may have succeeded',
    senderFault: false,
  };
}

/**
 * Runs one batch request (at most 10 entries, each with a distinct `Id`) until every entry has an
 * outcome: retryable entries and transient request failures are retried with backoff; a request
 * refused for the batch as a whole (say one body with characters SQS rejects) is split into
 * single-entry requests, so one bad entry never takes nine good ones down with it. Outcomes are
 * matched by entry `Id`, never by position.
 */
export async function runBatch<E extends { Id: string }, S extends { Id?: string | undefined }>(
  entries: readonly E[],
  call: BatchCall<E, S>,
  retry: ResolvedRetry,
  split = true,
): Promise<BatchRun<S>> {
  const outcomes = new Map<string, EntryOutcome<S>>();
  let pending = [...entries];
  let attempt = 0;
  while (pending.length > 0) {
    attempt += 1;
    let answer: BatchAnswer<S>;
    try {
      answer = await call(pending);
    } catch (error) {
      const fatal = isFatalRequestError(error);
      const retryable = !fatal && isRetryableRequestError(error);
      if (retryable && attempt < retry.maxAttempts) {
        await backoff(retry, attempt);
        continue;
      }
      if (!fatal && !retryable && split && pending.length > 1) {
        return runSingly(pending, call, retry, attempt, outcomes);
      }
      failAll(outcomes, pending, () => requestFailure(error), attempt);
      return fatal ? { outcomes, fatal: error } : { outcomes };
    }
    pending = settleAnswer(answer, pending, attempt, retry, outcomes);
    if (pending.length > 0) await backoff(retry, attempt);
  }
  return { outcomes };
}

/**
 * The failure of an entry that was not tried because an earlier request of the same operation failed in a
 * way no later request can pass (`SQS_ABORTED`).
 */
export function abortedFailure(cause: unknown): EntryFailure {
  return {
    code: 'SQS_ABORTED',
    reason: `Not attempted: an earlier request failed in a way no later request can pass (${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)})`,
    senderFault: false,
    cause,
  };
}

/**
 * The batch requests of one operation (one `sendEach`, one `deleteAll`): each batch runs through
 * {@link runBatch}, and once a request has failed in a way no later request can pass (no queue, no
 * access), the batches after it make no request: their entries fail as `SQS_ABORTED`, 0 attempts.
 */
export class BatchRequests<E extends { Id: string }, S extends { Id?: string | undefined }> {
  #fatal: unknown;

  constructor(
    readonly call: (entries: E[]) => Promise<BatchAnswer<S>>,
    readonly retry: ResolvedRetry,
  ) {}

  /** True once a request has failed fatally: what comes after is not sent. */
  get stopped(): boolean {
    return this.#fatal !== undefined;
  }

  /** The failure of an entry not tried because of that request (call only when {@link stopped}). */
  aborted(): EntryFailure {
    return abortedFailure(this.#fatal);
  }

  /** Every entry's outcome by `Id`. */
  async run(entries: readonly E[]): Promise<Map<string, EntryOutcome<S>>> {
    if (this.stopped) {
      return new Map(entries.map((entry) => [entry.Id, { ok: false, failure: this.aborted(), attempts: 0 }]));
    }
    const run = await runBatch(entries, this.call, this.retry);
    if (run.fatal !== undefined) this.#fatal = run.fatal;
    return run.outcomes;
  }
}

/** Any iterable as an async one. */
export async function* asAsync<T>(items: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  yield* items;
}

/**
 * Runs tasks with at most `concurrency` in flight and yields their results in the order the tasks
 * were started. Memory holds `concurrency` tasks, whatever the input's length.
 */
export async function* inOrder<T>(tasks: AsyncIterable<() => Promise<T>>, concurrency: number): AsyncGenerator<T> {
  const running: Array<Promise<T>> = [];
  try {
    for await (const task of tasks) {
      const started = task();
      // Keep a rejection from being reported as unhandled while it waits its turn.
      started.catch(() => {});
      running.push(started);
      if (running.length >= concurrency) yield await (running.shift() as Promise<T>);
    }
    while (running.length > 0) yield await (running.shift() as Promise<T>);
  } finally {
    // The consumer stopped early: let what is in flight settle before returning.
    await Promise.allSettled(running);
  }
}
