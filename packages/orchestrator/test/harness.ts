import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { listKeys } from '@kicksaw/s3';
import { startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { type LocalS3, startLocalS3 } from '@kicksaw/testkit';
import { Connection } from 'jsforce';

// jsforce honours http(s)_proxy and ignores NO_PROXY: keep test traffic on 127.0.0.1.
for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];

export type Emulator = Awaited<ReturnType<typeof startSalesforceEmulator>>;

/** A local S3 and a local org with an external id on Contact, both over HTTP on 127.0.0.1. */
export interface Harness {
  s3: LocalS3;
  sf: Emulator;
  connection: Connection;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const [s3, sf] = await Promise.all([
    startLocalS3(),
    startSalesforceEmulator({ integrationObjects: true, objects: [CONTACT_EXTERNAL_ID] }),
  ]);
  const connection = new Connection({
    instanceUrl: sf.instanceUrl,
    accessToken: sf.accessToken,
    version: sf.apiVersion,
  });
  return {
    s3,
    sf,
    connection,
    async stop() {
      await Promise.all([s3.stop(), sf.stop()]);
    },
  };
}

/** Contact gains an external id, as a custom field deployed to a real org would give it. */
export const CONTACT_EXTERNAL_ID = {
  name: 'Contact',
  merge: true,
  fields: [{ name: 'External_Id__c', type: 'string' as const, length: 40, externalId: true, unique: true }],
};

export async function putText(s3: LocalS3, bucket: string, key: string, body: string | Uint8Array): Promise<string> {
  const put = await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return put.ETag ?? '';
}

export async function getText(s3: LocalS3, bucket: string, key: string): Promise<string> {
  const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await got.Body?.transformToString('utf8')) ?? '';
}

export async function keysUnder(s3: LocalS3, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of listKeys({ client: s3.client, bucket, prefix })) keys.push(key);
  return keys.sort();
}

/** An S3 notification for one object, as S3 sends it to Lambda. */
export function s3Event(bucket: string, key: string, eTag: string, size = 0): unknown {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'import',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: encodeURIComponent(key).replace(/%20/g, '+'),
            size,
            eTag: eTag.replaceAll('"', ''),
            sequencer: '0A1B2C3D4E5F678901',
          },
        },
      },
    ],
  };
}

/** The same notification wrapped in an SQS message. */
export function sqsEvent(inner: unknown, messageId: string): unknown {
  return {
    Records: [
      {
        messageId,
        receiptHandle: `handle-${messageId}`,
        body: JSON.stringify(inner),
        attributes: {},
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:imports',
        awsRegion: 'us-east-1',
      },
    ],
  };
}
