import { createHash } from 'node:crypto';
import type { SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { PerMessage, SendFailure } from './message-entry.js';

// The message group and deduplication fields of an entry. A FIFO queue (its name ends in `.fifo`) needs a
// group for every message; a standard queue passes a group on (fair queues) and takes no deduplication id.

/**
 * The FIFO settings of a send.
 *
 * @example
 * ```ts
 * await orders.sendAll(rows, { groupId: (order) => order.accountId, deduplication: 'body-hash' });
 * ```
 */
export interface FifoOptions<I> {
  /** FIFO queues: the message group (`MessageGroupId`), required there. Standard queues pass it on (fair queues). */
  groupId?: PerMessage<I, string>;
  /** FIFO queues: the `MessageDeduplicationId`. Without it, `deduplication` decides. */
  deduplicationId?: PerMessage<I, string>;
  /**
   * FIFO queues without `deduplicationId`: `queue` (default) sends no id and relies on the queue's
   * content-based deduplication (SQS refuses the message when that is off); `body-hash` sends the
   * SHA-256 of the body as the id, which deduplicates by content on any FIFO queue.
   */
  deduplication?: 'queue' | 'body-hash';
}

type FifoFields = Pick<SendMessageBatchRequestEntry, 'MessageGroupId' | 'MessageDeduplicationId'>;

/** One message's values of {@link FifoOptions}. */
export interface FifoValues {
  groupId: string | undefined;
  /** Asked only when the queue is FIFO and the message has a group. */
  deduplicationId: () => string | undefined;
  deduplication: FifoOptions<unknown>['deduplication'];
}

/** The group and deduplication fields of one message's entry, or why a FIFO queue cannot take it. */
export function fifoFields(
  queue: { name: string; fifo: boolean },
  body: string,
  { groupId, deduplicationId, deduplication }: FifoValues,
): FifoFields | { error: SendFailure } {
  const fields: FifoFields = {};
  if (groupId !== undefined) fields.MessageGroupId = groupId;
  if (!queue.fifo) return fields;
  if (groupId === undefined) {
    return {
      error: {
        code: 'SQS_GROUP_ID_MISSING',
        reason: `FIFO queue ${queue.name} needs a message group for every message: pass groupId`,
        senderFault: true,
      },
    };
  }
  const id = deduplicationId();
  if (id !== undefined) fields.MessageDeduplicationId = id;
  else if (deduplication === 'body-hash') {
    fields.MessageDeduplicationId = createHash('sha256').update(body).digest('hex');
  }
  return fields;
}
