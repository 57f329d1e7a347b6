import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type SnowflakeEmulator, type SnowflakeEmulatorOptions, startSnowflakeEmulator } from './start.js';

const HELP = `kicksaw-snowflake-emulator: a local Snowflake over HTTP, backed by DuckDB, for the unmodified snowflake-sdk

Usage: kicksaw-snowflake-emulator [options]

  --port <n>                     port to listen on (default 8765; 0 picks a free one)
  --host <host>                  interface to bind (default 127.0.0.1)
  --database <name>              database created at start (default KICKSAW)
  --schema <name>                default schema (default PUBLIC)
  --warehouse <name>             warehouse reported to sessions (default COMPUTE_WH)
  --account <name>               account name (default kicksaw)
  --username <u>                 login name (default kicksaw)
  --password <p>                 password (default password)
  --public-key <file>            the user's RSA public key (PEM) for key-pair (SNOWFLAKE_JWT) logins
  --persist <file>               keep the database in this DuckDB file (stages in <file>.stages/)
  --array-binding-threshold <n>  rows x columns above which the driver binds through a stage (default 100000)
  --connection-name <name>       name of the connections.toml entry printed (default local)
  --help                         show this help
`;

/** The connection settings and a connections.toml entry for a running emulator. */
export function describeEmulator(sf: SnowflakeEmulator, connectionName = 'local'): string {
  const toml = [
    `[${connectionName}]`,
    `account = "${sf.account}"`,
    `user = "${sf.username}"`,
    `password = "${sf.password}"`,
    `host = "${sf.host}"`,
    `port = ${sf.port}`,
    `protocol = "http"`,
    `database = "${sf.database}"`,
    `schema = "${sf.schema}"`,
    `warehouse = "${sf.warehouse}"`,
    `role = "${sf.role}"`,
  ].join('\n');
  return `Local Snowflake (DuckDB) listening on ${sf.accessUrl}

snowflake-sdk:
  snowflake.createConnection({
    accessUrl: '${sf.accessUrl}',
    account: '${sf.account}', username: '${sf.username}', password: '${sf.password}',
    database: '${sf.database}', schema: '${sf.schema}', warehouse: '${sf.warehouse}',
  })

~/.snowflake/connections.toml (snowflake-sdk and the Snowflake CLI; for the CLI put it under [connections.${connectionName}] in config.toml or use this file):
${toml}

Press Ctrl+C to stop.
`;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8765' },
      host: { type: 'string' },
      database: { type: 'string' },
      schema: { type: 'string' },
      warehouse: { type: 'string' },
      account: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'public-key': { type: 'string' },
      persist: { type: 'string' },
      'array-binding-threshold': { type: 'string' },
      'connection-name': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be a number from 0 to 65535, got ${values.port}\n`);
    process.exitCode = 2;
    return;
  }
  const threshold =
    values['array-binding-threshold'] === undefined ? undefined : Number(values['array-binding-threshold']);
  if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 1)) {
    process.stderr.write(
      `--array-binding-threshold must be a positive whole number, got ${values['array-binding-threshold']}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const options: SnowflakeEmulatorOptions = {
    port,
    host: values.host,
    database: values.database,
    schema: values.schema,
    warehouse: values.warehouse,
    account: values.account,
    username: values.username,
    password: values.password,
    publicKey: values['public-key'] === undefined ? undefined : readFileSync(values['public-key'], 'utf8'),
    persistPath: values.persist,
    arrayBindingThreshold: threshold,
  };
  const sf = await startSnowflakeEmulator(options);
  process.stdout.write(describeEmulator(sf, values['connection-name']));
  const stop = () => {
    sf.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`kicksaw-snowflake-emulator: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
