import { forEachConcurrently, InputError, type Logger, silentLogger } from '@kicksaw/core';
import { assertWhole } from './limits.js';
import {
  decodeAndCheck,
  describeIssues,
  jsonDecoder,
  type MessageDecoder,
  type MessageIssue,
  type MessageOutput,
  type MessageSchema,
} from './schema.js';

/**
 * One record of a Lambda SQS event, as Lambda delivers it (the fields this package reads, and the
 * rest for your handler).
 *
 * @example
 * ```ts
 * const groupId = record.attributes.MessageGroupId; // FIFO queues only
 * ```
 */
export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount?: string;
    SentTimestamp?: string;
    MessageGroupId?: string;
    MessageDeduplicationId?: string;
    SequenceNumber?: string;
    [name: string]: string | undefined;
  };
  messageAttributes: Record<
    string,
    { dataType: string; stringValue?: string; binaryValue?: string; [name: string]: unknown }
  >;
  md5OfBody?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

/**
 * A Lambda SQS event.
 *
 * @example
 * ```ts
 * export const handler = async (event: SqsEvent) => respondToSqsEvent(event, schema, handle);
 * ```
 */
export interface SqsEvent {
  Records: SqsEventRecord[];
}

/**
 * The partial batch response Lambda reads when `ReportBatchItemFailures` is on the trigger.
 *
 * @example
 * ```ts
 * const response: SqsBatchResponse = { batchItemFailures: [{ itemIdentifier: '059f36b4-87a3-44ab-83d2-661975830a7d' }] };
 * ```
 */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/**
 * The outcome of one record: `succeeded` (the handler returned), `failed` (it threw), `invalid` (the
 * body failed the schema; the handler did not run), `skipped` (FIFO: an earlier message of its group
 * failed, so it was not run, to keep the group's order).
 *
 * @example
 * ```ts
 * const invalid = results.filter((result) => result.status === 'invalid').map((result) => result.messageId);
 * ```
 */
export type SqsRecordResult<T, R> =
  | { status: 'succeeded'; messageId: string; record: SqsEventRecord; message: T; value: R }
  | { status: 'failed'; messageId: string; record: SqsEventRecord; message: T; error: unknown }
  | { status: 'invalid'; messageId: string; record: SqsEventRecord; issues: MessageIssue[] }
  | { status: 'skipped'; messageId: string; record: SqsEventRecord; groupId: string; reason: string };

/**
 * What {@link respondToSqsEvent} returns.
 *
 * @example
 * ```ts
 * const { results, batchItemFailures } = await respondToSqsEvent(event, schema, syncContact);
 * const invalid = results.filter((r) => r.status === 'invalid');
 * return { batchItemFailures };
 * ```
 */
export interface SqsEventResponse<T, R> extends SqsBatchResponse {
  /** One per record, in event order. */
  results: Array<SqsRecordResult<T, R>>;
}

/**
 * Options of {@link respondToSqsEvent}.
 *
 * @example
 * ```ts
 * await respondToSqsEvent(event, schema, handle, { concurrency: 4, fifoFailure: 'batch' });
 * ```
 */
