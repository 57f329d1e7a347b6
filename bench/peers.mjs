// kicksaw against its peers, side by side on the same file and the same local org (issue 18):
//   ingest (upsert by external id) of a 10-column CSV:
//     A kicksaw  `ingest` + `readCsv`, defaults
//     B sf       the Salesforce CLI, `sf data upsert bulk`
//     C jsforce  hand-written `bulk2.loadAndWaitForResults` with a streamed CSV input
//     D parse    a bare csv-parse pass over the file (the floor)
//   export (Bulk API 2.0 query of every row to a CSV file):
//     A kicksaw  `queryToFile(conn, soql, file)` (pages written as Salesforce sends them)
//     A' records `query(conn, soql, { api: 'bulk' })`: typed records written to a file (tool `records`)
//     B sf       `sf data export bulk`
//     C jsforce  `bulk2.query` streamed to a file
//     D parse    a bare csv-parse pass over the exported file
// Interleaved rounds (A B C D, A B C D, ...), medians. Every tool runs as a process of its own; the org
// (@kicksaw/sf-emulator) runs in another (a fresh one for each ingest run, one seeded org per size for
// the exports). Wall time is spawn to exit; client CPU is the child's user+system time (cutime/cstime of
// /proc/self/stat around the wait); client peak RSS is the child's VmHWM (its process tree), sampled
// every 100 ms. Row counts are verified for every run: the rows each tool reports, the records the org
// holds afterwards, the records in each exported file; a tool that loses rows is reported as such.
// The Salesforce CLI is installed on first use into bench/.cache/sf (`npm install --prefix`,
// gitignored; never a workspace dependency). Usage, from the repository root (packages built first):
//   pnpm exec node bench/peers.mjs [rows...] [--rounds=3] [--only=ingest|export] [--tools=kicksaw,records,sf,jsforce,parse]
//   pnpm exec node bench/peers.mjs --from=results-a.json,results-b.json   (tables of saved runs)
//   pnpm exec node bench/peers.mjs 500000 1000000 --only=ingest --tools=kicksaw,sf --server-model=2000-8000x10 \
//     --model-gb=10   (the org's server model on; then a MODELLED figure for a 10 GB input, see modelLargeInput)
//   pnpm exec node bench/peers.mjs 1000000 --tools=base,kicksaw,parse --base=/tmp/bulk-base   (tool `base`: kicksaw
//     run from the packages of another clone, built; its export is `query` records: a before/after in one run).
//     The clone's packages load the clone's own jsforce, undici and zod: a second jsforce in the process, about
//     20 MB more peak RSS (bench/lib/peers-imports.mjs --base=<clone> shows it). For a like-for-like peak, link
//     those in the clone's packages/*/node_modules to this checkout's copies (as the sf-bulk README describes).
// Default sizes: 100000 1000000. Each run is also written, as it ends, to bench/.cache/peers/results-*.json.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { countCsvRecords, EXTERNAL_ID, OBJECT, SOQL, writeBenchCsv } from './lib/peers-data.mjs';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[name];
}
const here = new URL('.', import.meta.url).pathname;
const CACHE = join(here, '.cache');
const DATA = join(CACHE, 'peers');
const SF_DIR = join(CACHE, 'sf');
const SF_RUN = join(SF_DIR, 'node_modules/@salesforce/cli/bin/run.js');
const ORG_SCRIPT = join(here, 'lib/peers-org.mjs');
const TOOL_SCRIPT = join(here, 'lib/peers-tools.mjs');
const TICKS = 100; // CLK_TCK on Linux

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  // The usage is the comment at the top of this file.
  const text = readFileSync(new URL(import.meta.url), 'utf8');
  console.log(
    text
      .slice(0, text.indexOf('\nimport '))
      .replace(/^\/\/ ?/gm, '')
      .trim(),
  );
  process.exit(0);
}
const option = (name, fallback) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
const rounds = Number(option('rounds', '3'));
const only = option('only', 'ingest,export').split(',');
const toolFilter = option('tools', 'kicksaw,sf,jsforce,parse').split(',');
// `--base=<clone>`: the tool `base` runs kicksaw from that clone's built packages (before/after in one run).
const BASE = option('base', '');
const baseEnv = BASE
  ? {
      ...process.env,
      PEERS_SF_BULK: join(BASE, 'packages/sf-bulk/dist/index.js'),
      PEERS_CSV: join(BASE, 'packages/csv/dist/index.js'),
    }
  : undefined;
