import { SendMessageBatchCommand, type SendMessageBatchResultEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { asAsync, BatchRequests, type EntryOutcome, inOrder, type ResolvedRetry } from './batch.js';
import { MAX_BATCH_ENTRIES } from './limits.js';
import {
  type EntrySettings,
  type PreparedEntry,
  prepareEntry,
  type SendFailure,
  type SendOptions,
} from './message-entry.js';
import type { MessageSchema } from './schema.js';

// Sending a stream of messages in batches: each message prepared (or refused) on its own, batches closed
// at 10 entries or the batch byte limit, several in flight on a standard queue, one result per message.

/**
 * Options of {@link SqsQueue.sendAll} and {@link SqsQueue.sendEach}.
 *
 * @example
 * ```ts
 * await queue.sendAll(rows, { concurrency: 8, attributes: { source: 'nightly-import' } });
 * ```
 */
export interface SendAllOptions<I> extends SendOptions<I> {
  /**
   * Batch requests in flight at once on a standard queue. Default 4. FIFO queues always send one
   * batch after the other, so that order within a group holds.
   */
  concurrency?: number;
}

/**
 * A message SQS accepted.
 *
 * @example
 * ```ts
 * if (result.ok) logger.info('queued', { id: result.messageId, row: result.index });
 * ```
 */
export interface SentMessage<I> {
  ok: true;
  /** The message's 0-based position in the input. */
  index: number;
  /** The message as it was given. */
  message: I;
  messageId: string;
  /** FIFO queues: SQS's sequence number. */
  sequenceNumber?: string;
  /** Requests it took, the first included. */
  attempts: number;
}

/**
 * A message that was not sent, and why.
 *
 * @example
 * ```ts
 * for (const unsent of (await queue.sendAll(rows)).failed) report.add(unsent.index, unsent.error.reason);
 * ```
 */
export interface UnsentMessage<I> {
  ok: false;
  index: number;
  message: I;
  error: SendFailure;
  /** Requests tried for it (0 when it was refused before any request: invalid, too large, aborted). */
  attempts: number;
}

/**
 * The outcome of one message of {@link SqsQueue.sendAll}.
 *
 * @example
 * ```ts
 * const text = result.ok ? `sent as ${result.messageId}` : `not sent: ${result.error.reason}`;
 * ```
 */
export type SendResult<I> = SentMessage<I> | UnsentMessage<I>;

/**
 * What {@link SqsQueue.sendAll} returns: one result per input message, in input order.
 *
 * @example
 * ```ts
 * const { sent, failed } = await queue.sendAll(messages);
 * for (const { message, error } of failed) logger.error(error.reason, { code: error.code, message });
 * ```
 */
export interface SendAllResult<I> {
  results: Array<SendResult<I>>;
  /** How many were accepted. */
  sent: number;
  /** The results of the messages that were not. */
  failed: Array<UnsentMessage<I>>;
}

/** Where and how a queue's sends go. */
export interface SendSettings<S extends MessageSchema> extends EntrySettings<S> {
  client: SQSClient;
  queueUrl: string;
  maxBatchBytes: number;
  /** Batch requests in flight at once (1 on a FIFO queue). */
  concurrency: number;
  retry: ResolvedRetry;
}

type Entry = PreparedEntry['entry'];
/** A message in a batch: its entry and the message as it was given. */
type Pending<I> = PreparedEntry & { message: I };
/** One unit of work: a batch request, or a result known without one. */
type Task<I> = () => Promise<Array<SendResult<I>>>;

function resultOf<I>(
  { index, message }: { index: number; message: I },
  outcome: EntryOutcome<SendMessageBatchResultEntry>,
): SendResult<I> {
  if (!outcome.ok) return { ok: false, index, message, error: outcome.failure, attempts: outcome.attempts };
  const sent: SentMessage<I> = {
    ok: true,
    index,
    message,
    messageId: outcome.success.MessageId ?? '',
    attempts: outcome.attempts,
  };
  if (outcome.success.SequenceNumber) sent.sequenceNumber = outcome.success.SequenceNumber;
  return sent;
}

/**
 * Sends messages as they come and yields each message's result once its batch is answered, in the
 * order batches were started (a refused message comes ahead of the batch of the ones before it).
 * Memory holds the batches in flight, whatever the input's length.
 */
export async function* sendInBatches<S extends MessageSchema, I>(
  settings: SendSettings<S>,
  messages: Iterable<I> | AsyncIterable<I>,
  options: SendOptions<I>,
): AsyncGenerator<SendResult<I>> {
  const requests = new BatchRequests<Entry, SendMessageBatchResultEntry>(
    (entries) => settings.client.send(new SendMessageBatchCommand({ QueueUrl: settings.queueUrl, Entries: entries })),
    settings.retry,
  );
  const settled =
    (result: UnsentMessage<I>): Task<I> =>
    () =>
      Promise.resolve([result]);
  const flush =
    (batch: Array<Pending<I>>): Task<I> =>
    async () => {
      const outcomes = await requests.run(batch.map((pending) => pending.entry));
      return batch.map((pending) => {
        const outcome = outcomes.get(pending.entry.Id);
        if (outcome === undefined) throw new Error(`unreachable: no outcome for entry ${pending.entry.Id}`);
        return resultOf(pending, outcome);
      });
    };

  async function* tasks(): AsyncGenerator<Task<I>> {
    let batch: Array<Pending<I>> = [];
    let bytes = 0;
    let index = 0;
    for await (const message of asAsync(messages)) {
      const at = index++;
      if (requests.stopped) {
        yield settled({ ok: false, index: at, message, attempts: 0, error: requests.aborted() });
        continue;
      }
      const prepared = await prepareEntry(settings, message, at, options);
      if ('error' in prepared) {
        yield settled({ ok: false, index: at, message, attempts: 0, error: prepared.error });
        continue;
      }
      if (batch.length === MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + prepared.size > settings.maxBatchBytes)) {
        yield flush(batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ ...prepared, message });
      bytes += prepared.size;
    }
    if (batch.length > 0) yield flush(batch);
  }

  for await (const results of inOrder(tasks(), settings.concurrency)) yield* results;
}

/** Every result of {@link sendInBatches}, placed by input index, with the count sent and the failures. */
export async function collectResults<I>(results: AsyncIterable<SendResult<I>>): Promise<SendAllResult<I>> {
  const all: Array<SendResult<I>> = [];
  let sent = 0;
  // Results come as batches complete (a refused message before the batch of earlier ones): place by index.
  for await (const result of results) {
    all[result.index] = result;
    if (result.ok) sent += 1;
  }
  const failed = all.filter((result): result is UnsentMessage<I> => !result.ok);
  return { results: all, sent, failed };
}