export interface RespondToSqsEventOptions {
  /**
   * Handlers running at once. Default 1. On a FIFO queue this is the number of message groups run at
   * once; records of one group always run one after the other, in order.
   */
  concurrency?: number;
  /**
   * FIFO queues, after a record fails: `group` (default) fails the rest of its message group and
   * goes on with the other groups; `batch` fails every record after it, as Lambda's guide describes
   * ("stop processing messages after the first failure"). Both keep each group's order.
   */
  fifoFailure?: 'group' | 'batch';
  /** Body to value. Default `JSON.parse`. */
  decode?: MessageDecoder;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function invalidEvent(problem: string, source?: string): InputError {
  return new InputError(problem, { code: 'SQS_EVENT_INVALID', ...(source ? { source } : {}) });
}

function readRecords(event: unknown): SqsEventRecord[] {
  if (!isObject(event) || !Array.isArray(event.Records)) {
    const keys = isObject(event) ? `an object with keys ${Object.keys(event).slice(0, 8).join(', ')}` : typeof event;
    throw invalidEvent(`Expected a Lambda SQS event ({ Records: [...] }), got ${keys}`);
  }
  if (event.Records.length === 0) throw invalidEvent('The event has no records', 'event.Records');
  return event.Records.map((record, index) => {
    const where = `event.Records[${index}]`;
    if (!isObject(record) || record.eventSource !== 'aws:sqs') {
      const source = isObject(record) ? (record.eventSource ?? record.EventSource) : undefined;
      throw invalidEvent(
        `Expected an SQS record (eventSource "aws:sqs")${typeof source === 'string' ? `, got eventSource "${source}"` : ''}`,
        where,
      );
    }
    if (typeof record.messageId !== 'string' || record.messageId === '') {
      throw invalidEvent('The SQS record has no messageId', where);
    }
    if (typeof record.body !== 'string') throw invalidEvent('The SQS record has no body', where);
    return {
      ...record,
      attributes: isObject(record.attributes) ? record.attributes : {},
      messageAttributes: isObject(record.messageAttributes) ? record.messageAttributes : {},
    } as SqsEventRecord;
  });
}

/**
 * True for a record from a FIFO queue: its queue ARN ends in `.fifo`. (A standard queue's records may
 * carry a `MessageGroupId` too, with fair queues; that alone does not make them ordered.) Without an
 * ARN, a `MessageGroupId` is taken as the sign.
 */
function isFifoRecord(record: SqsEventRecord): boolean {
  if (typeof record.eventSourceARN === 'string' && record.eventSourceARN !== '') {
    return record.eventSourceARN.endsWith('.fifo');
  }
  return typeof record.attributes.MessageGroupId === 'string';
}

function groupOf(record: SqsEventRecord): string {
  return record.attributes.MessageGroupId ?? '';
}

/**
 * Runs `handler` for each record of a Lambda SQS event, with the body decoded and checked against
 * `schema`, and builds the partial batch response: `batchItemFailures` lists the records whose
 * handler threw, whose body failed the schema, and (FIFO) those not run because an earlier record of
 * their group failed. One failing record never stops the others. Return `{ batchItemFailures }`
 * from a Lambda whose SQS trigger has `ReportBatchItemFailures`. Mirrors `respondToS3Event` of
 * `@kicksaw/s3`, which does the same for S3 notifications in SQS.
 *
 * @throws InputError (code `SQS_EVENT_INVALID`) when the event is not an SQS event.
 * @example
 * ```ts
 * const schema = z.object({ contactId: z.string() });
 * export const handler = async (event: unknown) => {
 *   const { batchItemFailures } = await respondToSqsEvent(event, schema, (message) => syncContact(message.contactId));
 *   return { batchItemFailures };
 * };
 * ```
 */
export async function respondToSqsEvent<S extends MessageSchema, R>(
  event: unknown,
  schema: S,
  handler: (message: MessageOutput<S>, record: SqsEventRecord) => R | Promise<R>,
  options: RespondToSqsEventOptions = {},
): Promise<SqsEventResponse<MessageOutput<S>, R>> {
  const concurrency = options.concurrency ?? 1;
  assertWhole('concurrency', concurrency, 1, 1_000);
  const decode = options.decode ?? jsonDecoder;
  const records = readRecords(event);
  const fifo = records.some(isFifoRecord);
  const lanes = lanesOf(records, fifo, options.fifoFailure ?? 'group');
  const results: Array<SqsRecordResult<MessageOutput<S>, R>> = new Array(records.length);
  // At most `concurrency` lanes at once.
  await forEachConcurrently(lanes, concurrency, async (lane) => {
    // A lane runs in order; on a FIFO queue, a failure skips the rest of its lane.
    let failedAt: string | undefined;
    for (const index of lane) {
      const record = records[index] as SqsEventRecord;
      if (failedAt !== undefined) {
        results[index] = skipped(record, failedAt);
        continue;
      }
      const result = await runRecord(record, schema, decode, handler);
      results[index] = result;
      if (result.status !== 'succeeded' && fifo) failedAt = record.messageId;
    }
  });
  return { results, batchItemFailures: batchItemFailuresOf(results) };
}

/**
 * Lanes: lists of record indexes run one after the other. Standard queues: a lane per record. FIFO: a
 * lane per message group (or one lane for the batch with fifoFailure 'batch').
 */
function lanesOf(records: SqsEventRecord[], fifo: boolean, fifoFailure: 'group' | 'batch'): number[][] {
  if (!fifo) return records.map((_, index) => [index]);
  if (fifoFailure === 'batch') return [records.map((_, index) => index)];
  const byGroup = new Map<string, number[]>();
  records.forEach((record, index) => {
    const groupId = groupOf(record);
    const lane = byGroup.get(groupId) ?? [];
    lane.push(index);
    byGroup.set(groupId, lane);
  });
  return [...byGroup.values()];
}

/** One record: its body decoded and checked, then the handler; `invalid`, `succeeded` or `failed`. */
async function runRecord<S extends MessageSchema, R>(
  record: SqsEventRecord,
  schema: S,
  decode: MessageDecoder,
  handler: (message: MessageOutput<S>, record: SqsEventRecord) => R | Promise<R>,
): Promise<SqsRecordResult<MessageOutput<S>, R>> {
  const { messageId } = record;
  const checked = await decodeAndCheck(schema, record.body, decode);
  if (!checked.ok) return { status: 'invalid', messageId, record, issues: checked.issues };
  try {
    const value = await handler(checked.value, record);
    return { status: 'succeeded', messageId, record, message: checked.value, value };
  } catch (error) {
    return { status: 'failed', messageId, record, message: checked.value, error };
  }
}

/** A FIFO record not run because the record `failedAt` of its lane failed before it. */
function skipped(record: SqsEventRecord, failedAt: string): SqsRecordResult<never, never> {
  const reason = `Not run: message ${failedAt} before it failed, and FIFO order must hold`;
  return { status: 'skipped', messageId: record.messageId, record, groupId: groupOf(record), reason };
}

/** Every record that did not succeed, once per message id, in event order. */
function batchItemFailuresOf(results: Array<SqsRecordResult<unknown, unknown>>): SqsBatchResponse['batchItemFailures'] {
  const reported = new Set<string>();
  const batchItemFailures: SqsBatchResponse['batchItemFailures'] = [];
  for (const result of results) {
    if (result.status === 'succeeded' || reported.has(result.messageId)) continue;
    reported.add(result.messageId);
    batchItemFailures.push({ itemIdentifier: result.messageId });
  }
  return batchItemFailures;
}

/**
 * Options of {@link createSqsHandler}.
 *
 * @example
 * ```ts
 * const options: CreateSqsHandlerOptions<typeof schema, void> = { schema, handler: syncContact, concurrency: 2 };
 * ```
 */
export interface CreateSqsHandlerOptions<S extends MessageSchema, R> extends RespondToSqsEventOptions {
  schema: S;
  handler: (message: MessageOutput<S>, record: SqsEventRecord) => R | Promise<R>;
  /** Each record that did not succeed is logged at `warn` with its message id and reason. Default: silent. */
  logger?: Logger;
}

/**
 * A Lambda handler for an SQS trigger with `ReportBatchItemFailures`: {@link respondToSqsEvent}
 * wrapped as `(event) => Promise<{ batchItemFailures }>`.
 *
 * @example
 * ```ts
 * export const handler = createSqsHandler({
 *   schema: z.object({ contactId: z.string() }),
 *   handler: async ({ contactId }) => syncContact(contactId),
 *   logger,
 * });
 * ```
 */
export function createSqsHandler<S extends MessageSchema, R>(
  options: CreateSqsHandlerOptions<S, R>,
): (event: unknown) => Promise<SqsBatchResponse> {
  const { schema, handler, logger = silentLogger, ...rest } = options;
  return async (event) => {
    const { results, batchItemFailures } = await respondToSqsEvent(event, schema, handler, rest);
    for (const result of results) {
      if (result.status === 'succeeded') continue;
      const reason =
        result.status === 'invalid'
          ? `invalid message: ${describeIssues(result.issues)}`
          : result.status === 'skipped'
            ? result.reason
            : `handler failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`;
      logger.warn(`SQS message ${result.status}`, { messageId: result.messageId, reason });
    }
    return { batchItemFailures };
  };
}
