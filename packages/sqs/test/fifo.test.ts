import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Received, SqsQueue } from '../src/index.js';
import { type LocalSqs, startLocalSqs } from './support/local-sqs.js';

const event = z.object({ account: z.string(), seq: z.number().int() });
type Event = z.infer<typeof event>;

let sqs: LocalSqs;
beforeAll(async () => {
  sqs = await startLocalSqs();
});
afterAll(() => sqs?.stop());

async function fifoQueue(attributes: Record<string, string> = {}) {
  const queueUrl = await sqs.createQueue('events.fifo', attributes);
  return new SqsQueue({ client: sqs.client, schema: event, queueUrl, retry: { baseDelayMs: 1 } });
}

/** Receives and deletes until the queue answers empty; a FIFO queue hands out a group's next message once the one before is deleted. */
async function drain(queue: SqsQueue<typeof event>): Promise<Array<Received<Event>>> {
  const all: Array<Received<Event>> = [];
  for (;;) {
    const round: Array<Received<Event>> = [];
    for await (const item of queue.receive({ max: 10, waitTimeSeconds: 0 })) round.push(item);
    if (round.length === 0) return all;
    all.push(...round);
    const { failed } = await queue.deleteAll(round);
    expect(failed).toEqual([]);
  }
}

describe('SqsQueue on a FIFO queue', () => {
  it('keeps order within each message group and reports sequence numbers', async () => {
    const queue = await fifoQueue({ ContentBasedDeduplication: 'true' });
    expect(queue.fifo).toBe(true);
    const messages = Array.from({ length: 30 }, (_, i) => ({ account: `acct-${i % 3}`, seq: i }));
    const { sent, results } = await queue.sendAll(messages, { groupId: (m) => m.account });
    expect(sent).toBe(30);
    for (const result of results) expect(result.ok && result.sequenceNumber).toBeTruthy();
    const received = await drain(queue);
    expect(received).toHaveLength(30);
    const byGroup = new Map<string, number[]>();
    for (const item of received) {
      if (!item.ok) throw new Error(`unexpected problem ${item.rawBody}`);
      expect(item.groupId).toBe(item.body.account);
      byGroup.set(item.body.account, [...(byGroup.get(item.body.account) ?? []), item.body.seq]);
    }
    for (const [account, seqs] of byGroup) {
      expect(seqs, account).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs).toHaveLength(10);
    }
  });

  it('needs a group id: a message without one is refused before sending', async () => {
    const queue = await fifoQueue({ ContentBasedDeduplication: 'true' });
    const result = await queue.send({ account: 'a', seq: 1 });
    expect(result).toMatchObject({ ok: false, attempts: 0, error: { code: 'SQS_GROUP_ID_MISSING' } });
  });

  it('deduplicates by content: the queue setting, or a body hash on a queue without it', async () => {
    const withSetting = await fifoQueue({ ContentBasedDeduplication: 'true' });
    const twice = [
      { account: 'a', seq: 1 },
      { account: 'a', seq: 1 },
    ];
    const first = await withSetting.sendAll(twice, { groupId: 'g' });
    expect(first.sent).toBe(2);
    // SQS answers a duplicate with the first message's id and enqueues it once
    const ids = first.results.map((r) => (r.ok ? r.messageId : ''));
    expect(ids[0]).toBe(ids[1]);
    expect(await drain(withSetting)).toHaveLength(1);

    const without = await fifoQueue();
    const refused = await without.send({ account: 'a', seq: 1 }, { groupId: 'g' });
    expect(refused).toMatchObject({
      ok: false,
      attempts: 1,
      error: { code: 'InvalidParameterValue', senderFault: true },
    });
    const hashed = await without.sendAll(twice, { groupId: 'g', deduplication: 'body-hash' });
    expect(hashed.sent).toBe(2);
    expect(await drain(without)).toHaveLength(1);
  });

  it('takes a provided deduplication id per message', async () => {
    const queue = await fifoQueue();
    const { sent } = await queue.sendAll(
      [
        { account: 'a', seq: 1 },
        { account: 'a', seq: 2 },
        { account: 'a', seq: 1 },
      ],
      { groupId: 'g', deduplicationId: (m) => `seq-${m.seq}` },
    );
    expect(sent).toBe(3);
    const received = await drain(queue);
    expect(received.map((r) => (r.ok ? r.body.seq : -1))).toEqual([1, 2]);
  });

  it('per-message delays are refused by SQS on FIFO queues and come back as results', async () => {
    const queue = await fifoQueue({ ContentBasedDeduplication: 'true' });
    const result = await queue.send({ account: 'a', seq: 1 }, { groupId: 'g', delaySeconds: 5 });
    expect(result).toMatchObject({ ok: false, error: { code: 'InvalidParameterValue', senderFault: true } });
  });
});
