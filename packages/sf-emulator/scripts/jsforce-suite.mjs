#!/usr/bin/env node
// Runs jsforce's own test suites against the local org and prints a pass/fail table per suite.
//
// jsforce's tests are written for a real scratch org set up by its `scripts/org-setup.mjs`: the metadata package
// `test/package/JSforceTestSuite` deployed, BigTable__c filled with 5 x 5001 records. This script does the same to
// a fresh emulator for every suite, then runs the suite with jest the way jsforce's own `test:node` does, pointed
// at the org through the variables its `test/config` reads (SF_LOGIN_URL is used as the instance URL,
// SF_ACCESS_TOKEN as the session).
//
// jsforce's code is never copied into this repository: the script exports a commit of a jsforce git directory
// (a clone, or the mirror the `fetch` tool makes) into a scratch folder beside ours (.tmp/ is gitignored),
// installs its locked dependencies with `npm ci --ignore-scripts` (no browser download for its karma tests) and
// builds it with its own `tsc -p .`.
//
// Usage, from the repository root, after `pnpm --filter @kicksaw/sf-emulator build`:
//   pnpm exec node packages/sf-emulator/scripts/jsforce-suite.mjs --jsforce /path/to/jsforce/.git \
//     [--ref HEAD] [--suites bulk2,query] [--work .tmp/jsforce-suite] [--json out.json] [--markdown]
//     [--emulator path/to/built/index.js]
// The jsforce git directory can also come from JSFORCE_GIT_DIR. Exit code: 0 when every test ran and passed,
// 1 when some failed, 2 when the set-up failed.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, stripVTControlCharacters } from 'node:util';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

const DEFAULT_SUITES = ['bulk2', 'bulk', 'query', 'sobject', 'connection-crud', 'connection-meta', 'schema'];
const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '..');
const repoRoot = resolve(packageDir, '../..');

const { values: args } = parseArgs({
  options: {
    jsforce: { type: 'string' },
    ref: { type: 'string', default: 'HEAD' },
    suites: { type: 'string' },
    work: { type: 'string', default: join(repoRoot, '.tmp', 'jsforce-suite') },
    json: { type: 'string' },
    emulator: { type: 'string' },
    markdown: { type: 'boolean', default: false },
    'plain-http': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(
    'Usage: node jsforce-suite.mjs --jsforce <jsforce git dir> [--ref HEAD] [--suites a,b] [--work dir] [--json file] [--markdown] [--plain-http] [--verbose]\n' +
      'The org serves HTTPS (as Salesforce does) with the test certificate of test/fixtures/tls, trusted by the suites\n' +
      'through NODE_EXTRA_CA_CERTS; --plain-http serves HTTP instead.',
  );
  process.exit(0);
}

const gitDir = args.jsforce ?? process.env.JSFORCE_GIT_DIR;
if (!gitDir) {
  console.error(
    'Give the jsforce git directory: --jsforce <path> or JSFORCE_GIT_DIR (a clone of github.com/jsforce/jsforce).',
  );
  process.exit(2);
}
const suites = args.suites ? args.suites.split(',').map((s) => s.trim()) : DEFAULT_SUITES;

// jsforce routes every request through http(s)_proxy, 127.0.0.1 included.
for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[name];
}

function run(command, commandArgs, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, commandArgs, { stdio: options.stdio ?? 'inherit', ...options });
    let stdout = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout }));
  });
}

async function must(command, commandArgs, options) {
  const { code, stdout } = await run(command, commandArgs, options);
  if (code !== 0) throw new Error(`${command} ${commandArgs.join(' ')} exited with ${code}`);
  return stdout;
}

