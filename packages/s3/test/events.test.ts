import { InputError } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { decodeS3EventKey, notDone, parseKinesisRecord, parseS3Event, respondToS3Event } from '../src/index.js';
import {
  eventBridgeObjectCreated,
  kinesisRecord,
  s3Notification,
  s3Record,
  s3TestEvent,
  snsEnvelope,
  snsEvent,
  sqsEvent,
  sqsRecord,
} from './fixtures/events.js';

// Keys as S3 writes them in notifications, and what they name.
const encodedKeys: Array<[string, string]> = [
  ['test%2Fkey', 'test/key'],
  ['Im+a+problem.csv', 'Im a problem.csv'],
  ['origin/a_%7Bfile%7D.csv', 'origin/a_{file}.csv'],
  ['this+im+%2B+age+blah.txt', 'this im + age blah.txt'],
  ['percent/100%25+done.csv', 'percent/100% done.csv'],
  ['unicode/Gr%C3%B6%C3%9Fe+%E6%9D%B1%E4%BA%AC+%F0%9F%9A%80.csv', 'unicode/Größe 東京 🚀.csv'],
];

describe('decodeS3EventKey', () => {
  it.each(encodedKeys)('%s -> %s', (encoded, decoded) => {
    expect(decodeS3EventKey(encoded)).toBe(decoded);
  });
  it('rejects broken percent-encoding with an InputError', () => {
    expect(() => decodeS3EventKey('bad%zzkey')).toThrow(InputError);
  });
});

