import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

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
