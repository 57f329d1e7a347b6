// Runs the integration tests of the Snowflake Node driver's own repository (snowflakedb/snowflake-connector-nodejs,
// checked out beside this repository, never copied into it) against the local Snowflake, and writes the pass table
// into docs/fidelity.md. The tests run the installed, unmodified snowflake-sdk: the checkout's `lib` is pointed at
// the installed package's `dist/lib` (the tests load the driver through `../../lib/...`).
//
// Usage (after `pnpm --filter @kicksaw/snowflake-emulator build`):
//   git clone https://github.com/snowflakedb/snowflake-connector-nodejs ../snowflake-connector-nodejs
//   pnpm --filter @kicksaw/snowflake-emulator exec node scripts/driver-tests.mjs [--repo <checkout>] [--only testBind]
// mocha, async, test-console and sinon (the tests' own devDependencies) are installed with npm into
// <checkout>/.kicksaw-tools.
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const packageDir = resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    repo: { type: 'string', default: resolve(packageDir, '../../../snowflake-connector-nodejs') },
    only: { type: 'string', multiple: true },
    'file-timeout': { type: 'string', default: '240' },
  },
});
const repo = resolve(values.repo);

// Files that need no cloud storage, no OCSP/proxy/wiremock set-up and no login other than a password.
const FILES = [
  'testArrayBind.js',
  'testBind.js',
  'testConcurrent.js',
  'testConnection.js',
  'testDataType.js',
  'testExecute.js',
  'testExecuteAsync.js',
  'testLargeResultSet.js',
  'testMultiStatement.js',
  'testPutGet.js',
  'testPutSmallFiles.js',
  'testRowMode.js',
  'testStatement.js',
  'testStreamRows.js',
  'testUpdatedRows.js',
];
// Left out, and why (written to the table as well).
const LEFT_OUT = {
  'testOcsp.js, testConnectionWithOCSP.js, testCrl.ts, ocsp_mock/*':
    'certificate revocation checks of TLS connections (the emulator speaks plain HTTP)',
  'testProxyExecute.js, testHttpClient.js': 'need a proxy server and outbound HTTPS',
  'wiremock/*': 'need WireMock (they test the driver against canned replies, not a server)',
  'testEncrypt.js, testHTAP.ts, testStructuredType.js, testMaxLobSize.js':
    'account features not emulated (encryption functions, hybrid tables, structured types, 128 MB LOBs)',
  'testArrayBindCustomerTable.js, testCache.js, testRequestParams.js, testEasyLoggingOnConnecting.js, testManualConnection.js':
    'customer-specific tables, manual or logging set-ups',
  '*.ts files': 'need ts-node; the run uses the installed JavaScript driver',
};

function log(message) {
  process.stdout.write(`${message}\n`);
}

if (!existsSync(join(repo, 'test', 'integration'))) {
  log(
    `No driver checkout at ${repo}. Clone it first:\n  git clone https://github.com/snowflakedb/snowflake-connector-nodejs ${repo}`,
  );
  process.exit(2);
}

// Point the checkout's lib at the installed driver.
const sdk = realpathSync(join(packageDir, 'node_modules', 'snowflake-sdk'));
const lib = join(repo, 'lib');
const isLink = existsSync(lib) && lstatSync(lib).isSymbolicLink();
if (!isLink || readlinkSync(lib) !== join(sdk, 'dist', 'lib')) {
  if (existsSync(lib) && !isLink && !existsSync(`${lib}.source`)) renameSync(lib, `${lib}.source`);
  if (isLink) rmSync(lib);
  symlinkSync(join(sdk, 'dist', 'lib'), lib);
  log(`${lib} -> ${join(sdk, 'dist', 'lib')} (the checkout's own sources kept in lib.source)`);
}
const sdkVersion = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8')).version;

// mocha and the tests' other devDependencies from the registry, beside the checkout.
const tools = join(repo, '.kicksaw-tools');
const TOOLS = { mocha: 'mocha@11', async: 'async@3', 'test-console': 'test-console@2', sinon: 'sinon@22' };
const missing = Object.entries(TOOLS).filter(
  ([name]) => !existsSync(join(tools, 'node_modules', name, 'package.json')),
);
if (missing.length > 0) {
  mkdirSync(tools, { recursive: true });
  if (!existsSync(join(tools, 'package.json'))) {
    writeFileSync(join(tools, 'package.json'), JSON.stringify({ name: 'kicksaw-driver-test-tools', private: true }));
  }
  const specs = Object.values(TOOLS); // all of them: npm prunes what the folder's package.json does not list
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
    cwd: tools,
    stdio: 'inherit',
  });
}