/** Exports the jsforce commit into the work folder, installs and builds it (skipped when already done). */
async function prepareJsforce() {
  const commit = (
    await must('git', ['--git-dir', gitDir, 'rev-parse', `${args.ref}^{commit}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
  ).trim();
  const checkout = join(resolve(args.work), `jsforce-${commit.slice(0, 12)}`);
  const built = join(checkout, 'lib', 'index.js');
  if (!existsSync(join(checkout, 'package.json'))) {
    await mkdir(checkout, { recursive: true });
    const archive = spawn('git', ['--git-dir', gitDir, 'archive', commit], { stdio: ['ignore', 'pipe', 'inherit'] });
    const tar = spawn('tar', ['-x', '-C', checkout], { stdio: [archive.stdout, 'inherit', 'inherit'] });
    const [archiveCode, tarCode] = await Promise.all([
      new Promise((r) => archive.on('close', r)),
      new Promise((r) => tar.on('close', r)),
    ]);
    if (archiveCode !== 0 || tarCode !== 0) throw new Error(`git archive of ${commit} into ${checkout} failed`);
  }
  if (!existsSync(join(checkout, 'node_modules', '.bin', 'jest'))) {
    console.log(`Installing jsforce's dependencies in ${checkout} (npm ci)...`);
    await must('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: checkout });
  }
  if (!existsSync(built)) {
    console.log('Building jsforce (tsc -p .)...');
    await must(join(checkout, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: checkout });
  }
  const version = JSON.parse(await readFile(join(checkout, 'package.json'), 'utf8')).version;
  return { checkout, commit, version };
}

/**
 * jsforce's test package is in the Metadata API's one-file-per-object format; the emulator reads SFDX source
 * format. Splits each `objects/X.object` into `objects/X/X.object-meta.xml` and `objects/X/fields/F.field-meta.xml`
 * so the emulator's own metadata loader defines the objects (BigTable__c, UpsertTable__c, ...).
 */
async function sfdxProjectFromTestPackage(checkout) {
  const objectsDir = join(checkout, 'test', 'package', 'JSforceTestSuite', 'objects');
  const project = await mkdtemp(join(tmpdir(), 'jsforce-suite-sfdx-'));
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'fields' });
  const builder = new XMLBuilder({ ignoreAttributes: false, format: true });
  for (const file of await readdir(objectsDir)) {
    if (!file.endsWith('.object')) continue;
    const name = basename(file, '.object');
    const parsed = parser.parse(await readFile(join(objectsDir, file), 'utf8'));
    const { fields = [], ...object } = parsed.CustomObject;
    const dir = join(project, 'force-app', 'objects', name);
    await mkdir(join(dir, 'fields'), { recursive: true });
    await writeFile(join(dir, `${name}.object-meta.xml`), builder.build({ CustomObject: object }));
    for (const field of fields) {
      await writeFile(join(dir, 'fields', `${field.fullName}.field-meta.xml`), builder.build({ CustomField: field }));
    }
  }
  await writeFile(
    join(project, 'sfdx-project.json'),
    JSON.stringify({ packageDirectories: [{ path: 'force-app', default: true }] }),
  );
  return project;
}

/**
 * jsforce's scratch org is created with `hasSampleData: true`: a dozen accounts with contacts, opportunities, cases
 * and leads, which its sobject and query tests read. These are our own sample records of the same shape.
 */
function seedSampleData(org) {
  const insert = (object, records) => {
    const results = org.dml('insert', object, records);
    const failed = results.find((result) => !result.success);
    if (failed) throw new Error(`Sample ${object} record not seeded: ${JSON.stringify(failed.errors)}`);
    return results.map((result) => result.id);
  };
  const industries = ['Energy', 'Electronics', 'Construction', 'Consulting', 'Hospitality', 'Transportation'];
  const accounts = [
    'Northwind Power',
    'Bluebird Circuits',
    'Granite Builders',
    'Harbor Advisory',
    'Lakeside Hotels',
    'Redline Freight',
    'Summit Energy, UK',
    'Summit Energy, Singapore',
    'Cobalt Genomics',
    'Oakridge University',
    'Pioneer Logistics',
    'Vantage Media',
  ].map((Name, i) => ({ Name, Industry: industries[i % industries.length], NumberOfEmployees: 100 * (i + 1) }));
  const accountIds = insert('Account', accounts);
  const first = ['Ana', 'Ben', 'Chloe', 'Dev', 'Eva', 'Finn', 'Gia', 'Hugo'];
  const contacts = accountIds.flatMap((AccountId, i) =>
    [0, 1].map((k) => ({
      AccountId,
      FirstName: first[(i + k) % first.length],
      LastName: `Sample ${i}-${k}`,
      Email: `sample${i}.${k}@example.com`,
    })),
  );
  insert('Contact', contacts);
  const stages = ['Prospecting', 'Qualification', 'Negotiation/Review', 'Closed Won', 'Closed Lost'];
  const opportunities = accountIds.flatMap((AccountId, i) =>
    [0, 1, 2].map((k) => ({
      AccountId,
      Name: `${accounts[i].Name} deal ${k + 1}`,
      StageName: stages[(i + k) % stages.length],
      CloseDate: `2024-${String(((i + k) % 12) + 1).padStart(2, '0')}-${String(((i * 3 + k) % 27) + 1).padStart(2, '0')}`,
      Amount: 1000 * (i + 1) * (k + 1),
    })),
  );
  insert('Opportunity', opportunities);
  insert(
    'Case',
    accountIds.slice(0, 6).map((AccountId, i) => ({ AccountId, Subject: `Sample case ${i + 1}`, Origin: 'Phone' })),
  );
  insert(
    'Lead',
    first.map((FirstName, i) => ({ FirstName, LastName: `Lead ${i}`, Company: `Prospect ${i} Ltd` })),
  );
}

/** Reads jest's JSON report into `{ passed, failed, skipped, tests: [{ name, status, message }] }`. */
function summarise(report) {
  const tests = [];
  for (const file of report?.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      const message = stripVTControlCharacters((test.failureMessages ?? []).join('\n'));
      tests.push({ name: test.fullName, status: test.status, message: message.split('\n').slice(0, 3).join(' ') });
    }
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) {
      tests.push({ name: '(suite failed to run)', status: 'failed', message: (file.message ?? '').slice(0, 500) });
    }
  }
  const count = (status) => tests.filter((test) => test.status === status).length;
  return {
    passed: count('passed'),
    failed: count('failed'),
    skipped: tests.length - count('passed') - count('failed'),
    tests,
  };
}

