import type { BatchResultErrorEntry } from '@aws-sdk/client-sqs';
import { asAsync, BatchRequests, type EntryFailure, inOrder, type ResolvedRetry, type RetryOptions } from './batch.js';
import { assertWhole, MAX_BATCH_ENTRIES } from './limits.js';

// Operations on receipt handles (delete, change visibility): 10 handles a request, several requests in
// flight, and every handle SQS refused reported with its reason.

/**
 * What receipt-handle operations take: a handle, or anything that carries one (a received message, a problem).
 *
 * @example
 * ```ts
 * const targets: ReceiptTarget[] = [item, item.receiptHandle, { receiptHandle: 'AQEB...', messageId: '059f36b4-...' }];
 * ```
 */
export type ReceiptTarget = string | { receiptHandle: string; messageId?: string };

/** One target or many, as operations take them. */
export type ReceiptTargets = ReceiptTarget | Iterable<ReceiptTarget> | AsyncIterable<ReceiptTarget>;

/**
 * A receipt handle SQS refused to delete or to change the visibility of.
 *
 * @example
 * ```ts
 * for (const { messageId, error } of (await queue.deleteAll(items)).failed) logger.warn(error.reason, { messageId, code: error.code });
 * ```
 */
export interface ReceiptFailure {
  receiptHandle: string;
  messageId?: string;
  error: EntryFailure;
  attempts: number;
}

/**
 * What {@link SqsQueue.deleteAll} returns.
 *
 * @example
 * ```ts
 * const { deleted, failed } = await queue.deleteAll(messages);
 * if (failed.length > 0) logger.warn('not deleted', { failed: failed.map((f) => f.error.code) });
 * ```
 */
export interface DeleteAllResult {
  deleted: number;
  failed: ReceiptFailure[];
}

/**
 * Options of {@link SqsQueue.deleteAll} and {@link SqsQueue.changeVisibility}.
 *
 * @example
 * ```ts
 * await queue.deleteAll(handles, { concurrency: 8, retry: { maxAttempts: 6 } });
 * ```
 */
export interface ReceiptOptions {
  /** Batch requests in flight at once. Default 4. */
  concurrency?: number;
  /** How failed entries are retried. Default: the queue's. */
  retry?: RetryOptions;
}

/**
 * What {@link SqsQueue.changeVisibility} returns.
 *
 * @example
 * ```ts
 * const { changed, failed } = await queue.changeVisibility(inFlight, 300);
 * ```
 */
export interface ChangeVisibilityResult {
  changed: number;
  failed: ReceiptFailure[];
}

type Target = { receiptHandle: string; messageId?: string };
type ReceiptEntry = { Id: string; ReceiptHandle: string };
/** One batch request of a receipt operation (the queue URL and any other field are the caller's). */
export type ReceiptCall = (entries: ReceiptEntry[]) => Promise<{
  Successful?: Array<{ Id?: string | undefined }> | undefined;
  Failed?: BatchResultErrorEntry[] | undefined;
}>;
interface Tally {
  succeeded: number;
  failed: ReceiptFailure[];
}

/** One target or many; a lone handle is a string, and so iterable: it is one target, not its characters. */
function asTargets(targets: ReceiptTargets): Iterable<ReceiptTarget> | AsyncIterable<ReceiptTarget> {
  if (typeof targets === 'string') return [targets];
  if (Symbol.iterator in targets || Symbol.asyncIterator in targets) {
    return targets as Iterable<ReceiptTarget> | AsyncIterable<ReceiptTarget>;
  }
  return [targets as ReceiptTarget];
}

/** The handle and message id of a target, and nothing else it carries. */
function targetOf(target: ReceiptTarget): Target {
  if (typeof target === 'string') return { receiptHandle: target };
  const { receiptHandle, messageId } = target;
  return messageId === undefined ? { receiptHandle } : { receiptHandle, messageId };
}

async function* batchesOf(targets: ReceiptTargets): AsyncGenerator<Target[]> {
  let batch: Target[] = [];
  for await (const target of asAsync(asTargets(targets))) {
    batch.push(targetOf(target));
    if (batch.length === MAX_BATCH_ENTRIES) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Runs a receipt operation over every target, {@link MAX_BATCH_ENTRIES} a request, and counts the
 * handles SQS took and reports each one it refused.
 */
export async function receiptBatches(
  targets: ReceiptTargets,
  options: ReceiptOptions,
  retry: ResolvedRetry,
  call: ReceiptCall,
): Promise<Tally> {
  const concurrency = options.concurrency ?? 4;
  assertWhole('concurrency', concurrency, 1, 64);
  const requests = new BatchRequests(call, retry);
  const flush = (batch: Target[]) => async (): Promise<Tally> => {
    const entries = batch.map((target, index) => ({ Id: String(index), ReceiptHandle: target.receiptHandle }));
    const outcomes = await requests.run(entries);
    const tally: Tally = { succeeded: 0, failed: [] };
    batch.forEach((target, index) => {
      const outcome = outcomes.get(String(index));
      if (outcome?.ok) tally.succeeded += 1;
      else
        tally.failed.push({
          ...target,
          error: outcome?.failure ?? { code: 'SQS_ENTRY_UNREPORTED', reason: 'no result', senderFault: false },
          attempts: outcome?.attempts ?? 0,
        });
    });
    return tally;
  };
  async function* tasks(): AsyncGenerator<() => Promise<Tally>> {
    for await (const batch of batchesOf(targets)) yield flush(batch);
  }
  const total: Tally = { succeeded: 0, failed: [] };
  // In input order: batches are yielded in the order they were started.
  for await (const tally of inOrder(tasks(), concurrency)) {
    total.succeeded += tally.succeeded;
    total.failed.push(...tally.failed);
  }
  return total;
}
