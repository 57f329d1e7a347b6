import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { ConfigError } from '@kicksaw/core';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  MAX_BATCH_BYTES,
  MAX_MESSAGE_BYTES,
  type MessageProblem,
  type Received,
  type ReceivedMessage,
  SqsQueue,
  SqsQueueNotFoundError,
} from '../src/index.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { type LocalSqs, startLocalSqs } from './support/local-sqs.js';

const contact = z.object({ id: z.number().int(), email: z.email(), note: z.string().optional() });

let sqs: LocalSqs;
let proxy: FaultProxy;
beforeAll(async () => {
  sqs = await startLocalSqs();
  proxy = await startFaultProxy(sqs.endpoint);
});
afterAll(async () => {
  await proxy?.stop();
  await sqs?.stop();
});

const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 };

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function newQueue(attributes?: Record<string, string>) {
  const queueUrl = await sqs.createQueue('std', attributes);
  return new SqsQueue({ client: sqs.client, schema: contact, queueUrl, retry: fast });
}

/** The same queue, its requests through the fault proxy. */
function viaProxy<S extends StandardSchemaV1>(queue: SqsQueue<S>, queueUrl: string) {
  return new SqsQueue({ client: sqs.clientFor(proxy.endpoint), schema: queue.schema, queueUrl, retry: fast });
}

function sendBatches(since: number) {
  return proxy.requests.slice(since).filter((request) => request.action === 'SendMessageBatch');
}