// Salesforce serves HTTPS, and jsforce's suites check it (the identity URL): the org serves it too, with a
// certificate made for tests, which the suites' process trusts through NODE_EXTRA_CA_CERTS.
const tlsDir = join(packageDir, 'test', 'fixtures', 'tls');
const tls = args['plain-http']
  ? undefined
  : { cert: readFileSync(join(tlsDir, 'cert.pem')), key: readFileSync(join(tlsDir, 'key.pem')) };

async function runSuite(suite, checkout, sfdxProject, startSalesforceEmulator) {
  const sf = await startSalesforceEmulator({ sfdxProject, tls });
  try {
    // org-setup.mjs upserts 5001 BigTable__c rows five times with a blank Id: 25,005 records.
    sf.org.generate('BigTable__c', 25005);
    seedSampleData(sf.org);
    const reportFile = join(checkout, `.jsforce-suite-${suite}.json`);
    await rm(reportFile, { force: true });
    const env = {
      ...process.env,
      SF_LOGIN_URL: sf.instanceUrl,
      SF_ACCESS_TOKEN: sf.accessToken,
      SF_USERNAME: sf.username,
      SF_PASSWORD: sf.password,
      NODE_OPTIONS: '--no-deprecation',
      ...(tls ? { NODE_EXTRA_CA_CERTS: join(tlsDir, 'cert.pem') } : {}),
    };
    delete env.CI; // jsforce retries failed tests three times on CI: report first attempts.
    const jestArgs = [
      join(checkout, 'node_modules', 'jest', 'bin', 'jest.js'),
      `test/${suite}.test.ts`,
      '--runInBand',
      '--forceExit',
      '--json',
      `--outputFile=${reportFile}`,
    ];
    const started = Date.now();
    await run(process.execPath, jestArgs, { cwd: checkout, env, stdio: args.verbose ? 'inherit' : 'ignore' });
    const seconds = (Date.now() - started) / 1000;
    const report = existsSync(reportFile) ? JSON.parse(await readFile(reportFile, 'utf8')) : undefined;
    return { suite, seconds, ...summarise(report) };
  } finally {
    await sf.stop();
  }
}

function table(results, markdown) {
  const rows = results.map((r) => {
    const total = r.passed + r.failed;
    const percent = total === 0 ? '-' : `${((100 * r.passed) / total).toFixed(0)}%`;
    return [r.suite, String(r.passed), String(r.failed), String(r.skipped), `${r.passed}/${total}`, percent];
  });
  const head = ['suite', 'passed', 'failed', 'skipped', 'pass', 'rate'];
  const totals = results.reduce(
    (a, r) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed, skipped: a.skipped + r.skipped }),
    {
      passed: 0,
      failed: 0,
      skipped: 0,
    },
  );
  const all = totals.passed + totals.failed;
  rows.push([
    'total',
    String(totals.passed),
    String(totals.failed),
    String(totals.skipped),
    `${totals.passed}/${all}`,
    all === 0 ? '-' : `${((100 * totals.passed) / all).toFixed(0)}%`,
  ]);
  if (markdown) {
    return [
      `| ${head.join(' | ')} |`,
      `| ${head.map(() => '---').join(' | ')} |`,
      ...rows.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n');
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main() {
  // --emulator: another build of the package (e.g. `tsup --no-dts --out-dir .tmp/dist`), default its dist.
  const emulatorEntry = resolve(args.emulator ?? join(packageDir, 'dist', 'index.js'));
  if (!existsSync(emulatorEntry)) {
    console.error('Build the emulator first: pnpm --filter @kicksaw/sf-emulator build');
    process.exit(2);
  }
  const { startSalesforceEmulator } = await import(pathToFileURL(emulatorEntry).href);
  const { checkout, commit, version } = await prepareJsforce();
  const sfdxProject = await sfdxProjectFromTestPackage(checkout);
  const results = [];
  try {
    for (const suite of suites) {
      process.stdout.write(`Running ${suite}... `);
      const result = await runSuite(suite, checkout, sfdxProject, startSalesforceEmulator);
      console.log(`${result.passed} passed, ${result.failed} failed (${result.seconds.toFixed(1)} s)`);
      results.push(result);
    }
  } finally {
    await rm(sfdxProject, { recursive: true, force: true });
  }
  console.log(`\njsforce ${version} (${commit.slice(0, 12)}) against @kicksaw/sf-emulator:\n`);
  console.log(table(results, args.markdown));
  const failing = results.flatMap((r) =>
    r.tests.filter((t) => t.status === 'failed').map((t) => ({ suite: r.suite, ...t })),
  );
  if (failing.length > 0) {
    console.log('\nFailing tests:');
    for (const test of failing) console.log(`- [${test.suite}] ${test.name}\n    ${test.message.slice(0, 300)}`);
  }
  if (args.json) {
    await writeFile(args.json, `${JSON.stringify({ jsforce: { version, commit }, results }, null, 2)}\n`);
  }
  process.exit(failing.length > 0 ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
