import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ReadableStream } from 'node:stream/web';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { InputError } from '@kicksaw/core';
import { isNotFound, S3ObjectNotFoundError, s3Uri } from './errors.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3's smallest part (all but the last). */
export const MIN_PART_SIZE = 5 * MiB;
/** S3's largest part, and the largest object a single CopyObject can copy. */
export const MAX_PART_SIZE = 5 * GiB;
/** S3's limit on the number of parts of a multipart upload. */
export const MAX_PARTS = 10_000;

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
 * The local path an object's key maps to under `directory`, refusing keys that would land
 * outside it (`../`, absolute keys) or that name a folder rather than a file.
 *
 * @throws InputError (code `S3_KEY_UNSAFE`) for such keys.
 * @example
 * ```ts
 * localPathForKey('/tmp/in', 'a/b.csv'); // '/tmp/in/a/b.csv'
 * localPathForKey('/tmp/in', '../etc/passwd'); // throws InputError
 * ```
 */
export function localPathForKey(directory: string, key: string): string {
  const refuse = (why: string) =>
    new InputError(`Refusing to download key "${key}": ${why}`, { code: 'S3_KEY_UNSAFE', source: directory });
  if (key === '' || key.endsWith('/')) throw refuse('it names a folder, not a file');
  if (key.includes('\0')) throw refuse('it contains a NUL character');
  if (key.startsWith('/') || key.startsWith('\\') || isAbsolute(key) || /^[a-zA-Z]:/.test(key)) {
    throw refuse('it is an absolute path');
  }
  const segments = key.split(/[/\\]/);
  if (segments.some((segment) => segment === '..')) throw refuse('it climbs out of the download folder with ".."');
  const root = resolve(directory);
  const path = resolve(root, ...segments.filter((segment) => segment !== '' && segment !== '.'));
  const inside = relative(root, path);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
    throw refuse('it resolves outside the download folder');
  }
  return path;
}

/**
 * Downloads an object to a file under `directory`, the path mirroring the key (`a/b.csv` ->
 * `<directory>/a/b.csv`). Streams; writes to a temporary `.part` file and renames
 * it when complete, so a failed download never leaves a truncated file behind.
 *
 * @throws InputError (code `S3_KEY_UNSAFE`) for keys that would escape `directory`.
 * @throws S3ObjectNotFoundError when there is no such object.
 * @example
 * ```ts
 * const path = await downloadToFile({ client, bucket: 'in', key: 'daily/contacts.csv', directory: '/tmp' });
 * // '/tmp/daily/contacts.csv'
 * ```
 */