if (toolFilter.includes('base') && !BASE) {
  console.error('--tools=base needs --base=<a clone with built packages>');
  process.exit(2);
}
// `--sf-json`: run the CLI with --json (by default it runs as a person types it, printing its summary).
const SF_JSON = args.includes('--sf-json');
// `--server-model=MIN-MAXxN`: every internal 10,000-row batch of a Bulk ingest takes MIN..MAX ms in the org, N
// batches of the org at once (the org's `serverModel`), as Salesforce's pool of workers does.
const SERVER_MODEL = option('server-model', '');
if (SERVER_MODEL && !/^\d+-\d+x\d+$/.test(SERVER_MODEL)) {
  console.error(
    `--server-model must look like 2000-8000x10 (milliseconds MIN-MAX, N batches at once), got ${SERVER_MODEL}`,
  );
  process.exit(2);
}
// `--model-gb=G`: after the ingest runs, a modelled (not measured) figure for a G GB input; needs two sizes.
const MODEL_GB = Number(option('model-gb', '0'));

mkdirSync(DATA, { recursive: true });
// The cache folder ignores itself: nothing in it is ever committed.
if (!existsSync(join(CACHE, '.gitignore'))) writeFileSync(join(CACHE, '.gitignore'), '*\n');

function ensureSfCli() {
  if (existsSync(SF_RUN)) return;
  console.log(`Installing @salesforce/cli into ${SF_DIR} (first run only; npm install --prefix) ...`);
  mkdirSync(SF_DIR, { recursive: true });
  if (!existsSync(join(SF_DIR, 'package.json'))) {
    writeFileSync(join(SF_DIR, 'package.json'), '{ "name": "sf-cli-cache", "private": true }\n');
  }
  const npm = spawnSync(
    'npm',
    ['install', '--prefix', SF_DIR, '--no-audit', '--no-fund', '--loglevel=error', '@salesforce/cli'],
    {
      stdio: 'inherit',
    },
  );
  if (npm.status !== 0 || !existsSync(SF_RUN)) throw new Error('installing @salesforce/cli failed (see above)');
}

const SF_HOME = join(CACHE, 'sf-home');
const sfEnv = {
  ...process.env,
  HOME: SF_HOME,
  SF_DISABLE_TELEMETRY: 'true',
  SF_AUTOUPDATE_DISABLE: 'true',
  SF_SKIP_NEW_VERSION_CHECK: 'true',
  SF_USE_GENERIC_UNIX_KEYCHAIN: 'true',
  SF_DISABLE_AUTOUPDATE: 'true',
  NODE_NO_WARNINGS: '1',
};

/** This process's reaped children's CPU seconds (user + system). */
function childrenCpu() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / TICKS;
}

function treeOf(pid) {
  const out = [pid];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (children) for (const child of children.split(' ')) out.push(...treeOf(Number(child)));
    }
  } catch {
    // gone
  }
  return out;
}

function hwmOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

const loadAverage = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/** Runs one command to its end: wall, CPU, peak RSS of its process tree, its output. */
async function measure(command, commandArgs, { env = process.env, cwd = process.cwd() } = {}) {
  const cpu0 = childrenCpu();
  const t0 = performance.now();
  const child = spawn(command, commandArgs, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk.length > 100_000 ? chunk.slice(-100_000) : chunk;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  let peak = 0;
  const hwm = new Map();
  const sample = () => {
    for (const pid of treeOf(child.pid)) {
      const value = hwmOf(pid);
      if (value > 0) hwm.set(pid, value);
    }
    let sum = 0;
    for (const value of hwm.values()) sum += value;
    peak = Math.max(peak, sum);
  };
  const timer = setInterval(sample, 100);
  const [code] = await once(child, 'close');
  clearInterval(timer);
  const wall = (performance.now() - t0) / 1000;
  const cpu = childrenCpu() - cpu0;
  return { code, wall, cpu, rss: peak, stdout, stderr, load: loadAverage() };
}

/** The org in its own process; started again a few times when its package is being rebuilt meanwhile. */
async function startOrg(seedRows = 0) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOrgOnce(seedRows);
    } catch (error) {
      if (attempt >= 6) throw error;
      console.log(`  (${error.message}; trying again in 10 s)`);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
  }
}

