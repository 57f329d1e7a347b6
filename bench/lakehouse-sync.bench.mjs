// Lakehouse benchmark: the local org (its own process, filled by its seeder) -> DuckDB and back.
//   1. full sync of N Accounts into a DuckDB file, interleaved with the Salesforce CLI's `sf data export bulk`
//      of the same query (every field the sync reads, queryAll = --all-rows) to a CSV file, BENCH_REPEAT times
//      each; medians and the ratio printed;
//   2. incremental sync after 1% of the Accounts changed (the org clock moved, not slept on);
//   3. reverse ETL (update) of the N rows from the warehouse, then its diffed rerun after 1% of the rows changed.
// Each client step (and each sf command) runs in a process of its own, measured from outside with
// /usr/bin/time: wall time, CPU (user + system) and peak RSS; the org's CPU over the step is read from /proc.
// The sf CLI is installed on demand with npm into .tmp/sf-cli (gitignored; the folder
// packages/sf-emulator/test/sf-cli/run.sh uses too), never as a workspace dependency.
// Usage (after a build):
//   pnpm exec node bench/lakehouse-sync.bench.mjs [rows]        (default 1000000)
// Knobs: BENCH_REPEAT (full sync / export rounds, default 3); BENCH_PATHS (csv,rows: the sync's CSV-page path and
//   the row path before it, interleaved; default both; `<path>@<n>` runs a path with pageSize n, e.g.
//   csv,csv@50000; `base` runs the steps with the build in BENCH_BASE, another
//   built clone of the repository, e.g. BENCH_PATHS=base,csv BENCH_BASE=/tmp/base); BENCH_SYNC_ONLY=1 skips the reverse ETL steps;
//   BENCH_REST_MAX_ROWS (the sync's restMaxRows: 0 reads every delta through Bulk); BENCH_PAGE_SIZE (the sync's pageSize); BENCH_NO_SF=1 skips the sf CLI; BENCH_KEEP=1 keeps the DuckDB file (path printed); BENCH_DUCKDB_MEMORY /
//   BENCH_DUCKDB_THREADS (DuckDB memory_limit / threads; default: the warehouse's defaults); BENCH_DUCKDB_CONFIG (a JSON
//   object of other DuckDB settings); BENCH_TRACE_SQL=1 prints every statement with its wall, CPU and the RSS after; BENCH_TRACE_DUCKDB=1 prints duckdb_memory() every second; BENCH_RETL_BATCH_ROWS (reverse ETL batchRows); BENCH_TRACE=1 prints
//   each progress step with the RSS and JS heap.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

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
    } else if (command === 'soql') {
      // The query a full sync of Account reads: every field the lakehouse maps (its describe, compound fields out).
      const { columnsFromDescribe } = await import('@kicksaw/lakehouse');
      const response = await fetch(`${sf.instanceUrl}/services/data/v${sf.apiVersion}/sobjects/Account/describe`, {
        headers: { Authorization: `Bearer ${sf.accessToken}` },
      });
      const describe = await response.json();
      const names = columnsFromDescribe(describe.fields).map((c) => c.name);
      process.stdout.write(`${JSON.stringify({ soql: `SELECT ${names.join(', ')} FROM Account` })}\n`);
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
  // The peak since the last progress line too, so a trace shows which phase holds it.
  let phasePeak = 0;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    peak = Math.max(peak, rss);
    phasePeak = Math.max(phasePeak, rss);
  }, 50);
  const config = {};
  if (process.env.BENCH_DUCKDB_MEMORY) config.memory_limit = process.env.BENCH_DUCKDB_MEMORY;
  if (process.env.BENCH_DUCKDB_THREADS) config.threads = process.env.BENCH_DUCKDB_THREADS;
  if (process.env.BENCH_DUCKDB_CONFIG) Object.assign(config, JSON.parse(process.env.BENCH_DUCKDB_CONFIG));
  const opened = await openDuckDbWarehouse({ path: file, config });
  // BENCH_ROW_PATH=1: the warehouse without loadCsv, so sync reads rows into JavaScript (parsed, converted, written
  // again as CSV for COPY): the path before result pages went to the engine's CSV loader as they are.
  const warehouse = process.env.BENCH_ROW_PATH
    ? new Proxy(opened, {
        get: (target, name) =>
          name === 'loadCsv'
            ? undefined
            : typeof target[name] === 'function'
              ? target[name].bind(target)
              : target[name],
      })
    : opened;
  if (process.env.BENCH_TRACE_SQL) traceStatements(warehouse);
  // BENCH_TRACE_DUCKDB=1: DuckDB's own count of its memory (duckdb_memory(), tags above 1 MB) every second, on stderr.
  const duckdbSampler = process.env.BENCH_TRACE_DUCKDB ? sampleDuckDbMemory(opened, step) : undefined;
  const started = performance.now();
  // BENCH_TRACE=1: each progress step with its time, to see where a run spends it.
  const onProgress = process.env.BENCH_TRACE
    ? (p) => {
        const { rss, heapUsed, external } = process.memoryUsage();
        const cpu = process.cpuUsage();
        process.stderr.write(
          `  [${step}] ${((performance.now() - started) / 1000).toFixed(1)} s cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s ${p.phase} ${p.rows} rss ${Math.round(rss / 1048576)} MB (peak since the last line ${Math.round(Math.max(phasePeak, rss) / 1048576)} MB) heap ${Math.round(heapUsed / 1048576)} MB external ${Math.round(external / 1048576)} MB\n`,
        );
        phasePeak = 0;
      }
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
        onProgress,
        ...(process.env.BENCH_REST_MAX_ROWS ? { restMaxRows: Number(process.env.BENCH_REST_MAX_ROWS) } : {}),
        ...(process.env.BENCH_PAGE_SIZE ? { pageSize: Number(process.env.BENCH_PAGE_SIZE) } : {}),
      })
    ).objects[0];
  } else if (step === 'retl-source') {
    // The reverse ETL's source table, made in a process of its own: copying it out of the 55-column Account table
    // is the bench's preparation, not part of the reverse ETL (it took the step's process from 130 to 245 MB).
    await warehouse.execute(
      `CREATE OR REPLACE TABLE retl_source AS SELECT "Id", "Name", "NumberOfEmployees" FROM "Account"`,
    );
    result = {};
  } else if (step === 'retl' || step === 'retl-rerun') {
    if (step === 'retl-rerun') {
      // 1% of the rows change in the warehouse.
      changedRows = await warehouse.execute(
        `UPDATE retl_source SET "Name" = "Name" || ' (retl)' WHERE hash("Id") % 100 = 0`,
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
      ...(process.env.BENCH_RETL_BATCH_ROWS ? { batchRows: Number(process.env.BENCH_RETL_BATCH_ROWS) } : {}),
    });
    result.prepareMs = Math.round(t1 - t0);
    result.changedRows = changedRows;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  duckdbSampler?.stop();
  const rssBeforeClose = process.memoryUsage().rss;
  const closeStarted = performance.now();
  await warehouse.close();
  if (process.env.BENCH_TRACE) {
    // The peak inside the step (sampled every 50 ms) and what closing (DuckDB's checkpoint) takes, apart.
    process.stderr.write(
      `  [${step}] peak RSS in the step ${Math.round(peak / 1048576)} MB, ${Math.round(rssBeforeClose / 1048576)} MB before close; close ${((performance.now() - closeStarted) / 1000).toFixed(1)} s, ${Math.round(process.memoryUsage().rss / 1048576)} MB after\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRss: peak, result })}\n`);
  process.exit(0);
}

/** Samples `duckdb_memory()` every second on a connection of its own; `stop()` ends it. */
function sampleDuckDbMemory(warehouse, step) {
  const t0 = performance.now();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const parts = [];
      for await (const row of warehouse.query(
        'SELECT tag, memory_usage_bytes AS m, temporary_storage_bytes AS t FROM duckdb_memory() WHERE memory_usage_bytes > 1048576 OR temporary_storage_bytes > 1048576 ORDER BY memory_usage_bytes DESC',
      )) {
        parts.push(
          `${row.tag} ${Math.round(Number(row.m) / 1048576)}${Number(row.t) > 0 ? `+${Math.round(Number(row.t) / 1048576)}tmp` : ''}`,
        );
      }
      const { rss, heapUsed } = process.memoryUsage();
      process.stderr.write(
        `  [${step}] ${((performance.now() - t0) / 1000).toFixed(1)} s duckdb MB: ${parts.join(', ') || '-'}; rss ${Math.round(rss / 1048576)} heap ${Math.round(heapUsed / 1048576)}\n`,
      );
    } catch {
      // the warehouse closed meanwhile
    } finally {
      busy = false;
    }
  }, 1000);
  return { stop: () => clearInterval(timer) };
}

