import { InputError } from '@kicksaw/core';
import { compact } from './compact.js';

/** Which envelope delivered an object reference. */
export type S3EventSource = 's3' | 'sqs' | 'sns' | 'eventbridge';

/**
 * One object named by an event. Keys and bucket names are already URL-decoded: pass them straight
 * to the S3 API.
 *
 * @example
 * ```ts
 * const ref: S3ObjectRef = { bucket: 'in', key: 'daily/contacts 1.csv', size: 1024, source: 'sqs', messageId: '059f36b4-...' };
 * ```
 */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  size?: number;
  eTag?: string;
  versionId?: string;
  sequencer?: string;
  /** `ObjectCreated:Put` for S3 notifications, the detail type (`Object Created`) for EventBridge. */
  eventName?: string;
  eventTime?: string;
  /**
   * What carried the S3 event: `s3` (a notification straight to Lambda), `sqs` (a notification in
   * an SQS message), `sns` (through an SNS topic, direct or via SQS), `eventbridge` (an EventBridge
   * event, direct or via SQS).
   */
  source: S3EventSource;
  /** The id of the SQS message that carried this object, when one did (for `batchItemFailures`). */
  messageId?: string;
}

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Decodes a key as S3 writes it in event notifications: form encoding, where `+` is a space and
 * `%2B` is a `+`.
 *
 * @example
 * ```ts
 * decodeS3EventKey('reports/Q1+sales+%2B+costs.csv'); // 'reports/Q1 sales + costs.csv'
 * ```
 */
export function decodeS3EventKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch (cause) {
    throw new InputError(`S3 event key "${encoded}" is not valid URL encoding`, {
      code: 'S3_EVENT_INVALID',
      cause,
    });
  }
}

/** Describes what was received, for error messages, without dumping the whole payload. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `a string "${value.length > 60 ? `${value.slice(0, 60)}...` : value}"`;
  if (!isObject(value)) return `a ${typeof value}`;
  const keys = Object.keys(value);
  const hint =
    typeof value.source === 'string'
      ? ` (source "${value.source}"${typeof value['detail-type'] === 'string' ? `, detail-type "${value['detail-type']}"` : ''})`
      : '';
  return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 8).join(', ')}${hint}`;
}

function invalid(problem: string, options: { source?: string; cause?: unknown } = {}): InputError {
  return new InputError(problem, { code: 'S3_EVENT_INVALID', ...options });
}

/** True for the `s3:TestEvent` S3 sends when a notification is configured: it names no object. */
function isS3TestEvent(value: Json): boolean {
  return value.Event === 's3:TestEvent';
}

function isEventBridgeS3(value: Json): boolean {
  return value.source === 'aws.s3' && isObject(value.detail) && typeof value['detail-type'] === 'string';
}

function optionalNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function fromS3Record(record: Json, source: S3EventSource, where: string, messageId?: string): S3ObjectRef {
  const s3 = record.s3;
  if (!isObject(s3) || !isObject(s3.bucket) || !isObject(s3.object)) {
    throw invalid(`Expected an S3 notification record with s3.bucket and s3.object, got ${describe(record)}`, {
      source: where,
    });
  }
  const { bucket, object } = s3;
  if (typeof bucket.name !== 'string' || typeof object.key !== 'string') {
    throw invalid('S3 notification record has no bucket name or object key', { source: where });
  }
  return compact({
    bucket: decodeS3EventKey(bucket.name),
    key: decodeS3EventKey(object.key),
    size: optionalNumber(object.size),
    eTag: optionalString(object.eTag),
    versionId: optionalString(object.versionId),
    sequencer: optionalString(object.sequencer),
    eventName: optionalString(record.eventName),
    eventTime: optionalString(record.eventTime),
    source,
    messageId,
  });
}

function fromEventBridge(event: Json, where: string, messageId?: string): S3ObjectRef {
  const detail = event.detail as Json;
  const { bucket, object } = detail;
  if (!isObject(bucket) || !isObject(object) || typeof bucket.name !== 'string' || typeof object.key !== 'string') {
    throw invalid('EventBridge S3 event has no detail.bucket.name or detail.object.key', { source: where });
  }
  return compact({
    bucket: bucket.name,
    key: decodeS3EventKey(object.key),
    size: optionalNumber(object.size),
    eTag: optionalString(object.etag),
    versionId: optionalString(object['version-id']),
    sequencer: optionalString(object.sequencer),
    eventName: optionalString(event['detail-type']),
    eventTime: optionalString(event.time),
    source: 'eventbridge',
    messageId,
  });
}

/** An S3 notification (`{ Records: [{ eventSource: 'aws:s3', s3 }] }`) as a JSON value. */
function fromNotification(value: Json, source: S3EventSource, where: string, messageId?: string): S3ObjectRef[] {
  if (isS3TestEvent(value)) return [];
  const records = value.Records;
  if (!Array.isArray(records) || records.length === 0) {
    throw invalid(`Expected an S3 notification with Records, got ${describe(value)}`, { source: where });
  }
  return records.map((record, index) => {
    if (!isObject(record) || record.eventSource !== 'aws:s3') {
      throw invalid(`Expected an S3 record (eventSource "aws:s3"), got ${describe(record)}`, {
        source: `${where}.Records[${index}]`,
      });
    }
    return fromS3Record(record, source, `${where}.Records[${index}]`, messageId);
  });
}

