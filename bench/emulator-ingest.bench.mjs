// Ingests (inserts; BENCH_OPERATION=upsert upserts by the external id) 1,000,000 rows x 10 columns through the
// emulator's Bulk API 2.0 over HTTP and prints the
// rows per second processed and the server's peak memory. The emulator runs in a child process so its
// RSS is its own. Run: pnpm exec node bench/emulator-ingest.bench.mjs [rows] (needs a built sf-emulator).
// BENCH_EMULATOR=<path to a bundle of the package> runs another build of it (for before/after runs);
// BENCH_PROFILE=<dir> writes a CPU profile of the org's process; BENCH_PROFILE_WINDOW=1 with it profiles only the
// upload and processing (not start-up, the results download and the final count), BENCH_PROFILE_WINDOW=heap a sampled
// profile of what that window allocates (garbage included); BENCH_NODE_FLAGS replaces its young-generation flag.
import { fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

const ROWS = Number(process.argv[2] ?? process.env.BENCH_ROWS ?? 1_000_000);
const ROWS_PER_JOB = 250_000;
// BENCH_OPERATION=upsert upserts by the external id (every row new) instead of inserting.
const OPERATION = process.env.BENCH_OPERATION === 'upsert' ? 'upsert' : 'insert'; // ~28 MB of CSV a job, under the 100 MB a job a client should send

if (process.argv[2] === 'child') {
  // Child: the emulator.
  const { startSalesforceEmulator } = await import(
    process.env.BENCH_EMULATOR ? pathToFileURL(process.env.BENCH_EMULATOR).href : '@kicksaw/sf-emulator'
  );
  const emulator = await startSalesforceEmulator({
    objects: [
      {
        name: 'Bench__c',
        fields: [
          { name: 'ExtId__c', type: 'string', length: 20, externalId: true, unique: true },
          { name: 'Code__c', type: 'string', length: 10 },
          { name: 'Amount__c', type: 'double', precision: 16, scale: 2 },
          { name: 'Qty__c', type: 'int', precision: 9, scale: 0 },
          { name: 'Due__c', type: 'date' },
          { name: 'Seen__c', type: 'datetime' },
          { name: 'Flag__c', type: 'boolean' },
          { name: 'Email__c', type: 'email' },
          { name: 'Note__c', type: 'textarea', length: 255 },
        ],
      },
    ],
  });
  // CPU milliseconds of the process's threads by name (Linux): the main thread's share against the collector's
  // helpers (`V8 DefaultWorke`) and libuv's pool, which process.cpuUsage() adds together.
  const threadCpu = async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const byName = {};
    try {
      for (const task of await readdir('/proc/self/task')) {
        const stat = await readFile(`/proc/self/task/${task}/stat`, 'utf8');
        const name = task === String(process.pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        byName[name] = (byName[name] ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      }
    } catch {
      return undefined; // not Linux
    }
    return byName;
  };
  process.send?.({ type: 'ready', instanceUrl: emulator.instanceUrl, accessToken: emulator.accessToken });
  // BENCH_PROFILE_WINDOW: a profile from the first report (idle, before the upload) to the second (processed).
  let reports = 0;
  let session;
  const window = process.env.BENCH_PROFILE_WINDOW && process.env.BENCH_PROFILE;
  // BENCH_PROFILE_WINDOW=heap: a sampled profile of every allocation of the window, garbage included.
  const heap = process.env.BENCH_PROFILE_WINDOW === 'heap';
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  process.on('message', async (message) => {
    if (window && message === 'report' && reports++ < 2) {
      if (reports === 1) {
        const { Session } = await import('node:inspector');
        session = new Session();
        session.connect();
        if (heap) {
          await post('HeapProfiler.enable');
          await post('HeapProfiler.startSampling', {
            samplingInterval: 32768,
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: true,
          });
        } else {
          await post('Profiler.enable');
          await post('Profiler.setSamplingInterval', { interval: 1000 });
          await post('Profiler.start');
        }
      } else {
        const { mkdirSync, writeFileSync } = await import('node:fs');
        mkdirSync(window, { recursive: true });
        if (heap) {
          const { profile } = await post('HeapProfiler.stopSampling');
          writeFileSync(`${window}/window-${Date.now()}.heapprofile`, JSON.stringify(profile));
        } else {
          const { profile } = await post('Profiler.stop');
          writeFileSync(`${window}/window-${Date.now()}.cpuprofile`, JSON.stringify(profile));
        }
      }
    }
    if (message === 'report' || message === 'final report') {
      const usage = process.cpuUsage();
      process.send?.({
        type: 'report',
        maxRssKb: process.resourceUsage().maxRSS,
        cpuMs: (usage.user + usage.system) / 1000,
        threads: await threadCpu(),
        // Counting copies every record: only once everything else is measured.
        records: message === 'final report' ? emulator.org.records('Bench__c').length : undefined,
      });
    } else if (message === 'stop') {
      await emulator.stop();
      process.exit(0);
    }
  });
} else {
  for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
  // A larger young generation cuts scavenges of the per-batch garbage; the old space holds a million records.
  const child = fork(new URL(import.meta.url).pathname, ['child'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [
      ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? ['--max-semi-space-size=64']),
      '--max-old-space-size=8192',
      ...(process.env.BENCH_PROFILE && !process.env.BENCH_PROFILE_WINDOW
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
        : []),
    ],
  });
  const next = (type) =>
    new Promise((resolve) => {
      const listener = (message) => {
        if (message?.type === type) {
          child.off('message', listener);
          resolve(message);
        }
      };
      child.on('message', listener);
    });
  const { instanceUrl, accessToken } = await next('ready');
  child.send('report');
  const idle = await next('report');
  const base = `${instanceUrl}/services/data/v62.0/jobs/ingest`;
  const headers = { Authorization: `Bearer ${accessToken}` };
  const call = async (method, url, body, type = 'application/json') => {
    const response = await fetch(url, { method, headers: { ...headers, 'Content-Type': type }, body });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  const header = 'Name,ExtId__c,Code__c,Amount__c,Qty__c,Due__c,Seen__c,Flag__c,Email__c,Note__c\n';
  const makeCsv = (from, to) => {
    const parts = [header];
    for (let i = from; i < to; i++) {
      const day = String((i % 28) + 1).padStart(2, '0');
      parts.push(
        `Row ${i},EXT-${i},C${i % 1000},${(i % 100000) / 100},${i % 5000},2024-03-${day},2024-03-${day}T10:20:30Z,${i % 2 === 0},u${i}@example.com,"note ${i}, quoted"\n`,
      );
    }
    return Buffer.from(parts.join(''));
  };

  console.log(
    `Ingesting (${OPERATION}) ${ROWS.toLocaleString('en-US')} rows x 10 columns in jobs of ${ROWS_PER_JOB.toLocaleString('en-US')} rows`,
  );
  // Generate every job's CSV before the clock starts: the figures are the server's.
  const csvs = [];
  for (let from = 0; from < ROWS; from += ROWS_PER_JOB) csvs.push(makeCsv(from, Math.min(ROWS, from + ROWS_PER_JOB)));
  // Phase 1: create every job and upload its data. Phase 2: close them all and wait: the processing
  // window (first close to last JobComplete) gives the rows per second processed.
  let bytes = 0;
  const jobs = [];
  const uploadStarted = performance.now();
  for (const csv of csvs) {
    bytes += csv.length;
    const job = await call(
      'POST',
      base,
      JSON.stringify(
        OPERATION === 'upsert'
          ? { object: 'Bench__c', operation: 'upsert', externalIdFieldName: 'ExtId__c', lineEnding: 'LF' }
          : { object: 'Bench__c', operation: 'insert', lineEnding: 'LF' },
      ),
    );
    await call('PUT', `${base}/${job.id}/batches`, csv, 'text/csv');
    jobs.push(job.id);
  }
  const uploadMs = performance.now() - uploadStarted;
  const started = performance.now();
  for (const id of jobs) await call('PATCH', `${base}/${id}`, JSON.stringify({ state: 'UploadComplete' }));
  const infos = [];
  for (const id of jobs) {
    for (;;) {
      const info = await call('GET', `${base}/${id}`);
      if (!['Open', 'UploadComplete', 'InProgress'].includes(info.state)) {
        infos.push(info);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const elapsedMs = performance.now() - started;
  const processed = infos.reduce((sum, info) => sum + info.numberRecordsProcessed, 0);
  const failed = infos.reduce((sum, info) => sum + info.numberRecordsFailed, 0);
  const processingMs = infos.reduce((sum, info) => sum + info.totalProcessingTime, 0);
  child.send('report');
  const processedReport = await next('report');
  const resultsStarted = performance.now();
  let resultBytes = 0;
  for (const id of jobs) {
    const response = await fetch(`${base}/${id}/successfulResults`, { headers });
    for await (const chunk of response.body) resultBytes += chunk.length;
  }
  const resultsMs = performance.now() - resultsStarted;
  child.send('report');
  const report = await next('report');
  child.send('final report');
  const { records } = await next('report');
  child.send('stop');

  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log(
    `jobs: ${infos.map((i) => i.state).join(', ')}; processed ${fmt(processed)}, failed ${fmt(failed)}; org holds ${fmt(records)}`,
  );
  console.log(
    `CSV uploaded: ${(bytes / 1e6).toFixed(1)} MB in ${fmt(uploadMs)} ms (${(bytes / 1e6 / (uploadMs / 1000)).toFixed(0)} MB/s)`,
  );
  console.log(
    `processing (first close to last JobComplete, polled every 20 ms): ${fmt(elapsedMs)} ms -> ${fmt(processed / (elapsedMs / 1000))} rows/s processed`,
  );
  console.log(
    `end to end (upload + processing): ${fmt(uploadMs + elapsedMs)} ms -> ${fmt(processed / ((uploadMs + elapsedMs) / 1000))} rows/s`,
  );
  console.log(`jobs' processing time (sum of totalProcessingTime; the jobs interleave): ${fmt(processingMs)} ms`);
  console.log(`successfulResults download: ${(resultBytes / 1e6).toFixed(1)} MB in ${fmt(resultsMs)} ms`);
  const serverCpuMs = processedReport.cpuMs - idle.cpuMs;
  console.log(
    `server CPU time for upload + processing (user + system, start-up excluded): ${fmt(serverCpuMs)} ms -> ${fmt(processed / (serverCpuMs / 1000))} rows per CPU-second`,
  );
  console.log(
    `server CPU seconds per 1,000,000 rows (upload + processing): ${((serverCpuMs / 1000) * (1_000_000 / processed)).toFixed(2)} s`,
  );
  if (processedReport.threads && idle.threads) {
    const parts = Object.entries(processedReport.threads)
      .map(([name, ms]) => [name, ms - (idle.threads[name] ?? 0)])
      .filter(([, ms]) => ms > 0)
      .map(([name, ms]) => `${name} ${fmt(ms)} ms`);
    console.log(`server CPU by thread for upload + processing (Linux clock ticks, 10 ms): ${parts.join(', ')}`);
  }
  console.log(`server CPU time for the results download: ${fmt(report.cpuMs - processedReport.cpuMs)} ms`);
  console.log(
    `server peak RSS: ${(processedReport.maxRssKb / 1024).toFixed(0)} MB after processing, ${(report.maxRssKb / 1024).toFixed(0)} MB after the results download`,
  );
  console.log(`server node flags: ${child.spawnargs.slice(1, -2).join(' ')}`);
  console.log(
    `load average while running: ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores`,
  );
  if (failed > 0 || processed !== ROWS) process.exitCode = 1;
}
