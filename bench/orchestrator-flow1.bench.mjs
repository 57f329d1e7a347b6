// Flow 1 end to end (@kicksaw/orchestrator): a generated Contact CSV in S3 -> the example's Lambda
// handler -> Salesforce, with the error report, the archive and the execution record. The local S3
// (fauxqs) and the local org (@kicksaw/sf-emulator) each run in their own process, and so does the
// handler, so the peak RSS printed is the handler's alone. Then the example handler is bundled with
// esbuild as for Lambda (AWS SDK external, minified) and its size and cold import time are printed.
// Usage:
//   pnpm exec node bench/orchestrator-flow1.bench.mjs [rows]        (default 1000000)
//   pnpm exec node bench/orchestrator-flow1.bench.mjs --bundle-only
//   pnpm exec node bench/orchestrator-flow1.bench.mjs 1000000 --handler-heap=128   (cap the handler's heap)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
const self = fileURLToPath(import.meta.url);
const root = new URL('../', import.meta.url);
const example = new URL('examples/s3-csv-to-salesforce/', root);
const mode = process.argv.find((arg) => arg.startsWith('--child='))?.slice('--child='.length);

/** Starts `--child=<name>` of this file; resolves with the JSON line it prints first. */
async function startChild(name, extra = []) {
  const child = spawn(process.execPath, [self, `--child=${name}`, ...extra], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const lines = createInterface({ input: child.stdout });
  const [first] = await once(lines, 'line');
  return { child, info: JSON.parse(first), lines };
}

async function stopChild(child) {
  child.stdin.end();
  await once(child, 'exit');
}

if (mode === 's3') {
  const { startLocalS3 } = await import('@kicksaw/testkit');
  const s3 = await startLocalS3();
  process.stdout.write(`${JSON.stringify({ clientConfig: { ...s3.clientConfig } })}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await s3.stop();
    process.exit(0);
  });
} else if (mode === 'sf') {
  const { startSalesforceEmulator } = await import('@kicksaw/sf-emulator');
  const sf = await startSalesforceEmulator({
    integrationObjects: true,
    resultOrder: 'shuffle',
    objects: [
      {
        name: 'Contact',
        merge: true,
        fields: [{ name: 'External_Id__c', type: 'string', length: 40, externalId: true, unique: true }],
      },
      {
        name: 'IntegrationExecution__c',
        merge: true,
        fields: [
          { name: 'Number_of_Errors__c', type: 'double', precision: 18, scale: 0 },
          { name: 'Error_Report__c', type: 'url', length: 255 },
          { name: 'Data_File__c', type: 'string', length: 255 },
        ],
      },
    ],
  });
  process.stdout.write(
    `${JSON.stringify({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, apiVersion: sf.apiVersion })}\n`,
  );
  process.stdin.resume();
  process.stdin.on('end', async () => {
    process.stderr.write(`  (the org holds ${sf.org.records('Contact').length} Contacts)\n`);
    await sf.stop();
    process.exit(0);
  });
} else if (mode === 'setup') {
  // Drops the generated file into the bucket, in a process of its own: what uploading it costs in
  // memory is not the handler's.
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const { uploadObject } = await import('@kicksaw/s3');
  const { sampleContactLines } = await import(new URL('dist/index.js', example).href);
  const [s3Info, rowsText] = process.argv.slice(3);
  const s3Client = new S3Client(JSON.parse(s3Info).clientConfig);
  const bucket = `bench-${Date.now().toString(36)}`;
  await s3Client.send(new CreateBucketCommand({ Bucket: bucket }));
  const key = 'inbound/contacts-bench.csv';
  const lines = sampleContactLines(Number(rowsText), 'BN');
  const body = Readable.from(
    (function* () {
      for (const line of lines) yield `${line}\n`;
    })(),
  );
  const put = await uploadObject({ client: s3Client, bucket, key, body, contentType: 'text/csv' });
  process.stdout.write(`${JSON.stringify({ bucket, key, eTag: (put.eTag ?? '').replaceAll('"', '') })}\n`);
  process.exit(0);
} else if (mode === 'run') {
  // The handler's process: deliver the event, measure.
  const { S3Client } = await import('@aws-sdk/client-s3');
  const { createContactsHandler } = await import(new URL('dist/index.js', example).href);
  const [s3Info, sfInfo, setupInfo] = process.argv.slice(3);
  const { clientConfig } = JSON.parse(s3Info);
  const sf = JSON.parse(sfInfo);
  const { bucket, key, eTag } = JSON.parse(setupInfo);
  const s3Client = new S3Client(clientConfig);
  const event = {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        awsRegion: 'us-east-1',
        s3: { bucket: { name: bucket }, object: { key, eTag } },
      },
    ],
  };
  const handler = createContactsHandler(
    {
      s3Client,
      salesforce: { instanceUrl: sf.instanceUrl, accessToken: sf.accessToken },
      ingest: { duplicateExternalIds: 'fail', pollIntervalMs: 250, maxPollIntervalMs: 2000, maxRowsPerJob: 250_000 },
    },
    {},
  );
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const t0 = performance.now();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    if (process.env.BENCH_TRACE) {
      const f = (b) => (b / 1048576).toFixed(0);
      process.stderr.write(
        `t=${((performance.now() - t0) / 1000).toFixed(1)} rss=${f(m.rss)} heapUsed=${f(m.heapUsed)} heapTotal=${f(m.heapTotal)} external=${f(m.external)} ab=${f(m.arrayBuffers)}\n`,
      );
    }
  }, 50);
  const cpu0 = process.cpuUsage();
  // BENCH_HEAP_PROFILE=<file>: sample allocations that outlive a scavenge (a major GC frees them, or
  // they are still alive at the end) and write the top allocation sites to <file>.
  let session;
  if (process.env.BENCH_HEAP_PROFILE) {
    const { Session } = await import('node:inspector/promises');
    session = new Session();
    session.connect();
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 8192,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: false,
    });
  }
  // BENCH_HEAP_SNAPSHOT_AT=<seconds>: write a heap snapshot (after a full GC) that far into the run.
  if (process.env.BENCH_HEAP_SNAPSHOT_AT) {
    const { writeHeapSnapshot } = await import('node:v8');
    setTimeout(() => {
      process.stderr.write(`heap snapshot: ${writeHeapSnapshot()}\n`);
    }, Number(process.env.BENCH_HEAP_SNAPSHOT_AT) * 1000).unref();
  }
  const response = await handler(event, { getRemainingTimeInMillis: () => 15 * 60_000 });
  if (session) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    const sites = new Map();
    const walk = (node, stack) => {
      const f = node.callFrame;
      const here = [
        ...stack,
        `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-3).join('/')}:${f.lineNumber + 1}`,
      ];
      if (node.selfSize) {
        const site = here.slice(-4).reverse().join(' <- ');
        sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
      }
      for (const child of node.children) walk(child, here);
    };
    walk(profile.head, []);
    const top = [...sites].sort((a, b) => b[1] - a[1]).slice(0, 40);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      process.env.BENCH_HEAP_PROFILE,
      top.map(([site, bytes]) => `${(bytes / 1048576).toFixed(1).padStart(7)} MB  ${site}`).join('\n'),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  const result = response.results[0]?.result;
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      peak,
      baseline,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      status: result?.status,
      summary: result?.summary,
      reportRows: result?.reportRows,
      error: response.results[0]?.error?.message,
    })}\n`,
  );
  process.exit(0);
} else if (mode === 'import') {
  // Cold import of the bundled handler, as a Lambda cold start does it.
  const t0 = performance.now();
  await import(process.argv[3]);
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0 })}\n`);
  process.exit(0);
} else {
  const bundleOnly = process.argv.includes('--bundle-only');
  // --handler-heap=<MB>: cap the handler's V8 old space, to tell retained memory from GC headroom.
  const heapLimit = process.argv.find((arg) => arg.startsWith('--handler-heap='))?.slice('--handler-heap='.length);
  const rows = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 1_000_000);
  const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

  if (!bundleOnly) {
    console.log(`flow 1 end to end: ${rows.toLocaleString('en-US')} rows (S3, org and handler in their own processes)`);
    const [s3, sf] = await Promise.all([startChild('s3'), startChild('sf')]);
    try {
      const setup = spawn(process.execPath, [self, '--child=setup', JSON.stringify(s3.info), String(rows)], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      });
      const [setupLine] = await once(createInterface({ input: setup.stdout }), 'line');
      const run = spawn(
        process.execPath,
        [
          '--expose-gc',
          ...(heapLimit ? [`--max-old-space-size=${heapLimit}`] : []),
          ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []),
          self,
          '--child=run',
          JSON.stringify(s3.info),
          JSON.stringify(sf.info),
          setupLine,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_NO_WARNINGS: '1' } },
      );
      // The figures are the one JSON line; anything else (--trace-gc output) goes to stderr.
      let line;
      for await (const text of createInterface({ input: run.stdout })) {
        if (text.startsWith('{')) {
          line = text;
          break;
        }
        process.stderr.write(`${text}\n`);
      }
      if (line === undefined) throw new Error('the handler process printed no figures');
      const figures = JSON.parse(line);
      if (figures.error) throw new Error(figures.error);
      const s = figures.summary;
      console.log(
        `  status ${figures.status}: ${s.input} read, ${s.succeeded} succeeded, ${s.failed} failed, ${s.unprocessed} unprocessed`,
      );
      console.log(`  report rows ${figures.reportRows}`);
      console.log(
        `  wall ${figures.seconds.toFixed(1)} s, ${Math.round(s.input / figures.seconds).toLocaleString('en-US')} rows/s, ` +
          `handler CPU ${figures.cpuSeconds.toFixed(1)} s, handler peak RSS ${mb(figures.peak)} ` +
          `(${mb(figures.baseline)} before the event)`,
      );
    } finally {
      await Promise.all([stopChild(s3.child), stopChild(sf.child)]);
    }
  }

  // The example handler, bundled as for Lambda.
  const requireFromTsup = createRequire(createRequire(import.meta.url).resolve('tsup'));
  const esbuild = requireFromTsup('esbuild');
  const outDir = new URL('dist/bundle/', example);
  mkdirSync(outDir, { recursive: true });
  const outfile = fileURLToPath(new URL('lambda.mjs', outDir));
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL('src/lambda.ts', example))],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    outfile,
    external: ['@aws-sdk/*'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  const size = statSync(outfile).size;
  const times = [];
  for (let i = 0; i < 5; i++) {
    const child = spawn(process.execPath, [self, '--child=import', outfile], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        PATH: process.env.PATH,
        NODE_NO_WARNINGS: '1',
        SF_INSTANCE_URL: 'https://example.my.salesforce.com',
        SF_ACCESS_TOKEN: '00D000000000001!bench',
        AWS_REGION: 'us-east-1',
      },
    });
    const [line] = await once(createInterface({ input: child.stdout }), 'line');
    times.push(JSON.parse(line).ms);
  }
  times.sort((a, b) => a - b);
  console.log(
    `example handler bundle (esbuild, minified, @aws-sdk/* external): ${(size / 1024).toFixed(0)} KB; ` +
      `cold import median ${times[2].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[4].toFixed(0)}, 5 runs)`,
  );
}
