import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** The longest a SigV4 presigned URL may live: 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/**
 * A presigned GET URL for an object: anyone holding it can download the object until it expires
 * (default one hour, at most 7 days). The safe way to link an error report.
 *
 * @example
 * ```ts
 * const url = await presignGetUrl({ client, bucket: 'out', key: 'errors/report.csv', expiresIn: 24 * 3600 });
 * ```
 */
export async function presignGetUrl(options: {
  client: S3Client;
  bucket: string;
  key: string;
  /** Seconds the URL stays valid. Default 3600. */
  expiresIn?: number;
  /** A file name the browser saves the download as (`Content-Disposition: attachment`). */
  downloadName?: string;
}): Promise<string> {
  const expiresIn = options.expiresIn ?? 3600;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
    throw new RangeError(
      `expiresIn must be a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS}, got ${expiresIn}`,
    );
  }
  const disposition = options.downloadName
    ? `attachment; filename*=UTF-8''${encodeURIComponent(options.downloadName)}`
    : undefined;
  return getSignedUrl(
    options.client,
    new GetObjectCommand({ Bucket: options.bucket, Key: options.key, ResponseContentDisposition: disposition }),
    { expiresIn },
  );
}

/**
 * The AWS console page of an object (for people with console access; no signature, never expires).
 *
 * @example
 * ```ts
 * consoleUrl({ bucket: 'in', key: 'daily/a b.csv', region: 'us-east-1' });
 * // 'https://us-east-1.console.aws.amazon.com/s3/object/in?region=us-east-1&bucketType=general&prefix=daily%2Fa%20b.csv'
 * ```
 */
export function consoleUrl(options: { bucket: string; key: string; region: string }): string {
  const { bucket, key, region } = options;
  const host = region.startsWith('cn-')
    ? 'console.amazonaws.cn'
    : region.startsWith('us-gov-')
      ? 'console.amazonaws-us-gov.com'
      : `${region}.console.aws.amazon.com`;
  const query = `region=${encodeURIComponent(region)}&bucketType=general&prefix=${encodeURIComponent(key)}`;
  return `https://${host}/s3/object/${encodeURIComponent(bucket)}?${query}`;
}
