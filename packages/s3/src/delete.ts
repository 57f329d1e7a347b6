import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';

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
