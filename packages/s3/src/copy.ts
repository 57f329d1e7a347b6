import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { forEachConcurrently, InputError } from '@kicksaw/core';
import { compact } from './compact.js';
import { deleteObject } from './delete.js';
import { isNotFound, S3ObjectNotFoundError, s3Uri } from './errors.js';
import { MAX_PART_SIZE, planCopyParts } from './parts.js';
import { headObject, type ObjectHead } from './read.js';
import type { PutResult } from './upload.js';

/** The `x-amz-copy-source` value: bucket and key, URL-encoded, and the version. */
function copySource(from: { bucket: string; key: string; versionId?: string }): string {
  const key = from.key.split('/').map(encodeURIComponent).join('/');
  const version = from.versionId ? `?versionId=${encodeURIComponent(from.versionId)}` : '';
  return `${encodeURIComponent(from.bucket)}/${key}${version}`;
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
    await forEachConcurrently(parts, options.queueSize ?? 4, async (part) => {
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
    });
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
