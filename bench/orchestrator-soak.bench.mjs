// Flow 1 soak (@kicksaw/orchestrator): a generated Contact CSV in S3 imported with `insert` (no upsert
// to hide a row sent twice) by the S3 handler invoked as Lambda would invoke it under trouble: every
// invocation is a process of its own with a short timeout, the event is delivered 3 times at once at
// every step, some invocations are killed with SIGKILL mid-run, and the org injects faults (lock
// errors, 503s, dropped connections, session expiry). Then the same file goes through a fault-free
// run (one invocation, no faults) for comparison. Prints rows in the org, duplicates, rows lost
// (neither in the org nor in the report), invocations and wall time for both.
// Besides rows, duplicates, lost, invocations and wall time, it prints lease takeovers (after a holder
// released the run at its deadline, or after a killed holder's lease expired), the bytes of the source
// read again from S3 (ranged GETs, and full GETs after the first), and lease records the run reported it
// could not delete and those counted in the org at the end. The lease is the handler's default (a sixth
// of each invocation's working time, at least 5 s) unless BENCH_LEASE_MS sets it.
// The platform's timeout and the planned kills count from an invocation's start, once its process has
// loaded, as Lambda's do (its init phase is apart).
// Usage:
//   pnpm exec node bench/orchestrator-soak.bench.mjs [rows]      (default 1000000)
//   BENCH_TIMEOUT_MS=30000 BENCH_KILL_EVERY=4 pnpm exec node bench/orchestrator-soak.bench.mjs 100000
// BENCH_MAX_SECONDS stops the faulty run after that long (it prints `not finished` and what the org holds).
// BENCH_LOG=1 prints each invocation's handler's info, warn and error lines (stderr); BENCH_LOG=debug adds debug lines.
// BENCH_KILL=any|holder|other: which delivery of a step the planned kill hits: the first, whichever it is
// (default; it holds the run one time in three, as the claim race goes), the one holding the run then, or one
// that does not. `holder` or `other` makes two builds' runs comparable on the same seed.
// BENCH_SEED (default 1, printed) seeds every random choice of the soak (the kill times and the org's
// fault seed), so two builds can be compared on the same schedule: `BENCH_SEED=7 pnpm exec node ...`.
// BENCH_HOLD=both|faulty: the org takes 500 ms to start on each Bulk job (`jobProcessingMs`, the time a
// real org's queue takes, not a fault). With `both` (the default) the fault-free run's org takes it too, so
// the ratio measures what the faults, kills and short timeouts cost; with `faulty` only the faulty run's
// org does (the soak's setting until 2026-12-06, kept to compare with the figures taken then).
// BENCH_REPEAT=N runs each of the two runs N times, alternated (fault-free, faulty, ...), and prints the
// ratio of the medians beside each pair's.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@kicksaw/core'; // mulberry32: a schedule is repeatable (Math.random cannot be seeded)
import { soakFaults } from './lib/soak-faults.mjs';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
const self = fileURLToPath(import.meta.url);
const root = new URL('../', import.meta.url);
const orchestratorDist = new URL('packages/orchestrator/dist/index.js', root).href;
const mode = process.argv.find((arg) => arg.startsWith('--child='))?.slice('--child='.length);
const MAPPING = {
  fields: {
    External_Id__c: 'External Id',
    FirstName: 'First Name',
    LastName: 'Last Name',
    Email: 'Email',
    Title: 'Title',
  },
};
const SEED = Number(process.env.BENCH_SEED ?? 1);
if (!Number.isSafeInteger(SEED)) throw new Error(`BENCH_SEED must be an integer, got ${process.env.BENCH_SEED}`);
const FAULTS = soakFaults(SEED);
const HOLD = process.env.BENCH_HOLD ?? 'both';
if (!['both', 'faulty'].includes(HOLD)) throw new Error(`BENCH_HOLD must be both or faulty, got ${HOLD}`);
/** The fault-free run's org: no faults; with BENCH_HOLD=both, the same time to start on a job. */
const CLEAN_ORG = HOLD === 'both' ? { faults: { jobProcessingMs: FAULTS.jobProcessingMs } } : {};

