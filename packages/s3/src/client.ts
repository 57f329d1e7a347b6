import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * Builds an `S3Client` from a config. Every function of this package takes a ready client; use this
 * when you only have the settings (region, endpoint, credentials).
 *
 * @example
 * ```ts
 * const client = createS3Client({ region: 'us-east-1' });
 * ```
 */
export function createS3Client(clientConfig: S3ClientConfig = {}): S3Client {
  return new S3Client(clientConfig);
}
