// The second half of the main job (`pnpm start`): Salesforce <-> warehouse with the `kicksaw` command on the
// local org and DuckDB. Every step is the built `kicksaw`, run as a user would type it; its command line is
// printed first. Everything lives in a scratch folder (its own config folder too) removed at the end.
// Run alone: `pnpm --filter @kicksaw/cli build && pnpm exec node packages/cli/demo/lakehouse.mjs`.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/kicksaw.js', import.meta.url));
const ROWS = Number(process.env.KICKSAW_DEMO_LAKEHOUSE_ROWS) || 1000;

/** Runs the lakehouse half; `print` takes each line. Resolves to the exit codes of the steps. */
export async function runLakehouseDemo({ print = (line) => console.log(line) } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'kicksaw-lakehouse-demo-'));
  const env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'xdg'), NO_COLOR: '1' };
  // jsforce honours http(s)_proxy even for 127.0.0.1.
  for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith('SF_') || name.startsWith('KICKSAW_')) delete env[name];
  const codes = {};
  const show = (text) => {
    for (const line of text.replace(/\s+$/, '').split('\n')) if (line) print(`    ${line}`);
  };

  /** Runs `kicksaw ...args`, shows what it printed, and returns its exit code and stdout. */
  const kicksaw = (args, display = args) =>
    new Promise((resolve, reject) => {
      print(`$ kicksaw ${display.map(quote).join(' ')}`);
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => {
        show(stderr);
        show(stdout);
        print(`    (exit ${code})`);
        print('');
        resolve({ code, stdout });
      });
    });

  print('');
  print('Salesforce <-> warehouse with the kicksaw command, on the local org and DuckDB');
  print(`(a scratch folder: ${dir})`);
  print('');
  print('$ kicksaw dev --sf-port 0 --s3-port 0 --snowflake-port 0 &');
  const dev = spawn(
    process.execPath,
    [BIN, 'dev', '--sf-port', '0', '--s3-port', '0', '--snowflake-port', '0', '--json'],
    {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    const settings = await new Promise((resolve, reject) => {
      let text = '';
      dev.stdout.setEncoding('utf8').on('data', (chunk) => {
        text += chunk;
        try {
          const document = JSON.parse(text);
          if (document.ok) resolve(document);
          else reject(new Error(`kicksaw dev failed: ${document.error?.message}`));
        } catch {
          // not whole yet
        }
      });
      dev.once('close', (code) => reject(new Error(`kicksaw dev ended (exit ${code})`)));
    });
    print(
      `    the local org at ${settings.org.instanceUrl}, S3 at ${settings.s3.endpoint}, DuckDB at ${settings.warehouse.path}`,
    );
    print('    stored as the org "local" and the warehouse "local" (the defaults from now on)');
    if (settings.snowflake)
      print(`    the local Snowflake at ${settings.snowflake.accessUrl} (warehouse "local-snowflake")`);
    print('');

    // 1. Contacts into the org, some bad on purpose (no last name).
    const lines = ['FirstName,LastName,Email,Title'];
    for (let i = 1; i <= ROWS; i++)
      lines.push(`Ada${i},${i % 97 === 0 ? '' : `Lovelace${i}`},ada${i}@example.com,Engineer`);
    await writeFile(join(dir, 'contacts.csv'), `${lines.join('\n')}\n`);
    print(`(contacts.csv: ${ROWS} contacts, ${Math.floor(ROWS / 97)} without a last name)`);
    codes.import = (
      await kicksaw([
        'import',
        'contacts.csv',
        '--object',
        'Contact',
        '--operation',
        'insert',
        '--report',
        'contacts-errors.csv',
      ])
    ).code;

    // 2. A table from the describe, then a full sync.
    codes.create = (await kicksaw(['create', '--object', 'Contact'])).code;
    codes.sync = (await kicksaw(['sync', '--object', 'Contact'])).code;

    // 3. A change and a delete in the org, as a user would make them: two small files.
    const picked = await kicksaw(['query', 'SELECT Id, Email FROM Contact ORDER BY Email LIMIT 3', '--format', 'csv']);
    const ids = picked.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0]);
    await writeFile(join(dir, 'changes.csv'), `Id,Title\n${ids[0]},Chief Engineer\n${ids[1]},Analyst\n`);
    await writeFile(join(dir, 'gone.csv'), `Id\n${ids[2]}\n`);
    print('(changes.csv: two new titles; gone.csv: one contact to delete)');
    codes.update = (await kicksaw(['import', 'changes.csv', '--object', 'Contact', '--operation', 'update'])).code;
    codes.delete = (await kicksaw(['import', 'gone.csv', '--object', 'Contact', '--operation', 'delete'])).code;

    // 4. An incremental sync picks up the change and the delete.
    codes.incremental = (await kicksaw(['sync', '--object', 'Contact'])).code;

    // 5. Reverse ETL: a value computed in the warehouse goes back to the org (only changed rows are sent).
    const sql = `SELECT "Id", "FirstName" || ' ' || "LastName" || ', ' || "Title" AS "Description" FROM "Contact" WHERE NOT "IsDeleted"`;
    await writeFile(join(dir, 'descriptions.sql'), `${sql}\n`);
    print(`(descriptions.sql: ${sql})`);
    codes.retl = (
      await kicksaw(['retl', 'upsert', '--object', 'Contact', '--external-id', 'Id', '--sql-file', 'descriptions.sql'])
    ).code;
    codes.check = (
      await kicksaw([
        'query',
        `SELECT Id, Title, Description FROM Contact WHERE Id IN ('${ids[0]}', '${ids[1]}')`,
        '--format',
        'table',
      ])
    ).code;
    const report = await readFile(join(dir, 'contacts-errors.csv'), 'utf8').catch(() => '');
    if (report)
      print(`(contacts-errors.csv has ${report.trim().split('\n').length - 1} lines: the rows without a last name)`);
  } finally {
    dev.kill('SIGINT');
    await new Promise((resolve) => (dev.exitCode === null ? dev.once('close', resolve) : resolve()));
    await rm(dir, { recursive: true, force: true });
  }
  return codes;
}

/** Quotes an argument as a shell user would: bare when safe, in double quotes around single quotes. */
function quote(arg) {
  if (/^[\w./:=@,-]+$/.test(arg)) return arg;
  if (arg.includes("'") && !/["$`\\]/.test(arg)) return `"${arg}"`;
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const codes = await runLakehouseDemo();
  const expected = { import: 3, create: 0, sync: 0, update: 0, delete: 0, incremental: 0, retl: 0, check: 0 };
  if (Object.entries(expected).some(([step, code]) => codes[step] !== code)) process.exitCode = 1;
}