async function startOrgOnce(seedRows) {
  const child = spawn(process.execPath, [ORG_SCRIPT, String(seedRows)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, PEERS_SERVER_MODEL: SERVER_MODEL },
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await Promise.race([
    lines.next(),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the org exited with ${code} (is packages/sf-emulator built?)`);
    }),
  ]);
  if (first.done) throw new Error('the org exited before it started (is packages/sf-emulator built?)');
  const connection = JSON.parse(first.value);
  return {
    connection,
    async stats() {
      child.stdin.write('stats\n');
      return JSON.parse((await lines.next()).value);
    },
    async stop() {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

async function sfLogin(org) {
  const login = await measure(
    process.execPath,
    [
      SF_RUN,
      'org',
      'login',
      'access-token',
      '--instance-url',
      org.connection.instanceUrl,
      '--no-prompt',
      '-a',
      'peers',
      '--json',
    ],
    { env: { ...sfEnv, SF_ACCESS_TOKEN: org.connection.accessToken } },
  );
  if (login.code !== 0) throw new Error(`sf org login failed: ${login.stdout || login.stderr}`);
}

function toolRun(tool, file, org, env = process.env) {
  return measure(process.execPath, [TOOL_SCRIPT, tool, file, org ? JSON.stringify(org.connection) : ''], { env });
}

function lastJson(text) {
  const line = text.trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function sfJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return lastJson(text);
  }
}

async function ingestRun(tool, file, rows) {
  if (tool === 'parse') {
    const r = await toolRun('parse', file);
    const reported = lastJson(r.stdout)?.records;
    return { ...r, reported, held: undefined, orgCpu: 0, ok: r.code === 0 && reported === rows };
  }
  const org = await startOrg(0);
  try {
    if (tool === 'sf') await sfLogin(org);
    const before = await org.stats();
    let r;
    let reported;
    if (tool === 'sf') {
      r = await measure(
        process.execPath,
        [
          SF_RUN,
          'data',
          'upsert',
          'bulk',
          '--file',
          file,
          '--sobject',
          OBJECT,
          '--external-id',
          EXTERNAL_ID,
          '-o',
          'peers',
          '--wait',
          '120',
          ...(SF_JSON ? ['--json'] : []),
        ],
        { env: sfEnv, cwd: DATA },
      );
      if (SF_JSON) {
        const result = sfJson(r.stdout)?.result ?? {};
        reported =
          result.successfulRecords ??
          (result.jobInfo ? result.jobInfo.numberRecordsProcessed - result.jobInfo.numberRecordsFailed : undefined);
      } else {
        // As a person runs it: the summary it prints ("Successful records: 1000000").
        // The last of them: the progress display prints it as it goes.
        const count = [...`${r.stdout}\n${r.stderr}`.matchAll(/successful records:?\s*([\d,]+)/gi)].pop()?.[1];
        reported = count === undefined ? undefined : Number(count.replaceAll(',', ''));
      }
    } else if (tool === 'base') {
      r = await toolRun('kicksaw-ingest', file, org, baseEnv);
      reported = lastJson(r.stdout)?.succeeded;
    } else {
      r = await toolRun(`${tool}-ingest`, file, org);
      reported = lastJson(r.stdout)?.succeeded;
    }
    const after = await org.stats();
    return {
      ...r,
      reported,
      held: after.held,
      orgCpu: after.cpu - before.cpu,
      ok: r.code === 0 && reported === rows && after.held === rows,
    };
  } finally {
    await org.stop();
  }
}

async function exportRun(tool, org, rows, files) {
  const out = join(DATA, `export-${rows}-${tool}.csv`);
  const before = await org.stats();
  let r;
  if (tool === 'parse')
    r = await toolRun('parse', files.kicksaw ?? files.records ?? files.base ?? files.sf ?? files.jsforce);
  else if (tool === 'sf') {
    r = await measure(
      process.execPath,
      [
        SF_RUN,
        'data',
        'export',
        'bulk',
        '--query',
        SOQL,
        '--output-file',
        out,
        '--result-format',
        'csv',
        '-o',
        'peers',
        '--wait',
        '120',
        ...(SF_JSON ? ['--json'] : []),
      ],
      { env: sfEnv, cwd: DATA },
    );
  } else if (tool === 'base') r = await toolRun('records-export', out, org, baseEnv);
  else r = await toolRun(`${tool}-export`, out, org);
  const after = await org.stats();
  let reported;
  if (tool === 'parse') reported = lastJson(r.stdout)?.records;
  else {
    files[tool] = out;
    reported = r.code === 0 && existsSync(out) ? await countCsvRecords(out) : undefined;
  }
  return { ...r, reported, held: after.held, orgCpu: after.cpu - before.cpu, ok: r.code === 0 && reported === rows };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const mb = (bytes) => `${Math.round(bytes / 1048576).toLocaleString('en-US')} MB`;
const LABELS = {
  ingest: {
    kicksaw: 'kicksaw ingest + readCsv (defaults)',
    base: 'base build: ingest + readCsv',
    sf: 'sf data upsert bulk',
    jsforce: 'jsforce bulk2, streamed CSV input',
    parse: 'bare csv-parse pass',
  },
  export: {
    kicksaw: 'kicksaw queryToFile',
    records: "kicksaw query(..., { api: 'bulk' }) records",
    base: 'base build: query records',
    sf: 'sf data export bulk',
    jsforce: 'jsforce bulk2.query, streamed',
    parse: 'bare csv-parse of the output',
  },
};

function describeRun(kind, tool, rows, round, r) {
  const verdict = r.ok
    ? 'rows ok'
    : r.code !== 0
      ? `FAILED (exit ${r.code}): ${failureOf(r)}`
      : `ROWS WRONG: reported ${r.reported}${r.held !== undefined && kind === 'ingest' ? `, org holds ${r.held}` : ''} of ${rows}`;
  console.log(
    `  ${kind} ${String(rows).padStart(8)} r${round} ${tool.padEnd(8)} wall ${r.wall.toFixed(1).padStart(6)} s  cpu ${r.cpu
      .toFixed(1)
      .padStart(
        6,
      )} s  rss ${mb(r.rss).padStart(8)}  org cpu ${r.orgCpu.toFixed(1).padStart(5)} s  load ${r.load.toFixed(
      1,
    )}  ${verdict}`,
  );
}

/** The line of a failed run's output that names the error (or its last lines). */
function failureOf(r) {
  const lines = `${r.stderr}\n${r.stdout}`.split('\n').map((line) => line.trim());
  const named = lines.find((line) => /^\w*Error\b|^Error|heap out of memory|FATAL/i.test(line));
  return (named ?? lines.filter(Boolean).slice(-3).join(' | ')).slice(0, 300);
}

function summarize(kind, rows, runs) {
  const roundsSeen = Math.max(...Object.values(runs).map((list) => list.length));
  console.log(`\n${kind} ${rows.toLocaleString('en-US')} rows, medians of the good runs of ${roundsSeen} round(s):`);
  console.log(
    '| tool | wall | client CPU | client peak RSS | org CPU | rows | load (1 min) |\n| --- | --- | --- | --- | --- | --- | --- |',
  );
  const med = {};
  for (const [tool, list] of Object.entries(runs)) {
    if (list.length === 0) continue;
    // Medians of the runs that ended right only: a failed run's time is not the tool's time.
    const good = list.filter((r) => r.ok);
    if (good.length > 0) {
      med[tool] = {
        wall: median(good.map((r) => r.wall)),
        cpu: median(good.map((r) => r.cpu)),
        rss: median(good.map((r) => r.rss)),
        orgCpu: median(good.map((r) => r.orgCpu)),
      };
    }
    const bad = list.filter((r) => !r.ok);
    const rowsText =
      bad.length === 0
        ? `${rows.toLocaleString('en-US')} in every run`
        : `${bad.length}/${list.length} runs wrong (${bad.map((r) => (r.code !== 0 ? `exit ${r.code}` : `got ${r.reported}`)).join(', ')})`;
    const loads = list.map((r) => r.load);
    if (!med[tool]) {
      console.log(`| ${LABELS[kind][tool]} | - | - | - | - | ${rowsText} | - |`);
      continue;
    }
    console.log(
      `| ${LABELS[kind][tool]} | ${med[tool].wall.toFixed(1)} s | ${med[tool].cpu.toFixed(1)} s | ${mb(med[tool].rss)} | ${
        tool === 'parse' ? '-' : `${med[tool].orgCpu.toFixed(1)} s`
      } | ${rowsText} | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} |`,
    );
  }
  if (med.kicksaw) {
    const ratios = [];
    for (const tool of ['base', 'records', 'sf', 'jsforce', 'parse']) {
      if (!med[tool]) continue;
      ratios.push(
        `kicksaw/${tool}: wall ${(med.kicksaw.wall / med[tool].wall).toFixed(2)}x, CPU ${(
          med.kicksaw.cpu / med[tool].cpu
        ).toFixed(2)}x, RSS ${(med.kicksaw.rss / med[tool].rss).toFixed(2)}x`,
      );
    }
    console.log(ratios.map((line) => `  ${line}`).join('\n'));
  }
  for (const tool of ['base', 'records']) {
    if (med[tool] && med.parse) console.log(`  ${tool}/parse: CPU ${(med[tool].cpu / med.parse.cpu).toFixed(2)}x`);
  }
  return med;
}

const toolsOf = (list) => list.filter((t) => toolFilter.includes(t));
const results = {
  started: new Date().toISOString(),
  cpus: (await import('node:os')).cpus().length,
  rounds,
  serverModel: SERVER_MODEL || undefined,
  runs: [],
};
const resultsPath = join(DATA, `results-${results.started.replace(/[:.]/g, '-')}.json`);
/** Every run is written as soon as it ends, so a run cut short still leaves its figures. */
const record = (run) => {
  results.runs.push(run);
  writeFileSync(resultsPath, JSON.stringify(results, null, 2));
};
const summaries = [];
const medians = [];
const from = option('from', '');
if (from) {
  // `--from=a.json,b.json`: print the tables of runs saved before (e.g. a run cut short and its rest).
  const files = from.split(',').map((path) => JSON.parse(readFileSync(path, 'utf8')));
  const saved = files.flatMap((file) => file.runs);
  const savedModel = files.find((file) => file.serverModel)?.serverModel ?? '';
  if (savedModel) console.log(`The org's server model of these runs: ${savedModel}.`);
  const keys = [...new Set(saved.map((r) => `${r.kind} ${r.rows}`))];
  for (const key of keys) {
    const [kind, rows] = key.split(' ');
    const runs = {};
    for (const r of saved.filter((x) => `${x.kind} ${x.rows}` === key)) {
      runs[r.tool] ??= [];
      runs[r.tool].push(r);
    }
    medians.push([kind, Number(rows), summarize(kind, Number(rows), runs)]);
  }
  if (MODEL_GB > 0)
    modelLargeInput(
      medians.filter(([kind]) => kind === 'ingest'),
      SERVER_MODEL || savedModel,
    );
  process.exit(0);
}
if (toolFilter.includes('sf')) ensureSfCli();
for (const rows of sizes.length ? sizes : [100_000, 1_000_000]) {
  const file = join(DATA, `input-${rows}.csv`);
  if (!existsSync(file)) {
    console.log(`Writing ${file} ...`);
    await writeBenchCsv(file, rows);
  }
  if (only.includes('ingest')) {
    const runs = Object.fromEntries(toolsOf(['base', 'kicksaw', 'sf', 'jsforce', 'parse']).map((t) => [t, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const tool of Object.keys(runs)) {
        const r = await ingestRun(tool, file, rows);
        describeRun('ingest', tool, rows, round, r);
        runs[tool].push(r);
        record({ kind: 'ingest', rows, round, tool, ...pick(r) });
      }
    }
    summaries.push(['ingest', rows, runs]);
  }
  if (only.includes('export')) {
    const org = await startOrg(rows);
    try {
      if (toolFilter.includes('sf')) await sfLogin(org);
      const runs = Object.fromEntries(
        toolsOf(['base', 'kicksaw', 'records', 'sf', 'jsforce', 'parse']).map((t) => [t, []]),
      );
      const files = {};
      for (let round = 1; round <= rounds; round++) {
        for (const tool of Object.keys(runs)) {
          const r = await exportRun(tool, org, rows, files);
          describeRun('export', tool, rows, round, r);
          runs[tool].push(r);
          record({ kind: 'export', rows, round, tool, ...pick(r) });
        }
      }
      summaries.push(['export', rows, runs]);
    } finally {
      await org.stop();
    }
  }
}
if (SERVER_MODEL) console.log(`\nThe org's server model: ${SERVER_MODEL} (batch ms MIN-MAX x batches at once).`);
for (const [kind, rows, runs] of summaries) medians.push([kind, rows, summarize(kind, rows, runs)]);
if (MODEL_GB > 0)
  modelLargeInput(
    medians.filter(([kind]) => kind === 'ingest'),
    SERVER_MODEL,
  );
console.log(`\n${resultsPath}`);

/**
 * A MODELLED figure for an input of MODEL_GB gigabytes, from the measured ingest medians at two sizes (no such
 * file is sent). kicksaw streams one file through several jobs in flight: its time is extrapolated from its
 * marginal time per row between the two largest sizes. The CLI and jsforce send one job per file, and Bulk API
 * 2.0 takes at most 150 MB a job, so a user of theirs splits the input into files of a size they were measured at
 * and sends them one after another: files x the measured wall for one file (the best of the sizes measured). The
 * org's floor under the server model (every batch's mean time, N at once) is printed beside them.
 */
function modelLargeInput(ingest, serverModel) {
  const sizesSeen = ingest.map(([, rows]) => rows).sort((a, b) => a - b);
  if (sizesSeen.length < 2 || !ingest.every(([, , med]) => med.kicksaw)) {
    console.log('\n--model-gb needs good ingest runs of kicksaw at two sizes at least (e.g. 500000 1000000).');
    return;
  }
  const at = (rows) => ingest.find(([, r]) => r === rows)[2];
  const bytesPerRow = Math.max(...sizesSeen.map((rows) => statSync(join(DATA, `input-${rows}.csv`)).size / rows));
  const rowsModel = Math.round((MODEL_GB * 1e9) / bytesPerRow);
  const [r1, r2] = sizesSeen.slice(-2);
  const marginal = (at(r2).kicksaw.wall - at(r1).kicksaw.wall) / (r2 - r1);
  const extrapolated = at(r2).kicksaw.wall + (rowsModel - r2) * marginal;
  // The org's floor under the server model: every batch's mean time, N batches at once. No client beats it.
  const model = /^(\d+)-(\d+)x(\d+)$/.exec(serverModel);
  const meanBatch = model ? (Number(model[1]) + Number(model[2])) / 2000 : 0;
  const floor = model ? ((rowsModel / 10_000) * meanBatch) / Number(model[3]) : 0;
  const kicksaw = Math.max(extrapolated, floor);
  console.log(
    `\nMODELLED, not measured: a ${MODEL_GB} GB input (${rowsModel.toLocaleString('en-US')} rows of ${bytesPerRow.toFixed(0)} bytes)`,
  );
  console.log('| tool | how | modelled wall | kicksaw/tool |\n| --- | --- | --- | --- |');
  const how =
    extrapolated >= floor
      ? `one stream, jobs in flight; ${(marginal * 1e6).toFixed(1)} s per million rows past ${r2.toLocaleString('en-US')}`
      : `one stream, jobs in flight; extrapolated ${hours(extrapolated)} (${(marginal * 1e6).toFixed(1)} s per million rows) is under the org's floor, so the floor is taken`;
  console.log(`| kicksaw | ${how} | ${hours(kicksaw)} | - |`);
  for (const tool of ['sf', 'jsforce']) {
    const options = sizesSeen
      .filter((rows) => at(rows)[tool])
      .map((rows) => ({
        rows,
        files: Math.ceil(rowsModel / rows),
        wall: Math.ceil(rowsModel / rows) * at(rows)[tool].wall,
      }));
    if (options.length === 0) continue;
    const best = options.reduce((a, b) => (b.wall < a.wall ? b : a));
    console.log(
      `| ${tool} | ${best.files} files of ${best.rows.toLocaleString('en-US')} rows (its best size measured), one job each, one after another | ${hours(best.wall)} | ${(kicksaw / best.wall).toFixed(2)}x |`,
    );
  }
  if (model) {
    console.log(
      `| (the org's floor) | ${Math.ceil(rowsModel / 10_000).toLocaleString('en-US')} batches, mean ${meanBatch.toFixed(1)} s, ${model[3]} at once | ${hours(floor)} | - |`,
    );
  }
}

function hours(seconds) {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(2)} h` : `${(seconds / 60).toFixed(1)} min`;
}

function pick(r) {
  return {
    code: r.code,
    wall: r.wall,
    cpu: r.cpu,
    rss: r.rss,
    orgCpu: r.orgCpu,
    load: r.load,
    reported: r.reported,
    held: r.held,
    ok: r.ok,
    ...(r.code !== 0 ? { failure: failureOf(r) } : {}),
  };
}
