#!/usr/bin/env node
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseGenerate, parseServerModel } from './cli-args.js';
import type { ObjectDefinition } from './contract.js';
import { type EmulatorOptions, type SalesforceEmulator, startSalesforceEmulator } from './start.js';

const HELP = `kicksaw-sf-emulator: a local Salesforce org over HTTP (REST, SOQL, Bulk API 2.0, OAuth)

Usage: kicksaw-sf-emulator [options]

  --port <n>               port to listen on (default 8787; 0 picks a free one)
  --host <host>            interface to bind (default 127.0.0.1)
  --objects <path>         object definitions: a JSON file or a folder of JSON files
  --sfdx-project <dir>     read custom objects from an SFDX project's source-format metadata
  --seed <file>            JSON records to seed: { "Account": [{ "Name": "Acme" }], ... }
  --integration-objects    add Integration__c, IntegrationExecution__c, IntegrationError__c
  --persist <file>         load the org from this file at start, save it there at stop
  --api-version <v>        newest API version served (default 62.0)
  --username <u>           admin username (default admin@kicksaw.local)
  --password <p>           admin password (default password)
  --client-id <id>         require this OAuth client id
  --client-secret <s>      require this OAuth client secret
  --jwt-certificate <file> PEM certificate or public key that verifies JWT bearer assertions
  --result-order <o>       shuffle (default) or input: order of Bulk ingest results
  --query-page-size <n>    rows of a Bulk query page without maxRecords (default: about 100 MB of CSV)
  --clock <iso>            fix the org's clock at this instant (e.g. 2024-01-01T00:00:00Z); move it later with
                           POST /_emulator/clock (default: real time)
  --recycle-bin-days <n>   days deleted records stay in the recycle bin, on the org's clock (default 15)
  --generate <T=n[:F,...]> generate n records of object T at start (repeatable, parents first), optionally
                           with fields F filled from their types: --generate Account=1000000:Phone,Industry
                           (skipped when --persist loads a saved org)
  --batch-time <ms|min-max> server model: each 10,000-row Bulk ingest batch takes this long (a time drawn from
                           the range), several at once (--batch-concurrency, default 10); default: no model
  --batch-concurrency <n>  server model: batches of the org in process at the same time
  --tls-cert <file>        serve HTTPS with this PEM certificate (with --tls-key); clients must trust it
                           (Node: NODE_EXTRA_CA_CERTS=<file>)
  --tls-key <file>         the certificate's PEM private key
  --help                   show this help
`;

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Object definitions from a JSON file (one object or an array) or a folder of such files. */
export function loadObjects(path: string): ObjectDefinition[] {
  const full = resolve(path);
  const files = statSync(full).isDirectory()
    ? readdirSync(full)
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => join(full, name))
    : [full];
  const out: ObjectDefinition[] = [];
  for (const file of files) {
    const value = readJson(file);
    if (Array.isArray(value)) out.push(...(value as ObjectDefinition[]));
    else out.push(value as ObjectDefinition);
  }
  return out;
}

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} must be a positive number, got ${text}`);
  return value;
}

function formatBatchTime(batchMs: number | { min: number; max: number }): string {
  return typeof batchMs === 'number' ? String(batchMs) : `${batchMs.min} to ${batchMs.max}`;
}

/** The command's flags (node:util parseArgs). */
const FLAGS = {
  port: { type: 'string', default: '8787' },
  host: { type: 'string' },
  objects: { type: 'string' },
  'sfdx-project': { type: 'string' },
  seed: { type: 'string' },
  'integration-objects': { type: 'boolean', default: false },
  persist: { type: 'string' },
  'api-version': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'jwt-certificate': { type: 'string' },
  'result-order': { type: 'string' },
  'query-page-size': { type: 'string' },
  clock: { type: 'string' },
  'recycle-bin-days': { type: 'string' },
  generate: { type: 'string', multiple: true },
  'batch-time': { type: 'string' },
  'batch-concurrency': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ args: string[]; options: typeof FLAGS; strict: true }>>['values'];

/** The emulator's options from the flags: checked (an Error naming the bad flag), files read, paths resolved. */
function emulatorOptions(values: Flags): EmulatorOptions {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got ${values.port}`);
  const resultOrder = values['result-order'];
  if (resultOrder !== undefined && resultOrder !== 'shuffle' && resultOrder !== 'input') {
    throw new Error(`--result-order must be shuffle or input, got ${resultOrder}`);
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new Error('--tls-cert and --tls-key go together: give both (PEM files) to serve HTTPS, or neither');
  }
  return {
    port,
    host: values.host,
    objects: values.objects ? loadObjects(values.objects) : undefined,
    sfdxProject: values['sfdx-project'] ? resolve(values['sfdx-project']) : undefined,
    seed: values.seed ? (readJson(resolve(values.seed)) as EmulatorOptions['seed']) : undefined,
    integrationObjects: values['integration-objects'],
    persistPath: values.persist ? resolve(values.persist) : undefined,
    apiVersion: values['api-version'],
    username: values.username,
    password: values.password,
    clientId: values['client-id'],
    clientSecret: values['client-secret'],
    jwtCertificate: values['jwt-certificate'] ? readFileSync(resolve(values['jwt-certificate']), 'utf8') : undefined,
    resultOrder,
    queryPageSize: values['query-page-size'] ? Number(values['query-page-size']) : undefined,
    clock: values.clock,
    generate: parseGenerate(values.generate ?? []),
    serverModel: parseServerModel(values['batch-time'], values['batch-concurrency']),
    recycleBinRetentionDays: values['recycle-bin-days']
      ? positiveNumber('--recycle-bin-days', values['recycle-bin-days'])
      : undefined,
    tls:
      values['tls-cert'] && values['tls-key']
        ? { cert: readFileSync(resolve(values['tls-cert'])), key: readFileSync(resolve(values['tls-key'])) }
        : undefined,
  };
}