export async function downloadToFile(options: {
  client: S3Client;
  bucket: string;
  key: string;
  directory: string;
  versionId?: string;
}): Promise<string> {
  const path = localPathForKey(options.directory, options.key);
  const { body } = await getObjectStream(options);
  await mkdir(resolve(path, '..'), { recursive: true });
  const partial = `${path}.${process.pid}.${Date.now()}.part`;
  try {
    await pipeline(body, createWriteStream(partial));
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return path;
}

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

/**
 * The part size for an upload of `size` bytes (unknown: `undefined`): 5 MiB, or more only when
 * 10,000 parts of 5 MiB would not hold the body.
 *
 * @example
 * ```ts
 * partSizeFor(50 * 1024 * 1024); // 5242880
 * partSizeFor(100 * 1024 ** 3); // 10737419 (100 GiB in 10,000 parts)
 * ```
 */
export function partSizeFor(size: number | undefined): number {
  if (size === undefined) return MIN_PART_SIZE;
  return Math.max(MIN_PART_SIZE, Math.ceil(size / MAX_PARTS));
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

/** The `x-amz-copy-source` value: bucket and key, URL-encoded, and the version. */
function copySource(from: { bucket: string; key: string; versionId?: string }): string {
  const key = from.key.split('/').map(encodeURIComponent).join('/');
  const version = from.versionId ? `?versionId=${encodeURIComponent(from.versionId)}` : '';
  return `${encodeURIComponent(from.bucket)}/${key}${version}`;
}

/** One part of a multipart copy: an inclusive byte range of the source. */
export interface CopyPart {
  partNumber: number;
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/**
 * Cuts an object of `size` bytes into the byte ranges of a multipart copy (UploadPartCopy):
 * parts of `partSize` (default 512 MiB, raised when 10,000 parts would not hold the object), the
 * last one shorter.
 *
 * @example
 * ```ts
 * planCopyParts(12 * 1024 ** 3).length; // 24 parts of 512 MiB
 * ```
 */
export function planCopyParts(size: number, partSize = 512 * MiB): CopyPart[] {
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError(`size must be a positive whole number, got ${size}`);
  const part = Math.max(partSize, Math.ceil(size / MAX_PARTS));
  if (part < MIN_PART_SIZE || part > MAX_PART_SIZE) {
    throw new RangeError(`partSize must be between 5 MiB and 5 GiB, got ${part}`);
  }
  const parts: CopyPart[] = [];
  for (let start = 0, partNumber = 1; start < size; start += part, partNumber += 1) {
    parts.push({ partNumber, start, end: Math.min(start + part, size) - 1 });
  }
  return parts;
}

/** Options of {@link copyObject} and {@link moveObject}. */
export interface CopyObjectOptions {
  client: S3Client;
  from: { bucket: string; key: string; versionId?: string };
  to: { bucket: string; key: string };
  /**
   * Objects bigger than this are copied in parts (UploadPartCopy). Default 5 GiB, the largest a
   * single CopyObject accepts.
   */
  multipartThreshold?: number;
  /** Part size of a multipart copy (see {@link planCopyParts}). */
  partSize?: number;
  /** Parts copied at once in a multipart copy. Default 4. */
  queueSize?: number;
}

/**
 * Copies an object server-side, keeping its content type and metadata. Objects above 5 GiB are
 * copied in parts (UploadPartCopy), which a single CopyObject cannot do.
 *
 * @throws S3ObjectNotFoundError when the source does not exist.
 * @example
 * ```ts
 * await copyObject({ client, from: { bucket: 'in', key: 'a.csv' }, to: { bucket: 'archive', key: 'a.csv' } });
 * ```
 */
export async function copyObject(options: CopyObjectOptions): Promise<PutResult> {
  const { client, from, to } = options;
  const threshold = options.multipartThreshold ?? MAX_PART_SIZE;
  const head = await headObject({ client, bucket: from.bucket, key: from.key, versionId: from.versionId });
  if (!head) throw new S3ObjectNotFoundError({ bucket: from.bucket, key: from.key, versionId: from.versionId });
  if (head.size <= threshold) {
    try {
      const response = await client.send(
        new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: copySource(from) }),
      );
      return compact({
        bucket: to.bucket,
        key: to.key,
        eTag: response.CopyObjectResult?.ETag,
        versionId: response.VersionId,
      });
    } catch (error) {
      if (isNotFound(error)) throw new S3ObjectNotFoundError({ ...from, cause: error });
      throw error;
    }
  }
  return multipartCopy(options, head);
}

async function multipartCopy(options: CopyObjectOptions, head: ObjectHead): Promise<PutResult> {
  const { client, from, to } = options;
  const parts = planCopyParts(head.size, options.partSize);
  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: to.bucket,
      Key: to.key,
      ContentType: head.contentType,
      Metadata: head.metadata,
    }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error(`S3 returned no UploadId for ${s3Uri(to.bucket, to.key)}`);
  try {
    const eTags: string[] = new Array(parts.length);
    let next = 0;
    const worker = async () => {
      while (next < parts.length) {
        const part = parts[next++] as CopyPart;
        const response = await client.send(
          new UploadPartCopyCommand({
            Bucket: to.bucket,
            Key: to.key,
            UploadId: uploadId,
            PartNumber: part.partNumber,
            CopySource: copySource(from),
            CopySourceRange: `bytes=${part.start}-${part.end}`,
            // The part must come from the object we measured, even if the key is overwritten meanwhile.
            CopySourceIfMatch: head.eTag,
          }),
        );
        const eTag = response.CopyPartResult?.ETag;
        if (!eTag) throw new Error(`S3 returned no ETag for part ${part.partNumber} of ${s3Uri(to.bucket, to.key)}`);
        eTags[part.partNumber - 1] = eTag;
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.queueSize ?? 4, parts.length) }, worker));
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: to.bucket,
        Key: to.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((part, index) => ({ PartNumber: part.partNumber, ETag: eTags[index] })) },
      }),
    );
    return compact({ bucket: to.bucket, key: to.key, eTag: done.ETag, versionId: done.VersionId });
  } catch (error) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: to.bucket, Key: to.key, UploadId: uploadId }))
      .catch(() => undefined);
    if (isNotFound(error)) throw new S3ObjectNotFoundError({ ...from, cause: error });
    throw error;
  }
}

/**
 * Moves an object: copies it (see {@link copyObject}) then deletes the source. Moving an object
 * onto itself is refused, since the delete would destroy it.
 *
 * @throws S3ObjectNotFoundError when the source does not exist.
 * @throws InputError when source and destination are the same.
 * @example
 * ```ts
 * await moveObject({ client, from: { bucket, key: 'in/a.csv' }, to: { bucket, key: archiveKeyFor('in/a.csv') } });
 * ```
 */
export async function moveObject(options: CopyObjectOptions): Promise<PutResult> {
  const { from, to } = options;
  if (from.bucket === to.bucket && from.key === to.key) {
    throw new InputError(`Cannot move ${s3Uri(from.bucket, from.key)} onto itself`, { code: 'S3_MOVE_ONTO_ITSELF' });
  }
  const result = await copyObject(options);
  await deleteObject({ client: options.client, bucket: from.bucket, key: from.key });
  return result;
}

/**
 * Deletes an object. Deleting a missing object succeeds, as in S3.
 *
 * @example
 * ```ts
 * await deleteObject({ client, bucket: 'in', key: 'a.csv' });
 * ```
 */
export async function deleteObject(options: {
  client: S3Client;
  bucket: string;
  key: string;
  versionId?: string;
}): Promise<void> {
  await options.client.send(
    new DeleteObjectCommand({ Bucket: options.bucket, Key: options.key, VersionId: options.versionId }),
  );
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

/**
 * Every key under a prefix, page after page (ListObjectsV2), in S3's order (UTF-8 binary).
 *
 * @example
 * ```ts
 * for await (const key of listKeys({ client, bucket: 'in', prefix: 'daily/' })) console.log(key);
 * ```
 */
export async function* listKeys(options: {
  client: S3Client;
  bucket: string;
  prefix?: string;
  /** Keys per request, at most 1,000 (S3's maximum and default). */
  pageSize?: number;
}): AsyncIterable<string> {
  let continuationToken: string | undefined;
  do {
    const page = await options.client.send(
      new ListObjectsV2Command({
        Bucket: options.bucket,
        Prefix: options.prefix,
        MaxKeys: options.pageSize,
        ContinuationToken: continuationToken,
      }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) yield object.Key;
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
}

/** Drops `undefined` members so results compare and print cleanly. */
function compact<T extends object>(value: T): T {
  for (const name of Object.keys(value) as Array<keyof T>) {
    if (value[name] === undefined) delete value[name];
  }
  return value;
}
