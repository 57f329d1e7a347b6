import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

/**
 * At most 10 entries go in one SendMessageBatch / DeleteMessageBatch / ChangeMessageVisibilityBatch request.
 *
 * @example
 * ```ts
 * const requests = Math.ceil(handles.length / MAX_BATCH_ENTRIES);
 * ```
 */
export const MAX_BATCH_ENTRIES = 10;

/**
 * The largest message SQS accepts, attributes included: 1 MiB (1,048,576 bytes). This is the limit the
 * SendMessageBatch API reference documents today ("The maximum allowed individual message size and the
 * maximum total payload size ... are both 1 MiB 1,048,576 bytes"); it was 256 KiB before AWS raised it
 * in 2025. A queue's `MaximumMessageSize` attribute may set it lower: pass `maxMessageBytes` then.
 *
 * @example
 * ```ts
 * if (messageSize(body) > MAX_MESSAGE_BYTES) await parkInS3(body);
 * ```
 */
export const MAX_MESSAGE_BYTES = 1_048_576;

/**
 * The largest sum of message sizes in one SendMessageBatch request: 1 MiB, the same documented figure.
 *
 * @example
 * ```ts
 * new SqsQueue({ client, schema, queueUrl, maxBatchBytes: MAX_BATCH_BYTES / 4 });
 * ```
 */
export const MAX_BATCH_BYTES = 1_048_576;

/**
 * The size SQS counts for a message: the UTF-8 bytes of the body plus, for each message attribute, the
 * bytes of its name, its data type and its value.
 *
 * @example
 * ```ts
 * messageSize('{"a":1}', { source: { DataType: 'String', StringValue: 'crm' } }); // 7 + 6 + 6 + 3 = 22
 * ```
 */
export function messageSize(body: string, attributes?: Record<string, MessageAttributeValue>): number {
  let size = Buffer.byteLength(body, 'utf8');
  if (attributes) {
    for (const [name, value] of Object.entries(attributes)) {
      size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
      if (value.StringValue !== undefined) size += Buffer.byteLength(value.StringValue, 'utf8');
      if (value.BinaryValue !== undefined) size += value.BinaryValue.byteLength;
    }
  }
  return size;
}

/** Checks a whole-number option in a range, as a RangeError naming it. */
export function assertWhole(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  }
}
