import { S3Client } from '@aws-sdk/client-s3';
import { type LocalS3, startLocalS3, withoutProxyVariables } from '@kicksaw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveKeyFor, getObjectStream, listKeys, moveObject, respondToS3Event, uploadObject } from '../src/index.js';
import { s3Notification, sqsEvent, sqsRecord } from './fixtures/events.js';

withoutProxyVariables();

describe('the README example', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startLocalS3();
  });
  afterAll(() => s3?.stop());

  it('imports, archives, and reports the failed SQS message', async () => {
    const bucket = await s3.createBucket();
    // the README's handler, with the client pointed at the local S3
    const client = new S3Client(s3.clientConfig);
    const handler = async (event: unknown) => {
      const { results, batchItemFailures } = await respondToS3Event(
        event,
        async ({ bucket, key }) => {
          const { body } = await getObjectStream({ client, bucket, key });
          let bytes = 0;
          for await (const chunk of body) bytes += (chunk as Buffer).length;
          await moveObject({ client, from: { bucket, key }, to: { bucket, key: archiveKeyFor(key) } });
          return bytes;
        },
        { concurrency: 2 },
      );
      return { results, batchItemFailures };
    };

    await uploadObject({ client, bucket, key: 'in/daily contacts+1.csv', body: 'a,b\n1,2\n' });
    const event = sqsEvent(
      sqsRecord(JSON.stringify(s3Notification('in/daily+contacts%2B1.csv')), 'message-ok'),
      sqsRecord(JSON.stringify(s3Notification('in/missing.csv')), 'message-missing'),
    );
    for (const record of event.Records) {
      const body = JSON.parse(record.body);
      body.Records[0].s3.bucket.name = bucket;
      record.body = JSON.stringify(body);
    }
    const { results, batchItemFailures } = await handler(event);
    expect(results[0]).toMatchObject({ ok: true, value: 8 });
    expect(results[1]).toMatchObject({ ok: false });
    expect(batchItemFailures).toEqual([{ itemIdentifier: 'message-missing' }]);
    const keys: string[] = [];
    for await (const key of listKeys({ client, bucket })) keys.push(key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^archive\/daily contacts\+1-\d{8}T\d{6}Z\.csv$/);
    client.destroy();
  });
});
