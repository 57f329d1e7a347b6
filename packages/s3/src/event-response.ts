// Answering an S3 event: every object handed to a callback, and the SQS messages to deliver again reported as
// Lambda's partial batch failures (parsing the event itself is events.ts).
import { forEachConcurrently, InputError } from '@kicksaw/core';
import { fromRecord, isObject, type Json, optionalString, parseS3Event, type S3ObjectRef } from './events.js';

/**
 * A callback's answer for an object it has not finished and that must come again, as a value rather than
 * a thrown error: the work is parked for a later delivery, or another invocation is doing it right now.
 * Built with {@link notDone}; {@link respondToS3Event} reports the object as not done (its SQS message in
 * `batchItemFailures`) without calling it a failure.
 */
export interface NotDone<N> {
  readonly [NOT_DONE]: true;
  /** What the callback says about the object (e.g. how far it got). */
  readonly value: N;
}

const NOT_DONE: unique symbol = Symbol.for('@kicksaw/s3.notDone');

/**
 * Marks a callback's answer as "not done, deliver it again" (see {@link NotDone}).
 *
 * @example
 * ```ts
 * const { batchItemFailures } = await respondToS3Event(event, async (ref) => {
 *   const run = await importFile(ref);
 *   return run.finished ? run : notDone(run); // an unfinished run's SQS message comes back
 * });
 * ```
 */
export function notDone<N>(value: N): NotDone<N> {
  return { [NOT_DONE]: true, value };
}

function isNotDone(value: unknown): value is NotDone<unknown> {
  return typeof value === 'object' && value !== null && (value as { [NOT_DONE]?: unknown })[NOT_DONE] === true;
}

/**
 * The outcome of one object in {@link respondToS3Event}: done (`ok`), failed (`error`), or not done yet
 * (`notDone`, when the callback answered {@link notDone}; absent from the type when it never does).
 */
export type S3EventResult<T, N = never> =
  | { ref: S3ObjectRef; ok: true; value: T }
  | { ref: S3ObjectRef; ok: false; error: unknown }
  | ([N] extends [never] ? never : { ref: S3ObjectRef; ok: false; notDone: N });

/**
 * What {@link respondToS3Event} returns.
 *
 * @example
 * ```ts
 * const { results, batchItemFailures } = await respondToS3Event(event, importFile);
 * const failed = results.filter((result) => !result.ok).length;
 * return { batchItemFailures };
 * ```
 */
export interface S3EventResponse<T, N = never> {
  /** One entry per object, in event order. */
  results: Array<S3EventResult<T, N>>;
  /**
   * The SQS messages to retry: those whose object failed or is not done, or whose body was not an S3 event. Return
   * `{ batchItemFailures }` from a Lambda with `ReportBatchItemFailures` on its SQS trigger.
   */
  batchItemFailures: Array<{ itemIdentifier: string }>;
  /** SQS messages whose body could not be read as an S3 event (also listed in `batchItemFailures`). */
  rejected: Array<{ messageId: string; error: InputError }>;
}

/** Options of {@link respondToS3Event}. */
export interface RespondToS3EventOptions {
  /** How many callbacks run at once. Default 1 (one object after the other). */
  concurrency?: number;
}

/**
 * Runs `callback` for every object an event names (see {@link parseS3Event}) and collects each
 * object's outcome; a failing callback never stops the others. A callback that has not finished an
 * object (parked, or held by another invocation) answers {@link notDone} instead of throwing: the
 * object is `notDone` in `results` and, like a failed one, its SQS message is in `batchItemFailures`.
 * For SQS events, a message whose body is not an S3 event is reported in `rejected` and retried
 * through `batchItemFailures` instead of failing the whole batch.
 *
 * @throws InputError when the event itself is not one this package understands.
 * @example
 * ```ts
 * export const handler = async (event: unknown) => {
 *   const { batchItemFailures } = await respondToS3Event(event, (ref) => importFile(ref), { concurrency: 2 });
 *   return { batchItemFailures };
 * };
 * ```
 */
export async function respondToS3Event<T, N = never>(
  event: unknown,
  callback: (ref: S3ObjectRef) => Promise<T | NotDone<N>>,
  options: RespondToS3EventOptions = {},
): Promise<S3EventResponse<T, N>> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number of at least 1, got ${String(concurrency)}`);
  }
  const rejected: Array<{ messageId: string; error: InputError }> = [];
  let refs: S3ObjectRef[];
  const records = isObject(event) && Array.isArray(event.Records) ? event.Records : undefined;
  const isSqs =
    records !== undefined && records.length > 0 && records.every((r) => isObject(r) && r.eventSource === 'aws:sqs');
  if (isSqs && records) {
    refs = [];
    records.forEach((record, index) => {
      try {
        refs.push(...fromRecord(record, `event.Records[${index}]`));
      } catch (error) {
        const messageId = optionalString((record as Json).messageId);
        if (!(error instanceof InputError) || messageId === undefined) throw error;
        rejected.push({ messageId, error });
      }
    });
  } else {
    refs = parseS3Event(event);
  }

  const results: Array<S3EventResult<T, N>> = new Array(refs.length);
  await forEachConcurrently(refs, concurrency, async (ref, index) => {
    try {
      const value = await callback(ref);
      results[index] = isNotDone(value)
        ? ({ ref, ok: false, notDone: value.value as N } as S3EventResult<T, N>)
        : { ref, ok: true, value: value as T };
    } catch (error) {
      results[index] = { ref, ok: false, error };
    }
  });

  const failed = new Set<string>(rejected.map((r) => r.messageId));
  for (const result of results) {
    if (!result.ok && result.ref.messageId !== undefined) failed.add(result.ref.messageId);
  }
  // In the batch's order, each message once.
  const order = (records ?? []).map((record) => (isObject(record) ? optionalString(record.messageId) : undefined));
  const batchItemFailures = order
    .filter((id, index): id is string => id !== undefined && failed.has(id) && order.indexOf(id) === index)
    .map((itemIdentifier) => ({ itemIdentifier }));
  return { results, batchItemFailures, rejected };
}
