// Streams an object of N MB (default 200) up (unknown length, multipart) and down (stream and file)
// against a local S3 in a child process, and prints time and this process's peak RSS.
// Run from the repository root after `pnpm build`:
//   pnpm exec node --no-warnings bench/s3-streaming.bench.mjs 500   (or all benches: pnpm bench)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { downloadToFile, getObjectStream, uploadObject } from '@kicksaw/s3';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
const size = Number(process.argv[2] ?? 200) * 1e6;
const server = spawn(
  process.execPath,
  ['--no-warnings', fileURLToPath(new URL('lib/s3-local-server.mjs', import.meta.url))],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
const { endpoint, bucket } = JSON.parse(
  await new Promise((done) => server.stdout.once('data', (d) => done(String(d)))),
);
const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const mb = (bytes) => Math.round(bytes / 1e6);
async function measure(name, run) {
  peak = process.memoryUsage().rss;
  const start = performance.now();
  await run();
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `${name.padEnd(22)} ${seconds.toFixed(2)} s  ${(size / 1e6 / seconds).toFixed(0)} MB/s  peak RSS ${mb(peak)} MB`,
  );
}

async function* generate() {
  const chunk = Buffer.alloc(1 << 20, 7);
  for (let left = size; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
}

console.log(`${mb(size)} MB object, start RSS ${mb(process.memoryUsage().rss)} MB`);
await measure('upload (stream)', () => uploadObject({ client, bucket, key: 'big.bin', body: generate() }));
await measure('getObjectStream', async () => {
  const { body } = await getObjectStream({ client, bucket, key: 'big.bin' });
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk);
});
const directory = await mkdtemp(join(tmpdir(), 'kicksaw-s3-bench-'));
await measure('downloadToFile', () => downloadToFile({ client, bucket, key: 'big.bin', directory }));
await rm(directory, { recursive: true, force: true });
clearInterval(sampler);
client.destroy();
server.stdin.end();
