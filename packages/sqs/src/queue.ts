import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '@kicksaw/core';
import { type ResolvedRetry, type RetryOptions, resolveRetry } from './batch.js';
import { assertWhole, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES } from './limits.js';
import type { EntrySettings, SendOptions } from './message-entry.js';
import { queueNameOf, resolveQueueUrl } from './queue-url.js';
import {
  type ChangeVisibilityResult,
  type DeleteAllResult,
  type ReceiptOptions,
  type ReceiptTarget,
  receiptBatches,
} from './receipts.js';
import { checkReceiveOptions, type Received, type ReceiveOptions, receiveMessages } from './receive.js';
import {
  jsonDecoder,
  jsonEncoder,
  type MessageDecoder,
  type MessageEncoder,
  type MessageInput,
  type MessageOutput,
  type MessageSchema,
} from './schema.js';
import { collectResults, type SendAllOptions, type SendAllResult, type SendResult, sendInBatches } from './send.js';

// The queue: where it is, its settings, and its operations, each of which lives in a file of its own
// (send.ts with message-entry.ts and fifo.ts, receive.ts, receipts.ts; batch.ts runs the requests).

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
  /** What sends need of the queue's settings. */
  readonly #entrySettings: EntrySettings<S> & { maxBatchBytes: number };
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
    const name = queueNameOf(options.queueUrl, options.queueName);
    if (!name) {
      throw new ConfigError(`has no queue name in its path: "${options.queueUrl}"`, { setting: 'queueUrl' });
    }
    this.name = name;
    this.fifo = name.endsWith('.fifo');
    this.#decode = options.decode ?? jsonDecoder;
    const maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    const maxBatchBytes = options.maxBatchBytes ?? MAX_BATCH_BYTES;
    assertWhole('maxMessageBytes', maxMessageBytes, 1, MAX_MESSAGE_BYTES);
    assertWhole('maxBatchBytes', maxBatchBytes, 1, MAX_BATCH_BYTES);
    this.#entrySettings = {
      schema: this.schema,
      encode: options.encode ?? jsonEncoder,
      name,
      fifo: this.fifo,
      maxEntryBytes: Math.min(maxMessageBytes, maxBatchBytes),
      maxBatchBytes,
    };
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

  #resolveUrl(): Promise<string> {
    const { queueName, accountId, region } = this.#options;
    return resolveQueueUrl({ client: this.client, queueName: queueName as string, accountId, region });
  }

  #retryFor(options: { retry?: RetryOptions }): ResolvedRetry {
    return options.retry ? resolveRetry({ ...this.#retry, ...options.retry }) : this.#retry;
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
    return collectResults(this.sendEach(messages, options));
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
    const concurrency = this.fifo ? 1 : (options.concurrency ?? 4);
    assertWhole('concurrency', concurrency, 1, 64);
    const retry = this.#retryFor(options);
    const settings = { ...this.#entrySettings, client: this.client, queueUrl: await this.url(), concurrency, retry };
    yield* sendInBatches(settings, messages, options);
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
    checkReceiveOptions(options);
    const settings = { client: this.client, queueUrl: await this.url(), schema: this.schema, decode: this.#decode };
    yield* receiveMessages(settings, options);
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
    const { succeeded, failed } = await receiptBatches(targets, options, this.#retryFor(options), (entries) =>
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
    const { succeeded, failed } = await receiptBatches(targets, options, this.#retryFor(options), (entries) =>
      this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map((entry) => ({ ...entry, VisibilityTimeout: visibilityTimeout })),
        }),
      ),
    );
    return { changed: succeeded, failed };
  }
}
