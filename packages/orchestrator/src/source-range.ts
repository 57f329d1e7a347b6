import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectNotFoundError } from '@kicksaw/s3';

// Reading a source from a byte on (an S3 ranged GET), for a run taken over mid-file.

/**
 * The object's bytes from `offset` on, of the given version: empty past its end (S3 answers 416), an
 * `S3ObjectNotFoundError` when it is gone. `@kicksaw/s3`'s `getObjectStream` takes no range, so the
 * request is made here and answered the same way.
 */
export async function openObjectAt(ref: {
  client: S3Client;
  bucket: string;
  key: string;
  versionId?: string;
  offset: number;
}): Promise<Readable> {
  const { client, bucket, key, versionId, offset } = ref;
  try {
    const response = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId, Range: `bytes=${offset}-` }),
    );
    const body = response.Body;
    if (body instanceof Readable) return body;
    if (body instanceof ReadableStream) return Readable.fromWeb(body as ReadableStream<Uint8Array>);
    throw new TypeError(`Expected a stream as the body of s3://${bucket}/${key}, got ${typeof body}`);
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const name = (error as Error).name;
    if (status === 416 || name === 'InvalidRange') return Readable.from([]);
    if (name !== 'NoSuchBucket' && (status === 404 || name === 'NoSuchKey')) {
      throw new S3ObjectNotFoundError({ bucket, key, ...(versionId ? { versionId } : {}), cause: error });
    }
    throw error;
  }
}
