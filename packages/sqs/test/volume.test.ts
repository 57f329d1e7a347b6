import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SqsQueue } from '../src/index.js';
import { type LocalSqs, startLocalSqs } from './support/local-sqs.js';

let sqs: LocalSqs;
beforeAll(async () => {
  sqs = await startLocalSqs();
});
afterAll(() => sqs?.stop());

describe('10,000 messages', () => {
  it('sends with sendAll, receives each exactly once, deletes them all', async () => {
    const total = 10_000;
    const queueUrl = await sqs.createQueue('volume');
    const queue = new SqsQueue({ client: sqs.client, schema: z.object({ n: z.number().int() }), queueUrl });

    // a generator: sendAll never needs the input as an array
    function* rows() {
      for (let n = 0; n < total; n += 1) yield { n };
    }
    const { sent, failed, results } = await queue.sendAll(rows(), { concurrency: 8 });
    expect(failed).toEqual([]);
    expect(sent).toBe(total);
    expect(new Set(results.map((r) => (r.ok ? r.messageId : ''))).size).toBe(total);

    const seen = new Uint8Array(total);
    const handles: string[] = [];
    const messageIds = new Set<string>();
    for await (const item of queue.receive({
      max: Number.POSITIVE_INFINITY,
      waitTimeSeconds: 0,
      visibilityTimeout: 900,
    })) {
      if (!item.ok) throw new Error(`problem: ${item.rawBody}`);
      seen[item.body.n] = (seen[item.body.n] ?? 0) + 1;
      messageIds.add(item.messageId);
      handles.push(item.receiptHandle);
    }
    expect(handles).toHaveLength(total);
    expect(messageIds.size).toBe(total);
    expect(seen.every((count) => count === 1)).toBe(true);

    const { deleted, failed: notDeleted } = await queue.deleteAll(handles);
    expect(notDeleted).toEqual([]);
    expect(deleted).toBe(total);
    const after: unknown[] = [];
    for await (const item of queue.receive({ waitTimeSeconds: 0 })) after.push(item);
    expect(after).toEqual([]);
    // About 3,000 requests; alone it takes a few seconds, on a loaded 2-core machine several times that.
  }, 120_000);
});
