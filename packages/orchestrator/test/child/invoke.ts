// One Lambda invocation of the S3 import handler in a process of its own, so that a test can kill it
// (SIGKILL) mid-run. Reads its settings as JSON from argv[2]; prints the response as one JSON line.
import { S3Client } from '@aws-sdk/client-s3';
import { Connection } from 'jsforce';
import { createS3ImportHandler, type S3ImportHandlerOptions } from '../../src/index.js';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];

interface ChildSettings {
  s3: { endpoint: string; region: string };
  sf:
    | { instanceUrl: string; accessToken: string; version: string }
    | { loginUrl: string; version: string; username: string; password: string };
  event: unknown;
  remainingMs: number;
  options: Omit<S3ImportHandlerOptions, 's3Client' | 'connection'>;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as ChildSettings;
const s3Client = new S3Client({
  endpoint: settings.s3.endpoint,
  region: settings.s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
// With a username, a password login: jsforce logs in again when the session expires.
const connection =
  'username' in settings.sf
    ? new Connection({ loginUrl: settings.sf.loginUrl, version: settings.sf.version })
    : new Connection(settings.sf);
if ('username' in settings.sf) await connection.login(settings.sf.username, settings.sf.password);
const handler = createS3ImportHandler({ ...settings.options, s3Client, connection });
const started = Date.now();
try {
  const response = await handler(settings.event, {
    getRemainingTimeInMillis: () => settings.remainingMs - (Date.now() - started),
  });
  process.stdout.write(`${JSON.stringify({ ok: true, response })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String((error as Error)?.message ?? error) })}\n`);
}
s3Client.destroy();
