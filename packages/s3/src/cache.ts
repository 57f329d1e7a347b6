import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { InputError, timestamp } from '@kicksaw/core';
import { deleteObject } from './delete.js';
import { s3Uri } from './errors.js';
import { getObjectStream } from './read.js';
import { uploadObject } from './upload.js';

/**
 * Stores JSON in S3 and returns where, so a Step Functions state can pass `{ bucket, key }` instead
 * of a payload over the 256 KB state limit (`cache_data_in_s3` in the Python
 * kicksaw-integration-utils). The default key is
 * `<prefix>/data-<timestamp>-<random>.json` (prefix `cache`), unique per call.
 *
 * @example
 * ```ts
 * const ref = await cacheJson(bigPayload, { client, bucket: 'state' });
 * return ref; // { bucket: 'state', key: 'cache/data-20220705T143012Z-1a2b3c4d.json' }
 * ```
 */
export async function cacheJson(
  data: unknown,
  options: { client: S3Client; bucket: string; key?: string; prefix?: string },
): Promise<{ bucket: string; key: string }> {
  const text = JSON.stringify(data);
  if (text === undefined) {
    throw new InputError(`Cannot cache ${typeof data} as JSON`, { code: 'JSON_CACHE_INVALID' });
  }
  const prefix = (options.prefix ?? 'cache').replace(/\/+$/, '');
  const key = options.key ?? `${prefix ? `${prefix}/` : ''}data-${timestamp()}-${randomUUID().slice(0, 8)}.json`;
  await uploadObject({
    client: options.client,
    bucket: options.bucket,
    key,
    body: text,
    contentType: 'application/json',
  });
  return { bucket: options.bucket, key };
}

/**
 * Reads JSON stored by {@link cacheJson} (`pull_cached_data_from_s3` in the Python
 * kicksaw-integration-utils). With
 * `delete: true` the object is removed once it has been read and parsed.
 *
 * @throws S3ObjectNotFoundError when the object is missing.
 * @throws InputError when it is not JSON.
 * @example
 * ```ts
 * const payload = await readCachedJson<Contact[]>({ client, bucket: ref.bucket, key: ref.key, delete: true });
 * ```
 */
export async function readCachedJson<T = unknown>(options: {
  client: S3Client;
  bucket: string;
  key: string;
  delete?: boolean;
}): Promise<T> {
  const { body } = await getObjectStream(options);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  let data: T;
  try {
    data = JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
  } catch (cause) {
    throw new InputError('Cached object is not JSON', {
      code: 'JSON_CACHE_INVALID',
      source: s3Uri(options.bucket, options.key),
      cause,
    });
  }
  if (options.delete) await deleteObject(options);
  return data;
}
