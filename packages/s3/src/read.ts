import { Readable } from 'node:stream';
import { ReadableStream } from 'node:stream/web';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { compact } from './compact.js';
import { isNotFound, S3ObjectNotFoundError, s3Uri } from './errors.js';

/** Where an object is. */
export interface ObjectLocation {
  bucket: string;
  key: string;
}

/** What {@link getObjectStream} returns. */
export interface ObjectStream {
  /** The object's bytes, streamed. Read it to the end or destroy it. */
  body: Readable;
  size?: number;
  eTag?: string;
  contentType?: string;
  metadata?: Record<string, string>;
  versionId?: string;
  lastModified?: Date;
}

/** The SDK's body as a Node stream: Node's handler gives one; a fetch handler gives a web stream. */
function toNodeStream(body: unknown): Readable | undefined {
  if (body instanceof Readable) return body;
  if (body instanceof ReadableStream) return Readable.fromWeb(body as ReadableStream<Uint8Array>);
  return undefined;
}

/**
 * Opens an object as a Node stream, without reading it into memory.
 *
 * @throws S3ObjectNotFoundError when there is no such object.
 * @example
 * ```ts
 * const { body, size } = await getObjectStream({ client, bucket: 'in', key: 'contacts.csv' });
 * for await (const chunk of body) process.stdout.write(chunk);
 * ```
 */
export async function getObjectStream(options: {
  client: S3Client;
  bucket: string;
  key: string;
  versionId?: string;
}): Promise<ObjectStream> {
  const { client, bucket, key, versionId } = options;
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    const body = toNodeStream(response.Body);
    if (!body) {
      throw new TypeError(`Expected a stream as the body of ${s3Uri(bucket, key)}, got ${typeof response.Body}`);
    }
    return {
      body,
      size: response.ContentLength,
      eTag: response.ETag,
      contentType: response.ContentType,
      metadata: response.Metadata,
      versionId: response.VersionId,
      lastModified: response.LastModified,
    };
  } catch (error) {
    if (isNotFound(error)) throw new S3ObjectNotFoundError({ bucket, key, versionId, cause: error });
    throw error;
  }
}

/**
 * What {@link headObject} returns.
 *
 * @example
 * ```ts
 * const head: ObjectHead | undefined = await headObject({ client, bucket, key });
 * // { size: 8, eTag: '"5d41..."', contentType: 'text/csv', metadata: { source: 'crm' }, lastModified: Date }
 * ```
 */
export interface ObjectHead {
  size: number;
  eTag: string;
  versionId?: string;
  contentType?: string;
  metadata: Record<string, string>;
  lastModified?: Date;
}

/**
 * An object's size, ETag, content type and metadata, or `undefined` when it does not exist.
 *
 * @example
 * ```ts
 * const head = await headObject({ client, bucket: 'in', key: 'a.csv' });
 * if (head) console.log(head.size);
 * ```
 */
export async function headObject(options: {
  client: S3Client;
  bucket: string;
  key: string;
  versionId?: string;
}): Promise<ObjectHead | undefined> {
  try {
    const response = await options.client.send(
      new HeadObjectCommand({ Bucket: options.bucket, Key: options.key, VersionId: options.versionId }),
    );
    return compact({
      size: response.ContentLength ?? 0,
      eTag: response.ETag ?? '',
      versionId: response.VersionId,
      contentType: response.ContentType,
      metadata: response.Metadata ?? {},
      lastModified: response.LastModified,
    });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Whether an object exists.
 *
 * @example
 * ```ts
 * if (!(await objectExists({ client, bucket: 'in', key: 'a.csv' }))) return;
 * ```
 */
export async function objectExists(options: { client: S3Client; bucket: string; key: string }): Promise<boolean> {
  return (await headObject(options)) !== undefined;
}
