// Ingest benchmark: 100k and 1M generated rows into @kicksaw/sf-emulator (its own process) through
//   - @kicksaw/sf-bulk `ingest` (streamed input, jobs cut at 250k rows, 3 in flight), and
//   - hand-written jsforce: `conn.bulk2.loadAndWaitForResults` on the whole array.
// Each run is a fresh child process (fresh emulator too), so peak RSS is that run's alone.
// Prints wall time, rows/s, client CPU time and peak RSS. Usage:
//   pnpm exec node bench/sf-bulk-ingest.bench.mjs [rows...]      (default: 100000 1000000)
//   pnpm exec node bench/sf-bulk-ingest.bench.mjs --only=kicksaw 1000000
// Knobs: BENCH_ROWS_PER_JOB (default 250000), BENCH_JOBS_IN_FLIGHT (3), BENCH_DEBUG=1 (memory breakdown at peak),
//   BENCH_NODE_FLAGS="--flag ..." (extra node/V8 flags for the client process, for experiments),
//   BENCH_RETAINED=N (every N outcomes: a full GC, then the heap and external memory the run still
//   holds; shows retention apart from GC slack, and lowers the peak of that run, so not for figures).
// Needs built packages (`pnpm build`, or `pnpm bench` which builds first).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
const self = new URL(import.meta.url).pathname;
const emulatorScript = new URL('./lib/sf-bulk-emulator.mjs', import.meta.url).pathname;

function* generate(n) {
  for (let i = 1; i <= n; i++) {
    yield {
      Name: `Bench row ${i}`,
      Ext__c: `B-${i}`,
      Email__c: `user${i}@example.com`,
      Qty__c: i % 1000,
      Active__c: i % 2 === 0,
    };
  }
}

async function runChild(engine, rows, connection) {
  const { Connection } = await import('jsforce');
  const conn = new Connection({
    instanceUrl: connection.instanceUrl,
    accessToken: connection.accessToken,
    version: connection.apiVersion,
  });
  let peak = 0;
  let peakDetail;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (process.env.BENCH_TRACE) {
      const f = (b) => (b / 1048576).toFixed(0);
      process.stderr.write(
        `t=${((performance.now() - t0) / 1000).toFixed(1)} rss=${f(m.rss)} heapUsed=${f(m.heapUsed)} heapTotal=${f(m.heapTotal)} external=${f(m.external)} ab=${f(m.arrayBuffers)}\n`,
      );
    }
    if (m.rss > peak) {
      peak = m.rss;
      peakDetail = m;
    }
  }, 50);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let succeeded = 0;
  let failed = 0;
  let total = 0;
  if (engine === 'kicksaw') {
    const { ingest } = await import('@kicksaw/sf-bulk');
    const run = ingest({
      connection: conn,
      object: 'Bench__c',
      operation: 'insert',
      records: generate(rows),
      api: 'bulk',
      maxRowsPerJob: Number(process.env.BENCH_ROWS_PER_JOB ?? 250_000),
      maxConcurrentJobs: Number(process.env.BENCH_JOBS_IN_FLIGHT ?? 3),
      pollIntervalMs: 250,
      maxPollIntervalMs: 2000,
    });
    const retainedEvery = Number(process.env.BENCH_RETAINED ?? 0);
    for await (const outcome of run) {
      total++;
      if (outcome.status === 'succeeded') succeeded++;
      else failed++;
      if (retainedEvery > 0 && total % retainedEvery === 0) {
        // What the run holds on to (a full GC first): the garbage a peak includes is left out.
        globalThis.gc();
        const m = process.memoryUsage();
        const f = (b) => (b / 1048576).toFixed(1);
        process.stderr.write(
          `retained after ${total} outcomes: heapUsed=${f(m.heapUsed)} MB external=${f(m.external)} MB rss=${f(m.rss)} MB\n`,
        );
      }
    }
    await run.summary();
  } else {
    const input = [...generate(rows)];
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Bench__c',
      operation: 'insert',
      input,
      pollInterval: 250,
      pollTimeout: 30 * 60_000,
    });
    succeeded = results.successfulResults.length;
    failed = results.failedResults.length + results.unprocessedRecords.length;
    total = succeeded + failed;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  if (process.env.BENCH_DEBUG) process.stderr.write(`${JSON.stringify(peakDetail)}\n`);
  return { engine, rows, total, succeeded, failed, wall, cpu: (cpu.user + cpu.system) / 1e6, peakRss: peak };
}

async function startEmulator() {
  const child = spawn(process.execPath, [emulatorScript], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the emulator exited with ${code} (is packages/sf-emulator built?)`);
    }),
  ]);
  return { child, connection: JSON.parse(line) };
}

async function measure(engine, rows) {
  const { child: emulator, connection } = await startEmulator();
  try {
    const child = spawn(
      process.execPath,
      [
        ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []),
        ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []),
        '--expose-gc',
        self,
        '--child',
        engine,
        String(rows),
        JSON.stringify(connection),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    const [code] = await once(child, 'exit');
    if (process.env.BENCH_TRACE_GC) process.stderr.write(out);
    if (code !== 0) throw new Error(`${engine} run exited with ${code}`);
    return JSON.parse(out.trim().split('\n').pop());
  } finally {
    emulator.stdin.end();
    await once(emulator, 'exit');
  }
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

if (process.argv[2] === '--child') {
  const [, , , engine, rows, connection] = process.argv;
  const result = await runChild(engine, Number(rows), JSON.parse(connection));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  const args = process.argv.slice(2);
  const only = args.find((a) => a.startsWith('--only='))?.slice(7);
  const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const engines = only ? [only] : ['kicksaw', 'jsforce'];
  console.log('engine   rows        wall      rows/s     client CPU   peak RSS   outcomes');
  for (const rows of sizes.length ? sizes : [100_000, 1_000_000]) {
    for (const engine of engines) {
      try {
        const r = await measure(engine, rows);
        console.log(
          `${engine.padEnd(8)} ${String(rows).padStart(9)} ${r.wall.toFixed(1).padStart(8)} s ${Math.round(
            rows / r.wall,
          )
            .toString()
            .padStart(
              10,
            )} ${r.cpu.toFixed(1).padStart(10)} s ${mb(r.peakRss).padStart(9)}   ${r.succeeded} ok / ${r.failed} not`,
        );
      } catch (error) {
        console.log(`${engine.padEnd(8)} ${String(rows).padStart(9)}   failed: ${error.message}`);
      }
    }
  }
}
