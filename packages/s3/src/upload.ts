import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { compact } from './compact.js';
import { MAX_PART_SIZE, MIN_PART_SIZE, partSizeFor } from './parts.js';

/**
 * A body {@link uploadObject} accepts: its length need not be known.
 *
 * @example
 * ```ts
 * const body: UploadBody = createReadStream('report.csv'); // or 'text', a Buffer, an async generator
 * ```
 */
export type UploadBody = string | Uint8Array | Readable | AsyncIterable<Uint8Array | string>;

/** Options of {@link uploadObject}. */
export interface UploadObjectOptions {
  client: S3Client;
  bucket: string;
  key: string;
  body: UploadBody;
  contentType?: string;
  /** User metadata (`x-amz-meta-*`). */
  metadata?: Record<string, string>;
  /**
   * Bytes per part. Default: the smallest that fits, 5 MiB, or for a body of known size, the size
   * divided by 10,000 parts when that is more. Memory held is about `partSize * queueSize`.
   */
  partSize?: number;
  /** Parts sent at once. Default 4. */
  queueSize?: number;
}

/**
 * Where an upload or copy landed.
 *
 * @example
 * ```ts
 * const { key, eTag } = await uploadObject({ client, bucket, key: 'out/a.csv', body: 'a\n' });
 * ```
 */
export interface PutResult {
  bucket: string;
  key: string;
  eTag?: string;
  versionId?: string;
}

function knownSize(body: UploadBody): number | undefined {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return undefined;
}

/**
 * Uploads a string, bytes, a Node stream or any async iterable of chunks (of unknown length) to
 * S3. Small bodies go in one request; larger ones go multipart through `@aws-sdk/lib-storage`,
 * streaming, with parts no bigger than needed (see {@link partSizeFor}). A failed multipart upload
 * is aborted.
 *
 * @example
 * ```ts
 * await uploadObject({ client, bucket: 'out', key: 'report.csv', body: csvStream, contentType: 'text/csv' });
 * ```
 */
export async function uploadObject(options: UploadObjectOptions): Promise<PutResult> {
  const { client, bucket, key, body, contentType, metadata } = options;
  const source =
    typeof body === 'string' || body instanceof Uint8Array || body instanceof Readable
      ? body
      : Readable.from(body as AsyncIterable<Uint8Array | string>, { objectMode: false });
  const partSize = options.partSize ?? partSizeFor(knownSize(body));
  if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new RangeError(`partSize must be between 5 MiB and 5 GiB, got ${partSize}`);
  }
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: source, ContentType: contentType, Metadata: metadata },
    partSize,
    queueSize: options.queueSize ?? 4,
    leavePartsOnError: false,
  });
  const result = await upload.done();
  return compact({ bucket, key, eTag: result.ETag, versionId: result.VersionId });
}

const CONTENT_TYPES: Record<string, string> = {
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.txt': 'text/plain',
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.xml': 'application/xml',
  '.gz': 'application/gzip',
  '.zip': 'application/zip',
  '.parquet': 'application/vnd.apache.parquet',
};

/**
 * Uploads a local file, streaming (multipart above 5 MiB). The content type defaults from the
 * extension (`.csv` -> `text/csv`, `.json` -> `application/json`, ...).
 *
 * @example
 * ```ts
 * await uploadFile({ client, bucket: 'out', key: 'errors/report.csv', path: '/tmp/report.csv' });
 * ```
 */
export async function uploadFile(options: {
  client: S3Client;
  bucket: string;
  key: string;
  path: string;
  contentType?: string;
  metadata?: Record<string, string>;
  partSize?: number;
}): Promise<PutResult> {
  const { size } = await stat(options.path);
  const extension = options.path.slice(options.path.lastIndexOf('.')).toLowerCase();
  return uploadObject({
    client: options.client,
    bucket: options.bucket,
    key: options.key,
    body: createReadStream(options.path),
    contentType: options.contentType ?? CONTENT_TYPES[extension],
    metadata: options.metadata,
    partSize: options.partSize ?? partSizeFor(size),
  });
}
