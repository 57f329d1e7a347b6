import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { isQueueNotFound, SqsQueueNotFoundError } from './errors.js';

/**
 * The URL of a queue by name (the Python toolkit's `get_queue_url`), optionally in another account.
 *
 * @throws SqsQueueNotFoundError when SQS knows no such queue.
 * @example
 * ```ts
 * const url = await getQueueUrl(client, 'contacts-to-sync');
 * ```
 */
export async function getQueueUrl(client: SQSClient, queueName: string, accountId?: string): Promise<string> {
  try {
    const answer = await client.send(
      new GetQueueUrlCommand(
        accountId ? { QueueName: queueName, QueueOwnerAWSAccountId: accountId } : { QueueName: queueName },
      ),
    );
    if (!answer.QueueUrl) throw new SqsQueueNotFoundError({ queue: queueName, ...(accountId ? { accountId } : {}) });
    return answer.QueueUrl;
  } catch (error) {
    if (isQueueNotFound(error)) {
      throw new SqsQueueNotFoundError({ queue: queueName, ...(accountId ? { accountId } : {}), cause: error });
    }
    throw error;
  }
}

/** The standard SQS endpoint's queue URL. */
export function queueUrlFor(region: string, accountId: string, name: string): string {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${accountId}/${name}`;
}

/** Where a queue given by name is: with an account, the URL is built; without, GetQueueUrl is asked. */
export interface QueueByName {
  client: SQSClient;
  queueName: string;
  accountId?: string | undefined;
  /** Default: the client's region. */
  region?: string | undefined;
}

/** The URL of a queue given by name (see {@link QueueByName}). */
export async function resolveQueueUrl({ client, queueName, accountId, region }: QueueByName): Promise<string> {
  if (accountId) return queueUrlFor(region ?? (await client.config.region()), accountId, queueName);
  return getQueueUrl(client, queueName);
}

/** The queue's name: the one given, or the last part of the URL's path. */
export function queueNameOf(queueUrl: string | undefined, queueName: string | undefined): string | undefined {
  return queueName ?? new URL(queueUrl as string).pathname.split('/').filter(Boolean).at(-1);
}