/** Starts `--child=<name>` of this file; resolves with the JSON line it prints first. */
async function startChild(name, extra = []) {
  const child = spawn(process.execPath, [self, `--child=${name}`, ...extra], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  return { child, info: JSON.parse(first.value), lines };
}

async function ask(service, command) {
  service.child.stdin.write(`${command}\n`);
  const next = await service.lines.next();
  return JSON.parse(next.value);
}

async function stopChild(service) {
  service.child.stdin.end();
  await once(service.child, 'exit');
}

if (mode === 's3') {
  // fauxqs on 127.0.0.1, as @kicksaw/testkit starts it (taken from testkit's dependencies: fauxqs is
  // not one of bench's, and testkit's entry is TypeScript source now).
  const { buildApp } = await import(new URL('packages/testkit/node_modules/fauxqs/dist/app.js', root).href);
  const app = buildApp({ logger: false, defaultRegion: 'us-east-1' });
  // Bytes of the source served, by kind of GET (the setup's upload and the handlers' other keys apart).
  const served = { full: 0, fullBytes: 0, ranged: 0, rangedBytes: 0 };
  app.addHook('onResponse', (request, reply, done) => {
    if (request.method === 'GET' && request.url.split('?')[0].endsWith('/inbound/contacts-soak.csv')) {
      const bytes = Number(reply.getHeader('content-length') ?? 0);
      if (reply.statusCode === 206) {
        served.ranged += 1;
        served.rangedBytes += bytes;
      } else if (reply.statusCode === 200) {
        served.full += 1;
        served.fullBytes += bytes;
      }
    }
    done();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const clientConfig = {
    endpoint: `http://127.0.0.1:${app.server.address().port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  process.stdout.write(`${JSON.stringify({ clientConfig })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'served') process.stdout.write(`${JSON.stringify(served)}\n`);
  }
  await app.close();
  process.exit(0);
} else if (mode === 'sf') {
  // The org, with or without faults; answers `stats <prefix>` with what it holds.
  const { startSalesforceEmulator } = await import('@kicksaw/sf-emulator');
  const faulty = process.argv[3] === 'faults';
  const sf = await startSalesforceEmulator({
    integrationObjects: true,
    resultOrder: 'shuffle',
    ...(faulty ? { faults: FAULTS } : CLEAN_ORG),
    objects: [
      {
        name: 'Contact',
        merge: true,
        fields: [{ name: 'External_Id__c', type: 'string', length: 40, externalId: true, unique: false }],
      },
    ],
  });
  process.stdout.write(
    `${JSON.stringify({ loginUrl: sf.loginUrl, username: sf.username, password: sf.password, apiVersion: sf.apiVersion })}\n`,
  );
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, prefix] = line.split(' ');
    if (command !== 'stats') continue;
    const seen = new Map();
    for (const contact of sf.org.records('Contact')) {
      const id = String(contact.External_Id__c ?? '');
      if (id.startsWith(prefix)) seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    let records = 0;
    for (const count of seen.values()) records += count;
    // Leases live in the execution object too (key `<run key>:lease:<generation>`): count them apart.
    const all = sf.org.records('IntegrationExecution__c');
    const leases = all.filter((row) => String(row.IdempotencyKey__c ?? '').includes(':lease:')).length;
    const executions = all.length - leases;
    process.stdout.write(`${JSON.stringify({ records, distinct: seen.size, executions, leases })}\n`);
  }
  await sf.stop();
  process.exit(0);
} else if (mode === 'setup') {
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const { uploadObject } = await import('@kicksaw/s3');
  const [s3Info, rowsText, prefix] = process.argv.slice(3);
  const s3Client = new S3Client(JSON.parse(s3Info).clientConfig);
  const bucket = `soak-${prefix.toLowerCase()}-${Date.now().toString(36)}`;
  await s3Client.send(new CreateBucketCommand({ Bucket: bucket }));
  const key = 'inbound/contacts-soak.csv';
  const rows = Number(rowsText);
  const body = Readable.from(
    (function* () {
      yield 'External Id,First Name,Last Name,Email,Title\n';
      for (let row = 1; row <= rows; row++) {
        const id = `${prefix}-${String(row).padStart(8, '0')}`;
        yield `${id},First${row},Last${row},person${row}@example.com,Title ${row % 97}\n`;
      }
    })(),
  );
  const put = await uploadObject({ client: s3Client, bucket, key, body, contentType: 'text/csv' });
  process.stdout.write(`${JSON.stringify({ bucket, key, eTag: (put.eTag ?? '').replaceAll('"', '') })}\n`);
  process.exit(0);
} else if (mode === 'invoke') {
  /**
   * Takeovers as they happen, on stdout at once (an invocation killed later still counts them), and with
   * BENCH_LOG info, warn and error lines on stderr, each with the process id and the seconds since the start.
   */
  const benchLogger = (started) => {
    const line = (level) => (message, context) => {
      // Which delivery holds the run: BENCH_KILL=holder|other aims the planned kill by it.
      if (/^run leased/.test(message)) process.stdout.write('{"leased":1}\n');
      const takeover = /^lease taken over \((\w+)\)/.exec(message);
      if (takeover) process.stdout.write(`${JSON.stringify({ takeover: takeover[1] })}\n`);
      if (/^could not delete the run lease records/.test(message)) process.stdout.write('{"leaseDeleteFailed":1}\n');
      // How long parking took, and when it ended against the deadline: what the reserve must cover.
      if (/^run parked/.test(message) && context?.parkMs !== undefined) {
        process.stdout.write(
          `${JSON.stringify({ parked: { ms: context.parkMs, pastDeadline: context.pastDeadlineMs } })}\n`,
        );
      }
      if (process.env.BENCH_LOG) {
        process.stderr.write(
          `    [${process.pid} +${((Date.now() - started) / 1000).toFixed(1)}s ${level}] ${message} ${context ? JSON.stringify(context) : ''}\n`,
        );
      }
    };
    const debug = process.env.BENCH_LOG === 'debug' ? line('debug') : () => {};
    return { debug, info: line('info'), warn: line('warn'), error: line('error') };
  };
  // One Lambda invocation: a fresh process, a handler, the event, the function's timeout.
  const { S3Client } = await import('@aws-sdk/client-s3');
  const { Connection } = await import('jsforce');
  const { createS3ImportHandler } = await import(orchestratorDist);
  const [s3Info, sfInfo, eventText, timeoutText, leaseText] = process.argv.slice(3);
  const sf = JSON.parse(sfInfo);
  const connection = new Connection({ loginUrl: sf.loginUrl, version: sf.apiVersion });
  const started = Date.now();
  const timeout = Number(timeoutText);
  const handler = createS3ImportHandler({
    object: 'Contact',
    operation: 'insert',
    mapping: MAPPING,
    s3Client: new S3Client(JSON.parse(s3Info).clientConfig),
    connection: async () => {
      await connection.login(sf.username, sf.password);
      return connection;
    },
    ingest: {
      pollIntervalMs: 250,
      maxPollIntervalMs: 1000,
      maxRowsPerJob: 50_000,
      retry: { maxAttempts: 4 },
      http: { maxRetries: 6, retryDelayMs: 50 },
    },
    ...(leaseText ? { leaseMs: Number(leaseText) } : {}),
    maxStalledAttempts: 50,
    logger: benchLogger(started),
  });
  if (process.env.BENCH_LOG === 'debug') {
    // Event-loop lag and what the process waits on, every second: tells a busy process from a waiting one.
    let last = Date.now();
    setInterval(() => {
      const lag = Date.now() - last - 1000;
      last = Date.now();
      process.stderr.write(
        `    [${process.pid} +${((Date.now() - started) / 1000).toFixed(1)}s watchdog] lag ${lag} ms, ` +
          `${process.getActiveResourcesInfo().join(',')}\n`,
      );
    }, 1000).unref();
    // The same from a worker thread, which a busy main thread does not hold up.
    const { Worker } = await import('node:worker_threads');
    new Worker(
      `const { writeSync } = require('node:fs'); const started = ${started}; setInterval(() => writeSync(2, '    [${process.pid} +' + ((Date.now() - started) / 1000).toFixed(1) + 's worker] alive\\n'), 1000);`,
      { eval: true },
    ).unref();
  }
  let outcome;
  process.stdout.write(`${JSON.stringify({ started: Date.now() - started })}\n`);
  try {
    const response = await handler(JSON.parse(eventText), {
      getRemainingTimeInMillis: () => timeout - (Date.now() - started),
    });
    const item = response.results[0];
    outcome = { done: response.batchItemFailures.length === 0, status: item?.status, result: item?.result };
  } catch (error) {
    outcome = { done: false, error: String(error?.message ?? error) };
  }
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  process.exit(0);
} else {
  const rows = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 1_000_000);
  const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS ?? 60_000);
  const killEvery = Number(process.env.BENCH_KILL_EVERY ?? 3);
  const leaseMs = process.env.BENCH_LEASE_MS ? Number(process.env.BENCH_LEASE_MS) : undefined;
  const killMode = process.env.BENCH_KILL ?? 'any';
  if (!['any', 'holder', 'other'].includes(killMode)) {
    throw new Error(`BENCH_KILL must be any, holder or other, got ${killMode}`);
  }
  // The faulty run gives up (and prints what the org holds so far) after this long: on a machine too
  // loaded for the timeouts, invocations are killed before they can park and the run may never end.
  const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? Number.POSITIVE_INFINITY);
  console.log(
    `flow 1 soak: BENCH_SEED=${SEED}, ${rows.toLocaleString('en-US')} rows, insert; faulty run: ${timeoutMs / 1000} s timeouts, ` +
      `3 deliveries at once, a SIGKILL every ${killEvery} steps (BENCH_KILL=${killMode}), lease ${leaseMs === undefined ? "the handler's default" : `${leaseMs / 1000} s`}, org faults ${JSON.stringify(FAULTS)}`,
  );

  /**
   * The planned kill of a step, `afterMs` after its first delivery started: with BENCH_KILL=any (the default)
   * it kills the first delivery, whichever it is (the one holding the run one time in three, as the claim race
   * goes); with `holder` the delivery that holds the run then (else the first still running), with `other` one
   * that does not (none when only the holder still runs: the others answered "in progress" and ended). The last
   * two make the schedule the same from build to build, for A/B runs.
   */
  function stepKill(afterMs) {
    const members = [];
    return {
      afterMs,
      members,
      fire() {
        const running = members.filter((m) => !m.exited);
        const target =
          killMode === 'holder'
            ? (running.find((m) => m.leased) ?? running[0])
            : killMode === 'other'
              ? running.find((m) => !m.leased)
              : members[0];
        if (!target || target.exited) return;
        target.planned = true;
        target.child.kill('SIGKILL');
      },
    };
  }

  /** Runs one invocation process; `kill` (a {@link stepKill}) may kill it, or another of its step, with SIGKILL. */
  function invoke(s3, sf, event, timeout, kill) {
    const child = spawn(
      process.execPath,
      [
        self,
        '--child=invoke',
        JSON.stringify(s3.info),
        JSON.stringify(sf.info),
        JSON.stringify(event),
        String(timeout),
        leaseMs === undefined ? '' : String(leaseMs),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_NO_WARNINGS: '1' } },
    );
    // Lambda ends an invocation at its timeout: so does this platform.
    // As Lambda, the function's timeout (and a planned kill) counts from the invocation's start, after
    // the process has loaded (Lambda's init phase is apart): the child says `{"started":...}` then.
    // Loading is capped at 30 s.
    const member = { child, leased: false, exited: false, planned: false };
    kill?.members.push(member);
    const first = kill?.members.length === 1;
    let killTimer;
    const expire = () => {
      if (process.env.BENCH_LOG === 'debug') {
        // What the process was doing when its time ran out: each thread's state and kernel wait channel.
        try {
          const tasks = readdirSync(`/proc/${child.pid}/task`);
          const states = tasks.map((task) => {
            const stat = readFileSync(`/proc/${child.pid}/task/${task}/stat`, 'utf8');
            const wchan = readFileSync(`/proc/${child.pid}/task/${task}/wchan`, 'utf8');
            return `${stat.split(') ')[1]?.split(' ')[0]}:${wchan}`;
          });
          console.log(`    [${child.pid} timed out] threads ${states.join(' ')}`);
        } catch (error) {
          console.log(`    [${child.pid} timed out] ${error.message}`);
        }
      }
      child.kill('SIGKILL');
    };
    let timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let out = '';
    child.stdout.on('data', (chunk) => {
      if (!out.includes('"started"') && `${out}${chunk}`.includes('"started"')) {
        clearTimeout(timer);
        timer = setTimeout(expire, timeout + 2_000);
        // The step's planned kill counts from its first delivery's start, as Lambda's timeout does.
        if (first) killTimer = setTimeout(() => kill.fire(), kill.afterMs);
      }
      out += chunk;
      if (!member.leased && out.includes('{"leased":1}')) member.leased = true;
    });
    return once(child, 'exit').then(([exitCode, signal]) => {
      member.exited = true;
      clearTimeout(timer);
      // The first delivery ending does not call the kill off: it goes to another of the step (not with `any`).
      if (killTimer && killMode === 'any') clearTimeout(killTimer);
      const lines = out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((text) => JSON.parse(text));
      const takeovers = lines.filter((line) => line.takeover).map((line) => line.takeover);
      const leaseDeleteFailures = lines.filter((line) => line.leaseDeleteFailed).length;
      const parks = lines.filter((line) => line.parked).map((line) => line.parked);
      const last = lines
        .filter((line) => !line.takeover && !line.leaseDeleteFailed && !line.started && !line.parked && !line.leased)
        .at(-1);
      // No outcome line: killed (by this platform or on purpose), or the process ended on its own.
      const ended = last ?? { done: false, killed: true, exit: signal ?? `exit code ${exitCode}` };
      return { ...ended, takeovers, leaseDeleteFailures, parks, planned: member.planned, leased: member.leased };
    });
  }

  async function countReported(s3, bucket) {
    const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const { listKeys } = await import('@kicksaw/s3');
    const client = new S3Client(s3.info.clientConfig);
    const ids = new Set();
    let reports = 0;
    let archives = 0;
    for await (const key of listKeys({ client, bucket, prefix: 'errors/' })) {
      reports += 1;
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = await got.Body.transformToString('utf8');
      for (const match of text.matchAll(/[A-Z]+-\d{8}/g)) ids.add(match[0]);
    }
    for await (const _ of listKeys({ client, bucket, prefix: 'archive/' })) archives += 1;
    client.destroy();
    return { reported: ids.size, reports, archives };
  }

  async function run(label, faults, prefix) {
    const [s3, sf] = await Promise.all([startChild('s3'), startChild('sf', [faults ? 'faults' : 'clean'])]);
    try {
      const setup = spawn(process.execPath, [self, '--child=setup', JSON.stringify(s3.info), String(rows), prefix], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      });
      const [setupLine] = await once(createInterface({ input: setup.stdout }), 'line');
      const { bucket, key, eTag } = JSON.parse(setupLine);
      const event = {
        Records: [
          {
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            awsRegion: 'us-east-1',
            s3: { bucket: { name: bucket }, object: { key, eTag } },
          },
        ],
      };
      const t0 = performance.now();
      let invocations = 0;
      let kills = 0;
      let steps = 0;
      let final;
      const takeovers = { expired: 0, released: 0 };
      let leaseDeleteFailures = 0;
      const parks = [];
      let timedOut = 0;
      const count = (outcome) => {
        for (const kind of outcome.takeovers) takeovers[kind] = (takeovers[kind] ?? 0) + 1;
        leaseDeleteFailures += outcome.leaseDeleteFailures;
        parks.push(...outcome.parks);
        // Killed without a planned kill: the platform's timeout ended it (it did not return in time).
        if (outcome.killed && !outcome.planned) timedOut += 1;
      };
      // The kill times are drawn up front from the seed, one per step, so a step's kill does not depend
      // on how many steps an earlier part of the run took.
      const random = seededRandom(SEED);
      const killTimes = Array.from({ length: 2001 }, () => Math.round(1_500 + random() * timeoutMs * 0.6));
      if (!faults) {
        invocations = 1;
        final = await invoke(s3, sf, event, 15 * 60_000);
        count(final);
        console.log(`    fault-free: ${final.status ?? final.error ?? (final.killed ? 'killed' : '?')}`);
      } else {
        while (!final && steps < 2000 && performance.now() - t0 < maxSeconds * 1000) {
          steps += 1;
          const killOne = steps % killEvery === 1;
          const kill = killOne ? stepKill(killTimes[steps]) : undefined;
          const outcomes = await Promise.all([0, 1, 2].map(() => invoke(s3, sf, event, timeoutMs, kill)));
          invocations += 3;
          kills += outcomes.some((o) => o.planned) ? 1 : 0;
          for (const outcome of outcomes) count(outcome);
          const took = ((performance.now() - t0) / 1000).toFixed(1);
          for (const [i, o] of outcomes.entries()) {
            const r = o.result;
            const kill = o.planned
              ? ` [kill at ${(killTimes[steps] / 1000).toFixed(1)} s${o.leased ? ', the holder' : ''}]`
              : '';
            console.log(
              `    step ${steps}.${i + 1} (+${took} s)${kill}: ${o.killed ? `killed (${o.exit})` : (r?.status ?? o.error)}${r?.reason ? ` (${r.reason})` : ''}` +
                `${r?.summary ? `; settled ${r.summary.succeeded + r.summary.failed}, unsent ${r.unsentRows ?? '?'}, pending jobs ${r.pendingJobs?.length ?? 0}${r.pendingReason ? `, ${r.pendingReason}` : ''}` : ''}`,
            );
          }
          final = outcomes.find((outcome) => outcome.done);
          if (!final && outcomes.every((o) => o.result?.reason === 'in-progress' || o.killed)) {
            await new Promise((resolve) => setTimeout(resolve, 1_000)); // the platform's retry interval
          }
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      const stats = await ask(sf, `stats ${prefix}`);
      const { reported, reports, archives } = await countReported(s3, bucket);
      const served = await ask(s3, 'served');
      // The first full GET is the read; every other byte of the source served is read again.
      const firstRead = served.full > 0 ? served.fullBytes / served.full : 0;
      const reread = served.rangedBytes + served.fullBytes - firstRead;
      const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
      const duplicates = stats.records - stats.distinct;
      const lost = rows - stats.distinct - reported;
      console.log(
        `  ${label}: ${final?.status ?? 'not finished'}; rows in the org ${stats.distinct.toLocaleString('en-US')}, ` +
          `duplicates ${duplicates}, reported ${reported}, lost ${lost}; ${invocations} invocations` +
          `${faults ? ` (${kills} killed on purpose)` : ''}, wall ${seconds.toFixed(1)} s; ` +
          `${reports} report, ${archives} archive, ${stats.executions} execution record(s), ${stats.leases} lease record(s) left`,
      );
      console.log(
        `    takeovers: ${takeovers.expired} after an expired lease, ${takeovers.released} after a release; ` +
          `source GETs: ${served.full} full (${mb(served.fullBytes)}), ${served.ranged} ranged (${mb(served.rangedBytes)}); ` +
          `re-read ${mb(reread)}; lease records the run could not delete: ${final?.result?.leaseRecordsLeft ?? 0} ` +
          `(${leaseDeleteFailures} failed deletion(s) logged)`,
      );
      if (faults) {
        const most = (values) => (values.length > 0 ? Math.max(...values) : 0);
        console.log(
          `    parks: ${parks.length}, longest ${most(parks.map((p) => p.ms))} ms, ended at most ` +
            `${most(parks.map((p) => p.pastDeadline ?? 0))} ms past the deadline; invocations killed at their timeout: ${timedOut}`,
        );
      }
      return {
        seconds,
        invocations,
        kills,
        takeovers,
        reread,
        duplicates,
        lost,
        executions: stats.executions,
        leases: stats.leases,
      };
    } finally {
      await Promise.all([stopChild(s3), stopChild(sf)]);
    }
  }

  const load = () =>
    loadavg()
      .map((n) => n.toFixed(1))
      .join(' ');
  const loadBefore = load();
  const repeat = Number(process.env.BENCH_REPEAT ?? 1);
  if (!Number.isSafeInteger(repeat) || repeat < 1 || repeat > 26) throw new Error('BENCH_REPEAT must be 1 to 26');
  const pairs = [];
  for (let round = 1; round <= repeat; round++) {
    if (repeat > 1) console.log(`  round ${round} of ${repeat} (BENCH_HOLD=${HOLD})`);
    const roundLoad = load();
    // Letters only: the report's ids are counted by /[A-Z]+-\d{8}/.
    const letter = round === 1 ? '' : String.fromCharCode(64 + round);
    const clean = await run('fault-free', false, `CL${letter}`);
    const faulty = await run('faults, kills, short timeouts', true, `FT${letter}`);
    pairs.push({ clean, faulty });
    report(clean, faulty, timeoutMs, roundLoad, load());
  }
  if (repeat > 1) {
    const median = (values) => {
      const sorted = [...values].sort((a, b) => a - b);
      const middle = Math.floor(sorted.length / 2);
      return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    };
    const cleanMedian = median(pairs.map((p) => p.clean.seconds));
    const faultyMedian = median(pairs.map((p) => p.faulty.seconds));
    const bad = pairs.reduce((sum, p) => sum + p.faulty.duplicates + p.faulty.lost, 0);
    console.log(
      `  BENCH_SEED=${SEED}, ${repeat} rounds, BENCH_HOLD=${HOLD}: medians faulty ${faultyMedian.toFixed(1)} s / fault-free ${cleanMedian.toFixed(1)} s = ` +
        `${(faultyMedian / cleanMedian).toFixed(2)}x; pairs ${pairs.map((p) => `${(p.faulty.seconds / p.clean.seconds).toFixed(2)}x`).join(', ')}; ` +
        `duplicates + lost over all faulty runs: ${bad}; load average ${loadBefore} at the start, ${load()} at the end`,
    );
  }
}

/** One pair's ratio, and a line to paste into a table. */
function report(clean, faulty, timeoutMs, loadBefore, loadAfter) {
  console.log(
    `  BENCH_SEED=${SEED}: faulty / fault-free wall: ${(faulty.seconds / clean.seconds).toFixed(2)}x (${faulty.seconds.toFixed(1)} s / ${clean.seconds.toFixed(1)} s); ` +
      `load average ${loadBefore} at the start, ${loadAfter} at the end`,
  );
  // One line to paste into a table.
  console.log(
    `  | ${SEED} | ${timeoutMs / 1000} s | ${faulty.seconds.toFixed(1)} s | ${clean.seconds.toFixed(1)} s | ${(faulty.seconds / clean.seconds).toFixed(2)}x | ` +
      `${faulty.invocations} (${faulty.kills}) | ${faulty.takeovers.expired} + ${faulty.takeovers.released} | ${(faulty.reread / 1e6).toFixed(1)} MB | ` +
      `${faulty.duplicates} | ${faulty.lost} | ${faulty.executions} / ${faulty.leases} | ${loadBefore} → ${loadAfter} |`,
  );
}
