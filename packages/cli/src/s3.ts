import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { LoadedConfig } from './config.js';
import { UsageError } from './errors.js';

/** Splits `s3://bucket/key`. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new UsageError(`"${uri}" is not an S3 address`, { hint: 'Write it as s3://BUCKET/KEY.' });
  return { bucket: match[1] as string, key: match[2] as string };
}

/**
 * An S3 client for a run: the org's `s3` settings when it has some (the `local` org of `kicksaw dev`
 * points at the local S3), else the AWS SDK's own chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_S3, ...).
 */
export async function s3ClientFor(
  config: LoadedConfig,
  orgName: string | undefined,
  env: Record<string, string | undefined>,
): Promise<{ client: S3Client; region: string }> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  const stored = orgName ? config.orgs.get(orgName)?.org.s3 : undefined;
  const secrets = orgName ? config.secrets.orgs?.[orgName] : undefined;
  const settings: S3ClientConfig = {};
  if (stored?.endpoint) settings.endpoint = stored.endpoint;
  if (stored?.region) settings.region = stored.region;
  if (stored?.forcePathStyle !== undefined) settings.forcePathStyle = stored.forcePathStyle;
  if (secrets?.s3AccessKeyId && secrets.s3SecretAccessKey) {
    settings.credentials = { accessKeyId: secrets.s3AccessKeyId, secretAccessKey: secrets.s3SecretAccessKey };
  }
  const region = stored?.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  settings.region ??= region;
  return { client: new S3Client(settings), region };
}
