// @kicksaw/error-report: stream error reports of 100,000 and 1,000,000 outcomes straight into a local S3
// (fauxqs, in a child process so that its stored object does not count), and print time and peak RSS of
// this process for each size, its CPU time and a hash of the stored report. Flat memory means the peak barely
// moves from 100k to 1M.
// Run: pnpm exec node bench/error-report.bench.mjs   (or `pnpm bench error-report`)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { S3Client } from '@aws-sdk/client-s3';
import { createS3ErrorReport } from '@kicksaw/error-report';
import { getObjectStream, headObject } from '@kicksaw/s3';

delete process.env.http_proxy;
delete process.env.https_proxy;
delete process.env.HTTP_PROXY;
delete process.env.HTTPS_PROXY;

const sizes = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const benchDir = new URL('.', import.meta.url).pathname;

/** Outcomes like a run's: every third row succeeds, every fifth failed row has two errors. */
function* outcomes(count) {
  for (let row = 1; row <= count; row++) {
    if (row % 3 === 0) {
      yield {
        row,
        status: 'succeeded',
        id: `003${String(row).padStart(15, '0')}`,
        created: true,
        errors: [],
        record: {},
      };
      continue;
    }
    const errors = [
      {
        statusCode: 'REQUIRED_FIELD_MISSING',
        message: 'Required fields are missing: [LastName]',
        fields: ['LastName'],
      },
    ];
    if (row % 5 === 0)
      errors.push({ statusCode: 'INVALID_EMAIL_ADDRESS', message: `Email: invalid, "row ${row}"`, fields: ['Email'] });
    yield {
      row,
      status: 'failed',
      id: null,
      created: false,
      errors,
      record: { External_Id__c: `C-${row}`, Email: `person${row}@example.com`, LastName: '', Note: `=cmd ${row}` },
    };
  }
}

async function startS3InChild() {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "import { startLocalS3 } from '@kicksaw/testkit'; const s3 = await startLocalS3(); const bucket = await s3.createBucket(); " +
        'console.log(JSON.stringify({ endpoint: s3.endpoint, region: s3.region, bucket })); ' +
        "process.stdin.on('end', () => s3.stop().then(() => process.exit(0))); process.stdin.resume();",
    ],
    { cwd: benchDir, stdio: ['pipe', 'pipe', 'ignore'] },
  );
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return { child, ...JSON.parse(line) };
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const local = await startS3InChild();
const client = new S3Client({
  endpoint: local.endpoint,
  region: local.region,
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

try {
  globalThis.gc?.();
  console.log(
    `baseline RSS ${mb(process.memoryUsage().rss)} (node ${process.version}, gc ${globalThis.gc ? 'exposed' : 'not exposed'})`,
  );
  for (const count of sizes) {
    globalThis.gc?.();
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const key = `errors/bench-${count}.csv`;
    const report = createS3ErrorReport({
      client,
      bucket: local.bucket,
      key,
      object: 'Contact',
      upsertKey: 'External_Id__c',
    });
    // Peak RSS in each tenth of the run: flat memory shows as a plateau, not a climb.
    const tenth = Math.max(1, Math.floor(count / 10));
    const windows = [];
    const live = []; // heap + buffers still referenced after a full GC: grows only on a leak
    let windowPeak = 0;
    const windowSampler = setInterval(() => {
      windowPeak = Math.max(windowPeak, process.memoryUsage().rss);
    }, 20);
    for (const outcome of outcomes(count)) {
      await report.write(outcome);
      if (outcome.row % tenth === 0) {
        windows.push(Math.max(windowPeak, process.memoryUsage().rss));
        windowPeak = 0;
        globalThis.gc?.();
        live.push(process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers);
      }
    }
    clearInterval(windowSampler);
    const done = await report.end();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const head = await headObject({ client, bucket: local.bucket, key });
    // Check the stored object: count its physical lines (no value in this data holds a line break), and hash it
    // (the same hash from two builds: the same bytes).
    const { body } = await getObjectStream({ client, bucket: local.bucket, key });
    let lines = 0;
    const hash = createHash('sha256');
    for await (const chunk of body) {
      hash.update(chunk);
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    }
    console.log(
      `${count.toLocaleString('en-US')} outcomes: ${done.counts.errorLines.toLocaleString('en-US')} error lines, ` +
        `${mb(head?.size ?? 0)} object, ${lines - 1 === done.counts.errorLines ? 'line count OK' : `LINE COUNT MISMATCH (${lines - 1})`}, ` +
        `${seconds.toFixed(1)} s (${Math.round(count / seconds).toLocaleString('en-US')} outcomes/s), ` +
        `CPU ${cpuSeconds.toFixed(2)} s (this process: the writer and the S3 client), sha256 ${hash.digest('hex').slice(0, 12)}, ` +
        `peak RSS ${mb(peak)}, maxRSS so far ${mb(process.resourceUsage().maxRSS * 1024)}`,
    );
    const list = (values) => values.map((bytes) => (bytes / 1024 / 1024).toFixed(0)).join(' ');
    console.log(`  peak RSS by tenth of the run (MiB): ${list(windows)}`);
    console.log(`  live heap + buffers after GC by tenth (MiB): ${list(live)}`);
  }
} finally {
  client.destroy();
  local.child.stdin.end();
  await once(local.child, 'exit');
}
