import { type Message, type MessageAttributeValue, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { assertWhole, MAX_BATCH_ENTRIES } from './limits.js';
import {
  decodeAndCheck,
  type MessageDecoder,
  type MessageIssue,
  type MessageOutput,
  type MessageSchema,
} from './schema.js';

// Receiving: long-polling requests until `max` messages or an empty queue, each message decoded and
// checked against the schema; one that fails is a problem beside the valid ones, never an exception.

/**
 * Options of {@link SqsQueue.receive}.
 *
 * @example
 * ```ts
 * for await (const item of queue.receive({ max: Infinity, waitTimeSeconds: 20, visibilityTimeout: 300 })) handle(item);
 * ```
 */
export interface ReceiveOptions {
  /** Stop after this many messages (valid or not). Default 10; `Infinity` drains the queue. */
  max?: number;
  /**
   * Long polling: seconds (0-20) each request waits for a message when none is there. Default 1.
   * Any value above 0 asks every SQS server, so an empty answer means an empty queue; 0 asks a
   * sample of servers and may answer empty while messages remain.
   */
  waitTimeSeconds?: number;
  /** Seconds (0-43,200) the received messages stay hidden from other consumers. Default: the queue's. */
  visibilityTimeout?: number;
  /** Stops a waiting request. */
  signal?: AbortSignal;
}

interface ReceivedBase {
  messageId: string;
  receiptHandle: string;
  /** The body as SQS delivered it. */
  rawBody: string;
  /** System attributes (`ApproximateReceiveCount`, `SentTimestamp`, `MessageGroupId`, ...). */
  attributes: Record<string, string>;
  messageAttributes: Record<string, MessageAttributeValue>;
  /** FIFO queues: the message group. */
  groupId?: string;
  /** How many times SQS has handed this message out, this time included. */
  receiveCount: number;
}

/**
 * A received message that passed its schema.
 *
 * @example
 * ```ts
 * if (item.ok) await sync(item.body, { attempt: item.receiveCount });
 * ```
 */
export interface ReceivedMessage<T> extends ReceivedBase {
  ok: true;
  /** The body, decoded and checked: the schema's output. */
  body: T;
}

/**
 * A received message that failed its schema (or was not JSON). It stays in the queue until you
 * delete it or it reaches the queue's dead-letter queue; its receipt handle is here for either.
 *
 * @example
 * ```ts
 * if (!item.ok) logger.warn('bad message', { id: item.messageId, body: item.rawBody, issues: item.issues });
 * ```
 */
export interface MessageProblem extends ReceivedBase {
  ok: false;
  issues: MessageIssue[];
}

/**
 * One item of {@link SqsQueue.receive}: a valid message (`ok: true`) or a problem (`ok: false`).
 *
 * @example
 * ```ts
 * const items: Array<Received<Contact>> = await Array.fromAsync(queue.receive({ max: 50 }));
 * ```
 */
export type Received<T> = ReceivedMessage<T> | MessageProblem;

/** What receiving needs of the queue. */
export interface ReceiveSettings<S extends MessageSchema> {
  client: SQSClient;
  queueUrl: string;
  schema: S;
  decode: MessageDecoder;
}

/** Checks the options of a receive, as RangeErrors naming the setting. */
export function checkReceiveOptions(options: ReceiveOptions): void {
  const max = options.max ?? 10;
  if (max !== Number.POSITIVE_INFINITY) assertWhole('max', max, 1, Number.MAX_SAFE_INTEGER);
  assertWhole('waitTimeSeconds', options.waitTimeSeconds ?? 1, 0, 20);
  if (options.visibilityTimeout !== undefined) assertWhole('visibilityTimeout', options.visibilityTimeout, 0, 43_200);
}

async function parseReceived<S extends MessageSchema>(
  settings: ReceiveSettings<S>,
  message: Message,
): Promise<Received<MessageOutput<S>>> {
  const rawBody = message.Body ?? '';
  const attributes = (message.Attributes ?? {}) as Record<string, string>;
  const base: ReceivedBase = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    rawBody,
    attributes,
    messageAttributes: message.MessageAttributes ?? {},
    receiveCount: Number(attributes.ApproximateReceiveCount ?? 1),
  };
  if (attributes.MessageGroupId) base.groupId = attributes.MessageGroupId;
  const checked = await decodeAndCheck(settings.schema, rawBody, settings.decode);
  return checked.ok ? { ...base, ok: true, body: checked.value } : { ...base, ok: false, issues: checked.issues };
}

/** Receives until `max` messages came or the queue answers empty (options checked by {@link checkReceiveOptions}). */
export async function* receiveMessages<S extends MessageSchema>(
  settings: ReceiveSettings<S>,
  options: ReceiveOptions,
): AsyncGenerator<Received<MessageOutput<S>>> {
  const max = options.max ?? 10;
  let received = 0;
  while (received < max) {
    const answer = await settings.client.send(
      new ReceiveMessageCommand({
        QueueUrl: settings.queueUrl,
        MaxNumberOfMessages: Math.min(MAX_BATCH_ENTRIES, max - received),
        WaitTimeSeconds: options.waitTimeSeconds ?? 1,
        VisibilityTimeout: options.visibilityTimeout,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    const batch = answer.Messages ?? [];
    if (batch.length === 0) return;
    for (const message of batch) {
      received += 1;
      yield await parseReceived(settings, message);
    }
  }
}
