// What the org faults of the flow 1 soak (bench/orchestrator-soak.bench.mjs) cost @kicksaw/sf-bulk's
// engine alone: one `ingest` of N Contact rows (`insert`, the soak's ingest options), against a fresh
// org in its own process, with the soak's faults and without, alternated (clean, faulty, clean, ...).
// No S3, no lease, no kill: the engine only. For each run it prints wall time, the client's CPU seconds,
// the org's CPU seconds, and from the engine's debug lines a timeline: the first-pass jobs (created ->
// closed -> ended -> reconciled), the retry jobs and when they started against the last first-pass job's
// end, the polls, the 503 and network retries with their backoff, and the session renewals.
// Usage (packages built first):
//   pnpm exec node bench/sf-bulk-faults.bench.mjs [rows=1000000] [--pairs=2] [--seed=1] [--jobs]
// --jobs prints each job's line. The org's faults are the soak's (seeded by --seed as the soak seeds them).
// BENCH_HOLD=both|faulty as in the soak: with `both` (the default) the clean org takes the same 500 ms to start
// on each job (`jobProcessingMs`, the org's speed, not a fault); with `faulty` only the faulty org does.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { soakFaults } from './lib/soak-faults.mjs';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const option = (name, fallback) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SEED = Number(option('seed', '1'));
const FAULTS = soakFaults(SEED);
const HOLD = process.env.BENCH_HOLD ?? 'both';
if (!['both', 'faulty'].includes(HOLD)) throw new Error(`BENCH_HOLD must be both or faulty, got ${HOLD}`);
const CLEAN_ORG = HOLD === 'both' ? { faults: { jobProcessingMs: FAULTS.jobProcessingMs } } : {};