describe('SqsQueue: send and receive on a standard queue', () => {
  it('sends, receives the typed body with attributes, and deletes', async () => {
    const queue = await newQueue();
    const sent = await queue.send(
      { id: 1, email: 'ada@example.com' },
      { attributes: { source: 'crm', attempt: 2, raw: new Uint8Array([1, 2, 3]) } },
    );
    expect(sent).toMatchObject({ ok: true, index: 0, attempts: 1, message: { id: 1 } });
    const [item] = await collect(queue.receive({ max: 10, waitTimeSeconds: 0 }));
    expect(item?.ok).toBe(true);
    const message = item as ReceivedMessage<z.infer<typeof contact>>;
    expect(message.body).toEqual({ id: 1, email: 'ada@example.com' });
    expect(message.messageId).toBe(sent.ok ? sent.messageId : '');
    expect(message.messageAttributes.source).toMatchObject({ DataType: 'String', StringValue: 'crm' });
    expect(message.messageAttributes.attempt).toMatchObject({ DataType: 'Number', StringValue: '2' });
    expect(message.messageAttributes.raw?.DataType).toBe('Binary');
    expect(message.receiveCount).toBe(1);
    // one target alone: a message, or a bare handle (a string is not taken as its characters)
    expect(await queue.deleteAll(message.receiptHandle)).toEqual({ deleted: 1, failed: [] });
    expect(await collect(queue.receive({ waitTimeSeconds: 0 }))).toEqual([]);
  });

  it('checks messages against the schema before sending: an invalid one is a result, the others go', async () => {
    const queue = await newQueue();
    const { results, sent, failed } = await queue.sendAll([
      { id: 1, email: 'a@example.com' },
      { id: 2, email: 'not an email' },
      { id: 3, email: 'c@example.com' },
    ]);
    expect(sent).toBe(2);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      index: 1,
      message: { id: 2 },
      attempts: 0,
      error: { code: 'SQS_MESSAGE_INVALID' },
    });
    expect(failed[0]?.error.issues?.[0]?.path).toEqual(['email']);
    const received = await collect(queue.receive({ max: 10, waitTimeSeconds: 0 }));
    expect(received.map((r) => (r.ok ? r.body.id : -1)).sort()).toEqual([1, 3]);
  });

  it('splits by count: 25 messages go as batches of 10, 10 and 5, each received once', async () => {
    const queue = await newQueue();
    const url = await queue.url();
    const since = proxy.requests.length;
    const messages = Array.from({ length: 25 }, (_, i) => ({ id: i, email: `c${i}@example.com` }));
    const { sent, results } = await viaProxy(queue, url).sendAll(messages, { concurrency: 1 });
    expect(sent).toBe(25);
    expect(sendBatches(since).map((r) => (r.body.Entries as unknown[]).length)).toEqual([10, 10, 5]);
    // every result names its own message
    for (const result of results) expect(result.message).toBe(messages[result.index]);
    const received = await collect(queue.receive({ max: 100, waitTimeSeconds: 0 }));
    expect(received.map((r) => (r.ok ? r.body.id : -1)).sort((a, b) => a - b)).toEqual(messages.map((m) => m.id));
  });

  it('splits by size: no batch request goes over 1 MiB, every message arrives whole', async () => {
    const queue = await newQueue();
    const url = await queue.url();
    const since = proxy.requests.length;
    const note = 'x'.repeat(300 * 1024);
    const messages = Array.from({ length: 7 }, (_, i) => ({ id: i, email: `big${i}@example.com`, note }));
    const { sent } = await viaProxy(queue, url).sendAll(messages, { concurrency: 1 });
    expect(sent).toBe(7);
    const batches = sendBatches(since);
    // 300 KiB each: three fit under 1 MiB, a fourth would not
    expect(batches.map((r) => (r.body.Entries as unknown[]).length)).toEqual([3, 3, 1]);
    for (const batch of batches) {
      const bytes = (batch.body.Entries as Array<{ MessageBody: string }>).reduce(
        (sum, entry) => sum + Buffer.byteLength(entry.MessageBody),
        0,
      );
      expect(bytes).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    }
    const received = await collect(queue.receive({ max: 100, waitTimeSeconds: 0 }));
    expect(received).toHaveLength(7);
    for (const item of received) expect(item.ok && item.body.note === note).toBe(true);
  });

  it('a message over the limit alone is a per-message error, not a crash; the rest are sent', async () => {
    const queue = await newQueue();
    const huge = { id: 2, email: 'huge@example.com', note: 'y'.repeat(MAX_MESSAGE_BYTES) };
    const { results } = await queue.sendAll([
      { id: 1, email: 'a@example.com' },
      huge,
      { id: 3, email: 'c@example.com' },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const tooLarge = results[1];
    expect(tooLarge).toMatchObject({
      ok: false,
      attempts: 0,
      message: huge,
      error: { code: 'SQS_MESSAGE_TOO_LARGE', senderFault: true },
    });
    expect(tooLarge?.ok === false && tooLarge.error.reason).toMatch(/1048\d+ bytes .* limit is 1048576 bytes/);
    // attributes count toward the size
    const lowered = new SqsQueue({
      client: sqs.client,
      schema: contact,
      queueUrl: await queue.url(),
      maxMessageBytes: 1024,
    });
    const withAttributes = await lowered.send(
      { id: 4, email: 'd@example.com' },
      { attributes: { blob: 'z'.repeat(1000) } },
    );
    expect(withAttributes).toMatchObject({ ok: false, error: { code: 'SQS_MESSAGE_TOO_LARGE' } });
  });

  it("a message over the queue's own MaximumMessageSize comes back with SQS's reason, the batch's others are sent", async () => {
    const queue = await newQueue({ MaximumMessageSize: '1024' });
    const { results } = await queue.sendAll([
      { id: 1, email: 'a@example.com' },
      { id: 2, email: 'b@example.com', note: 'n'.repeat(2000) },
      { id: 3, email: 'c@example.com' },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({
      ok: false,
      attempts: 1,
      error: { code: 'InvalidParameterValue', senderFault: true },
    });
  });

  it('passes DelaySeconds and per-message attributes on each entry', async () => {
    const queue = await newQueue();
    const url = await queue.url();
    const since = proxy.requests.length;
    await viaProxy(queue, url).sendAll(
      [
        { id: 1, email: 'a@example.com' },
        { id: 2, email: 'b@example.com' },
      ],
      { delaySeconds: (m) => m.id * 10, attributes: (m) => ({ n: m.id }) },
    );
    const entries = sendBatches(since)[0]?.body.Entries as Array<Record<string, unknown>>;
    expect(entries.map((e) => e.DelaySeconds)).toEqual([10, 20]);
    expect(entries.map((e) => (e.MessageAttributes as Record<string, { StringValue: string }>).n?.StringValue)).toEqual(
      ['1', '2'],
    );
  });
});

describe('SqsQueue: retries and failures', () => {
  it('retries entries SQS failed on its side (SenderFault false) and reports the attempts', async () => {
    const queue = await newQueue();
    const url = await queue.url();
    proxy.rules.entry = (action, entry, seen) =>
      action === 'SendMessageBatch' && String(entry.MessageBody).includes('flaky') && seen < 3
        ? { Code: 'InternalError', Message: 'We encountered an internal error.', SenderFault: false }
        : undefined;
    try {
      const { results, sent } = await viaProxy(queue, url).sendAll([
        { id: 1, email: 'a@example.com', note: 'flaky' },
        { id: 2, email: 'b@example.com' },
      ]);
      expect(sent).toBe(2);
      expect(results.map((r) => r.attempts)).toEqual([3, 1]);
    } finally {
      proxy.rules.entry = undefined;
    }
    const received = await collect(queue.receive({ max: 10, waitTimeSeconds: 0 }));
    expect(received).toHaveLength(2);
  });

  it('returns what still fails after the last attempt, and does not retry sender faults', async () => {
    const queue = await newQueue();
    const url = await queue.url();
    proxy.rules.entry = (action, entry) => {
      if (action !== 'SendMessageBatch') return undefined;
      const body = String(entry.MessageBody);
      if (body.includes('always-down')) return { Code: 'ServiceUnavailable', Message: 'down', SenderFault: false };
      if (body.includes('refused'))
        return { Code: 'InvalidMessageContents', Message: 'bad characters', SenderFault: true };
      return undefined;
    };
    try {
      const { failed, sent } = await viaProxy(queue, url).sendAll([
        { id: 1, email: 'a@example.com', note: 'always-down' },
        { id: 2, email: 'b@example.com', note: 'refused' },
        { id: 3, email: 'c@example.com' },
      ]);
      expect(sent).toBe(1);
      expect(failed.map((f) => [f.message.id, f.error.code, f.error.senderFault, f.attempts])).toEqual([
        [1, 'ServiceUnavailable', false, 4],
        [2, 'InvalidMessageContents', true, 1],
      ]);
    } finally {
      proxy.rules.entry = undefined;
    }
  });

  it('retries a whole request that failed with a 5xx or throttling', async () => {
    const queue = await newQueue();
    const url = await queue.url();
    let seen = 0;
    proxy.rules.request = (action) =>
      action === 'SendMessageBatch' && ++seen <= 2
        ? seen === 1
          ? { status: 500, type: 'InternalError', message: 'boom' }
          : { status: 400, type: 'RequestThrottled', message: 'slow down' }
        : undefined;
    const before = proxy.requests.length;
    try {
      const result = await viaProxy(queue, url).send({ id: 1, email: 'a@example.com' });
      expect(result).toMatchObject({ ok: true, attempts: 3 });
    } finally {
      proxy.rules.request = undefined;
    }
    expect(sendBatches(before)).toHaveLength(3);
  });

  it('splits a batch SQS refused as a whole so that one bad message does not sink nine good ones', async () => {
    const queue = await newQueue();
    const url = await queue.url();
    proxy.rules.request = (action, body) =>
      action === 'SendMessageBatch' &&
      (body.Entries as Array<{ MessageBody: string }>).some((e) => e.MessageBody.includes('poison'))
        ? { status: 400, type: 'InvalidMessageContents', message: 'Invalid characters found.' }
        : undefined;
    try {
      const messages = Array.from({ length: 5 }, (_, i) => ({
        id: i,
        email: `p${i}@example.com`,
        note: i === 2 ? 'poison' : 'fine',
      }));
      const { failed, sent } = await viaProxy(queue, url).sendAll(messages);
      expect(sent).toBe(4);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        message: { id: 2 },
        error: { code: 'InvalidMessageContents', senderFault: true },
      });
    } finally {
      proxy.rules.request = undefined;
    }
    expect(await collect(queue.receive({ max: 10, waitTimeSeconds: 0 }))).toHaveLength(4);
  });

  it('stops sending when the queue does not exist: the first batch has the reason, the rest are aborted', async () => {
    const queueUrl = `${sqs.endpoint}/000000000000/no-such-queue`;
    const queue = new SqsQueue({ client: sqs.client, schema: contact, queueUrl, retry: fast });
    const messages = Array.from({ length: 25 }, (_, i) => ({ id: i, email: `x${i}@example.com` }));
    const { results, sent } = await queue.sendAll(messages, { concurrency: 1 });
    expect(sent).toBe(0);
    expect(results).toHaveLength(25);
    const codes = new Set(results.slice(0, 10).map((r) => (r.ok ? '' : r.error.code)));
    expect([...codes]).toHaveLength(1);
    expect([...codes][0]).toMatch(/QueueDoesNotExist|NonExistentQueue/);
    expect(results.slice(10).every((r) => !r.ok && r.error.code === 'SQS_ABORTED' && r.attempts === 0)).toBe(true);
  });
});

