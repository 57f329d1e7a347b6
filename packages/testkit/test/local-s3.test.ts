import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3, startLocalS3WithBucket, withoutProxyVariables } from '../src/index.js';

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

describe('startLocalS3WithBucket', () => {
  it('starts a local S3 with an empty bucket of a unique name in it', async () => {
    const { s3, bucket } = await startLocalS3WithBucket();
    try {
      const other = await s3.createBucket();
      expect(other).not.toBe(bucket);
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));
      const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
      expect(await got.Body?.transformToString()).toBe('v');
    } finally {
      await s3.stop();
    }
  });
});

describe('withoutProxyVariables', () => {
  it('removes the four proxy variables and nothing else', () => {
    const names = ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    try {
      for (const name of names) process.env[name] = 'http://127.0.0.1:9';
      withoutProxyVariables();
      expect(names.filter((name) => name in process.env)).toEqual(['NO_PROXY']);
    } finally {
      for (const name of names) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });
});
