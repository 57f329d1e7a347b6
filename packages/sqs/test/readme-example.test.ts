import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type MessageProblem, type ReceivedMessage, SqsQueue } from '../src/index.js';
import { type LocalSqs, startLocalSqs } from './support/local-sqs.js';

describe('the README example', () => {
  let sqs: LocalSqs;
  beforeAll(async () => {
    sqs = await startLocalSqs();
  });
  afterAll(() => sqs?.stop());

  it('sends, receives, reports the invalid message and deletes', async () => {
    const logged: unknown[][] = [];
    const console = {
      log: (...args: unknown[]) => logged.push(['log', ...args]),
      warn: (...args: unknown[]) => logged.push(['warn', ...args]),
    };

    // The README's code, with the client pointed at this test's fauxqs instead of localhost:4566.
    const client = new SQSClient(sqs.clientConfig);
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'contacts-to-sync' }));

    const contact = z.object({ contactId: z.string(), email: z.email() });
    const queue = new SqsQueue({ client, schema: contact, queueUrl: QueueUrl });

    const { sent, failed } = await queue.sendAll([
      { contactId: '003A', email: 'ada@example.com' },
      { contactId: '003B', email: 'not an email' },
    ]);
    console.log(
      sent,
      failed.map((f) => [f.message.contactId, f.error.code]),
    );

    const handled: Array<ReceivedMessage<z.infer<typeof contact>> | MessageProblem> = [];
    for await (const item of queue.receive({ max: 100, waitTimeSeconds: 1, visibilityTimeout: 60 })) {
      if (item.ok) console.log('sync', item.body.contactId, item.body.email);
      else console.warn('bad message', item.rawBody, item.issues);
      handled.push(item);
    }
    const { deleted, failed: notDeleted } = await queue.deleteAll(handled);
    console.log(deleted, notDeleted);
    client.destroy();

    expect(logged).toEqual([
      ['log', 1, [['003B', 'SQS_MESSAGE_INVALID']]],
      ['log', 'sync', '003A', 'ada@example.com'],
      ['log', 1, []],
    ]);
  });
});