/** What the command prints once the org listens: where it is, how to log in, what was generated. */
function banner(emulator: SalesforceEmulator, options: EmulatorOptions, generatedLines: string[]): string {
  return [
    `Salesforce emulator listening on ${emulator.instanceUrl}`,
    '',
    `  Instance URL:  ${emulator.instanceUrl}`,
    `  Login URL:     ${emulator.loginUrl}`,
    `  API version:   ${emulator.apiVersion}`,
    `  Org id:        ${emulator.orgId}`,
    `  User id:       ${emulator.userId}`,
    `  Username:      ${emulator.username}`,
    `  Password:      ${emulator.password}`,
    `  Access token:  ${emulator.accessToken}`,
    ...generatedLines,
    ...(options.serverModel
      ? [
          `  Server model:  Bulk ingest batches of ${formatBatchTime(options.serverModel.batchMs)} ms, ${options.serverModel.concurrency ?? 10} at once`,
        ]
      : []),
    `  Clock:         ${emulator.clock.isFixed ? `fixed at ${emulator.clock.now().toISOString()}` : 'real time'}`,
    '',
    'Log the Salesforce CLI in:',
    `  SF_ACCESS_TOKEN='${emulator.accessToken}' sf org login access-token --instance-url ${emulator.instanceUrl} --no-prompt -a local`,
    '',
    options.persistPath ? `The org is saved to ${options.persistPath} on exit. Ctrl+C stops.` : 'Ctrl+C stops.',
    '',
  ].join('\n');
}

/** Stops the emulator (saving a persisted org) on SIGINT or SIGTERM, once, and exits. */
function stopOnSignals(emulator: SalesforceEmulator): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping\n`);
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: FLAGS, strict: true });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const options = emulatorOptions(values);
  const started = performance.now();
  const restored = options.persistPath !== undefined && existsSync(options.persistPath);
  const emulator = await startSalesforceEmulator(options);
  const generated = restored ? [] : Object.entries(options.generate ?? {});
  const generatedLines = generated.map(([name, what]) => {
    const count = typeof what === 'number' ? what : what.count;
    return `  Generated:     ${count} ${name} records`;
  });
  if (generated.length > 0) generatedLines.push(`  Start took:    ${Math.round(performance.now() - started)} ms`);
  process.stdout.write(banner(emulator, options, generatedLines));
  stopOnSignals(emulator);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`kicksaw-sf-emulator: ${(error as Error).message}\n`);
  process.exit(1);
});
