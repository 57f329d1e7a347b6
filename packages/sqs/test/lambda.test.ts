import { InputError, type Logger } from '@kicksaw/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSqsHandler, type ReceivedMessage, respondToSqsEvent, SqsQueue } from '../src/index.js';
import { type LocalSqs, startLocalSqs } from './support/local-sqs.js';

// Records in the shape Lambda delivers (Lambda guide, "Using Lambda with Amazon SQS": the standard
// and the FIFO example events). Values are placeholders.
function record(messageId: string, body: string, fifo?: { groupId: string; sequence: string }) {
  const queue = fifo ? 'orders.fifo' : 'orders';
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1700000000000',
      SenderId: '123456789012',
      ApproximateFirstReceiveTimestamp: '1700000000001',
      ...(fifo
        ? { SequenceNumber: fifo.sequence, MessageGroupId: fifo.groupId, MessageDeduplicationId: messageId }
        : {}),
    },
    messageAttributes: {
      source: { stringValue: 'crm', stringListValues: [], binaryListValues: [], dataType: 'String' },
    },
    md5OfBody: '0123456789abcdef0123456789abcdef',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queue}`,
    awsRegion: 'us-east-1',
  };
}

const order = z.object({ orderId: z.string(), fail: z.boolean().optional() });
const body = (orderId: string, fail = false) => JSON.stringify(fail ? { orderId, fail } : { orderId });

async function syncOrder(message: z.infer<typeof order>) {
  if (message.fail) throw new Error(`order ${message.orderId} was rejected`);
  return message.orderId.toUpperCase();
}

describe('respondToSqsEvent on a standard queue', () => {
  it('reports the records whose handler threw or whose body failed the schema, in event order', async () => {
    const event = {
      Records: [
        record('m1', body('o-1')),
        record('m2', body('o-2', true)),
        record('m3', '{"orderId": 3}'),
        record('m4', 'not json'),
        record('m5', body('o-5')),
      ],
    };
    const { results, batchItemFailures } = await respondToSqsEvent(event, order, syncOrder, { concurrency: 3 });
    expect(batchItemFailures).toEqual([{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }, { itemIdentifier: 'm4' }]);
    expect(results.map((r) => [r.messageId, r.status])).toEqual([
      ['m1', 'succeeded'],
      ['m2', 'failed'],
      ['m3', 'invalid'],
      ['m4', 'invalid'],
      ['m5', 'succeeded'],
    ]);
    expect(results[0]).toMatchObject({ value: 'O-1', message: { orderId: 'o-1' } });
    expect(results[1]?.status === 'failed' && (results[1].error as Error).message).toBe('order o-2 was rejected');
    expect(results[2]?.status === 'invalid' && results[2].issues[0]?.path).toEqual(['orderId']);
    expect(results[3]?.status === 'invalid' && results[3].issues[0]?.message).toMatch(/could not be decoded/);
  });

  it('gives the handler the record (attributes, message attributes)', async () => {
    const seen: string[] = [];
    await respondToSqsEvent({ Records: [record('m1', body('o-1'))] }, order, (_message, r) => {
      seen.push(`${r.attributes.ApproximateReceiveCount}/${r.messageAttributes.source?.stringValue}`);
    });
    expect(seen).toEqual(['1/crm']);
  });

  it('refuses what is not an SQS event with an InputError saying what came', async () => {
    await expect(respondToSqsEvent({ httpMethod: 'GET' }, order, syncOrder)).rejects.toThrow(
      /Expected a Lambda SQS event .*httpMethod/,
    );
    await expect(
      respondToSqsEvent({ Records: [{ eventSource: 'aws:s3', s3: {} }] }, order, syncOrder),
    ).rejects.toBeInstanceOf(InputError);
    await expect(respondToSqsEvent({ Records: [] }, order, syncOrder)).rejects.toMatchObject({
      code: 'SQS_EVENT_INVALID',
    });
  });
});

describe('respondToSqsEvent on a FIFO queue', () => {
  const fifoEvent = () => ({
    Records: [
      record('a1', body('a-1'), { groupId: 'A', sequence: '1' }),
      record('b1', body('b-1'), { groupId: 'B', sequence: '2' }),
      record('a2', body('a-2', true), { groupId: 'A', sequence: '3' }),
      record('b2', body('b-2'), { groupId: 'B', sequence: '4' }),
      record('a3', body('a-3'), { groupId: 'A', sequence: '5' }),
      record('c1', '{"bad": true}', { groupId: 'C', sequence: '6' }),
      record('c2', body('c-2'), { groupId: 'C', sequence: '7' }),
      record('b3', body('b-3'), { groupId: 'B', sequence: '8' }),
    ],
  });

  it('after the first failure in a group, the rest of that group fails too; other groups go on, in order', async () => {
    const ran: string[] = [];
    const { results, batchItemFailures } = await respondToSqsEvent(
      fifoEvent(),
      order,
      async (message) => {
        ran.push(message.orderId);
        return syncOrder(message);
      },
      { concurrency: 2 },
    );
    expect(batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a2', 'a3', 'c1', 'c2']);
    expect(results.map((r) => r.status)).toEqual([
      'succeeded',
      'succeeded',
      'failed',
      'succeeded',
      'skipped',
      'invalid',
      'skipped',
      'succeeded',
    ]);
    expect(ran).not.toContain('a-3');
    expect(ran).not.toContain('c-2');
    // within a group, records ran in order
    expect(ran.filter((id) => id.startsWith('b'))).toEqual(['b-1', 'b-2', 'b-3']);
    expect(results[4]).toMatchObject({ status: 'skipped', groupId: 'A', reason: expect.stringMatching(/a2/) });
  });

  it('a standard (fair) queue whose records carry a MessageGroupId is not treated as FIFO', async () => {
    const event = {
      Records: [
        { ...record('s1', body('s-1', true)), attributes: { MessageGroupId: 'tenant-1' } },
        { ...record('s2', body('s-2')), attributes: { MessageGroupId: 'tenant-1' } },
      ],
    };
    const { results } = await respondToSqsEvent(event, order, syncOrder);
    expect(results.map((r) => r.status)).toEqual(['failed', 'succeeded']);
  });

  it("with fifoFailure 'batch', every record after the first failure fails (the Lambda guide's rule)", async () => {
    const { batchItemFailures } = await respondToSqsEvent(fifoEvent(), order, syncOrder, { fifoFailure: 'batch' });
    expect(batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a2', 'b2', 'a3', 'c1', 'c2', 'b3']);
  });
});

describe('createSqsHandler', () => {
  it('returns the partial batch response and logs each failure with its reason', async () => {
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      error: () => {},
      warn: (message, context) => lines.push([message, context]),
    };
    const handler = createSqsHandler({ schema: order, handler: syncOrder, logger });
    const response = await handler({
      Records: [record('m1', body('o-1')), record('m2', body('o-2', true)), record('m3', '[]')],
    });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
    expect(lines).toEqual([
      ['SQS message failed', { messageId: 'm2', reason: 'handler failed: order o-2 was rejected' }],
      ['SQS message invalid', { messageId: 'm3', reason: expect.stringMatching(/^invalid message: /) }],
    ]);
  });
});

describe('the Lambda helper with messages from a real queue', () => {
  let sqs: LocalSqs;
  beforeAll(async () => {
    sqs = await startLocalSqs();
  });
  afterAll(() => sqs?.stop());

  it('what Lambda would delete is what succeeded; the failed ones stay in the queue', async () => {
    const queueUrl = await sqs.createQueue('lambda');
    const queue = new SqsQueue({ client: sqs.client, schema: order, queueUrl });
    await queue.sendAll([{ orderId: 'o-1' }, { orderId: 'o-2', fail: true }, { orderId: 'o-3' }]);
    const received: Array<ReceivedMessage<z.infer<typeof order>>> = [];
    for await (const item of queue.receive({ max: 10, waitTimeSeconds: 0, visibilityTimeout: 600 })) {
      if (item.ok) received.push(item);
    }
    // the event Lambda would build from these messages
    const event = {
      Records: received.map((m) => ({
        ...record(m.messageId, m.rawBody),
        receiptHandle: m.receiptHandle,
      })),
    };
    const { batchItemFailures } = await createSqsHandler({ schema: order, handler: syncOrder })(event);
    const failedIds = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    // Lambda deletes the others and lets the failed ones come back
    await queue.deleteAll(received.filter((m) => !failedIds.has(m.messageId)));
    await queue.changeVisibility(
      received.filter((m) => failedIds.has(m.messageId)),
      0,
    );
    const left: string[] = [];
    for await (const item of queue.receive({ max: 10, waitTimeSeconds: 0 })) if (item.ok) left.push(item.body.orderId);
    expect(left).toEqual(['o-2']);
  });
});
