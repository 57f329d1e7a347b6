import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';

/** Options of {@link startLocalS3}. */
export interface LocalS3Options {
  /** The region the client signs for. Default `us-east-1`. */
  region?: string;
}

/** A running local S3 (fauxqs) and a client pointed at it. */
export interface LocalS3 {
  /** A ready client: path-style addressing, dummy credentials, the server's endpoint. */
  client: S3Client;
  /** The server's base URL, e.g. `http://127.0.0.1:49152`. */
  endpoint: string;
  /** The region the client signs for. */
  region: string;
  /** The config `client` was built from; pass it to code that builds its own client. */
  clientConfig: S3ClientConfig;
  /** Creates a bucket (a unique name unless one is given) and returns its name. */
  createBucket(name?: string): Promise<string>;
  /** Stops the server and destroys the client. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts fauxqs (an S3/SQS/SNS emulator) on 127.0.0.1 on a free port and returns a ready S3 client.
 * Test-only. fauxqs refuses single requests over about 11 MiB: send large objects multipart.
 *
 * @example
 * ```ts
 * const s3 = await startLocalS3();
 * const bucket = await s3.createBucket();
 * await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a.txt', Body: 'hi' }));
 * await s3.stop();
 * ```
 */
export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  const region = options.region ?? 'us-east-1';
  // buildApp + our own listen: fauxqs' startFauxqs binds 0.0.0.0 and reads FAUXQS_* environment variables.
  const app = buildApp({ logger: false, defaultRegion: region });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('fauxqs did not report a TCP port');
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clientConfig: S3ClientConfig = {
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const client = new S3Client(clientConfig);
  let counter = 0;
  let stopped = false;
  return {
    client,
    endpoint,
    region,
    clientConfig,
    async createBucket(name) {
      counter += 1;
      const bucket = name ?? `test-${randomBytes(4).toString('hex')}-${counter}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await app.close();
    },
  };
}

/**
 * {@link startLocalS3} with one bucket made in it (a unique name): what most tests of S3 code start from.
 *
 * @example
 * ```ts
 * let s3: LocalS3;
 * let bucket: string;
 * beforeAll(async () => {
 *   ({ s3, bucket } = await startLocalS3WithBucket());
 * });
 * afterAll(() => s3?.stop());
 * ```
 */
export async function startLocalS3WithBucket(options: LocalS3Options = {}): Promise<{ s3: LocalS3; bucket: string }> {
  const s3 = await startLocalS3(options);
  try {
    return { s3, bucket: await s3.createBucket() };
  } catch (error) {
    await s3.stop();
    throw error;
  }
}

/**
 * Removes the proxy variables (`http_proxy`, `https_proxy` and their upper-case forms) from this process's
 * environment: the AWS SDK and jsforce would send even requests to 127.0.0.1 through them. Call it at the top
 * of a test file, before any client is made.
 */
export function withoutProxyVariables(): void {
  for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
}