const { startSnowflakeEmulator } = await import(join(packageDir, 'dist', 'index.js'));
const sf = await startSnowflakeEmulator({ database: 'TESTDB' });
const commit = (() => {
  try {
    return execFileSync('git', ['-C', repo, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown commit';
  }
})();
const env = {
  ...process.env,
  NODE_PATH: [join(tools, 'node_modules'), dirname(sdk)].join(':'),
  SNOWFLAKE_TEST_PROTOCOL: 'http',
  SNOWFLAKE_TEST_HOST: sf.host,
  SNOWFLAKE_TEST_PORT: String(sf.port),
  SNOWFLAKE_TEST_ACCOUNT: sf.account,
  SNOWFLAKE_TEST_USER: sf.username,
  SNOWFLAKE_TEST_PASSWORD: sf.password,
  SNOWFLAKE_TEST_DATABASE: sf.database,
  SNOWFLAKE_TEST_SCHEMA: sf.schema,
  SNOWFLAKE_TEST_WAREHOUSE: sf.warehouse,
  SNOWFLAKE_TEST_ROLE: sf.role,
  http_proxy: '',
  https_proxy: '',
  HTTP_PROXY: '',
  HTTPS_PROXY: '',
};

const files = FILES.filter((file) => !values.only || values.only.some((word) => file.includes(word)));
const results = [];
for (const file of files) {
  const output = join(tmpdir(), `kicksaw-driver-test-${process.pid}-${file}.json`);
  rmSync(output, { force: true });
  log(`running ${file} ...`);
  const child = spawn(
    process.execPath,
    [
      join(tools, 'node_modules', 'mocha', 'bin', 'mocha.js'),
      '--no-config',
      '--timeout',
      '60000',
      '--reporter',
      'json',
      '--reporter-option',
      `output=${output}`,
      join('test', 'integration', file),
    ],
    { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text) => {
    stderr = (stderr + text).slice(-4000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), Number(values['file-timeout']) * 1000);
  await new Promise((done) => child.on('exit', done));
  clearTimeout(timer);
  if (!existsSync(output)) {
    const error = stderr.split('\n').find((line) => /Error/.test(line));
    const reason = error ? `mocha stopped: ${error.trim()}` : `did not finish within ${values['file-timeout']} s`;
    results.push({ file, passes: 0, failures: [{ title: '(whole file)', reason }], pending: 0 });
    continue;
  }
  const report = JSON.parse(readFileSync(output, 'utf8'));
  rmSync(output, { force: true });
  results.push({
    file,
    passes: report.passes.length,
    pending: report.pending.length,
    failures: report.failures.map((test) => ({
      title: test.fullTitle,
      reason: String(test.err?.message ?? 'failed')
        .split('\n')
        .filter(Boolean)
        .slice(0, 2)
        .join(' ')
        .slice(0, 240),
    })),
  });
  log(`  ${report.passes.length} passed, ${report.failures.length} failed, ${report.pending.length} pending`);
}
await sf.stop();

const passes = results.reduce((n, r) => n + r.passes, 0);
const failures = results.reduce((n, r) => n + r.failures.length, 0);
const cell = (text) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const lines = [
  '<!-- driver-tests:start (written by scripts/driver-tests.mjs) -->',
  `Run ${new Date().toISOString().slice(0, 10)}: snowflakedb/snowflake-connector-nodejs at \`${cell(commit)}\`, its integration tests run with`,
  `mocha against the installed snowflake-sdk ${sdkVersion} and the local Snowflake: **${passes} passed, ${failures} failed**.`,
  '',
  '| Test file | Passed | Failed | Pending |',
  '| --- | ---: | ---: | ---: |',
  ...results.map((r) => `| ${r.file} | ${r.passes} | ${r.failures.length} | ${r.pending} |`),
  '',
  'Every failure and its reason (the error the test saw):',
  '',
  '| Test | Reason |',
  '| --- | --- |',
  ...results.flatMap((r) => r.failures.map((f) => `| ${cell(`${r.file}: ${f.title}`)} | ${cell(f.reason)} |`)),
  '',
  'Test files not run, and why:',
  '',
  ...Object.entries(LEFT_OUT).map(([which, why]) => `- ${which}: ${why}.`),
  '<!-- driver-tests:end -->',
];
const fidelity = join(packageDir, 'docs', 'fidelity.md');
const text = readFileSync(fidelity, 'utf8');
const start = text.indexOf('<!-- driver-tests:start');
const end = text.indexOf('<!-- driver-tests:end -->');
const updated =
  start >= 0 && end > start
    ? `${text.slice(0, start)}${lines.join('\n')}${text.slice(end + '<!-- driver-tests:end -->'.length)}`
    : `${text.trimEnd()}\n\n${lines.join('\n')}\n`;
writeFileSync(fidelity, updated);
log(`${passes} passed, ${failures} failed; table written to ${fidelity}`);
