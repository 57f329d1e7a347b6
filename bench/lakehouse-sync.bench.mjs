// Lakehouse benchmark: the local org (its own process, filled by its seeder) -> DuckDB and back.
//   1. full sync of N Accounts into a DuckDB file;
//   2. [the Salesforce CLI's `sf data export bulk` of the same query to a CSV file, when `sf` is on PATH];
//   3. incremental sync after 1% of the Accounts changed (the org clock moved, not slept on);
//   4. reverse ETL (update) of the N rows from the warehouse, then its diffed rerun after 1% of the rows changed.
// Each client step runs in a fresh child process, so its peak RSS is its own. Prints wall time, rows/s,
// client CPU and peak RSS per step. Usage (after a build):
//   pnpm exec node bench/lakehouse-sync.bench.mjs [rows]        (default 1000000)
// Knobs: BENCH_SYNC_ONLY=1 skips the reverse ETL steps; BENCH_KEEP=1 keeps the DuckDB file (path printed); BENCH_DUCKDB_MEMORY (DuckDB memory_limit, default
//   512MB: DuckDB runs inside the client process, so its buffers count in the client's RSS); BENCH_TRACE=1.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
const self = new URL(import.meta.url).pathname;
const mode = process.argv[2];

// ------------------------------------------------------------------ the org, in its own process
if (mode === '--org') {
  const rows = Number(process.argv[3]);
  const { startSalesforceEmulator } = await import('@kicksaw/sf-emulator');
  // The org clock starts at this machine's time and is moved forward by the `change` command.
  const sf = await startSalesforceEmulator({ clock: new Date(), resultOrder: 'input' });
  const t0 = performance.now();
  const fields = ['Industry', 'AnnualRevenue', 'NumberOfEmployees', 'Phone', 'BillingCity', 'BillingCountry'];
  if (typeof sf.org.generate === 'function') {
    sf.org.generate('Account', rows, {
      fields,
      spread: { from: new Date(Date.now() - 30 * 86_400_000), to: new Date() },
    });
  } else {
    for (let start = 0; start < rows; start += 10_000) {
      const batch = [];
      for (let i = start; i < Math.min(rows, start + 10_000); i++) {
        batch.push({ Name: `Account ${i}`, Industry: 'Energy', AnnualRevenue: i * 10.5, NumberOfEmployees: i % 5000 });
      }
      sf.org.seed('Account', batch);
    }
  }
  process.stderr.write(`org: ${rows} Accounts seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  process.stdout.write(
    `${JSON.stringify({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, apiVersion: sf.apiVersion })}\n`,
  );
  // Commands on stdin: `change <n>` updates every 100th record's Name (n records), `advance <ms>` moves the clock.
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, argument] = line.split(' ');
    if (command === 'change') {
      sf.clock.advance(3_600_000);
      const ids = sf.org
        .records('Account')
        .filter((_, i) => i % 100 === 0)
        .slice(0, Number(argument))
        .map((r) => r.Id);
      for (let i = 0; i < ids.length; i += 10_000) {
        sf.org.dml(
          'update',
          'Account',
          ids.slice(i, i + 10_000).map((Id) => ({ Id, Description: `changed ${Id}` })),
        );
      }
      sf.clock.advance(120_000);
      process.stdout.write(`${JSON.stringify({ changed: ids.length })}\n`);
    } else if (command === 'count') {
      const changed = sf.org.records('Account').filter((r) => String(r.Name).endsWith(' (retl)')).length;
      process.stdout.write(`${JSON.stringify({ renamed: changed })}\n`);
    }
  }
  await sf.stop();
  process.exit(0);
}

// ------------------------------------------------------------------ one client step, in its own process
if (mode === '--client') {
  const [step, file, connectionJson] = process.argv.slice(3);
  const connection = JSON.parse(connectionJson);
  const { Connection } = await import('jsforce');
  const { reverseEtl, sync } = await import('@kicksaw/lakehouse');
  const { openDuckDbWarehouse } = await import('@kicksaw/warehouse-duckdb');
  const conn = new Connection({
    instanceUrl: connection.instanceUrl,
    accessToken: connection.accessToken,
    version: connection.apiVersion,
  });
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const memoryLimit = process.env.BENCH_DUCKDB_MEMORY ?? '512MB';
  const warehouse = await openDuckDbWarehouse({ path: file, config: { memory_limit: memoryLimit } });
  const started = performance.now();
  // BENCH_TRACE=1: each progress step with its time, to see where a run spends it.
  const onProgress = process.env.BENCH_TRACE
    ? (p) =>
        process.stderr.write(
          `  [${step}] ${((performance.now() - started) / 1000).toFixed(1)} s ${p.phase} ${p.rows} rss ${Math.round(process.memoryUsage().rss / 1048576)} MB\n`,
        )
    : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let result;
  let changedRows = 0;
  if (step === 'full' || step === 'incremental') {
    result = (
      await sync({
        connection: conn,
        warehouse,
        objects: 'Account',
        full: step === 'full',
        pollIntervalMs: 100,
        onProgress,
      })
    ).objects[0];
  } else if (step === 'retl' || step === 'retl-rerun') {
    if (step === 'retl-rerun') {
      // 1% of the rows change in the warehouse.
      changedRows = await warehouse.execute(
        `UPDATE retl_source SET "Name" = "Name" || ' (retl)' WHERE hash("Id") % 100 = 0`,
      );
    } else {
      await warehouse.execute(
        `CREATE OR REPLACE TABLE retl_source AS SELECT "Id", "Name", "NumberOfEmployees" FROM "Account"`,
      );
    }
    const t1 = performance.now();
    result = await reverseEtl({
      connection: conn,
      warehouse,
      object: 'Account',
      operation: 'update',
      sql: 'SELECT "Id", "Name", "NumberOfEmployees" FROM retl_source',
      pollIntervalMs: 250,
      onProgress,
      ingest: { maxRowsPerJob: 250_000, maxPollIntervalMs: 2000, api: 'bulk' },
    });
    result.prepareMs = Math.round(t1 - t0);
    result.changedRows = changedRows;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  await warehouse.close();
  process.stdout.write(`${JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRss: peak, result })}\n`);
  process.exit(0);
}

// ------------------------------------------------------------------ the driver
const rows = Number(process.argv[2] ?? 1_000_000);
const directory = await mkdtemp(join(tmpdir(), 'kicksaw-lakehouse-bench-'));
const file = join(directory, 'warehouse.duckdb');
const org = spawn(process.execPath, ['--max-old-space-size=8192', self, '--org', String(rows)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const orgLines = createInterface({ input: org.stdout })[Symbol.asyncIterator]();
const connection = JSON.parse((await orgLines.next()).value);
const orgCommand = async (line) => {
  org.stdin.write(`${line}\n`);
  return JSON.parse((await orgLines.next()).value);
};

async function client(step) {
  const child = spawn(process.execPath, [self, '--client', step, file, JSON.stringify(connection)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`client step ${step} exited ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1));
}

