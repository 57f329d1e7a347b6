import { createHash } from 'node:crypto';
import {
  type BatchResultErrorEntry,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SendMessageBatchResultEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ConfigError } from '@kicksaw/core';
import { type EntryFailure, inOrder, type ResolvedRetry, type RetryOptions, resolveRetry, runBatch } from './batch.js';
import { isQueueNotFound, SqsQueueNotFoundError } from './errors.js';
import { assertWhole, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, MAX_MESSAGE_BYTES, messageSize } from './limits.js';
import {
  check,
  decodeAndCheck,
  jsonDecoder,
  jsonEncoder,
  type MessageDecoder,
  type MessageEncoder,
  type MessageInput,
  type MessageIssue,
  type MessageOutput,
  type MessageSchema,
} from './schema.js';

/**
 * A message attribute as you give it: a string (`String`), a number (`Number`), bytes (`Binary`), or
 * the SDK's full `MessageAttributeValue` for custom types such as `String.email`.
 *
 * @example
 * ```ts
 * const values: AttributeValue[] = ['crm', 3, new Uint8Array([1]), { DataType: 'String.email', StringValue: 'a@b.co' }];
 * ```
 */
export type AttributeValue = string | number | Uint8Array | MessageAttributeValue;

/**
 * Message attributes by name (SQS takes up to 10 per message).
 *
 * @example
 * ```ts
 * const attributes: MessageAttributes = { source: 'crm', attempt: 2, trace: { DataType: 'String.trace', StringValue: 'abc' } };
 * ```
 */
export type MessageAttributes = Record<string, AttributeValue>;

/**
 * A value for every message (a constant) or one per message (a function of the message and its input index).
 *
 * @example
 * ```ts
 * const groupId: PerMessage<{ accountId: string }, string> = (message) => message.accountId;
 * ```
 */
export type PerMessage<I, V> = V | ((message: I, index: number) => V);

/**
 * How messages are sent. Each setting is a constant or a function of the message.
 *
 * @example
 * ```ts
 * await orders.sendAll(rows, {
 *   groupId: (order) => order.accountId,          // FIFO: order kept per account
 *   deduplication: 'body-hash',                    // FIFO: the same body twice in 5 minutes is sent once
 *   attributes: (order) => ({ source: 'crm', priority: order.priority }),
 * });
 * ```
 */
export interface SendOptions<I> {
  /** FIFO queues: the message group (`MessageGroupId`), required there. Standard queues pass it on (fair queues). */
  groupId?: PerMessage<I, string>;
  /** FIFO queues: the `MessageDeduplicationId`. Without it, `deduplication` decides. */
  deduplicationId?: PerMessage<I, string>;
  /**
   * FIFO queues without `deduplicationId`: `queue` (default) sends no id and relies on the queue's
   * content-based deduplication (SQS refuses the message when that is off); `body-hash` sends the
   * SHA-256 of the body as the id, which deduplicates by content on any FIFO queue.
   */
  deduplication?: 'queue' | 'body-hash';
  /** Standard queues: seconds (0-900) before the message can be received. FIFO queues only take a queue-wide delay. */
  delaySeconds?: PerMessage<I, number>;
  /** Message attributes. They count toward the message's size. */
  attributes?: PerMessage<I, MessageAttributes>;
  /** Check each message against the schema before sending (an invalid one is a result, not sent). Default true. */
  validate?: boolean;
  /** How failed entries are retried. */
  retry?: RetryOptions;
}

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
 * Why a message was not sent: SQS's reason, or this package's. Codes of this package:
 * `SQS_MESSAGE_INVALID` (fails the schema; `issues` says how), `SQS_MESSAGE_TOO_LARGE`,
 * `SQS_MESSAGE_UNENCODABLE`, `SQS_GROUP_ID_MISSING`, `SQS_ABORTED` (an earlier request showed the
 * queue or the credentials unusable, so no request was made for it).
 *
 * @example
 * ```ts
 * if (!result.ok && result.error.code === 'SQS_MESSAGE_TOO_LARGE') await parkInS3(result.message);
 * ```
 */
