import type { MessageAttributeValue, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { EntryFailure, RetryOptions } from './batch.js';
import { type FifoOptions, fifoFields } from './fifo.js';
import { messageSize } from './limits.js';
import { check, type MessageEncoder, type MessageIssue, type MessageSchema } from './schema.js';

// One message to one SendMessageBatch entry: checked against the schema, encoded, sized as SQS counts it,
// with its attributes, delay and FIFO fields; or the reason it cannot be sent.

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
export interface SendOptions<I> extends FifoOptions<I> {
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

/** What a queue's settings say about every entry. */
export interface EntrySettings<S extends MessageSchema> {
  schema: S;
  encode: MessageEncoder;
  /** The queue's name, for messages. */
  name: string;
  fifo: boolean;
  /** The largest entry, attributes included: the smaller of the message and the batch limits. */
  maxEntryBytes: number;
}

/** A message ready to go in a batch: its entry (`Id` is its input index) and the size SQS counts. */
export interface PreparedEntry {
  index: number;
  entry: SendMessageBatchRequestEntry & { Id: string };
  size: number;
}

/** A setting's value for one message. */
export function resolvePer<I, V>(value: PerMessage<I, V> | undefined, message: I, index: number): V | undefined {
  return typeof value === 'function' ? (value as (message: I, index: number) => V)(message, index) : value;
}

/** Attributes as the SDK takes them; none at all is `undefined`. */
export function toSdkAttributes(
  attributes: MessageAttributes | undefined,
): Record<string, MessageAttributeValue> | undefined {
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

function thrownMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The schema's verdict on a message, as a failure; `undefined` when it passes. A schema that throws fails it. */
async function schemaFailure(schema: MessageSchema, message: unknown): Promise<SendFailure | undefined> {
  let checked: Awaited<ReturnType<typeof check>>;
  try {
    checked = await check(schema, message);
  } catch (error) {
    checked = { ok: false, issues: [{ message: `The schema threw: ${thrownMessage(error)}` }] };
  }
  if (checked.ok) return undefined;
  return {
    code: 'SQS_MESSAGE_INVALID',
    reason: `The message does not match the queue's schema: ${checked.issues.map((i) => i.message).join('; ')}`,
    senderFault: true,
    issues: checked.issues,
  };
}

function encodeBody(encode: MessageEncoder, message: unknown): { body: string } | { error: SendFailure } {
  try {
    return { body: encode(message) };
  } catch (error) {
    return {
      error: {
        code: 'SQS_MESSAGE_UNENCODABLE',
        reason: `The message could not be encoded: ${thrownMessage(error)}`,
        senderFault: true,
        cause: error,
      },
    };
  }
}

function tooLarge(size: number, limit: number): SendFailure {
  return {
    code: 'SQS_MESSAGE_TOO_LARGE',
    reason: `The message is ${size} bytes with its attributes; the limit is ${limit} bytes. Store the payload in S3 and send its key instead.`,
    senderFault: true,
  };
}

/**
 * The batch entry of the message at `index`, or why it cannot be sent (invalid, unencodable, too
 * large, no FIFO group): such a message is a result and no request is made for it.
 */
export async function prepareEntry<S extends MessageSchema, I>(
  settings: EntrySettings<S>,
  message: I,
  index: number,
  options: SendOptions<I>,
): Promise<PreparedEntry | { error: SendFailure }> {
  if (options.validate !== false) {
    const invalid = await schemaFailure(settings.schema, message);
    if (invalid) return { error: invalid };
  }
  const encoded = encodeBody(settings.encode, message);
  if ('error' in encoded) return encoded;
  const { body } = encoded;
  const attributes = toSdkAttributes(resolvePer(options.attributes, message, index));
  const size = messageSize(body, attributes);
  if (size > settings.maxEntryBytes) return { error: tooLarge(size, settings.maxEntryBytes) };
  const entry: PreparedEntry['entry'] = { Id: String(index), MessageBody: body };
  if (attributes) entry.MessageAttributes = attributes;
  const delay = resolvePer(options.delaySeconds, message, index);
  if (delay !== undefined) entry.DelaySeconds = delay;
  const fields = fifoFields(settings, body, {
    groupId: resolvePer(options.groupId, message, index),
    deduplicationId: () => resolvePer(options.deduplicationId, message, index),
    deduplication: options.deduplication,
  });
  if ('error' in fields) return fields;
  Object.assign(entry, fields);
  return { index, entry, size };
}
