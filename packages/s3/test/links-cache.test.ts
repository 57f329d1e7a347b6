import { Readable } from 'node:stream';
import { InputError } from '@kicksaw/core';
import { type LocalS3, startLocalS3WithBucket, withoutProxyVariables } from '@kicksaw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheJson,
  copyObject,
  getObjectStream,
  headObject,
  moveObject,
  objectExists,
  presignGetUrl,
  readCachedJson,
  S3ObjectNotFoundError,
  uploadObject,
} from '../src/index.js';

withoutProxyVariables();

const MiB = 1024 * 1024;

describe('links, JSON cache and multipart copy against a local S3', () => {
  let s3: LocalS3;
  let bucket: string;
  beforeAll(async () => {
    ({ s3, bucket } = await startLocalS3WithBucket());
  });
  afterAll(() => s3?.stop());

  it('presigns a GET URL that downloads the object over plain HTTP', async () => {
    const { client } = s3;
    const key = 'reports/error report + 東京.csv';
    await uploadObject({ client, bucket, key, body: 'row,error\n1,bad\n', contentType: 'text/csv' });
    const url = await presignGetUrl({ client, bucket, key });
    const parsed = new URL(url);
    expect(parsed.origin).toBe(s3.endpoint);
    expect(parsed.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(parsed.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('row,error\n1,bad\n');

    const day = await presignGetUrl({ client, bucket, key, expiresIn: 86_400, downloadName: 'errors.csv' });
    expect(new URL(day).searchParams.get('X-Amz-Expires')).toBe('86400');
    expect(new URL(day).searchParams.get('response-content-disposition')).toBe(
      "attachment; filename*=UTF-8''errors.csv",
    );
    await expect(presignGetUrl({ client, bucket, key, expiresIn: 8 * 24 * 3600 })).rejects.toThrow(RangeError);
    await expect(presignGetUrl({ client, bucket, key, expiresIn: 0 })).rejects.toThrow(RangeError);
  });

  it('caches JSON over 256 KB and reads it back, deleting it on request', async () => {
    const { client } = s3;
    const data = Array.from({ length: 5000 }, (_, i) => ({ Id: `a${i}`, Name: `Contact ${i} — ü`, Amount: i * 1.5 }));
    expect(JSON.stringify(data).length).toBeGreaterThan(256 * 1024);
    const ref = await cacheJson(data, { client, bucket });
    expect(ref.bucket).toBe(bucket);
    expect(ref.key).toMatch(/^cache\/data-\d{8}T\d{6}Z-[0-9a-f]{8}\.json$/);
    expect((await headObject({ client, ...ref }))?.contentType).toBe('application/json');
    expect(await readCachedJson({ client, ...ref })).toEqual(data);
    expect(await objectExists({ client, ...ref })).toBe(true);
    expect(await readCachedJson({ client, ...ref, delete: true })).toEqual(data);
    expect(await objectExists({ client, ...ref })).toBe(false);
    await expect(readCachedJson({ client, ...ref })).rejects.toBeInstanceOf(S3ObjectNotFoundError);

    const other = await cacheJson({ a: 1 }, { client, bucket, prefix: 'step-fn/' });
    expect(other.key).toMatch(/^step-fn\/data-/);
    expect(other.key).not.toBe((await cacheJson({ a: 1 }, { client, bucket, prefix: 'step-fn' })).key);
    expect(await cacheJson([1], { client, bucket, key: 'fixed.json' })).toEqual({ bucket, key: 'fixed.json' });
    expect(await readCachedJson<number[]>({ client, bucket, key: 'fixed.json' })).toEqual([1]);
  });

  it('refuses to cache what is not JSON, and to read an object that is not JSON', async () => {
    const { client } = s3;
    await expect(cacheJson(undefined, { client, bucket })).rejects.toBeInstanceOf(InputError);
    await uploadObject({ client, bucket, key: 'not.json', body: 'a,b\n' });
    const error = await readCachedJson({ client, bucket, key: 'not.json', delete: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(`s3://${bucket}/not.json`);
    // a failed read never deletes
    expect(await objectExists({ client, bucket, key: 'not.json' })).toBe(true);
  });

  it('copies in parts (UploadPartCopy) above the threshold, byte for byte, keeping type and metadata', async () => {
    const { client } = s3;
    const size = 12 * MiB + 12_345;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 1) data[i] = (i * 31 + (i >> 12)) & 0xff;
    const key = 'copy/big source + ü.bin';
    await uploadObject({
      client,
      bucket,
      key,
      body: Readable.from([data.subarray(0, 7 * MiB), data.subarray(7 * MiB)]),
      contentType: 'application/octet-stream',
      metadata: { origin: 'test' },
    });
    const result = await copyObject({
      client,
      from: { bucket, key },
      to: { bucket, key: 'copy/big target + ü.bin' },
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
    });
    // a multipart ETag ends with the part count: 12 MiB in 5 MiB parts is 3
    expect(result.eTag).toMatch(/-3"$/);
    const head = await headObject({ client, bucket, key: 'copy/big target + ü.bin' });
    expect(head).toMatchObject({ size, contentType: 'application/octet-stream', metadata: { origin: 'test' } });
    const { body } = await getObjectStream({ client, bucket, key: 'copy/big target + ü.bin' });
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);

    // and a move above the threshold removes the source
    await moveObject({
      client,
      from: { bucket, key: 'copy/big target + ü.bin' },
      to: { bucket, key: 'copy/moved.bin' },
      multipartThreshold: 5 * MiB,
    });
    expect(await objectExists({ client, bucket, key: 'copy/big target + ü.bin' })).toBe(false);
    expect((await headObject({ client, bucket, key: 'copy/moved.bin' }))?.size).toBe(size);
  });
});