const mb = (bytes) => `${Math.round(bytes / 1048576)} MB`;
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const report = [];
function print(label, run, count) {
  const line = `${label.padEnd(44)} ${s(run.wallMs).padStart(8)}  ${String(Math.round(count / (run.wallMs / 1000))).padStart(8)} rows/s  cpu ${s(run.cpuMs).padStart(7)}  peak RSS ${mb(run.peakRss)}`;
  report.push(line);
  console.log(line);
}

console.log(
  `lakehouse bench: ${rows.toLocaleString('en-US')} Accounts, DuckDB file ${file} (memory_limit ${process.env.BENCH_DUCKDB_MEMORY ?? '512MB'}), load ${(
    await import('node:os')
  )
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const full = await client('full');
print('full sync (Bulk 2.0 queryAll -> DuckDB)', full, full.result.read);
console.log(`  read ${full.result.read}, inserted ${full.result.inserted}`);

const sfCli = await promisify(execFile)('sf', ['--version']).then(
  () => true,
  () => false,
);
if (sfCli) {
  console.log('  (sf CLI found: the export comparison needs a logged-in alias; not run by this script yet)');
} else {
  console.log('  sf CLI not found on PATH: the `sf data export bulk` comparison was skipped');
}

const changed = await orgCommand(`change ${Math.round(rows / 100)}`);
const incremental = await client('incremental');
print(`incremental sync after ${changed.changed} changes`, incremental, incremental.result.read);
console.log(
  `  read ${incremental.result.read}, updated ${incremental.result.updated}, unchanged ${incremental.result.unchanged}; ${((incremental.wallMs / full.wallMs) * 100).toFixed(1)}% of the full sync's time`,
);

if (!process.env.BENCH_SYNC_ONLY) {
  const retl = await client('retl');
  print('reverse ETL update (all rows new)', retl, retl.result.sent);
  console.log(
    `  sent ${retl.result.sent}, succeeded ${retl.result.succeeded}, failed ${retl.result.failed}, jobs ${retl.result.jobs}`,
  );
  const rerun = await client('retl-rerun');
  print('reverse ETL rerun after 1% changed (diffed)', rerun, rerun.result.read);
  const renamed = await orgCommand('count');
  console.log(
    `  rows changed in the warehouse ${rerun.result.changedRows}; read ${rerun.result.read}, sent ${rerun.result.sent} (unchanged ${rerun.result.unchanged}), succeeded ${rerun.result.succeeded}; org records renamed: ${renamed.renamed}`,
  );
}
console.log(`  DuckDB file ${mb((await stat(file)).size)}`);

org.stdin.end();
await once(org, 'exit');
if (!process.env.BENCH_KEEP) await rm(directory, { recursive: true, force: true });