describe('SqsQueue: receive', () => {
  it('returns a message that fails the schema, or is not JSON, as a problem beside the valid ones', async () => {
    const queue = await newQueue();
    const url = await queue.url();
    for (const body of [
      '{"id":1,"email":"ok@example.com"}',
      'not json at all',
      '{"id":"two","email":"b@example.com"}',
    ]) {
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    }
    const items = await collect(queue.receive({ max: 10, waitTimeSeconds: 0 }));
    expect(items).toHaveLength(3);
    const valid = items.filter((item): item is ReceivedMessage<z.infer<typeof contact>> => item.ok);
    const problems = items.filter((item): item is MessageProblem => !item.ok);
    expect(valid.map((v) => v.body)).toEqual([{ id: 1, email: 'ok@example.com' }]);
    const byBody = new Map(problems.map((p) => [p.rawBody, p]));
    expect(byBody.get('not json at all')?.issues[0]?.message).toMatch(/could not be decoded/);
    expect(byBody.get('{"id":"two","email":"b@example.com"}')?.issues[0]?.path).toEqual(['id']);
    for (const problem of problems) expect(problem.receiptHandle).not.toBe('');
    // problems carry what it takes to drop them
    expect(await queue.deleteAll(items)).toEqual({ deleted: 3, failed: [] });
  });

  it('keeps polling until max, and stops at max', async () => {
    const queue = await newQueue();
    await queue.sendAll(Array.from({ length: 35 }, (_, i) => ({ id: i, email: `r${i}@example.com` })));
    const first = await collect(queue.receive({ max: 23, waitTimeSeconds: 0, visibilityTimeout: 300 }));
    expect(first).toHaveLength(23);
    const rest = await collect(
      queue.receive({ max: Number.POSITIVE_INFINITY, waitTimeSeconds: 0, visibilityTimeout: 300 }),
    );
    expect(rest).toHaveLength(12);
    const ids = [...first, ...rest].map((item) => (item.ok ? item.body.id : -1));
    expect(new Set(ids).size).toBe(35);
  });

  it('long-polls: a receive waiting on an empty queue gets a message sent while it waits', async () => {
    const queue = await newQueue();
    const iterator = queue.receive({ max: 1, waitTimeSeconds: 10 })[Symbol.asyncIterator]();
    const next = iterator.next();
    await queue.send({ id: 7, email: 'late@example.com' });
    const { value } = await next;
    expect((value as Received<z.infer<typeof contact>>).ok && (value as ReceivedMessage<{ id: number }>).body.id).toBe(
      7,
    );
    expect((await iterator.next()).done).toBe(true);
  });

  it('changes visibility: 0 hands a message back at once; a bad handle is reported, not thrown', async () => {
    const queue = await newQueue();
    await queue.send({ id: 1, email: 'v@example.com' });
    const [first] = await collect(queue.receive({ waitTimeSeconds: 0, visibilityTimeout: 600 }));
    expect(first?.receiveCount).toBe(1);
    expect(await collect(queue.receive({ waitTimeSeconds: 0 }))).toEqual([]);
    expect(await queue.changeVisibility(first as ReceivedMessage<unknown>, 0)).toEqual({ changed: 1, failed: [] });
    const [again] = await collect(queue.receive({ waitTimeSeconds: 0, visibilityTimeout: 600 }));
    expect(again?.messageId).toBe(first?.messageId);
    expect(again?.receiveCount).toBe(2);
    // extend the one in flight, and a handle that is not one
    const result = await queue.changeVisibility([again as ReceivedMessage<unknown>, 'not-a-receipt-handle'], 900);
    expect(result.changed).toBe(1);
    expect(result.failed).toEqual([
      expect.objectContaining({
        receiptHandle: 'not-a-receipt-handle',
        error: expect.objectContaining({ code: 'ReceiptHandleIsInvalid', senderFault: true }),
      }),
    ]);
    expect(await collect(queue.receive({ waitTimeSeconds: 0 }))).toEqual([]);
  });

  it('reports each receipt handle SQS refuses to delete (ReceiptHandleIsInvalid), deletes the others', async () => {
    // fauxqs deletes any handle silently; SQS answers a malformed one with ReceiptHandleIsInvalid
    // (SenderFault) in the batch's Failed list. The proxy gives that documented answer.
    const queue = await newQueue();
    const url = await queue.url();
    await queue.sendAll(Array.from({ length: 12 }, (_, i) => ({ id: i, email: `d${i}@example.com` })));
    const items = await collect(queue.receive({ max: 12, waitTimeSeconds: 0, visibilityTimeout: 600 }));
    expect(items).toHaveLength(12);
    proxy.rules.entry = (action, entry) =>
      action === 'DeleteMessageBatch' && String(entry.ReceiptHandle).startsWith('bogus')
        ? {
            Code: 'ReceiptHandleIsInvalid',
            Message: 'The input receipt handle "bogus" is not a valid receipt handle.',
            SenderFault: true,
          }
        : undefined;
    try {
      const targets = [
        ...items.slice(0, 5),
        'bogus-1',
        ...items.slice(5),
        { receiptHandle: 'bogus-2', messageId: 'm-2' },
      ];
      const { deleted, failed } = await viaProxy(queue, url).deleteAll(targets);
      expect(deleted).toBe(12);
      expect(failed.map((f) => [f.receiptHandle, f.messageId, f.error.code, f.attempts])).toEqual([
        ['bogus-1', undefined, 'ReceiptHandleIsInvalid', 1],
        ['bogus-2', 'm-2', 'ReceiptHandleIsInvalid', 1],
      ]);
    } finally {
      proxy.rules.entry = undefined;
    }
    await queue.changeVisibility(items, 0).catch(() => undefined);
    expect(await collect(queue.receive({ waitTimeSeconds: 0 }))).toEqual([]);
  });
});

