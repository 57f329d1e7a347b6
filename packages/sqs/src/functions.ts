import type { SqsQueue } from './queue.js';
import type { DeleteAllResult, ReceiptTarget } from './receipts.js';
import type { MessageProblem, ReceivedMessage, ReceiveOptions } from './receive.js';
import type { MessageInput, MessageOutput, MessageSchema } from './schema.js';
import type { SendAllOptions, SendAllResult } from './send.js';

/**
 * What {@link pullMessages} returns: the valid messages and, apart, those that failed the schema.
 *
 * @example
 * ```ts
 * const { messages, problems } = await pullMessages(queue, 500);
 * ```
 */
export interface PulledMessages<T> {
  messages: Array<ReceivedMessage<T>>;
  problems: MessageProblem[];
}

/**
 * Receives up to `n` messages into arrays (the Python toolkit's `pull_n_number_of_messages`, default
 * 10,000 like it). Unlike it, a message that fails the schema lands in `problems` instead of ending
 * the pull, and polling is long (1 s by default), so an empty answer means an empty queue. For large
 * `n`, iterate {@link SqsQueue.receive} instead: this holds every message in memory.
 *
 * @example
 * ```ts
 * const { messages, problems } = await pullMessages(queue, 100, { visibilityTimeout: 300 });
 * await acknowledgeMessages(queue, messages);
 * ```
 */
export async function pullMessages<S extends MessageSchema>(
  queue: SqsQueue<S>,
  n = 10_000,
  options: Omit<ReceiveOptions, 'max'> = {},
): Promise<PulledMessages<MessageOutput<S>>> {
  const messages: Array<ReceivedMessage<MessageOutput<S>>> = [];
  const problems: MessageProblem[] = [];
  for await (const item of queue.receive({ ...options, max: n })) {
    if (item.ok) messages.push(item);
    else problems.push(item);
  }
  return { messages, problems };
}

/**
 * Deletes received messages (the Python toolkit's `acknowledge_messages`), 10 per request, and
 * returns the ones SQS refused instead of dropping the answer.
 *
 * @example
 * ```ts
 * const { deleted, failed } = await acknowledgeMessages(queue, messages);
 * ```
 */
export function acknowledgeMessages<S extends MessageSchema>(
  queue: SqsQueue<S>,
  messages: Iterable<ReceiptTarget> | AsyncIterable<ReceiptTarget>,
): Promise<DeleteAllResult> {
  return queue.deleteAll(messages);
}

/**
 * Sends messages in batches (the Python toolkit's `SQSQueue.send_messages`), returning a result per
 * message instead of a list of booleans.
 *
 * @example
 * ```ts
 * const { failed } = await sendMessages(queue, contacts);
 * ```
 */
export function sendMessages<S extends MessageSchema>(
  queue: SqsQueue<S>,
  messages: Iterable<MessageInput<S>> | AsyncIterable<MessageInput<S>>,
  options?: SendAllOptions<MessageInput<S>>,
): Promise<SendAllResult<MessageInput<S>>> {
  return queue.sendAll(messages, options);
}