/**
 * BENCH_TRACE_SQL=1: every statement of the warehouse and of its transactions' sessions, with its wall and the
 * process's CPU over it (a streamed read is timed to its end), on stderr.
 */
function traceStatements(warehouse) {
  const log = (sql, t0, cpu0) => {
    const cpu = process.cpuUsage(cpu0);
    process.stderr.write(
      `    sql ${((performance.now() - t0) / 1000).toFixed(2)} s wall ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s cpu rss ${Math.round(process.memoryUsage().rss / 1048576)} MB: ${sql.replace(/\s+/g, ' ').slice(0, 140)}\n`,
    );
  };
  const wrap = (session) => {
    const execute = session.execute.bind(session);
    const query = session.query.bind(session);
    session.execute = async (sql, params) => {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      try {
        return await execute(sql, params);
      } finally {
        log(sql, t0, cpu0);
      }
    };
    session.query = async function* (sql, params) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      try {
        yield* query(sql, params);
      } finally {
        log(sql, t0, cpu0);
      }
    };
    return session;
  };
  wrap(warehouse);
  const transaction = warehouse.transaction.bind(warehouse);
  warehouse.transaction = (fn) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    return transaction((session) => fn(wrap(session))).finally(() => log('(transaction, COMMIT included)', t0, cpu0));
  };
}

