// An incremental sync's reads from the emulator: N Accounts generated (their stamps spread over 30 days), 1% of them
// updated an hour later, then over HTTP `SELECT COUNT() FROM Account WHERE SystemModstamp >= X AND SystemModstamp < Y`
// and a Bulk API 2.0 query job with the same window (created, polled, its results read). Prints, per build of the
// emulator, the org process's CPU and the wall time of each step (medians of BENCH_REPEATS), the generation's time and
// the org's memory. The org runs in a child process (its CPU is its own).
// Run (after a build of sf-emulator): pnpm exec node bench/emulator-modstamp.bench.mjs [records]
// BENCH_BUILDS=label=<bundle>,label=<bundle> compares builds (e.g. base=/tmp/base/packages/sf-emulator/dist/index.js),
// each run BENCH_ROUNDS times (default 2), alternating; default: this checkout's build alone.
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { nextMessage } from './lib/child-message.mjs';

const HOUR = 3_600_000;

if (process.argv[2] === 'child') {
  const { startSalesforceEmulator } = await import(pathToFileURL(process.argv[4]).href);
  const count = Number(process.argv[3]);
  const sf = await startSalesforceEmulator({ clock: new Date() });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  sf.org.generate('Account', count, {
    fields: ['Industry', 'AnnualRevenue', 'NumberOfEmployees', 'Phone', 'BillingCity', 'BillingCountry'],
    spread: { from: new Date(Date.now() - 30 * 24 * HOUR), to: new Date() },
  });
  const generated = { ms: performance.now() - t0, cpuMs: cpuMs(process.cpuUsage(cpu0)) };
  sf.clock.advance(HOUR);
  const from = sf.clock.now().toISOString();
  const ids = [];
  let index = 0;
  for (const id of sf.org.storeOf('Account').records.keys()) if (index++ % 100 === 0) ids.push(id);
  for (let at = 0; at < ids.length; at += 10_000) {
    const batch = ids.slice(at, at + 10_000).map((Id) => ({ Id, Description: `changed ${Id}` }));
    sf.org.dml('update', 'Account', batch);
  }
  sf.clock.advance(120_000);
  const to = sf.clock.now().toISOString();
  globalThis.gc?.();
  const memory = process.memoryUsage();
  process.send?.({
    type: 'ready',
    instanceUrl: sf.instanceUrl,
    accessToken: sf.accessToken,
    from: new Date(Date.parse(from) - 600_000).toISOString(), // the sync's 10-minute lookback
    to,
    changed: ids.length,
    generated,
    heapMb: memory.heapUsed / 1e6,
    rssMb: memory.rss / 1e6,
  });
  process.on('message', async (message) => {
    if (message === 'cpu') process.send?.({ type: 'cpu', ms: cpuMs(process.cpuUsage()) });
    else if (message === 'stop') {
      await sf.stop();
      process.exit(0);
    }
  });
} else {
  const records = Number(process.argv[2] ?? process.env.BENCH_RECORDS ?? 1_000_000);
  const repeats = Number(process.env.BENCH_REPEATS ?? 5);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const builds = (
    process.env.BENCH_BUILDS ?? `this=${new URL('../packages/sf-emulator/dist/index.js', import.meta.url).pathname}`
  )
    .split(',')
    .map((entry) => entry.split('='));
  const results = new Map(builds.map(([label]) => [label, { count: [], create: [], job: [], setup: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const [label, bundle] of builds) {
      const run = await runBuild(bundle, records, repeats);
      const into = results.get(label);
      for (const step of ['count', 'create', 'job']) into[step].push(...run[step]);
      into.setup.push(run.setup);
      console.log(
        `${label} round ${round + 1}: generate ${(run.setup.generated.ms / 1000).toFixed(1)} s (CPU ${(run.setup.generated.cpuMs / 1000).toFixed(1)} s), heap ${run.setup.heapMb.toFixed(0)} MB, rss ${run.setup.rssMb.toFixed(0)} MB, ${run.setup.changed} changed, found ${run.found}; load ${loadavg()[0].toFixed(1)}`,
      );
    }
  }
  console.log(`\n${records} Accounts, 1% changed; medians of ${repeats} x ${rounds} (org CPU ms / wall ms):`);
  for (const [label, into] of results) {
    const line = ['count', 'create', 'job'].map(
      (step) =>
        `${step} ${median(into[step].map((sample) => sample.cpu)).toFixed(0)} / ${median(into[step].map((sample) => sample.wall)).toFixed(0)}`,
    );
    console.log(`${label}: ${line.join(', ')}`);
  }
  console.log(
    `load ${loadavg()
      .map((value) => value.toFixed(1))
      .join(' ')}`,
  );
}

function cpuMs(usage) {
  return (usage.user + usage.system) / 1000;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Starts an org of `bundle`, then times COUNT(), the job's creation and the whole job, `repeats` times each. */
async function runBuild(bundle, records, repeats) {
  const child = fork(new URL(import.meta.url).pathname, ['child', String(records), bundle], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=8192', '--expose-gc'],
  });
  const next = (type) => nextMessage(child, type);
  const setup = await next('ready');
  const orgCpu = async () => {
    child.send('cpu');
    return (await next('cpu')).ms;
  };
  const headers = { Authorization: `Bearer ${setup.accessToken}`, 'Content-Type': 'application/json' };
  const api = `${setup.instanceUrl}/services/data/v62.0`;
  const window = `SystemModstamp >= ${setup.from} AND SystemModstamp < ${setup.to}`;
  const timed = async (work) => {
    const cpu = await orgCpu();
    const start = performance.now();
    const value = await work();
    const wall = performance.now() - start;
    return { value, sample: { cpu: (await orgCpu()) - cpu, wall } };
  };
  const out = { count: [], create: [], job: [], setup, found: 0 };
  for (let repeat = 0; repeat < repeats; repeat++) {
    const count = await timed(async () => {
      const response = await fetch(
        `${api}/query?q=${encodeURIComponent(`SELECT COUNT() FROM Account WHERE ${window}`)}`,
        {
          headers,
        },
      );
      return (await response.json()).totalSize;
    });
    out.count.push(count.sample);
    out.found = count.value;
    let created;
    const job = await timed(async () => {
      const create = await timed(async () => {
        const response = await fetch(`${api}/jobs/query`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            operation: 'queryAll',
            query: `SELECT Id, Name, Description, SystemModstamp, IsDeleted FROM Account WHERE ${window}`,
          }),
        });
        return (await response.json()).id;
      });
      created = create.sample;
      for (;;) {
        const state = (await (await fetch(`${api}/jobs/query/${create.value}`, { headers })).json()).state;
        if (state === 'JobComplete') break;
        if (state === 'Failed' || state === 'Aborted') throw new Error(`job ${state}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const text = await (await fetch(`${api}/jobs/query/${create.value}/results`, { headers })).text();
      return text.split('\n').length - 2;
    });
    if (job.value !== out.found && process.env.BENCH_QUIET !== '1') {
      console.log(`(the job read ${job.value} rows, queryAll; COUNT() ${out.found})`);
    }
    out.create.push(created);
    out.job.push(job.sample);
  }
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  return out;
}
