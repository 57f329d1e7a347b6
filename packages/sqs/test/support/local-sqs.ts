import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { type LocalS3, startLocalS3, withoutProxyVariables } from '@kicksaw/testkit';

// The SDK would send even requests to 127.0.0.1 through a proxy of the environment.
withoutProxyVariables();

/** fauxqs (started by the testkit for S3) serves SQS on the same port: a real SQSClient pointed at it. */
export interface LocalSqs {
  client: SQSClient;
  clientConfig: SQSClientConfig;
  endpoint: string;
  region: string;
  /** Creates a queue (a unique name with the given prefix; `.fifo` names make FIFO queues) and returns its URL. */
  createQueue(prefix?: string, attributes?: Record<string, string>): Promise<string>;
  /**
   * A client for another endpoint (the fault proxy) with the same settings. `maxAttempts: 1` turns the
   * SDK's own retries off, so the package's retries are what a test sees (and no SDK backoff is slept).
   */
  clientFor(endpoint: string, config?: SQSClientConfig): SQSClient;
  stop(): Promise<void>;
}

let counter = 0;

export async function startLocalSqs(): Promise<LocalSqs> {
  const local: LocalS3 = await startLocalS3();
  const clientConfig: SQSClientConfig = {
    endpoint: local.endpoint,
    region: local.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const client = new SQSClient(clientConfig);
  const clients: SQSClient[] = [client];
  return {
    client,
    clientConfig,
    endpoint: local.endpoint,
    region: local.region,
    async createQueue(prefix = 'test', attributes = {}) {
      counter += 1;
      const fifo = prefix.endsWith('.fifo');
      const base = fifo ? prefix.slice(0, -'.fifo'.length) : prefix;
      const name = `${base}-${randomBytes(3).toString('hex')}-${counter}${fifo ? '.fifo' : ''}`;
      const answer = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      return answer.QueueUrl as string;
    },
    clientFor(endpoint, config = {}) {
      const other = new SQSClient({ ...clientConfig, maxAttempts: 1, ...config, endpoint });
      clients.push(other);
      return other;
    },
    async stop() {
      for (const each of clients) each.destroy();
      await local.stop();
    },
  };
}
