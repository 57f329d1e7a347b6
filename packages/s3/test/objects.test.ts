import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ReadableStream } from 'node:stream/web';
import type { S3Client } from '@aws-sdk/client-s3';
import { InputError, KicksawError } from '@kicksaw/core';
import { type LocalS3, startLocalS3WithBucket, withoutProxyVariables } from '@kicksaw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyObject,
  createS3Client,
  deleteObject,
  downloadToFile,
  getObjectStream,
  headObject,
  listKeys,
  moveObject,
  objectExists,
  S3ObjectNotFoundError,
  uploadFile,
  uploadObject,
} from '../src/index.js';

withoutProxyVariables();

const MiB = 1024 * 1024;

async function readAll(body: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

const tricky = [
  'plain/a.csv',
  'with space/a b.csv',
  'plus/a+b.csv',
  'percent/100% done.csv',
  'unicode/Größe ü 東京 🚀.csv',
  'mix/a + b %2B c.csv',
];

describe('objects against a local S3', () => {
  let s3: LocalS3;
  let bucket: string;
  let dir: string;

  beforeAll(async () => {
    ({ s3, bucket } = await startLocalS3WithBucket());
    dir = await mkdtemp(join(tmpdir(), 'kicksaw-s3-'));
  });
  afterAll(async () => {
    await s3?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('createS3Client builds a client from the config', async () => {
    const client = createS3Client(s3.clientConfig);
    await uploadObject({ client, bucket, key: 'client/x.txt', body: 'x' });
    expect(await objectExists({ client, bucket, key: 'client/x.txt' })).toBe(true);
    client.destroy();
  });

  it('uploads strings, bytes, streams and async iterables with content type and metadata', async () => {
    const { client } = s3;
    const result = await uploadObject({
      client,
      bucket,
      key: 'up/string.csv',
      body: 'a,b\n1,2\n',
      contentType: 'text/csv',
      metadata: { source: 'test', row_count: '1' },
    });
    expect(result).toMatchObject({ bucket, key: 'up/string.csv' });
    expect(result.eTag).toMatch(/^"[0-9a-f]{32}"$/);
    const head = await headObject({ client, bucket, key: 'up/string.csv' });
    expect(head).toMatchObject({ size: 8, contentType: 'text/csv', metadata: { source: 'test', row_count: '1' } });

    await uploadObject({ client, bucket, key: 'up/bytes.bin', body: new Uint8Array([0, 1, 2, 255]) });
    expect((await headObject({ client, bucket, key: 'up/bytes.bin' }))?.size).toBe(4);

    await uploadObject({ client, bucket, key: 'up/stream.txt', body: Readable.from(['abc', 'def']) });
    async function* gen() {
      yield 'héllo ';
      yield new TextEncoder().encode('wörld');
    }
    await uploadObject({ client, bucket, key: 'up/iterable.txt', body: gen() });
    const { body } = await getObjectStream({ client, bucket, key: 'up/iterable.txt' });
    expect((await readAll(body)).toString('utf8')).toBe('héllo wörld');
    const stream = await getObjectStream({ client, bucket, key: 'up/stream.txt' });
    expect((await readAll(stream.body)).toString()).toBe('abcdef');
  });

  it('round-trips keys with spaces, +, % and unicode through every object function', async () => {
    const { client } = s3;
    for (const key of tricky) {
      await uploadObject({ client, bucket, key, body: `content of ${key}` });
      expect(await objectExists({ client, bucket, key })).toBe(true);
      const got = await getObjectStream({ client, bucket, key });
      expect((await readAll(got.body)).toString()).toBe(`content of ${key}`);
      const copied = `copied/${key}`;
      await copyObject({ client, from: { bucket, key }, to: { bucket, key: copied } });
      expect(await objectExists({ client, bucket, key: copied })).toBe(true);
      const moved = `moved/${key}`;
      await moveObject({ client, from: { bucket, key: copied }, to: { bucket, key: moved } });
      expect(await objectExists({ client, bucket, key: copied })).toBe(false);
      const path = await downloadToFile({ client, bucket, key: moved, directory: dir });
      expect(path).toBe(join(dir, ...moved.split('/')));
      expect(await readFile(path, 'utf8')).toBe(`content of ${key}`);
    }
    const listed: string[] = [];
    for await (const key of listKeys({ client, bucket, prefix: 'moved/' })) listed.push(key);
    expect(listed.sort()).toEqual(tricky.map((key) => `moved/${key}`).sort());
    // 'plus/a+b.csv' and 'with space/a b.csv' stay distinct objects
    expect(await objectExists({ client, bucket, key: 'plus/a b.csv' })).toBe(false);
  });

  it('a missing object is an S3ObjectNotFoundError naming bucket and key', async () => {
    const { client } = s3;
    const error = await getObjectStream({ client, bucket, key: 'nope/missing file.csv' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3ObjectNotFoundError);
    expect(error).toBeInstanceOf(KicksawError);
    expect((error as S3ObjectNotFoundError).message).toBe(`S3 object not found: s3://${bucket}/nope/missing file.csv`);
    expect(error).toMatchObject({ bucket, key: 'nope/missing file.csv', code: 'S3_OBJECT_NOT_FOUND' });
    await expect(downloadToFile({ client, bucket, key: 'nope.csv', directory: dir })).rejects.toBeInstanceOf(
      S3ObjectNotFoundError,
    );
    await expect(
      copyObject({ client, from: { bucket, key: 'nope.csv' }, to: { bucket, key: 'x.csv' } }),
    ).rejects.toBeInstanceOf(S3ObjectNotFoundError);
    await expect(
      moveObject({ client, from: { bucket, key: 'nope.csv' }, to: { bucket, key: 'x.csv' } }),
    ).rejects.toBeInstanceOf(S3ObjectNotFoundError);
    expect(await headObject({ client, bucket, key: 'nope.csv' })).toBeUndefined();
    // a missing bucket is not a missing object
    const noBucket = await getObjectStream({ client, bucket: 'no-such-bucket', key: 'a.csv' }).catch((e: unknown) => e);
    expect(noBucket).not.toBeInstanceOf(S3ObjectNotFoundError);
    expect((noBucket as Error).name).toBe('NoSuchBucket');
    expect(await objectExists({ client, bucket, key: 'nope.csv' })).toBe(false);
  });

  it('refuses keys that would escape the download folder, before any request', async () => {
    const { client } = s3;
    for (const key of ['../evil.csv', 'a/../../evil.csv', '/etc/passwd', 'a/..', '..', 'folder/', '']) {
      const error = await downloadToFile({ client, bucket, key, directory: dir }).catch((e: unknown) => e);
      expect(error, key).toBeInstanceOf(InputError);
      expect((error as InputError).code).toBe('S3_KEY_UNSAFE');
    }
    // a key with dots that stays inside is fine
    await uploadObject({ client, bucket, key: 'dots/..hidden/a..b.csv', body: 'ok' });
    const path = await downloadToFile({ client, bucket, key: 'dots/..hidden/a..b.csv', directory: dir });
    expect(await readFile(path, 'utf8')).toBe('ok');
  });

  it('moves across buckets, deletes, and refuses to move an object onto itself', async () => {
    const { client } = s3;
    const other = await s3.createBucket();
    await uploadObject({ client, bucket, key: 'move/a.csv', body: 'a', contentType: 'text/csv', metadata: { k: 'v' } });
    await moveObject({ client, from: { bucket, key: 'move/a.csv' }, to: { bucket: other, key: 'archive/a.csv' } });
    expect(await objectExists({ client, bucket, key: 'move/a.csv' })).toBe(false);
    expect(await headObject({ client, bucket: other, key: 'archive/a.csv' })).toMatchObject({
      size: 1,
      contentType: 'text/csv',
      metadata: { k: 'v' },
    });
    await expect(
      moveObject({
        client,
        from: { bucket: other, key: 'archive/a.csv' },
        to: { bucket: other, key: 'archive/a.csv' },
      }),
    ).rejects.toThrow(/onto itself/);
    expect(await objectExists({ client, bucket: other, key: 'archive/a.csv' })).toBe(true);
    await deleteObject({ client, bucket: other, key: 'archive/a.csv' });
    expect(await objectExists({ client, bucket: other, key: 'archive/a.csv' })).toBe(false);
    await deleteObject({ client, bucket: other, key: 'archive/a.csv' }); // deleting again is fine
  });

  it('reads a web stream body (a client with a fetch handler) as a Node stream', async () => {
    // A hand-written stand-in for a client whose request handler is fetch-based: its Body is a web stream.
    const webClient = {
      send: async () => ({
        Body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('from a '));
            controller.enqueue(new TextEncoder().encode('web stream'));
            controller.close();
          },
        }),
        ContentLength: 17,
      }),
    } as unknown as S3Client;
    const { body, size } = await getObjectStream({ client: webClient, bucket, key: 'web.txt' });
    expect(body).toBeInstanceOf(Readable);
    expect(size).toBe(17);
    expect((await readAll(body)).toString()).toBe('from a web stream');
  });

  it('uploads and downloads empty objects', async () => {
    const { client } = s3;
    await uploadObject({ client, bucket, key: 'empty/string.csv', body: '' });
    await uploadObject({ client, bucket, key: 'empty/stream.csv', body: Readable.from([]) });
    for (const key of ['empty/string.csv', 'empty/stream.csv']) {
      expect((await headObject({ client, bucket, key }))?.size, key).toBe(0);
      const path = await downloadToFile({ client, bucket, key, directory: dir });
      expect(await readFile(path, 'utf8')).toBe('');
    }
  });

  it('a body that fails midway rejects the upload and leaves no object', async () => {
    const { client } = s3;
    async function* failing() {
      yield Buffer.alloc(6 * MiB, 1);
      yield Buffer.alloc(2 * MiB, 2);
      throw new Error('source broke');
    }
    await expect(uploadObject({ client, bucket, key: 'broken/a.bin', body: failing() })).rejects.toThrow(
      /source broke/,
    );
    expect(await objectExists({ client, bucket, key: 'broken/a.bin' })).toBe(false);
  });

  it('uploads a file with a content type from its extension', async () => {
    const { client } = s3;
    const path = join(dir, 'local.csv');
    await writeFile(path, 'x,y\n');
    await uploadFile({ client, bucket, key: 'files/local.csv', path, metadata: { a: 'b' } });
    expect(await headObject({ client, bucket, key: 'files/local.csv' })).toMatchObject({
      size: 4,
      contentType: 'text/csv',
      metadata: { a: 'b' },
    });
  });

  it('lists 1,100 keys under one prefix across pages, and nothing outside it', async () => {
    const { client } = s3;
    const keys = Array.from({ length: 1100 }, (_, i) => `many/${String(i).padStart(5, '0')}.csv`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => uploadObject({ client, bucket, key, body: key })));
    }
    await uploadObject({ client, bucket, key: 'many-not/x.csv', body: 'x' });
    const listed: string[] = [];
    for await (const key of listKeys({ client, bucket, prefix: 'many/' })) listed.push(key);
    expect(listed).toEqual(keys);
    const small: string[] = [];
    for await (const key of listKeys({ client, bucket, prefix: 'many/', pageSize: 333 })) small.push(key);
    expect(small).toEqual(keys);
    const none: string[] = [];
    for await (const key of listKeys({ client, bucket, prefix: 'nothing-here/' })) none.push(key);
    expect(none).toEqual([]);
  });

  it('uploads 50 MB multipart from a stream of unknown length and downloads it byte for byte', async () => {
    const { client } = s3;
    const size = 50 * 1000 * 1000;
    const hash = createHash('sha256');
    async function* generate() {
      let left = size;
      let seed = 1;
      while (left > 0) {
        const n = Math.min(left, 1 * MiB + 7);
        const chunk = Buffer.allocUnsafe(n);
        for (let i = 0; i < n; i += 1) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          chunk[i] = seed >>> 16;
        }
        hash.update(chunk);
        left -= n;
        yield chunk;
      }
    }
    const result = await uploadObject({ client, bucket, key: 'big/fifty MB.bin', body: generate() });
    const expected = hash.digest('hex');
    // a multipart ETag ends with -<part count>: 50 MB in 5 MiB parts is 10 parts
    expect(result.eTag).toMatch(/-10"$/);
    const head = await headObject({ client, bucket, key: 'big/fifty MB.bin' });
    expect(head?.size).toBe(size);
    const { body } = await getObjectStream({ client, bucket, key: 'big/fifty MB.bin' });
    const got = createHash('sha256');
    for await (const chunk of body) got.update(chunk as Buffer);
    expect(got.digest('hex')).toBe(expected);
    const path = await downloadToFile({ client, bucket, key: 'big/fifty MB.bin', directory: dir });
    expect((await stat(path)).size).toBe(size);
    expect(sha256(await readFile(path))).toBe(expected);
  });
});
