// The memory of peers.mjs's kicksaw ingest, traced from inside: the same `ingest` + `readCsv` with defaults on the
// same CSV (bench/.cache/peers/input-<rows>.csv, written by peers.mjs), against the local org in a process of its
// own, while `process.memoryUsage()` and the V8 heap spaces are sampled every EVERY ms (default 100) beside the
// engine's debug lines (job created / closed / polled / ended / reconciled). Prints the process's peak RSS (VmHWM),
// the sample with the most buffers outside the heap (`arrayBuffers`) and percentiles of them, and writes every
// sample and event to OUT (default bench/.cache/peers/trace-<rows>.json). Usage, from bench/ (packages built):
//   pnpm exec node lib/peers-trace.mjs 1000000                 (this checkout's packages)
//   pnpm exec node lib/peers-trace.mjs 1000000 /tmp/base/packages/sf-bulk/dist/index.js /tmp/base/packages/csv/dist/index.js
// SMAPS=1 also prints the largest mappings of /proc/self/smaps after the imports and at the end; SNAP=s writes a heap
// snapshot at s and 2s seconds (what holds the buffers: read it with the DevTools memory tab).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import v8 from 'node:v8';
import { kicksawConnection } from './peers-connection.mjs';
import { EXTERNAL_ID, OBJECT } from './peers-data.mjs';

const here = new URL('.', import.meta.url).pathname;
const rows = Number(process.argv[2] ?? 100_000);
const sfBulkPath = process.argv[3] || '@kicksaw/sf-bulk';
const csvPath = process.argv[4] || '@kicksaw/csv';
const file = join(here, `../.cache/peers/input-${rows}.csv`);
const out = process.env.OUT ?? join(here, `../.cache/peers/trace-${rows}.json`);
const every = Number(process.env.EVERY ?? 100);
if (!existsSync(file)) throw new Error(`${file} is missing: run bench/peers.mjs ${rows} once first (it writes it)`);

const org = spawn(process.execPath, [join(here, 'peers-org.mjs'), '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
const orgLines = createInterface({ input: org.stdout })[Symbol.asyncIterator]();
const connection = JSON.parse((await orgLines.next()).value);

const MB = 1024 * 1024;
const mb = (bytes) => Math.round(bytes / MB);
const status = () => readFileSync('/proc/self/status', 'utf8');
const kb = (text, name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
const t0 = performance.now();
const at = () => Math.round(performance.now() - t0);

const events = [];
let doing = 'start';
const note = (message, context) => {
  doing = message;
  events.push({ t: at(), message, jobId: context?.jobId, rows: context?.rows ?? context?.processed });
};
const logger = { debug: note, info: note, warn: note, error: note };

const samples = [];
let snapshots = 0;
const timer = setInterval(() => {
  const m = process.memoryUsage();
  const spaces = {};
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_size > 0) spaces[space.space_name.replace('_space', '')] = mb(space.physical_space_size);
  }
  samples.push({
    t: at(),
    rss: mb(m.rss),
    hwm: Math.round(kb(status(), 'VmHWM') / 1024),
    heapUsed: mb(m.heapUsed),
    heapTotal: mb(m.heapTotal),
    arrayBuffers: mb(m.arrayBuffers),
    doing,
    spaces,
  });
  const snapAt = Number(process.env.SNAP ?? 0) * 1000 * (snapshots + 1);
  if (snapAt > 0 && snapshots < 2 && at() > snapAt) {
    snapshots++;
    console.log(
      'heap snapshot',
      v8.writeHeapSnapshot(join(here, `../.cache/peers/trace-${rows}-${snapshots}.heapsnapshot`)),
    );
  }
}, every);

function smaps(label) {
  if (!process.env.SMAPS) return;
  const bySize = new Map();
  let current;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (range) {
      const size = Math.round((Number.parseInt(range[2], 16) - Number.parseInt(range[1], 16)) / MB);
      current = range[3] ? range[3].replace(/.*\//, '') : `anonymous ${size} MB`;
    } else if (line.startsWith('Rss:')) {
      bySize.set(current, (bySize.get(current) ?? 0) + Number(line.split(/\s+/)[1]));
    }
  }
  const top = [...bySize].sort((a, b) => b[1] - a[1]).slice(0, 10);
  console.log(label, top.map(([name, rss]) => `${name}: ${Math.round(rss / 1024)}`).join(', '));
}

const { ingest } = await import(sfBulkPath);
const { readCsv } = await import(csvPath);
console.log(
  `after the imports: rss ${mb(process.memoryUsage().rss)} MB, heap used ${mb(process.memoryUsage().heapUsed)} MB`,
);
smaps('smaps after the imports (MB):');
const run = ingest({
  // As peers-tools.mjs's kicksaw tools (PEERS_KICKSAW_JSFORCE=1: a jsforce Connection on the token).
  connection: await kicksawConnection(connection),
  object: OBJECT,
  operation: 'upsert',
  externalIdField: EXTERNAL_ID,
  records: readCsv(file),
  logger,
});
const counts = { succeeded: 0, failed: 0, unprocessed: 0 };
for await (const outcome of run) counts[outcome.status]++;
const summary = await run.summary();
clearInterval(timer);
smaps('smaps at the end (MB):');
const cpu = process.cpuUsage();
console.log(
  `${JSON.stringify(counts)}, ${summary.jobs} jobs, wall ${(at() / 1000).toFixed(1)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, peak RSS ${Math.round(kb(status(), 'VmHWM') / 1024)} MB`,
);
const buffers = samples.map((s) => s.arrayBuffers).sort((a, b) => a - b);
const pick = (q) => buffers[Math.min(buffers.length - 1, Math.floor(q * buffers.length))];
console.log(`arrayBuffers (MB): median ${pick(0.5)}, 90th percentile ${pick(0.9)}, max ${pick(1)}`);
console.log(
  'sample with the most arrayBuffers:',
  JSON.stringify(samples.reduce((a, s) => (s.arrayBuffers > a.arrayBuffers ? s : a))),
);
console.log('sample with the most RSS:', JSON.stringify(samples.reduce((a, s) => (s.rss > a.rss ? s : a))));
writeFileSync(out, JSON.stringify({ rows, counts, samples, events }));
org.stdin.end();
await once(org, 'exit');
