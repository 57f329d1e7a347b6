// Drives the real Salesforce CLI against the emulator (see run.sh). Every step checks what sf printed
// and what the org holds afterwards; the first mismatch ends the run with exit code 1.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSalesforceEmulator } from '../../dist/index.js';

const started = Date.now();
const cliDir = process.env.SF_CLI_DIR ?? join(process.cwd(), '.tmp/sf-cli');
const sfRun = join(cliDir, 'node_modules/@salesforce/cli/bin/run.js');
const home = mkdtempSync(join(tmpdir(), 'kicksaw-sf-cli-'));
const work = join(home, 'work');
mkdirSync(work, { recursive: true });

const env = {
  ...process.env,
  HOME: home,
  PATH: `${join(cliDir, 'node_modules/.bin')}:${process.env.PATH}`,
  SF_DISABLE_TELEMETRY: 'true',
  SF_AUTOUPDATE_DISABLE: 'true',
  SF_SKIP_NEW_VERSION_CHECK: 'true',
  SF_USE_GENERIC_UNIX_KEYCHAIN: 'true',
  NODE_NO_WARNINGS: '1',
};
for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete env[name];

let failures = 0;
function check(label, condition, detail) {
  if (condition) {
    console.log(`  ok   ${label}`);
  } else {
    failures++;
    console.log(
      `  FAIL ${label}${detail === undefined ? '' : `\n       ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`,
    );
  }
}

/**
 * Runs `sf <args>` (asynchronously: the emulator lives in this process and must keep answering);
 * with json, parses stdout.
 */
function sf(args, { json = true, extraEnv = {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [sfRun, ...args, ...(json ? ['--json'] : [])], {
      env: { ...env, ...extraEnv },
      cwd: work,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      let body;
      if (json) {
        try {
          body = JSON.parse(stdout);
        } catch {
          body = undefined;
        }
      }
      resolve({ status, stdout, stderr, body });
    });
  });
}

/** Successful rows of an ingest command's JSON: `successfulRecords` or (upsert, delete) the job's results. */
function succeeded(run) {
  const result = run.body?.result ?? {};
  if (typeof result.successfulRecords === 'number') return result.successfulRecords;
  const info = result.jobInfo ?? {};
  const rows = result.records?.successfulResults?.length;
  return info.numberRecordsProcessed - info.numberRecordsFailed === rows ? rows : -1;
}

/** `sf data <command> bulk <args>` against the local org, waiting up to 2 minutes. */
function bulk(command, ...args) {
  return sf(['data', command, 'bulk', ...args, '-o', 'local', '--wait', '2']);
}

/** `sf data upsert bulk` of a CSV file of Widget__c rows by ExtId__c. */
function upsertWidgets(file) {
  return bulk('upsert', '--file', file, '--sobject', 'Widget__c', '--external-id', 'ExtId__c');
}

function step(title) {
  console.log(`\n== ${title} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

const WIDGET = {
  name: 'Widget__c',
  label: 'Widget',
  fields: [
    { name: 'ExtId__c', type: 'string', length: 40, externalId: true, unique: true },
    { name: 'Code__c', type: 'string', length: 10, required: true },
    { name: 'Amount__c', type: 'double', precision: 18, scale: 2 },
  ],
};

const emulator = await startSalesforceEmulator({ objects: [WIDGET], queryPageSize: 1000 });
const org = emulator.org;
try {
  step('sf org login access-token');
  const login = await sf(
    ['org', 'login', 'access-token', '--instance-url', emulator.instanceUrl, '--no-prompt', '-a', 'local'],
    { extraEnv: { SF_ACCESS_TOKEN: emulator.accessToken } },
  );
  check('exit code 0', login.status === 0, login.stdout || login.stderr);
  check('username', login.body?.result?.username === emulator.username, login.body?.result);
  check('org id', login.body?.result?.orgId === emulator.orgId, login.body?.result);

  step('sf data import bulk (Account)');
  writeFileSync(join(work, 'accounts.csv'), 'Name,Industry\nAcme,Energy\n"Globex, Inc.",Banking\nInitech,\n');
  const imported = await bulk('import', '--file', 'accounts.csv', '--sobject', 'Account');
  check('exit code 0', imported.status === 0, imported.stdout || imported.stderr);
  check(
    '3 processed, 3 successful',
    imported.body?.result?.processedRecords === 3 && imported.body?.result?.successfulRecords === 3,
    imported.body?.result,
  );
  const accounts = org.records('Account');
  check(
    'org holds the 3 accounts',
    JSON.stringify(accounts.map((a) => [a.Name, a.Industry ?? null]).sort()) ===
      JSON.stringify([
        ['Acme', 'Energy'],
        ['Globex, Inc.', 'Banking'],
        ['Initech', null],
      ]),
    accounts.map((a) => [a.Name, a.Industry]),
  );

  step('sf data query');
  const queried = await sf([
    'data',
    'query',
    '-q',
    'SELECT Id, Name, Industry, Owner.Name FROM Account ORDER BY Name',
    '-o',
    'local',
  ]);
  check('exit code 0', queried.status === 0, queried.stdout || queried.stderr);
  const records = queried.body?.result?.records ?? [];
  check(
    'records in order with Owner.Name',
    records.map((r) => r.Name).join('|') === 'Acme|Globex, Inc.|Initech' && typeof records[0]?.Owner?.Name === 'string',
    records,
  );
  const table = await sf(['data', 'query', '-q', 'SELECT Name, Owner.Name FROM Account ORDER BY Name', '-o', 'local'], {
    json: false,
  });
  check(
    'human table lists the rows and the total',
    /Globex, Inc\./.test(table.stdout) && /Total number of records retrieved: 3\./.test(table.stdout),
    table.stdout + table.stderr,
  );
  const csvQuery = await sf(
    ['data', 'query', '-q', 'SELECT Name FROM Account ORDER BY Name', '-o', 'local', '--result-format', 'csv'],
    { json: false },
  );
  check('csv result format', csvQuery.stdout.trim() === 'Name\nAcme\n"Globex, Inc."\nInitech', csvQuery.stdout);

  step('sf data upsert bulk (Widget__c by ExtId__c)');
  org.seed('Widget__c', [{ Name: 'first', ExtId__c: 'W-1', Code__c: 'OLD', Amount__c: 1 }]);
  writeFileSync(join(work, 'widgets.csv'), 'ExtId__c,Code__c,Amount__c\nW-1,NEW,2.5\nW-2,B,3\n');
  const upserted = await upsertWidgets('widgets.csv');
  check('exit code 0', upserted.status === 0, upserted.stdout || upserted.stderr);
  check('2 successful', succeeded(upserted) === 2, upserted.body?.result);
  const widgets = Object.fromEntries(org.records('Widget__c').map((w) => [w.ExtId__c, [w.Code__c, w.Amount__c]]));
  check(
    'W-1 updated, W-2 created',
    JSON.stringify(widgets) === JSON.stringify({ 'W-1': ['NEW', 2.5], 'W-2': ['B', 3] }),
    widgets,
  );

  step('sf data upsert bulk with a failing row');
  writeFileSync(join(work, 'bad.csv'), 'ExtId__c,Code__c\nW-3,C\nW-4,\n');
  const partial = await upsertWidgets('bad.csv');
  check('non-zero exit code', partial.status !== 0, partial.stdout);
  check(
    'reports 1 failed record',
    /1/.test(String(partial.body?.message)) && /fail/i.test(String(partial.body?.message)),
    partial.body?.message,
  );
  check(
    'the good row is in the org',
    org.records('Widget__c').some((w) => w.ExtId__c === 'W-3'),
  );
  check('the bad row is not', !org.records('Widget__c').some((w) => w.ExtId__c === 'W-4'));
  const jobId = partial.body?.data?.jobId;
  if (jobId) {
    const results = await sf(['data', 'bulk', 'results', '--job-id', jobId, '-o', 'local']);
    check(
      'sf data bulk results: 1 success, 1 failure',
      results.body?.result?.successfulRecords === 1 && results.body?.result?.failedRecords === 1,
      results.body?.result ?? results.stdout,
    );
  } else {
    check('failed upsert names its job', false, partial.body);
  }

  step('sf data delete bulk (Account)');
  const [acme, globex] = ['Acme', 'Globex, Inc.'].map(
    (name) => org.records('Account').find((a) => a.Name === name)?.Id,
  );
  writeFileSync(join(work, 'delete.csv'), `Id\n${acme}\n${globex}\n`);
  const deleted = await bulk('delete', '--file', 'delete.csv', '--sobject', 'Account');
  check('exit code 0', deleted.status === 0, deleted.stdout || deleted.stderr);
  check('2 successful', succeeded(deleted) === 2, deleted.body?.result);
  check(
    'only Initech is left',
    JSON.stringify(org.records('Account').map((a) => a.Name)) === '["Initech"]',
    org.records('Account').map((a) => a.Name),
  );

  step('sf data export bulk (2,500 widgets)');
  org.seed(
    'Widget__c',
    Array.from({ length: 2500 }, (_, i) => ({ Name: `bulk ${i}`, ExtId__c: `E-${i}`, Code__c: 'E', Amount__c: i })),
  );
  const exported = await bulk(
    'export',
    '--query',
    "SELECT Id, ExtId__c, Amount__c FROM Widget__c WHERE Code__c = 'E'",
    '--output-file',
    'export.csv',
    '--result-format',
    'csv',
  );
  check('exit code 0', exported.status === 0, exported.stdout || exported.stderr);
  check('reports 2500 records', exported.body?.result?.totalSize === 2500, exported.body?.result);
  let lines = [];
  try {
    lines = readFileSync(join(work, 'export.csv'), 'utf8').trim().split(/\r?\n/);
  } catch (error) {
    check('export file written', false, String(error));
  }
  check('header row', lines[0] === 'Id,ExtId__c,Amount__c' || lines[0] === '"Id","ExtId__c","Amount__c"', lines[0]);
  check(
    '2500 data rows, each once',
    lines.length === 2501 && new Set(lines.slice(1)).size === 2500,
    `${lines.length} lines`,
  );
  const exportedJson = await bulk(
    'export',
    '--query',
    'SELECT Id, Name FROM Account',
    '--output-file',
    'accounts.json',
    '--result-format',
    'json',
  );
  check('json export exit code 0', exportedJson.status === 0, exportedJson.stdout || exportedJson.stderr);
  let exportedAccounts = [];
  try {
    exportedAccounts = JSON.parse(readFileSync(join(work, 'accounts.json'), 'utf8'));
  } catch (error) {
    check('json export file parses', false, String(error));
  }
  check(
    'json export holds Initech',
    exportedAccounts.length === 1 && exportedAccounts[0]?.Name === 'Initech',
    exportedAccounts,
  );

  step('sf data query --all-rows (deleted rows through queryAll)');
  const allRows = await sf([
    'data',
    'query',
    '--all-rows',
    '-q',
    'SELECT Name, IsDeleted FROM Account WHERE IsDeleted = true ORDER BY Name',
    '-o',
    'local',
  ]);
  check('exit code 0', allRows.status === 0, allRows.stdout || allRows.stderr);
  check(
    'the deleted accounts',
    (allRows.body?.result?.records ?? []).map((r) => r.Name).join('|') === 'Acme|Globex, Inc.',
    allRows.body?.result?.records,
  );

  step('sf data import tree (composite/tree)');
  writeFileSync(
    join(work, 'tree.json'),
    JSON.stringify({
      records: [
        {
          attributes: { type: 'Account', referenceId: 'TreeRef1' },
          Name: 'Tree Co',
          Contacts: { records: [{ attributes: { type: 'Contact', referenceId: 'TreeRef2' }, LastName: 'Leaf' }] },
        },
      ],
    }),
  );
  const tree = await sf(['data', 'import', 'tree', '--files', 'tree.json', '-o', 'local']);
  check('exit code 0', tree.status === 0, tree.stdout || tree.stderr);
  const treeAccount = org.records('Account').find((a) => a.Name === 'Tree Co');
  check(
    'account and its contact created',
    org.records('Contact').some((c) => c.LastName === 'Leaf' && c.AccountId === treeAccount?.Id),
  );

  step('sf data search (SOSL)');
  const found = await sf(['data', 'search', '-q', 'FIND {Initech} RETURNING Account(Name)', '-o', 'local']);
  check('exit code 0', found.status === 0, found.stdout || found.stderr);
  check('finds Initech', JSON.stringify(found.body ?? found.stdout).includes('Initech'), found.body ?? found.stdout);
} finally {
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
}

console.log(
  `\n${failures === 0 ? 'sf CLI checks passed' : `${failures} sf CLI check(s) failed`} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
);
process.exitCode = failures === 0 ? 0 : 1;
