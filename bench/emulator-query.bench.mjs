// A Bulk API 2.0 query of 1,000,000 ten-field records served by the emulator over HTTP: job created, completed,
// every results page downloaded (default page size, no maxRecords). Prints records per second from the job's
// creation to the last byte, and the pages. The emulator runs in a child process (its CPU is its own).
// Run (after a build of sf-emulator): pnpm exec node bench/emulator-query.bench.mjs [records] [maxRecords]
// (maxRecords: the page size the client asks for, e.g. 10000 or 50000; absent, the default pages)
// BENCH_EMULATOR=<path to a bundle of the package> runs another build of it (for before/after runs);
// BENCH_PROFILE=<dir> writes a CPU profile of the org's process.
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { nextMessage } from './lib/child-message.mjs';

const RECORDS = Number(
  process.argv[2] && process.argv[2] !== 'child' ? process.argv[2] : (process.env.BENCH_RECORDS ?? 1_000_000),
);

if (process.argv[2] === 'child') {
  const { startSalesforceEmulator } = await import(
    process.env.BENCH_EMULATOR ? pathToFileURL(process.env.BENCH_EMULATOR).href : '@kicksaw/sf-emulator'
  );
  const count = Number(process.argv[3]);
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
    generate: {
      Bench__c: {
        count,
        fields: ['ExtId__c', 'Code__c', 'Amount__c', 'Qty__c', 'Due__c', 'Seen__c', 'Flag__c', 'Email__c', 'Note__c'],
        spread: { from: '2024-05-01T00:00:00Z', to: '2024-06-01T00:00:00Z' },
      },
    },
  });
  process.send?.({ type: 'ready', instanceUrl: emulator.instanceUrl, accessToken: emulator.accessToken });
  process.on('message', async (message) => {
    if (message === 'cpu') {
      const usage = process.cpuUsage();
      process.send?.({ type: 'cpu', ms: (usage.user + usage.system) / 1000 });
    } else if (message === 'stop') {
      await emulator.stop();
      process.exit(0);
    }
  });
} else {
  const child = fork(new URL(import.meta.url).pathname, ['child', String(RECORDS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [
      '--max-old-space-size=8192',
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
    ],
  });
  const next = (type) => nextMessage(child, type);
  const { instanceUrl, accessToken } = await next('ready');
  const base = `${instanceUrl}/services/data/v62.0/jobs/query`;
  const headers = { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' };
  /** One HTTP request; the body is consumed chunk by chunk (newlines counted), never kept whole. */
  const call = (method, url, body) =>
    new Promise((resolve, reject) => {
      const req = request(url, { method, headers }, (res) => {
        let lines = 0;
        let bytes = 0;
        let text = '';
        res.on('data', (chunk) => {
          bytes += chunk.length;
          for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
          if (bytes < 65_536) text += chunk.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, lines, bytes, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const serverCpu = async () => {
    const answer = next('cpu');
    child.send('cpu');
    return (await answer).ms;
  };
  const maxRecords = Number(process.argv[3] ?? process.env.BENCH_MAX_RECORDS ?? 0);
  const clientCpuBefore = process.cpuUsage();
  const cpuBefore = await serverCpu();
  const started = performance.now();
  const job = JSON.parse(
    (
      await call(
        'POST',
        base,
        JSON.stringify({
          operation: 'query',
          query:
            'SELECT Id, Name, ExtId__c, Code__c, Amount__c, Qty__c, Due__c, Seen__c, Flag__c, Email__c, Note__c FROM Bench__c',
        }),
      )
    ).text,
  );
  for (;;) {
    const info = JSON.parse((await call('GET', `${base}/${job.id}`)).text);
    if (info.state === 'JobComplete') break;
    if (info.state === 'Failed' || info.state === 'Aborted') throw new Error(`job ${info.state}: ${info.errorMessage}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const ready = performance.now();
  let locator = '';
  let records = 0;
  let bytes = 0;
  const pages = [];
  do {
    const params = [maxRecords > 0 ? `maxRecords=${maxRecords}` : '', locator ? `locator=${locator}` : ''].filter(
      Boolean,
    );
    const page = await call('GET', `${base}/${job.id}/results${params.length > 0 ? `?${params.join('&')}` : ''}`);
    if (page.status !== 200) throw new Error(`results: HTTP ${page.status} ${page.text.slice(0, 200)}`);
    records += page.lines - 1;
    bytes += page.bytes;
    pages.push(page.lines - 1);
    locator = page.headers['sforce-locator'];
  } while (locator && locator !== 'null');
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = await serverCpu();
  const clientCpu = process.cpuUsage(clientCpuBefore);
  child.send('stop');
  console.log(
    `Bulk 2.0 query of ${records.toLocaleString('en-US')} Bench__c records (11 columns), ${maxRecords > 0 ? `maxRecords=${maxRecords}` : 'default page size'}`,
  );
  console.log(
    `  records/s:         ${Math.round(records / seconds).toLocaleString('en-US')} (creation to last byte: ${seconds.toFixed(2)} s)`,
  );
  console.log(
    `  job to JobComplete: ${((ready - started) / 1000).toFixed(2)} s; download ${((performance.now() - ready) / 1000).toFixed(2)} s`,
  );
  console.log(
    `  pages:             ${pages.length} (${pages.length > 4 ? `${pages[0].toLocaleString('en-US')} rows each` : `${pages.map((n) => n.toLocaleString('en-US')).join(', ')} rows`}), ${(bytes / 1024 / 1024).toFixed(1)} MB`,
  );
  const serverSeconds = (cpuAfter - cpuBefore) / 1000;
  console.log(
    `  server CPU:        ${serverSeconds.toFixed(2)} s (${Math.round(records / serverSeconds).toLocaleString('en-US')} records per server CPU second)`,
  );
  console.log(
    `  client CPU:        ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(2)} s (this script: requests, counting lines)`,
  );
  console.log(`  load average:      ${loadavg()[0].toFixed(1)} (2 cores shared with other sessions)`);
}
