import { KicksawError } from '@kicksaw/core';

/** Where a missing object was looked for. */
export interface S3ObjectNotFoundErrorOptions {
  bucket: string;
  key: string;
  versionId?: string;
  cause?: unknown;
}

/**
 * The object does not exist (S3 answered `NoSuchKey` / 404). The message names the bucket and key
 * as an `s3://` URI; `bucket`, `key` and `versionId` are on the error.
 *
 * @example
 * ```ts
 * try {
 *   await getObjectStream({ client, bucket: 'in', key: 'contacts.csv' });
 * } catch (error) {
 *   if (error instanceof S3ObjectNotFoundError) logger.warn(error.message, { key: error.key });
 * }
 * ```
 */
export class S3ObjectNotFoundError extends KicksawError {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string | undefined;

  constructor(options: S3ObjectNotFoundErrorOptions) {
    const version = options.versionId ? ` (version ${options.versionId})` : '';
    super(`S3 object not found: s3://${options.bucket}/${options.key}${version}`, {
      code: 'S3_OBJECT_NOT_FOUND',
      cause: options.cause,
    });
    this.bucket = options.bucket;
    this.key = options.key;
    this.versionId = options.versionId;
  }
}

/**
 * True for the errors the SDK raises when an object is missing. A missing bucket (`NoSuchBucket`)
 * is not a missing object and stays as the SDK raised it; HEAD requests carry no error body, so
 * there a missing bucket looks like a missing object.
 */
export function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404;
}

/** `s3://bucket/key`, for messages. */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
