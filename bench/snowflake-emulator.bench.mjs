// The local Snowflake against bare DuckDB on the same work, in the same run: 1,000,000 rows x 10 columns
// loaded (PUT + COPY INTO through the unmodified snowflake-sdk / read_csv in DuckDB), a MERGE of 100,000
// changed rows, then a full streamed SELECT whose rows reach JavaScript as values on both sides (the driver's
// row objects; DuckDB's row arrays of values). Prints per step the wall time and the CPU seconds of each
// process (the driver = this process, the emulator, the DuckDB run: each lives in its own process so that its
// CPU and peak RSS are its own), peak RSS of each, and the load average before and after.
// Run: pnpm exec node bench/snowflake-emulator.bench.mjs [rows] (needs a built @kicksaw/snowflake-emulator).
// BENCH_CHUNK_ROWS sets the emulator's `chunkRows` (rows per result chunk; the emulator's default when unset),
// BENCH_PREFETCH the driver's `resultPrefetch` (chunks fetched ahead; the driver's default 2 when unset),
// BENCH_FETCH_AS_STRING the driver's `fetchAsString` for the SELECT (e.g. `Date`: dates and timestamps as text,
// without the driver's moment-timezone objects), BENCH_ROW_MODE its `rowMode` (`array` or `object`, the default).
import { fork } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextMessage } from './lib/child-message.mjs';

const ROWS = Number(
  process.argv[2] && process.argv[2] !== 'child' ? process.argv[2] : (process.env.BENCH_ROWS ?? 1_000_000),
);
const CHANGED = Math.floor(ROWS / 10);
const CHUNK_ROWS = process.env.BENCH_CHUNK_ROWS ? Number(process.env.BENCH_CHUNK_ROWS) : undefined;
const PREFETCH = process.env.BENCH_PREFETCH ? Number(process.env.BENCH_PREFETCH) : undefined;
const FETCH_AS_STRING = process.env.BENCH_FETCH_AS_STRING ? process.env.BENCH_FETCH_AS_STRING.split(',') : undefined;
const ROW_MODE = process.env.BENCH_ROW_MODE || undefined;
/** CPU seconds (user + system, all threads) this process has used. */
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

const CREATE = `CREATE TABLE BENCH (ID NUMBER(38,0), CODE VARCHAR, AMOUNT NUMBER(16,2), QTY NUMBER(9,0), DUE DATE,
  SEEN TIMESTAMP_NTZ, FLAG BOOLEAN, EMAIL VARCHAR, NOTE VARCHAR, SCORE FLOAT)`;
const DUCK_CREATE = `CREATE TABLE BENCH (ID DECIMAL(38,0), CODE VARCHAR, AMOUNT DECIMAL(16,2), QTY DECIMAL(9,0), DUE DATE,
  SEEN TIMESTAMP, FLAG BOOLEAN, EMAIL VARCHAR, NOTE VARCHAR, SCORE DOUBLE)`;
const MERGE = `MERGE INTO BENCH T USING CHANGES C ON T.ID = C.ID
  WHEN MATCHED THEN UPDATE SET AMOUNT = C.AMOUNT, NOTE = C.NOTE
  WHEN NOT MATCHED THEN INSERT (ID, CODE, AMOUNT, QTY, DUE, SEEN, FLAG, EMAIL, NOTE, SCORE)
    VALUES (C.ID, C.CODE, C.AMOUNT, C.QTY, C.DUE, C.SEEN, C.FLAG, C.EMAIL, C.NOTE, C.SCORE)`;

function row(i, note) {
  const day = String(1 + (i % 28)).padStart(2, '0');
  return `${i},C${i % 1000},${(i % 100000) / 100},${i % 500},2024-02-${day},2024-03-${day} 10:${String(i % 60).padStart(2, '0')}:00,${i % 2 === 0},user${i}@example.com,${note}${i},${i / 7}\n`;
}

async function writeCsv(path, count, make) {
  const out = createWriteStream(path);
  let buffer = '';
  for (let i = 0; i < count; i++) {
    buffer += make(i);
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise((resolve) => out.once('drain', resolve));
      buffer = '';
    }
  }
  out.write(buffer);
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
}

async function timed(label, times, work, cpu = {}) {
  const start = performance.now();
  const before = cpuSeconds();
  const result = await work();
  times[label] = performance.now() - start;
  cpu[label] = cpuSeconds() - before;
  return result;
}