describe('SqsQueue: where the queue is', () => {
  it('finds a queue by name (GetQueueUrl), builds the URL from name and account, and names a missing queue', async () => {
    const url = await sqs.createQueue('named');
    const name = url.split('/').at(-1) as string;
    const byName = new SqsQueue({ client: sqs.client, schema: contact, queueName: name });
    expect(await byName.url()).toBe(url);
    expect(byName.name).toBe(name);
    const byAccount = new SqsQueue({ client: sqs.client, schema: contact, queueName: name, accountId: '123456789012' });
    expect(await byAccount.url()).toBe(`https://sqs.us-east-1.amazonaws.com/123456789012/${name}`);
    // the built URL addresses the same queue (the SDK sends to the client's endpoint)
    await byAccount.send({ id: 1, email: 'a@example.com' });
    expect(await collect(byName.receive({ waitTimeSeconds: 0 }))).toHaveLength(1);

    const missing = new SqsQueue({ client: sqs.client, schema: contact, queueName: 'no-such-queue' });
    await expect(missing.url()).rejects.toBeInstanceOf(SqsQueueNotFoundError);
    await expect(missing.url()).rejects.toMatchObject({ code: 'SQS_QUEUE_NOT_FOUND', queue: 'no-such-queue' });
    expect(() => new SqsQueue({ client: sqs.client, schema: contact })).toThrow(ConfigError);
  });
});

describe('SqsQueue: any Standard Schema', () => {
  it('works with a hand-written Standard Schema whose validator is async', async () => {
    const order: StandardSchemaV1<{ sku: string }, { sku: string; upper: string }> = {
      '~standard': {
        version: 1,
        vendor: 'hand-written',
        validate: async (value) => {
          const sku = (value as { sku?: unknown } | null)?.sku;
          if (typeof sku !== 'string') return { issues: [{ message: 'sku must be a string', path: [{ key: 'sku' }] }] };
          return { value: { sku, upper: sku.toUpperCase() } };
        },
      },
    };
    const queueUrl = await sqs.createQueue('std-schema');
    const queue = new SqsQueue({ client: sqs.client, schema: order, queueUrl });
    const { results } = await queue.sendAll([{ sku: 'ab-1' }, { sku: 5 as unknown as string }]);
    expect(results[1]).toMatchObject({
      ok: false,
      error: { issues: [{ message: 'sku must be a string', path: ['sku'] }] },
    });
    const [item] = await collect(queue.receive({ waitTimeSeconds: 0 }));
    expect(item?.ok && item.body).toEqual({ sku: 'ab-1', upper: 'AB-1' });
  });
});