if (args[0] === '--org') {
  const { startSalesforceEmulator } = await import('@kicksaw/sf-emulator');
  const sf = await startSalesforceEmulator({
    resultOrder: 'shuffle',
    ...(args[1] === 'faults' ? { faults: FAULTS } : CLEAN_ORG),
    objects: [
      {
        name: 'Contact',
        merge: true,
        fields: [{ name: 'External_Id__c', type: 'string', length: 40, externalId: true, unique: false }],
      },
    ],
  });
  const cpu0 = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({ loginUrl: sf.loginUrl, username: sf.username, password: sf.password, apiVersion: sf.apiVersion })}\n`,
  );
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'stats') continue;
    const ids = new Map();
    for (const contact of sf.org.records('Contact')) {
      const id = String(contact.External_Id__c ?? '');
      ids.set(id, (ids.get(id) ?? 0) + 1);
    }
    let records = 0;
    for (const n of ids.values()) records += n;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`${JSON.stringify({ records, distinct: ids.size, cpu: (cpu.user + cpu.system) / 1e6 })}\n`);
  }
  await sf.stop();
  process.exit(0);
}

const rows = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const pairs = Number(option('pairs', '2'));
const showJobs = args.includes('--jobs');
const { ingest } = await import('@kicksaw/sf-bulk');
const { Connection } = await import('jsforce');

function* records() {
  for (let row = 1; row <= rows; row++) {
    yield {
      External_Id__c: `R-${String(row).padStart(8, '0')}`,
      FirstName: `First${row}`,
      LastName: `Last${row}`,
      Email: `person${row}@example.com`,
      Title: `Title ${row % 97}`,
    };
  }
}

async function run(faulty) {
  const org = spawn(process.execPath, [self, '--org', faulty ? 'faults' : 'clean'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: org.stdout })[Symbol.asyncIterator]();
  const info = JSON.parse((await lines.next()).value);
  const connection = new Connection({ loginUrl: info.loginUrl, version: info.apiVersion });
  await connection.login(info.username, info.password);
  const events = [];
  const t0 = performance.now();
  const at = () => performance.now() - t0;
  const log = (level) => (message, context) => events.push({ t: at(), wall: Date.now(), level, message, context });
  const cpu0 = process.cpuUsage();
  const run = ingest({
    connection,
    object: 'Contact',
    operation: 'insert',
    records: records(),
    // The soak's ingest options (bench/orchestrator-soak.bench.mjs), and Bulk API as the orchestrator forces it.
    api: 'bulk',
    pollIntervalMs: 250,
    maxPollIntervalMs: 1000,
    maxRowsPerJob: 50_000,
    retry: { maxAttempts: 4 },
    http: { maxRetries: 6, retryDelayMs: 50 },
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  });
  let failed = 0;
  for await (const outcome of run) if (outcome.status !== 'succeeded') failed++;
  const summary = await run.summary();
  const wall = at() / 1000;
  const cpu = process.cpuUsage(cpu0);
  org.stdin.write('stats\n');
  const stats = JSON.parse((await lines.next()).value);
  org.stdin.end();
  await once(org, 'exit');
  return {
    faulty,
    wall,
    clientCpu: (cpu.user + cpu.system) / 1e6,
    orgCpu: stats.cpu,
    duplicates: stats.records - stats.distinct,
    summary,
    failed,
    events,
  };
}

const s = (ms) => `${(ms / 1000).toFixed(2)}`;
function timeline(result) {
  const jobs = new Map();
  const job = (id) => {
    if (!jobs.has(id)) jobs.set(id, { id, polls: 0, pollTimes: [] });
    return jobs.get(id);
  };
  let retries503 = 0;
  let retriesNet = 0;
  let backoff = 0;
  let renewals = 0;
  let retryRound = 0;
  const rounds = [];
  for (const e of result.events) {
    const c = e.context ?? {};
    if (e.message === 'Bulk API job created')
      Object.assign(job(c.jobId), { created: e.t, rows: c.rows, round: retryRound });
    else if (e.message === 'Bulk API job closed') job(c.jobId).closed = e.t;
    else if (e.message === 'Bulk API job polled') {
      const j = job(c.jobId);
      j.polls++;
      j.pollTimes.push(`${s(e.t)}:${c.state === 'InProgress' ? c.processed : c.state}`);
    } else if (e.message === 'Bulk API job ended') {
      Object.assign(job(c.jobId), {
        ended: e.t,
        lag: c.systemModstamp ? e.wall - Date.parse(c.systemModstamp) : Number.NaN,
      });
    } else if (e.message === 'Bulk API job reconciled') job(c.jobId).reconciled = e.t;
    else if (e.message === 'Retrying rows') {
      retryRound++;
      rounds.push({ t: e.t, rows: c.rows });
    } else if (e.message.startsWith('Salesforce request got a transient status')) {
      retries503++;
      backoff += 50 * 2 ** (c.attempt - 1);
    } else if (e.message.startsWith('Salesforce request failed on the network')) {
      retriesNet++;
      backoff += 50 * 2 ** (c.attempt - 1);
    } else if (e.message.startsWith('Salesforce session expired')) renewals++;
  }
  const list = [...jobs.values()];
  const first = list.filter((j) => j.round === 0);
  const lastFirstEnd = Math.max(...first.map((j) => j.reconciled ?? 0));
  const retryJobs = list.filter((j) => j.round > 0);
  const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
  console.log(
    `    jobs: ${first.length} first-pass (mean created->closed ${s(mean(first.map((j) => j.closed - j.created)))} s, ` +
      `closed->ended ${s(mean(first.map((j) => j.ended - j.closed)))} s, ended->reconciled ${s(mean(first.map((j) => j.reconciled - j.ended)))} s, ` +
      `end seen ${s(mean(first.map((j) => j.lag)))} s after the org ended it, ` +
      `${mean(first.map((j) => j.polls)).toFixed(1)} polls), last first-pass job reconciled at ${s(lastFirstEnd)} s; ` +
      `${retryJobs.length} retry jobs (${retryJobs.map((j) => `${j.rows} rows ${s(j.created)}->${s(j.reconciled ?? 0)} s`).join(', ')})`,
  );
  console.log(
    `    retry rounds at ${rounds.map((r) => `${s(r.t)} s (${r.rows})`).join(', ') || 'none'}; 503 retries ${retries503}, ` +
      `network retries ${retriesNet}, backoff slept ~${s(backoff)} s in all; session renewals ${renewals}`,
  );
  if (showJobs) {
    for (const j of list) {
      console.log(
        `      ${j.id} round ${j.round} ${j.rows} rows: created ${s(j.created)} closed ${s(j.closed)} ended ${s(j.ended)} reconciled ${s(j.reconciled)} (${j.polls} polls, end seen ${s(j.lag)} s late) ${j.pollTimes?.join(' ')}`,
      );
    }
  }
}

const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
console.log(
  `sf-bulk under the soak's org faults: ${rows.toLocaleString('en-US')} rows, insert, seed ${SEED}, ${pairs} pair(s)`,
);
for (let pair = 1; pair <= pairs; pair++) {
  for (const faulty of args.includes('--faulty-only') ? [true] : [false, true]) {
    const before = load();
    const r = await run(faulty);
    console.log(
      `  ${faulty ? 'faulty' : 'clean '}: wall ${r.wall.toFixed(1)} s, client CPU ${r.clientCpu.toFixed(1)} s, org CPU ${r.orgCpu.toFixed(1)} s; ` +
        `succeeded ${r.summary.succeeded}, not succeeded ${r.failed}, jobs ${r.summary.jobs}, retried ${r.summary.retried}, ` +
        `duplicates ${r.duplicates}; load ${before} -> ${load()}`,
    );
    timeline(r);
  }
}