if (process.argv[2] === 'child' && process.argv[3] === 'emulator') {
  const { startSnowflakeEmulator } = await import('@kicksaw/snowflake-emulator');
  const chunkRows = process.argv[4] ? Number(process.argv[4]) : undefined;
  const sf = await startSnowflakeEmulator(chunkRows ? { chunkRows } : {});
  process.send({
    type: 'ready',
    accessUrl: sf.accessUrl,
    account: sf.account,
    username: sf.username,
    password: sf.password,
  });
  process.on('message', async (message) => {
    if (message === 'cpu') process.send({ type: 'cpu', seconds: cpuSeconds() });
    if (message === 'report') {
      // The emulator's own time per statement (request in to result ready), without the driver's side.
      const served = Object.fromEntries(sf.queries().map((q) => [q.sqlText, q.endedAt - q.startedAt]));
      process.send({ type: 'report', maxRssKb: process.resourceUsage().maxRSS, served });
    }
    if (message === 'stop') {
      await sf.stop();
      process.exit(0);
    }
  });
} else if (process.argv[2] === 'child' && process.argv[3] === 'duckdb') {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const [base, changes] = [process.argv[4], process.argv[5]];
  const times = {};
  const cpu = {};
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  const csv = (file) =>
    `read_csv('${file}', header = false, columns = {'ID': 'DECIMAL(38,0)', 'CODE': 'VARCHAR', 'AMOUNT': 'DECIMAL(16,2)', 'QTY': 'DECIMAL(9,0)', 'DUE': 'DATE', 'SEEN': 'TIMESTAMP', 'FLAG': 'BOOLEAN', 'EMAIL': 'VARCHAR', 'NOTE': 'VARCHAR', 'SCORE': 'DOUBLE'}, auto_detect = false)`;
  await timed(
    'load',
    times,
    async () => {
      await db.run(DUCK_CREATE);
      await db.run(`INSERT INTO BENCH SELECT * FROM ${csv(base)}`);
    },
    cpu,
  );
  await timed(
    'merge',
    times,
    async () => {
      await db.run(`CREATE TABLE CHANGES AS SELECT * FROM ${csv(changes)}`);
      await db.run(MERGE);
    },
    cpu,
  );
  const rows = await timed(
    'select',
    times,
    async () => {
      const result = await db.stream('SELECT * FROM BENCH');
      let count = 0;
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        count += chunk.getRows().length; // values into JavaScript, as a client would take them
      }
      return count;
    },
    cpu,
  );
  process.send({ type: 'done', times, cpu, rows, maxRssKb: process.resourceUsage().maxRSS });
  process.exit(0);
} else {
  for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
  const snowflake = (await import('snowflake-sdk')).default;
  snowflake.configure({ logLevel: 'OFF' });
  const dir = mkdtempSync(join(tmpdir(), 'kicksaw-sf-bench-'));
  const base = join(dir, 'base.csv');
  const changes = join(dir, 'changes.csv');
  await writeCsv(base, ROWS, (i) => row(i, 'note '));
  // Changed rows: every 10th id of the first 90%, and 10% of them new ids past the end.
  await writeCsv(changes, CHANGED, (i) => row(i < CHANGED * 0.9 ? i * 10 : ROWS + i, 'changed '));
  const self = new URL(import.meta.url).pathname;

  const loadBefore = loadavg();
  // The emulator, through the driver.
  const emulator = fork(self, ['child', 'emulator', String(CHUNK_ROWS ?? '')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await nextMessage(emulator, 'ready');
  const connection = snowflake.createConnection({
    accessUrl: ready.accessUrl,
    account: ready.account,
    username: ready.username,
    password: ready.password,
    database: 'KICKSAW',
    schema: 'PUBLIC',
    ...(PREFETCH ? { resultPrefetch: PREFETCH } : {}),
  });
  // CPU seconds of the emulator process per step, asked over IPC at each step's start and end.
  const emulatorCpu = {};
  const emulatorSeconds = async () => {
    emulator.send('cpu');
    return (await nextMessage(emulator, 'cpu')).seconds;
  };
  const step = async (label, work) => {
    const before = await emulatorSeconds();
    const result = await timed(label, sfTimes, work, sfCpu);
    emulatorCpu[label] = (await emulatorSeconds()) - before;
    return result;
  };
  await new Promise((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
  const exec = (sqlText) =>
    new Promise((resolve, reject) =>
      connection.execute({ sqlText, complete: (error, _statement, rows) => (error ? reject(error) : resolve(rows)) }),
    );
  const sfTimes = {};
  const sfCpu = {};
  await step('load', async () => {
    await exec(CREATE);
    await exec(`PUT file://${base} @%BENCH`);
    await exec(`COPY INTO BENCH FILE_FORMAT = (TYPE = CSV)`);
  });
  await step('merge', async () => {
    await exec(CREATE.replace('BENCH', 'CHANGES'));
    await exec(`PUT file://${changes} @%CHANGES`);
    await exec(`COPY INTO CHANGES FILE_FORMAT = (TYPE = CSV)`);
    const [counts] = await exec(MERGE);
    if (counts['number of rows updated'] + counts['number of rows inserted'] !== CHANGED)
      throw new Error(`MERGE counted ${JSON.stringify(counts)}`);
  });
  const sfRows = await step('select', () => {
    return new Promise((resolve, reject) => {
      let count = 0;
      connection
        .execute({
          sqlText: 'SELECT * FROM BENCH',
          streamResult: true,
          ...(FETCH_AS_STRING ? { fetchAsString: FETCH_AS_STRING } : {}),
          ...(ROW_MODE ? { rowMode: ROW_MODE } : {}),
        })
        .streamRows()
        .on('data', () => {
          count++;
        })
        .on('error', reject)
        .on('end', () => resolve(count));
    });
  });
  emulator.send('report');
  const emulatorReport = await nextMessage(emulator, 'report');
  await new Promise((resolve) => connection.destroy(() => resolve()));
  emulator.send('stop');
  await new Promise((resolve) => emulator.on('exit', resolve));

  // Bare DuckDB, the same work.
  const duck = fork(self, ['child', 'duckdb', base, changes], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const duckReport = await nextMessage(duck, 'done');
  rmSync(dir, { recursive: true, force: true });

  const loadAfter = loadavg();
  const expected = ROWS + Math.ceil(CHANGED * 0.1);
  const total = (times) => Object.values(times).reduce((a, b) => a + b, 0);
  const f = (n) => n.toFixed(2);
  console.log(
    `snowflake-emulator vs bare DuckDB: ${ROWS.toLocaleString('en-US')} rows x 10 columns, MERGE of ${CHANGED.toLocaleString('en-US')} rows; emulator chunkRows ${CHUNK_ROWS ?? 'default'}, driver resultPrefetch ${PREFETCH ?? 'default'}, fetchAsString ${FETCH_AS_STRING?.join(',') ?? 'none'}, rowMode ${ROW_MODE ?? 'default'}`,
  );
  console.log(`load average before ${loadBefore.map(f).join(' ')}, after ${loadAfter.map(f).join(' ')}`);
  console.log(
    'step                            wall emulator+driver   CPU s: driver  emulator  sum   |  wall DuckDB  CPU s DuckDB | ratio wall  ratio CPU',
  );
  const line = (label, key) => {
    const wall = key ? sfTimes[key] : total(sfTimes);
    const driver = key ? sfCpu[key] : total(sfCpu);
    const served = key ? emulatorCpu[key] : total(emulatorCpu);
    const duckWall = key ? duckReport.times[key] : total(duckReport.times);
    const duckCpu = key ? duckReport.cpu[key] : total(duckReport.cpu);
    console.log(
      `${label.padEnd(30)}${f(wall / 1000).padStart(12)} s${f(driver).padStart(17)}${f(served).padStart(10)}${f(driver + served).padStart(7)}   |${f(duckWall / 1000).padStart(11)} s${f(duckCpu).padStart(13)}  |${`${(wall / duckWall).toFixed(1)}x`.padStart(10)}${`${((driver + served) / duckCpu).toFixed(1)}x`.padStart(11)}`,
    );
  };
  line('load (PUT + COPY / read_csv)', 'load');
  line('MERGE (stage changes + MERGE)', 'merge');
  line('full streamed SELECT', 'select');
  line('total');
  const served = emulatorReport.served;
  const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `emulator's own time (request in to result ready): COPY INTO BENCH ${seconds(served['COPY INTO BENCH FILE_FORMAT = (TYPE = CSV)'])}, MERGE ${seconds(served[MERGE])}, SELECT ${seconds(served['SELECT * FROM BENCH'])}`,
  );
  console.log(
    `rows streamed: emulator ${sfRows.toLocaleString('en-US')}, DuckDB ${duckReport.rows.toLocaleString('en-US')} (expected ${expected.toLocaleString('en-US')})`,
  );
  console.log(
    `peak RSS: emulator process ${(emulatorReport.maxRssKb / 1024).toFixed(0)} MB, DuckDB process ${(duckReport.maxRssKb / 1024).toFixed(0)} MB, driver (this process) ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
  if (sfRows !== expected || duckReport.rows !== expected) process.exitCode = 1;
}
