import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../src/index.js';

describe('startLocalS3', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startLocalS3();
  });
  afterAll(async () => {
    await s3.stop();
  });

  it('serves S3 on 127.0.0.1 with a ready client', async () => {
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s3.region).toBe('us-east-1');
    const bucket = await s3.createBucket();
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a b/c.txt', Body: 'hello' }));
    const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a b/c.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello');
  });

  it('creates buckets with unique names, or the name given', async () => {
    const a = await s3.createBucket();
    const b = await s3.createBucket();
    expect(a).not.toBe(b);
    expect(await s3.createBucket('named-bucket')).toBe('named-bucket');
  });

  it('stops, and stop is idempotent', async () => {
    const other = await startLocalS3({ region: 'eu-west-1' });
    expect(other.region).toBe('eu-west-1');
    await other.stop();
    await other.stop();
    await expect(fetch(`${other.endpoint}/`)).rejects.toThrow();
  });
});