function parseJson(text: unknown, where: string): unknown {
  if (typeof text !== 'string') throw invalid(`Expected a JSON string, got ${describe(text)}`, { source: where });
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw invalid(`Expected JSON, got ${describe(text)}`, { source: where, cause });
  }
}

/** The body of one SQS message: an S3 notification, an SNS envelope holding one, or an EventBridge event. */
function fromSqsBody(body: unknown, where: string, messageId: string | undefined): S3ObjectRef[] {
  const value = parseJson(body, where);
  if (!isObject(value))
    throw invalid(`Expected an S3 event in the SQS message body, got ${describe(value)}`, { source: where });
  if (value.Type === 'Notification' && 'Message' in value) {
    const inner = parseJson(value.Message, `${where}.Message`);
    if (!isObject(inner))
      throw invalid(`Expected an S3 notification in the SNS message, got ${describe(inner)}`, {
        source: `${where}.Message`,
      });
    return fromNotification(inner, 'sns', `${where}.Message`, messageId);
  }
  if (isEventBridgeS3(value)) return [fromEventBridge(value, where, messageId)];
  return fromNotification(value, 'sqs', where, messageId);
}

/** One Lambda record of any supported kind. */
export function fromRecord(record: unknown, where: string): S3ObjectRef[] {
  if (!isObject(record)) throw invalid(`Expected an event record, got ${describe(record)}`, { source: where });
  if (record.eventSource === 'aws:s3') return [fromS3Record(record, 's3', where)];
  if (record.eventSource === 'aws:sqs') {
    const messageId = optionalString(record.messageId);
    return fromSqsBody(record.body, `${where}.body`, messageId);
  }
  if (record.EventSource === 'aws:sns' && isObject(record.Sns)) {
    const inner = parseJson(record.Sns.Message, `${where}.Sns.Message`);
    if (!isObject(inner))
      throw invalid(`Expected an S3 notification in the SNS message, got ${describe(inner)}`, {
        source: `${where}.Sns.Message`,
      });
    return fromNotification(inner, 'sns', `${where}.Sns.Message`);
  }
  throw invalid(
    `Expected an S3, SQS or SNS record, got ${describe(record)}${
      typeof record.eventSource === 'string' ? ` with eventSource "${record.eventSource}"` : ''
    }`,
    { source: where },
  );
}

/**
 * Lists the objects an event names. Understands S3 notifications sent straight to Lambda, S3
 * notifications in SQS messages (and in SNS messages, direct or through SQS), and EventBridge
 * `aws.s3` events (direct or through SQS). Keys are URL-decoded (`+` is a space, `%2B` a `+`).
 * The `s3:TestEvent` S3 sends when a notification is set up names no object and yields nothing.
 *
 * @throws InputError (code `S3_EVENT_INVALID`) for anything else, saying what was received.
 * @example
 * ```ts
 * export const handler = async (event: unknown) => {
 *   for (const { bucket, key } of parseS3Event(event)) console.log(bucket, key);
 * };
 * ```
 */
export function parseS3Event(event: unknown): S3ObjectRef[] {
  if (!isObject(event)) throw invalid(`Expected an S3, SQS, SNS or EventBridge event, got ${describe(event)}`);
  if (isEventBridgeS3(event)) return [fromEventBridge(event, 'event')];
  if (isS3TestEvent(event)) return [];
  const records = event.Records;
  if (!Array.isArray(records)) {
    throw invalid(`Expected an S3, SQS, SNS or EventBridge event, got ${describe(event)}`);
  }
  if (records.length === 0) throw invalid('The event has no records', { source: 'event.Records' });
  return records.flatMap((record, index) => fromRecord(record, `event.Records[${index}]`));
}

/**
 * Decodes a Kinesis record's base64 JSON data (`parse_kinesis_record` in the Python
 * kicksaw-integration-utils).
 *
 * @throws InputError when the record has no `kinesis.data` or it is not base64 JSON.
 * @example
 * ```ts
 * const contact = parseKinesisRecord<{ Name: string }>(event.Records[0]);
 * ```
 */
export function parseKinesisRecord<T = unknown>(record: unknown): T {
  const data = isObject(record) && isObject(record.kinesis) ? record.kinesis.data : undefined;
  if (typeof data !== 'string') {
    throw new InputError(`Expected a Kinesis record with kinesis.data, got ${describe(record)}`, {
      code: 'KINESIS_RECORD_INVALID',
    });
  }
  const text = Buffer.from(data, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new InputError('Kinesis record data is not base64-encoded JSON', {
      code: 'KINESIS_RECORD_INVALID',
      source: optionalString((record as { eventID?: unknown }).eventID),
      cause,
    });
  }
}