export interface SendFailure extends EntryFailure {
  issues?: MessageIssue[];
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

/**
 * What receipt-handle operations take: a handle, or anything that carries one (a received message, a problem).
 *
 * @example
 * ```ts
 * const targets: ReceiptTarget[] = [item, item.receiptHandle, { receiptHandle: 'AQEB...', messageId: '059f36b4-...' }];
 * ```
 */
export type ReceiptTarget = string | { receiptHandle: string; messageId?: string };

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

/**
 * Options of {@link SqsQueue}: a client, a schema, and where the queue is: `queueUrl`, or
 * `queueName` (with `accountId`, the URL is built for `region`; without, SQS's GetQueueUrl finds it).
 *
 * @example
 * ```ts
 * const options: SqsQueueOptions<typeof contact> = { client, schema: contact, queueName: 'contacts', accountId: '123456789012' };
 * ```
 */
export interface SqsQueueOptions<S extends MessageSchema> {
  client: SQSClient;
  schema: S;
  queueUrl?: string;
  queueName?: string;
  /** The account that owns the queue, with `queueName`. */
  accountId?: string;
  /** The queue's region, with `queueName` and `accountId`. Default: the client's region. */
  region?: string;
  /** Body to value. Default `JSON.parse`. */
  decode?: MessageDecoder;
  /** Value to body. Default `JSON.stringify`. */
  encode?: MessageEncoder;
  /** Largest message sent, attributes included. Default {@link MAX_MESSAGE_BYTES} (1 MiB); lower it to match a queue's `MaximumMessageSize`. */
  maxMessageBytes?: number;
  /** Largest batch request sent. Default {@link MAX_BATCH_BYTES} (1 MiB). */
  maxBatchBytes?: number;
  /** Default retry settings of every operation. */
  retry?: RetryOptions;
}

interface Prepared {
  index: number;
  entry: SendMessageBatchRequestEntry & { Id: string };
  size: number;
}

function resolvePer<I, V>(value: PerMessage<I, V> | undefined, message: I, index: number): V | undefined {
  return typeof value === 'function' ? (value as (message: I, index: number) => V)(message, index) : value;
}

function toSdkAttributes(attributes: MessageAttributes | undefined): Record<string, MessageAttributeValue> | undefined {
  if (attributes === undefined) return undefined;
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'string') out[name] = { DataType: 'String', StringValue: value };
    else if (typeof value === 'number') out[name] = { DataType: 'Number', StringValue: String(value) };
    else if (value instanceof Uint8Array) out[name] = { DataType: 'Binary', BinaryValue: value };
    else out[name] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** One target or many; a lone handle is a string, and so iterable: it is one target, not its characters. */
function asTargets(
  targets: ReceiptTarget | Iterable<ReceiptTarget> | AsyncIterable<ReceiptTarget>,
): Iterable<ReceiptTarget> | AsyncIterable<ReceiptTarget> {
  if (typeof targets === 'string') return [targets];
  if (Symbol.iterator in targets || Symbol.asyncIterator in targets) {
    return targets as Iterable<ReceiptTarget> | AsyncIterable<ReceiptTarget>;
  }
  return [targets as ReceiptTarget];
}

function targetOf(target: ReceiptTarget): { receiptHandle: string; messageId?: string } {
  return typeof target === 'string' ? { receiptHandle: target } : target;
}

async function* asAsync<T>(items: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** The standard SQS endpoint's queue URL. */
function queueUrlFor(region: string, accountId: string, name: string): string {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${accountId}/${name}`;
}

/**
 * An SQS queue whose messages follow a schema (zod 4 or any Standard Schema). Sends go in batches of
 * at most 10 entries and 1 MiB with a result per message and retries of what failed for a transient
 * reason; receives long-poll until `max` or an empty queue and hand back messages that fail the
 * schema as problems beside the valid ones; deletes and visibility changes report each failure. The
 * Python toolkit's `SQSQueue[Model]`, with results instead of log lines.
 *
 * @example
 * ```ts
 * import { SQSClient } from '@aws-sdk/client-sqs';
 * import { z } from 'zod';
 *
 * const queue = new SqsQueue({
 *   client: new SQSClient({}),
 *   schema: z.object({ contactId: z.string(), email: z.email() }),
 *   queueName: 'contacts-to-sync',
 * });
 * const { failed } = await queue.sendAll([{ contactId: '003A', email: 'ada@example.com' }]);
 * for await (const item of queue.receive({ max: 100 })) {
 *   if (item.ok) await sync(item.body);
 *   else logger.warn('bad message', { body: item.rawBody, issues: item.issues });
 * }
 * ```
 */
export class SqsQueue<S extends MessageSchema> {
  /** The client requests go through. */
  readonly client: SQSClient;
  /** The schema messages follow. */
  readonly schema: S;
  /** The queue's name (the last part of its URL). */
  readonly name: string;
  /** True for a FIFO queue (its name ends in `.fifo`). */
  readonly fifo: boolean;
  readonly #options: SqsQueueOptions<S>;
  readonly #decode: MessageDecoder;
  readonly #encode: MessageEncoder;
  readonly #maxMessageBytes: number;
  readonly #maxBatchBytes: number;
  readonly #retry: ResolvedRetry;
  #url: Promise<string> | undefined;

  constructor(options: SqsQueueOptions<S>) {
    if (!options.queueUrl && !options.queueName) {
      throw new ConfigError('is required', {
        setting: 'queueUrl',
        hint: 'Pass queueUrl (https://sqs.<region>.amazonaws.com/<account>/<name>) or queueName.',
      });
    }
    this.client = options.client;
    this.schema = options.schema;
    this.#options = options;
    const name = options.queueName ?? new URL(options.queueUrl as string).pathname.split('/').filter(Boolean).at(-1);
    if (!name) {
      throw new ConfigError(`has no queue name in its path: "${options.queueUrl}"`, { setting: 'queueUrl' });
    }
    this.name = name;
    this.fifo = name.endsWith('.fifo');
    this.#decode = options.decode ?? jsonDecoder;
    this.#encode = options.encode ?? jsonEncoder;
    this.#maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.#maxBatchBytes = options.maxBatchBytes ?? MAX_BATCH_BYTES;
    assertWhole('maxMessageBytes', this.#maxMessageBytes, 1, MAX_MESSAGE_BYTES);
    assertWhole('maxBatchBytes', this.#maxBatchBytes, 1, MAX_BATCH_BYTES);
    this.#retry = resolveRetry(options.retry);
    if (options.queueUrl) this.#url = Promise.resolve(options.queueUrl);
  }

  /**
   * The queue's URL: the one given, one built from name, account and region, or (name alone) the one
   * GetQueueUrl answers, asked once.
   *
   * @throws SqsQueueNotFoundError when SQS knows no such queue.
   * @example
   * ```ts
   * const url = await queue.url(); // https://sqs.us-east-1.amazonaws.com/123456789012/contacts-to-sync
   * ```
   */
  url(): Promise<string> {
    if (this.#url === undefined) {
      const pending = this.#resolveUrl();
      this.#url = pending;
      // A failed lookup is asked again next time.
      pending.catch(() => {
        if (this.#url === pending) this.#url = undefined;
      });
    }
    return this.#url;
  }

  async #resolveUrl(): Promise<string> {
    const { queueName, accountId } = this.#options;
    const name = queueName as string;
    if (accountId) {
      const region = this.#options.region ?? (await this.client.config.region());
      return queueUrlFor(region, accountId, name);
    }
    try {
      const answer = await this.client.send(new GetQueueUrlCommand({ QueueName: name }));
      if (!answer.QueueUrl) throw new SqsQueueNotFoundError({ queue: name });
      return answer.QueueUrl;
    } catch (error) {
      if (isQueueNotFound(error)) throw new SqsQueueNotFoundError({ queue: name, cause: error });
      throw error;
    }
  }

  /**
   * Sends one message. Never throws for the message's own problems: the result says whether SQS took
   * it (`messageId`) or why not.
   *
   * @example
   * ```ts
   * const result = await queue.send({ contactId: '003A', email: 'ada@example.com' }, { attributes: { source: 'crm' } });
   * if (!result.ok) throw new Error(result.error.reason);
   * ```
   */
  async send(
    message: MessageInput<S>,
    options: SendOptions<MessageInput<S>> = {},
  ): Promise<SendResult<MessageInput<S>>> {
    for await (const result of this.sendEach([message], options)) return result;
    throw new Error('unreachable: sendEach gave no result for one message');
  }

  /**
   * Sends every message and collects one result per message, in input order. What SQS still refuses
   * after retries is in `failed`, with the reason; nothing is only logged.
   *
   * @example
   * ```ts
   * const { sent, failed } = await queue.sendAll(contacts, { concurrency: 8 });
   * ```
   */
  async sendAll(
    messages: Iterable<MessageInput<S>> | AsyncIterable<MessageInput<S>>,
    options: SendAllOptions<MessageInput<S>> = {},
  ): Promise<SendAllResult<MessageInput<S>>> {
    const results: Array<SendResult<MessageInput<S>>> = [];
    let sent = 0;
    // sendEach yields as batches complete (a refused message before the batch of earlier ones): place by index.
    for await (const result of this.sendEach(messages, options)) {
      results[result.index] = result;
      if (result.ok) sent += 1;
    }
    const failed = results.filter((result): result is UnsentMessage<MessageInput<S>> => !result.ok);
    return { results, sent, failed };
  }

  /**
   * Sends messages as they come from any iterable (a stream of rows) and yields each message's result
   * once its batch is answered: in the order batches complete, so match results by `index` or
   * `message`, not by position (a message refused before sending comes ahead of its batch). Memory holds the batches in flight, whatever the input's length.
   * Batches close at 10 entries or before the next message would take them past `maxBatchBytes`.
   *
   * @throws SqsQueueNotFoundError when the queue's URL cannot be resolved.
   * @example
   * ```ts
   * for await (const result of queue.sendEach(readRows('contacts.csv'))) {
   *   if (!result.ok) await report.add(result.index, result.error.reason);
   * }
   * ```
   */
  async *sendEach(
    messages: Iterable<MessageInput<S>> | AsyncIterable<MessageInput<S>>,
    options: SendAllOptions<MessageInput<S>> = {},
  ): AsyncGenerator<SendResult<MessageInput<S>>> {
    type I = MessageInput<S>;
    const concurrency = this.fifo ? 1 : (options.concurrency ?? 4);
    assertWhole('concurrency', concurrency, 1, 64);
    const retry = options.retry ? resolveRetry({ ...this.#retry, ...options.retry }) : this.#retry;
    const queueUrl = await this.url();
    const state: { fatal?: unknown } = {};
    const inputs = new Map<number, I>();

    const immediate = (result: UnsentMessage<I>) => () => Promise.resolve([result]);
    const flush = (batch: Prepared[]) => async (): Promise<Array<SendResult<I>>> => {
      if (state.fatal !== undefined) {
        return batch.map(({ index }): SendResult<I> => {
          const message = inputs.get(index) as I;
          inputs.delete(index);
          return { ok: false, index, message, attempts: 0, error: aborted(state.fatal) };
        });
      }
      const run = await runBatch<Prepared['entry'], SendMessageBatchResultEntry>(
        batch.map((prepared) => prepared.entry),
        (entries) => this.client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })),
        retry,
      );
      if (run.fatal !== undefined) state.fatal = run.fatal;
      return batch.map(({ index, entry }): SendResult<I> => {
        const message = inputs.get(index) as I;
        inputs.delete(index);
        const outcome = run.outcomes.get(entry.Id);
        if (outcome === undefined) throw new Error(`unreachable: no outcome for entry ${entry.Id}`);
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
      });
    };

    const self = this;
    async function* tasks(): AsyncGenerator<() => Promise<Array<SendResult<I>>>> {
      let batch: Prepared[] = [];
      let bytes = 0;
      let index = 0;
      for await (const message of asAsync(messages)) {
        const at = index++;
        if (state.fatal !== undefined) {
          yield immediate({ ok: false, index: at, message, attempts: 0, error: aborted(state.fatal) });
          continue;
        }
        const prepared = await self.#prepare(message, at, options);
        if ('error' in prepared) {
          yield immediate({ ok: false, index: at, message, attempts: 0, error: prepared.error });
          continue;
        }
        if (batch.length === MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + prepared.size > self.#maxBatchBytes)) {
          yield flush(batch);
          batch = [];
          bytes = 0;
        }
        inputs.set(at, message);
        batch.push(prepared);
        bytes += prepared.size;
      }
      if (batch.length > 0) yield flush(batch);
    }

    for await (const results of inOrder(tasks(), concurrency)) yield* results;
  }

  async #prepare(
    message: MessageInput<S>,
    index: number,
    options: SendOptions<MessageInput<S>>,
  ): Promise<Prepared | { error: SendFailure }> {
    if (options.validate !== false) {
      let checked: Awaited<ReturnType<typeof check>>;
      try {
        checked = await check(this.schema, message);
      } catch (error) {
        checked = {
          ok: false,
          issues: [{ message: `The schema threw: ${error instanceof Error ? error.message : String(error)}` }],
        };
      }
      if (!checked.ok) {
        return {
          error: {
            code: 'SQS_MESSAGE_INVALID',
            reason: `The message does not match the queue's schema: ${checked.issues.map((i) => i.message).join('; ')}`,
            senderFault: true,
            issues: checked.issues,
          },
        };
      }
    }
    let body: string;
    try {
      body = this.#encode(message);
    } catch (error) {
      return {
        error: {
          code: 'SQS_MESSAGE_UNENCODABLE',
          reason: `The message could not be encoded: ${error instanceof Error ? error.message : String(error)}`,
          senderFault: true,
          cause: error,
        },
      };
    }
    const attributes = toSdkAttributes(resolvePer(options.attributes, message, index));
    const size = messageSize(body, attributes);
    const limit = Math.min(this.#maxMessageBytes, this.#maxBatchBytes);
    if (size > limit) {
      return {
        error: {
          code: 'SQS_MESSAGE_TOO_LARGE',
          reason: `The message is ${size} bytes with its attributes; the limit is ${limit} bytes. Store the payload in S3 and send its key instead.`,
          senderFault: true,
        },
      };
    }
    const entry: Prepared['entry'] = { Id: String(index), MessageBody: body };
    if (attributes) entry.MessageAttributes = attributes;
    const delay = resolvePer(options.delaySeconds, message, index);
    if (delay !== undefined) entry.DelaySeconds = delay;
    const groupId = resolvePer(options.groupId, message, index);
    if (groupId !== undefined) entry.MessageGroupId = groupId;
    if (this.fifo) {
      if (groupId === undefined) {
        return {
          error: {
            code: 'SQS_GROUP_ID_MISSING',
            reason: `FIFO queue ${this.name} needs a message group for every message: pass groupId`,
            senderFault: true,
          },
        };
      }
      const deduplicationId = resolvePer(options.deduplicationId, message, index);
      if (deduplicationId !== undefined) entry.MessageDeduplicationId = deduplicationId;
      else if (options.deduplication === 'body-hash') {
        entry.MessageDeduplicationId = createHash('sha256').update(body).digest('hex');
      }
    }
    return { index, entry, size };
  }

  /**
   * Receives up to `max` messages, long-polling, as an async iterable: it asks again after each
   * batch until `max` messages came or the queue answers empty. Each message is decoded and checked
   * against the schema; one that fails comes as a problem (`ok: false`, with its receipt handle, raw
   * body and issues) beside the valid ones, never as an exception. Received messages stay in flight
   * until deleted: delete what you handled. Stopping the loop early leaves the rest of the last
   * batch in flight until its visibility timeout ends.
   *
   * @example
   * ```ts
   * const done: string[] = [];
   * for await (const item of queue.receive({ max: 500, visibilityTimeout: 120 })) {
   *   if (!item.ok) { await deadLetters.send({ body: item.rawBody }); done.push(item.receiptHandle); continue; }
   *   await sync(item.body);
   *   done.push(item.receiptHandle);
   * }
   * await queue.deleteAll(done);
   * ```
   */
  async *receive(options: ReceiveOptions = {}): AsyncGenerator<Received<MessageOutput<S>>> {
    const max = options.max ?? 10;
    if (max !== Number.POSITIVE_INFINITY) assertWhole('max', max, 1, Number.MAX_SAFE_INTEGER);
    const waitTimeSeconds = options.waitTimeSeconds ?? 1;
    assertWhole('waitTimeSeconds', waitTimeSeconds, 0, 20);
    if (options.visibilityTimeout !== undefined) assertWhole('visibilityTimeout', options.visibilityTimeout, 0, 43_200);
    const queueUrl = await this.url();
    let received = 0;
    while (received < max) {
      const answer = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(MAX_BATCH_ENTRIES, max - received),
          WaitTimeSeconds: waitTimeSeconds,
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
        yield await this.#parse(message);
      }
    }
  }

  async #parse(message: Message): Promise<Received<MessageOutput<S>>> {
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
    const checked = await decodeAndCheck(this.schema, rawBody, this.#decode);
    return checked.ok ? { ...base, ok: true, body: checked.value } : { ...base, ok: false, issues: checked.issues };
  }

  /**
   * Deletes messages by receipt handle, 10 per request, and reports every handle SQS refused (for
   * instance `ReceiptHandleIsInvalid`) with its reason. Takes one target or many: handles, or anything
   * that has one (received messages, problems, the items of `receive` straight away).
   *
   * @example
   * ```ts
   * const { deleted, failed } = await queue.deleteAll(handled);
   * ```
   */
  async deleteAll(
    targets: ReceiptTarget | Iterable<ReceiptTarget> | AsyncIterable<ReceiptTarget>,
    options: ReceiptOptions = {},
  ): Promise<DeleteAllResult> {
    const queueUrl = await this.url();
    const { succeeded, failed } = await this.#receiptBatches(asTargets(targets), options, (entries) =>
      this.client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })),
    );
    return { deleted: succeeded, failed };
  }

  /**
   * Sets how long received messages stay hidden: extend it for work that runs long, or set 0 to hand
   * a message back at once. Takes one target or many; reports every handle SQS refused.
   *
   * @example
   * ```ts
   * const heartbeat = setInterval(() => void queue.changeVisibility(item, 120), 60_000);
   * try { await longSync(item.body); } finally { clearInterval(heartbeat); }
   * ```
   */
  async changeVisibility(
    targets: ReceiptTarget | Iterable<ReceiptTarget> | AsyncIterable<ReceiptTarget>,
    visibilityTimeout: number,
    options: ReceiptOptions = {},
  ): Promise<ChangeVisibilityResult> {
    assertWhole('visibilityTimeout', visibilityTimeout, 0, 43_200);
    const queueUrl = await this.url();
    const { succeeded, failed } = await this.#receiptBatches(asTargets(targets), options, (entries) =>
      this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map((entry) => ({ ...entry, VisibilityTimeout: visibilityTimeout })),
        }),
      ),
    );
    return { changed: succeeded, failed };
  }

  async #receiptBatches(
    targets: Iterable<ReceiptTarget> | AsyncIterable<ReceiptTarget>,
    options: ReceiptOptions,
    call: (entries: Array<{ Id: string; ReceiptHandle: string }>) => Promise<{
      Successful?: Array<{ Id?: string | undefined }> | undefined;
      Failed?: BatchResultErrorEntry[] | undefined;
    }>,
  ): Promise<{ succeeded: number; failed: ReceiptFailure[] }> {
    const retry = options.retry ? resolveRetry({ ...this.#retry, ...options.retry }) : this.#retry;
    const concurrency = options.concurrency ?? 4;
    assertWhole('concurrency', concurrency, 1, 64);
    let succeeded = 0;
    const failed: ReceiptFailure[] = [];
    const state: { fatal?: unknown } = {};
    type Target = { receiptHandle: string; messageId?: string };
    const flush = (batch: Target[]) => async (): Promise<{ succeeded: number; failed: ReceiptFailure[] }> => {
      if (state.fatal !== undefined) {
        return {
          succeeded: 0,
          failed: batch.map((target) => ({ ...target, error: aborted(state.fatal), attempts: 0 })),
        };
      }
      const entries = batch.map((target, index) => ({ Id: String(index), ReceiptHandle: target.receiptHandle }));
      const run = await runBatch(entries, call, retry);
      if (run.fatal !== undefined) state.fatal = run.fatal;
      const result = { succeeded: 0, failed: [] as ReceiptFailure[] };
      batch.forEach((target, index) => {
        const outcome = run.outcomes.get(String(index));
        if (outcome?.ok) result.succeeded += 1;
        else
          result.failed.push({
            ...target,
            error: outcome?.failure ?? { code: 'SQS_ENTRY_UNREPORTED', reason: 'no result', senderFault: false },
            attempts: outcome?.attempts ?? 0,
          });
      });
      return result;
    };
    async function* tasks(): AsyncGenerator<ReturnType<typeof flush>> {
      let batch: Target[] = [];
      for await (const target of asAsync(targets)) {
        const { receiptHandle, messageId } = targetOf(target);
        batch.push(messageId === undefined ? { receiptHandle } : { receiptHandle, messageId });
        if (batch.length === MAX_BATCH_ENTRIES) {
          yield flush(batch);
          batch = [];
        }
      }
      if (batch.length > 0) yield flush(batch);
    }
    // In input order: batches are yielded in the order they were started.
    for await (const batch of inOrder(tasks(), concurrency)) {
      succeeded += batch.succeeded;
      failed.push(...batch.failed);
    }
    return { succeeded, failed };
  }
}

function aborted(cause: unknown): EntryFailure {
  return {
    code: 'SQS_ABORTED',
    reason: `Not attempted: an earlier request failed in a way no later request can pass (${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)})`,
    senderFault: false,
    cause,
  };
}
