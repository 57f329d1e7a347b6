import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  acknowledgeMessages,
  getQueueUrl,
  pullMessages,
  SqsQueue,
  SqsQueueNotFoundError,
  sendMessages,
} from '../src/index.js';
import { type LocalSqs, startLocalSqs } from './support/local-sqs.js';

let sqs: LocalSqs;
beforeAll(async () => {
  sqs = await startLocalSqs();
});
afterAll(() => sqs?.stop());

const row = z.object({ n: z.number() });

describe('the Python toolkit names', () => {
  it('getQueueUrl, sendMessages, pullMessages (problems apart), acknowledgeMessages', async () => {
    const url = await sqs.createQueue('py');
    const name = url.split('/').at(-1) as string;
    expect(await getQueueUrl(sqs.client, name)).toBe(url);
    await expect(getQueueUrl(sqs.client, 'missing-queue')).rejects.toBeInstanceOf(SqsQueueNotFoundError);

    const queue = new SqsQueue({ client: sqs.client, schema: row, queueName: name });
    const { sent } = await sendMessages(
      queue,
      Array.from({ length: 15 }, (_, n) => ({ n })),
    );
    expect(sent).toBe(15);
    await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"n":"x"}' }));

    const first = await pullMessages(queue, 10, { waitTimeSeconds: 0, visibilityTimeout: 600 });
    expect(first.messages.length + first.problems.length).toBe(10);
    const rest = await pullMessages(queue, 10_000, { waitTimeSeconds: 0, visibilityTimeout: 600 });
    const messages = [...first.messages, ...rest.messages];
    const problems = [...first.problems, ...rest.problems];
    expect(messages.map((m) => m.body.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, n) => n));
    expect(problems.map((p) => p.rawBody)).toEqual(['{"n":"x"}']);

    expect(await acknowledgeMessages(queue, [...messages, ...problems])).toEqual({ deleted: 16, failed: [] });
    expect((await pullMessages(queue, 10, { waitTimeSeconds: 0 })).messages).toEqual([]);
  });
});