describe('parseS3Event', () => {
  it('reads a plain S3 notification (Lambda docs example) with every field', () => {
    const event = s3Notification('test%2Fkey');
    event.Records[0] = s3Record('test%2Fkey', { versionId: 'v1', bucket: 'example-bucket' });
    expect(parseS3Event(event)).toEqual([
      {
        bucket: 'example-bucket',
        key: 'test/key',
        size: 1024,
        eTag: '0123456789abcdef0123456789abcdef',
        versionId: 'v1',
        sequencer: '0A1B2C3D4E5F678901',
        eventName: 'ObjectCreated:Put',
        eventTime: '1970-01-01T00:00:00.000Z',
        source: 's3',
      },
    ]);
  });

  it.each(encodedKeys)('decodes %s in every envelope', (encoded, decoded) => {
    const notification = s3Notification(encoded);
    const envelopes = {
      s3: notification,
      sqs: sqsEvent(sqsRecord(JSON.stringify(notification), 'm-1')),
      'sns-in-sqs': sqsEvent(sqsRecord(JSON.stringify(snsEnvelope(notification)), 'm-2')),
      sns: snsEvent(notification),
      eventbridge: eventBridgeObjectCreated(encoded),
      'eventbridge-in-sqs': sqsEvent(sqsRecord(JSON.stringify(eventBridgeObjectCreated(encoded)), 'm-3')),
    };
    for (const [name, event] of Object.entries(envelopes)) {
      const refs = parseS3Event(event);
      expect(refs, name).toHaveLength(1);
      expect(refs[0]?.key, name).toBe(decoded);
    }
  });

  it('says which envelope carried each object and keeps the SQS message id', () => {
    const notification = s3Notification('a.csv', 'b.csv');
    expect(parseS3Event(sqsEvent(sqsRecord(JSON.stringify(notification), 'm-1')))).toMatchObject([
      { key: 'a.csv', source: 'sqs', messageId: 'm-1' },
      { key: 'b.csv', source: 'sqs', messageId: 'm-1' },
    ]);
    expect(parseS3Event(sqsEvent(sqsRecord(JSON.stringify(snsEnvelope(notification)), 'm-2')))).toMatchObject([
      { key: 'a.csv', source: 'sns', messageId: 'm-2' },
      { key: 'b.csv', source: 'sns', messageId: 'm-2' },
    ]);
    const [direct] = parseS3Event(snsEvent(notification));
    expect(direct).toMatchObject({ key: 'a.csv', source: 'sns' });
    expect(direct).not.toHaveProperty('messageId');
  });

  it('reads an EventBridge Object Created event (S3 docs example)', () => {
    expect(parseS3Event(eventBridgeObjectCreated('example-key'))).toEqual([
      {
        bucket: 'amzn-s3-demo-bucket1',
        key: 'example-key',
        size: 5,
        eTag: 'b1946ac92492d2347c6235b4d2611184',
        versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
        sequencer: '617f08299329d189',
        eventName: 'Object Created',
        eventTime: '2021-11-12T00:00:00Z',
        source: 'eventbridge',
      },
    ]);
  });

  it('flattens an SQS batch of several messages in order', () => {
    const event = sqsEvent(
      sqsRecord(JSON.stringify(s3Notification('1.csv')), 'm-1'),
      sqsRecord(JSON.stringify(snsEnvelope(s3Notification('2.csv', '3.csv'))), 'm-2'),
      sqsRecord(JSON.stringify(eventBridgeObjectCreated('4.csv')), 'm-3'),
    );
    expect(parseS3Event(event).map((ref) => [ref.key, ref.messageId])).toEqual([
      ['1.csv', 'm-1'],
      ['2.csv', 'm-2'],
      ['3.csv', 'm-2'],
      ['4.csv', 'm-3'],
    ]);
  });

  it('yields nothing for the s3:TestEvent, direct or in SQS', () => {
    expect(parseS3Event(s3TestEvent)).toEqual([]);
    expect(parseS3Event(sqsEvent(sqsRecord(JSON.stringify(s3TestEvent), 'm-1')))).toEqual([]);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['null', null, /got null/],
    ['a string', 'hello', /got a string "hello"/],
    ['an array', [1, 2], /got an array of 2/],
    ['an empty object', {}, /got an empty object/],
    ['an API Gateway event', { httpMethod: 'GET', path: '/', headers: {} }, /keys httpMethod, path, headers/],
    [
      'a scheduled EventBridge event',
      { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
      /source "aws.events", detail-type "Scheduled Event"/,
    ],
    ['an event with empty Records', { Records: [] }, /no records/],
    [
      'a DynamoDB stream record',
      { Records: [{ eventSource: 'aws:dynamodb', dynamodb: {} }] },
      /eventSource "aws:dynamodb"/,
    ],
    ['an S3 record without s3', { Records: [{ eventSource: 'aws:s3' }] }, /s3\.bucket and s3\.object/],
    [
      'an SQS message that is not JSON',
      sqsEvent(sqsRecord('Test message.', 'm-1')),
      /Expected JSON, got a string "Test message\."/,
    ],
    ['an SQS message with other JSON', sqsEvent(sqsRecord('{"hello":"world"}', 'm-1')), /keys hello/],
    [
      'an SNS message that is not S3',
      sqsEvent(sqsRecord(JSON.stringify({ Type: 'Notification', Message: '"just text"' }), 'm-1')),
      /S3 notification in the SNS message, got a string/,
    ],
  ];
  it.each(bad)('rejects %s with an InputError saying what it got', (_name, event, message) => {
    let error: unknown;
    try {
      parseS3Event(event);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('S3_EVENT_INVALID');
    expect((error as InputError).message).toMatch(message);
  });

  it('names where in the event the problem is', () => {
    const event = sqsEvent(sqsRecord(JSON.stringify(s3Notification('a.csv')), 'm-1'), sqsRecord('nope', 'm-2'));
    expect(() => parseS3Event(event)).toThrow(/event\.Records\[1\]\.body/);
  });
});

describe('respondToS3Event', () => {
  it('runs the callback per object and collects values and errors, in order', async () => {
    const event = s3Notification('a.csv', 'bad.csv', 'c.csv');
    const boom = new Error('boom');
    const response = await respondToS3Event(event, async (ref) => {
      if (ref.key === 'bad.csv') throw boom;
      return ref.key.toUpperCase();
    });
    expect(response.results).toEqual([
      { ref: expect.objectContaining({ key: 'a.csv' }), ok: true, value: 'A.CSV' },
      { ref: expect.objectContaining({ key: 'bad.csv' }), ok: false, error: boom },
      { ref: expect.objectContaining({ key: 'c.csv' }), ok: true, value: 'C.CSV' },
    ]);
    // no SQS, so nothing to retry through batchItemFailures
    expect(response.batchItemFailures).toEqual([]);
  });

  it('returns the SQS partial-batch response: each failed message once, bad bodies too', async () => {
    const event = sqsEvent(
      sqsRecord(JSON.stringify(s3Notification('ok.csv')), 'm-ok'),
      sqsRecord(JSON.stringify(s3Notification('fail-1.csv', 'fail-2.csv')), 'm-fail'),
      sqsRecord('not json at all', 'm-garbage'),
      sqsRecord(JSON.stringify(snsEnvelope(s3Notification('ok2.csv'))), 'm-ok2'),
    );
    const response = await respondToS3Event(event, async (ref) => {
      if (ref.key.startsWith('fail')) throw new Error(`cannot import ${ref.key}`);
      return 1;
    });
    expect(response.results.map((r) => [r.ref.key, r.ok])).toEqual([
      ['ok.csv', true],
      ['fail-1.csv', false],
      ['fail-2.csv', false],
      ['ok2.csv', true],
    ]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-fail' }, { itemIdentifier: 'm-garbage' }]);
    expect(response.rejected).toHaveLength(1);
    expect(response.rejected[0]?.messageId).toBe('m-garbage');
    expect(response.rejected[0]?.error).toBeInstanceOf(InputError);
  });

  it('reports a notDone answer as not done, not as a failure, and lists its SQS message once for redelivery', async () => {
    const event = sqsEvent(
      sqsRecord(JSON.stringify(s3Notification('done.csv')), 'm-done'),
      sqsRecord(JSON.stringify(s3Notification('parked.csv', 'busy.csv')), 'm-later'),
      sqsRecord(JSON.stringify(s3Notification('alone-parked.csv')), 'm-alone'),
    );
    const response = await respondToS3Event(event, async (ref) => {
      if (ref.key === 'done.csv') return { rows: 10 };
      return notDone({ reason: ref.key.startsWith('busy') ? 'in progress' : 'parked', key: ref.key });
    });
    expect(response.results).toEqual([
      { ref: expect.objectContaining({ key: 'done.csv' }), ok: true, value: { rows: 10 } },
      {
        ref: expect.objectContaining({ key: 'parked.csv' }),
        ok: false,
        notDone: { reason: 'parked', key: 'parked.csv' },
      },
      {
        ref: expect.objectContaining({ key: 'busy.csv' }),
        ok: false,
        notDone: { reason: 'in progress', key: 'busy.csv' },
      },
      {
        ref: expect.objectContaining({ key: 'alone-parked.csv' }),
        ok: false,
        notDone: { reason: 'parked', key: 'alone-parked.csv' },
      },
    ]);
    // not done is not an error: no result carries one
    expect(response.results.some((r) => 'error' in r)).toBe(false);
    // the message of two not-done objects is listed once; the done one is not listed
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-later' }, { itemIdentifier: 'm-alone' }]);
    expect(response.rejected).toEqual([]);
  });

  it('leaves a value shaped like notDone alone unless notDone made it', async () => {
    const response = await respondToS3Event(s3Notification('a.csv'), async () => ({ value: 1, notDone: true }));
    expect(response.results).toEqual([
      { ref: expect.objectContaining({ key: 'a.csv' }), ok: true, value: { value: 1, notDone: true } },
    ]);
  });

  it('runs at most `concurrency` callbacks at once', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `${i}.csv`);
    let running = 0;
    let peak = 0;
    const run = async (concurrency: number) => {
      peak = 0;
      await respondToS3Event(
        s3Notification(...keys),
        async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setImmediate(resolve));
          running -= 1;
        },
        { concurrency },
      );
      return peak;
    };
    expect(await run(1)).toBe(1);
    expect(await run(3)).toBe(3);
    expect(await run(50)).toBe(12);
    await expect(run(0)).rejects.toThrow(RangeError);
  });

  it('throws an InputError for events that are not S3 events', async () => {
    await expect(respondToS3Event({ hello: 'world' }, async () => 1)).rejects.toBeInstanceOf(InputError);
    await expect(respondToS3Event({ Records: [] }, async () => 1)).rejects.toThrow(/no records/);
  });
});

describe('parseKinesisRecord', () => {
  it('decodes base64 JSON data', () => {
    expect(parseKinesisRecord<{ Name: string }>(kinesisRecord)).toEqual({ Name: 'Bob', UniqueId__c: '123' });
  });
  it('rejects records without data, and data that is not JSON', () => {
    expect(() => parseKinesisRecord({ kinesis: {} })).toThrow(InputError);
    expect(() => parseKinesisRecord({ kinesis: { data: Buffer.from('not json').toString('base64') } })).toThrow(
      /not base64-encoded JSON/,
    );
  });
});