// ------------------------------------------------------------------ the driver
const rows = Number(process.argv[2] ?? 1_000_000);
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const directory = await mkdtemp(join(tmpdir(), 'kicksaw-lakehouse-bench-'));
const file = join(directory, 'warehouse.duckdb');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const org = spawn(process.execPath, ['--max-old-space-size=8192', self, '--org', String(rows)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const orgLines = createInterface({ input: org.stdout })[Symbol.asyncIterator]();
const connection = JSON.parse((await orgLines.next()).value);
const orgCommand = async (line) => {
  org.stdin.write(`${line}\n`);
  return JSON.parse((await orgLines.next()).value);
};
/** The org process's CPU so far (user + system), ms. */
function orgCpuMs() {
  const fields = readFileSync(`/proc/${org.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return ((Number(fields[11]) + Number(fields[12])) / ticks) * 1000;
}

/** Runs a command under /usr/bin/time: wall ms (spawn to exit), CPU ms (user + system), peak RSS bytes. */
async function timed(command, args, options = {}) {
  const timeFile = join(directory, `time-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const orgBefore = orgCpuMs();
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, command, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    ...options,
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const [code] = await once(child, 'exit');
  const wallMs = performance.now() - t0;
  const [, user, system, maxKb] = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${out.slice(-2000)}`);
  return { wallMs, cpuMs: (user + system) * 1000, peakRss: maxKb * 1024, orgCpuMs: orgCpuMs() - orgBefore, out };
}

// BENCH_BASE: another built clone of the repository (e.g. the commit before a change); the `base` path runs each
// client step with that clone's bench script, so its own packages load.
const baseDirectory = process.env.BENCH_BASE;
// A path may name its own page size after an @ (`csv@50000`: the csv path with pageSize 50,000).
async function client(step, pathAndPageSize = 'csv', database = file) {
  const [path, pageSize] = pathAndPageSize.split('@');
  if (path === 'base' && !baseDirectory) throw new Error('the base path needs BENCH_BASE (a built clone)');
  const script = path === 'base' ? join(baseDirectory, 'bench', 'lakehouse-sync.bench.mjs') : self;
  const run = await timed(process.execPath, [script, '--client', step, database, JSON.stringify(connection)], {
    env: {
      ...process.env,
      ...(path === 'rows' ? { BENCH_ROW_PATH: '1' } : {}),
      ...(pageSize ? { BENCH_PAGE_SIZE: pageSize } : {}),
    },
  });
  const inner = JSON.parse(run.out.trim().split('\n').at(-1));
  return { ...run, stepMs: inner.wallMs, result: inner.result };
}

// ------------------------------------------------------------------ the Salesforce CLI
const sfCliDir = join(dirname(self), '..', '.tmp', 'sf-cli');
const sfRun = join(sfCliDir, 'node_modules/@salesforce/cli/bin/run.js');
const sfHome = join(directory, 'sf-home');
const sfEnv = {
  ...process.env,
  HOME: sfHome,
  PATH: `${join(sfCliDir, 'node_modules/.bin')}:${dirname(process.execPath)}:${process.env.PATH}`,
  SF_DISABLE_TELEMETRY: 'true',
  SF_AUTOUPDATE_DISABLE: 'true',
  SF_SKIP_NEW_VERSION_CHECK: 'true',
  SF_USE_GENERIC_UNIX_KEYCHAIN: 'true',
  NODE_NO_WARNINGS: '1',
};
async function setUpSfCli() {
  if (!existsSync(sfRun)) {
    console.log(`installing @salesforce/cli into ${sfCliDir} (first run only) ...`);
    await mkdir(sfCliDir, { recursive: true });
    if (!existsSync(join(sfCliDir, 'package.json'))) {
      await writeFile(join(sfCliDir, 'package.json'), '{ "name": "sf-cli-cache", "private": true }\n');
    }
    execFileSync(
      'npm',
      ['install', '--prefix', sfCliDir, '--no-audit', '--no-fund', '--loglevel=error', '@salesforce/cli@^2'],
      {
        stdio: 'inherit',
        env: sfEnv,
      },
    );
  }
  await mkdir(join(sfHome, 'work'), { recursive: true });
  execFileSync(
    process.execPath,
    [
      sfRun,
      'org',
      'login',
      'access-token',
      '--instance-url',
      connection.instanceUrl,
      '--no-prompt',
      '-a',
      'local',
      '--json',
    ],
    {
      env: { ...sfEnv, SF_ACCESS_TOKEN: connection.accessToken },
      cwd: join(sfHome, 'work'),
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return JSON.parse(readFileSync(join(sfCliDir, 'node_modules/@salesforce/cli/package.json'), 'utf8')).version;
}
async function sfExport(soql, output) {
  const run = await timed(
    process.execPath,
    [
      sfRun,
      'data',
      'export',
      'bulk',
      '--query',
      soql,
      '--all-rows',
      '--output-file',
      output,
      '--result-format',
      'csv',
      '--wait',
      '120',
      '-o',
      'local',
      '--json',
    ],
    { env: sfEnv, cwd: join(sfHome, 'work') },
  );
  const body = JSON.parse(run.out);
  return { ...run, records: body.result?.totalSize ?? null, bytes: (await stat(output)).size };
}

// ------------------------------------------------------------------ report
const mb = (bytes) => `${Math.round(bytes / 1048576)} MB`;
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
function print(label, run, count) {
  console.log(
    `${label.padEnd(46)} ${s(run.wallMs).padStart(8)}  ${String(Math.round(count / (run.wallMs / 1000))).padStart(8)} rows/s  cpu ${s(run.cpuMs).padStart(7)}  peak RSS ${mb(run.peakRss).padStart(7)}  org cpu ${s(run.orgCpuMs)}  load ${load()}`,
  );
}

const memory = `memory_limit ${process.env.BENCH_DUCKDB_MEMORY ?? 'default'}, threads ${process.env.BENCH_DUCKDB_THREADS ?? 'default'}`;
console.log(
  `lakehouse bench: ${rows.toLocaleString('en-US')} Accounts, DuckDB file ${file} (${memory}), load ${load()}`,
);
const { soql } = await orgCommand('soql');
console.log(`  query: SELECT <${soql.split(',').length} fields> FROM Account (queryAll)`);
const sfVersion = process.env.BENCH_NO_SF ? undefined : await setUpSfCli();
if (sfVersion) console.log(`  sf CLI ${sfVersion} logged in to the local org`);

// BENCH_PATHS: `csv` (result pages to DuckDB's read_csv as they are, the sync's path) and/or `rows` (the warehouse
// without loadCsv: rows parsed in JavaScript, the path before); interleaved with the sf export, A B C A B C.
const paths = (process.env.BENCH_PATHS ?? 'csv,rows').split(',');
const fulls = Object.fromEntries(paths.map((p) => [p, []]));
const exports = [];
for (let i = 1; i <= repeat; i++) {
  for (const path of paths) {
    const full = await client('full', path);
    print(`full sync #${i} ${path} (Bulk 2.0 queryAll -> DuckDB)`, full, full.result.read);
    fulls[path].push(full);
  }
  if (sfVersion) {
    const output = join(directory, 'export.csv');
    const exported = await sfExport(soql, output);
    print(`sf data export bulk #${i} (-> CSV, ${mb(exported.bytes)})`, exported, exported.records ?? rows);
    exports.push(exported);
    await rm(output, { force: true });
  }
}
const fullWall = {};
for (const path of paths) {
  const runs = fulls[path];
  fullWall[path] = median(runs.map((r) => r.wallMs));
  console.log(
    `  full sync ${path} median: ${s(fullWall[path])} wall, ${s(median(runs.map((r) => r.cpuMs)))} client CPU, ${mb(median(runs.map((r) => r.peakRss)))} peak RSS (max ${mb(Math.max(...runs.map((r) => r.peakRss)))}); read ${runs[0].result.read}, inserted ${runs[0].result.inserted}`,
  );
}
if (exports.length > 0) {
  const exportWall = median(exports.map((r) => r.wallMs));
  console.log(
    `  sf export median: ${s(exportWall)} wall, ${s(median(exports.map((r) => r.cpuMs)))} CPU, ${mb(median(exports.map((r) => r.peakRss)))} peak RSS; records ${exports[0].records}`,
  );
  for (const path of paths) {
    console.log(
      `  ratio full sync ${path} / sf export: wall ${(fullWall[path] / exportWall).toFixed(2)}x, client CPU ${(median(fulls[path].map((r) => r.cpuMs)) / median(exports.map((r) => r.cpuMs))).toFixed(2)}x, org CPU ${(median(fulls[path].map((r) => r.orgCpuMs)) / median(exports.map((r) => r.orgCpuMs))).toFixed(2)}x`,
    );
  }
}

const changed = await orgCommand(`change ${Math.round(rows / 100)}`);
// The last full sync left the table; each path gets a copy of it, so each reads and merges the same delta.
const databases = {};
for (const path of paths) {
  databases[path] = join(directory, `warehouse-${path}.duckdb`);
  await copyFile(file, databases[path]);
  if (existsSync(`${file}.wal`)) await copyFile(`${file}.wal`, `${databases[path]}.wal`);
}
for (const path of paths) {
  const incremental = await client('incremental', path, databases[path]);
  print(`incremental ${path} after ${changed.changed} changes`, incremental, incremental.result.read);
  console.log(
    `  read ${incremental.result.read}, updated ${incremental.result.updated}, unchanged ${incremental.result.unchanged}; ${((incremental.wallMs / fullWall[path]) * 100).toFixed(1)}% of the ${path} full sync's median time (in-process ${s(incremental.stepMs)})`,
  );
}

// The reverse ETL of each path (the row path loads the same way as csv here, so it is left out), on its own copy.
const retlPaths = paths.filter((p) => p !== 'rows');
if (!process.env.BENCH_SYNC_ONLY) {
  for (const path of retlPaths) {
    await client('retl-source', path, databases[path]);
    const retl = await client('retl', path, databases[path]);
    print(`reverse ETL update ${path} (all rows new)`, retl, retl.result.sent);
    console.log(
      `  sent ${retl.result.sent}, succeeded ${retl.result.succeeded}, failed ${retl.result.failed}, jobs ${retl.result.jobs}`,
    );
  }
  for (const path of retlPaths) {
    const rerun = await client('retl-rerun', path, databases[path]);
    print(`reverse ETL rerun ${path} after 1% changed (diffed)`, rerun, rerun.result.read);
    const renamed = await orgCommand('count');
    console.log(
      `  rows changed in the warehouse ${rerun.result.changedRows}; read ${rerun.result.read}, sent ${rerun.result.sent} (unchanged ${rerun.result.unchanged}), succeeded ${rerun.result.succeeded}; org records renamed: ${renamed.renamed}`,
    );
  }
}
console.log(`  DuckDB file ${mb((await stat(file)).size)}`);

org.stdin.end();
await once(org, 'exit');
if (!process.env.BENCH_KEEP) await rm(directory, { recursive: true, force: true });
