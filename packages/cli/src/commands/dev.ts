import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import type { SnowflakeEmulator } from '@kicksaw/snowflake-emulator';
import type { Command } from 'commander';
import { action, example, positiveInt, type RunState } from '../command-kit.js';
import { saveSecrets, saveUserConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { table } from '../output.js';

interface DevOptions {
  sfPort: number;
  s3Port: number;
  snowflakePort: number;
  bucket: string;
  dir: string;
  register: boolean;
}

/** fauxqs keeps objects with node:sqlite, which Node 22 flags as experimental: keep that one notice quiet. */
function quietSqliteWarning(): void {
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String((warning as Error)?.message ?? warning).includes('SQLite')) return;
    return (emit as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** Starts @kicksaw/snowflake-emulator when it is installed (an optional peer); undefined when it is not. */
async function startLocalSnowflake(port: number, persistPath: string): Promise<SnowflakeEmulator | undefined> {
  let emulator: typeof import('@kicksaw/snowflake-emulator');
  try {
    emulator = await import('@kicksaw/snowflake-emulator');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  return await emulator.startSnowflakeEmulator({ port, persistPath }).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`Cannot start the local Snowflake on port ${port} (${error.code ?? error.message})`, {
      code: 'DEV_PORT_BUSY',
      hint: 'Pass another --snowflake-port (0 picks a free one).',
    });
  });
}

/** `kicksaw dev` */
export function registerDev(program: Command, state: RunState): void {
  example(
    program
      .command('dev')
      .description(
        'Run a local stack for offline work until Ctrl-C: the local Salesforce org and a local S3 (data kept in --dir);\nprints the settings and stores them as the org "local" and the warehouse "local" (DuckDB in --dir)',
      )
      .option('--sf-port <port>', 'port of the local org (0: any free port)', positiveInt('--sf-port'), 8787)
      .option('--s3-port <port>', 'port of the local S3 (0: any free port)', positiveInt('--s3-port'), 8788)
      .option(
        '--snowflake-port <port>',
        'port of the local Snowflake, when @kicksaw/snowflake-emulator is installed',
        positiveInt('--snowflake-port'),
        8789,
      )
      .option('--bucket <name>', 'a bucket to create in the local S3', 'local')
      .option('--dir <dir>', 'where the local data is kept between runs', '.kicksaw')
      .option('--no-register', 'do not store the "local" org and warehouse')
      .action(
        action<DevOptions>(state, async (ctx, _args, o) => {
          const dir = resolve(ctx.io.cwd, o.dir);
          await mkdir(dir, { recursive: true });
          quietSqliteWarning();
          const stack = await startLocalStack(o, dir);
          if (o.register) await registerLocalStack(ctx, stack);
          reportDev(ctx, o, stack, o.register);
          await new Promise<void>((resolveStop) => {
            if (ctx.signal.aborted) resolveStop();
            ctx.signal.addEventListener('abort', () => resolveStop(), { once: true });
          });
          ctx.out.note('kicksaw dev: stopping');
          await Promise.all([stack.sf.stop(), stack.s3.stop(), stack.snowflake?.stop()]);
          return 0;
        }),
      ),
    'kicksaw dev',
    'kicksaw dev --sf-port 0 --s3-port 0 --json',
  );
}

/** The running parts of `kicksaw dev` and where they keep their data. */
interface LocalStack {
  dir: string;
  sf: SalesforceEmulator;
  s3: { port: number; stop(): Promise<void> };
  s3Endpoint: string;
  snowflake: SnowflakeEmulator | undefined;
  warehousePath: string;
}

/** Starts the local org, the local S3 and, when installed, the local Snowflake; a part that fails stops the ones before. */
async function startLocalStack(o: DevOptions, dir: string): Promise<LocalStack> {
  const { startSalesforceEmulator } = await import('@kicksaw/sf-emulator');
  const sf = await startSalesforceEmulator({
    port: o.sfPort,
    integrationObjects: true,
    persistPath: join(dir, 'dev-org.json'),
  }).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`Cannot start the local org on port ${o.sfPort} (${error.code ?? error.message})`, {
      code: 'DEV_PORT_BUSY',
      hint: 'Is `kicksaw dev` already running? Otherwise pass another --sf-port (0 picks a free one).',
    });
  });
  const { startFauxqs } = await import('fauxqs');
  const s3 = await startFauxqs({
    port: o.s3Port,
    host: '127.0.0.1',
    logger: false,
    dataDir: join(dir, 's3'),
    init: { buckets: [o.bucket] },
  }).catch(async (error: NodeJS.ErrnoException) => {
    await sf.stop();
    throw new CliError(`Cannot start the local S3 on port ${o.s3Port} (${error.code ?? error.message})`, {
      code: 'DEV_PORT_BUSY',
      hint: 'Pass another --s3-port (0 picks a free one).',
    });
  });
  // The local Snowflake, when its package is installed (it is optional).
  const snowflake = await startLocalSnowflake(o.snowflakePort, join(dir, 'snowflake.json'));
  return {
    dir,
    sf,
    s3,
    s3Endpoint: `http://127.0.0.1:${s3.port}`,
    snowflake,
    warehousePath: join(dir, 'warehouse.duckdb'),
  };
}

/** Stores the stack as the org "local" and the warehouses "local" (and "local-snowflake"), secrets apart. */
async function registerLocalStack(ctx: CommandContext, stack: LocalStack): Promise<void> {
  const { sf, snowflake } = stack;
  const config = await ctx.config();
  const user = structuredClone(config.user);
  user.orgs = {
    ...(user.orgs ?? {}),
    local: {
      mode: 'password',
      loginUrl: sf.loginUrl,
      username: sf.username,
      s3: { endpoint: stack.s3Endpoint, region: 'us-east-1', forcePathStyle: true },
    },
  };
  user.warehouses = { ...(user.warehouses ?? {}), local: { type: 'duckdb', path: stack.warehousePath } };
  if (snowflake) {
    user.warehouses['local-snowflake'] = {
      type: 'snowflake',
      snowflake: {
        accessUrl: snowflake.accessUrl,
        account: snowflake.account,
        username: snowflake.username,
        database: snowflake.database,
        schema: snowflake.schema,
        warehouse: snowflake.warehouse,
      },
    };
  }
  user.defaultOrg ??= 'local';
  user.defaultWarehouse ??= 'local';
  const secrets = structuredClone(config.secrets);
  secrets.orgs = {
    ...(secrets.orgs ?? {}),
    local: { password: sf.password, s3AccessKeyId: 'local', s3SecretAccessKey: 'local' },
  };
  if (snowflake)
    secrets.warehouses = {
      ...(secrets.warehouses ?? {}),
      'local-snowflake': { password: snowflake.password },
    };
  await saveSecrets(config.paths, secrets);
  await saveUserConfig(config.paths, user);
}

function reportDev(ctx: CommandContext, o: DevOptions, stack: LocalStack, registered: boolean): void {
  const { dir, sf, s3Endpoint, snowflake, warehousePath } = stack;
  const document = {
    ok: true,
    command: 'dev',
    registered,
    org: {
      alias: 'local',
      instanceUrl: sf.instanceUrl,
      loginUrl: sf.loginUrl,
      username: sf.username,
      apiVersion: sf.apiVersion,
      orgId: sf.orgId,
      dataFile: join(dir, 'dev-org.json'),
    },
    s3: { endpoint: s3Endpoint, region: 'us-east-1', bucket: o.bucket, dataDir: join(dir, 's3') },
    warehouse: { alias: 'local', type: 'duckdb', path: warehousePath },
    snowflake: snowflake
      ? {
          alias: 'local-snowflake',
          accessUrl: snowflake.accessUrl,
          account: snowflake.account,
          database: snowflake.database,
          schema: snowflake.schema,
        }
      : null,
  };
  ctx.out.result(document, () =>
    [
      'kicksaw dev: a local stack is running (Ctrl-C stops it).',
      '',
      table(
        ['part', 'address', 'settings'],
        [
          ['Salesforce org', sf.instanceUrl, `user ${sf.username}, password ${'*'.repeat(8)}, API ${sf.apiVersion}`],
          ['S3', s3Endpoint, `bucket ${o.bucket}, region us-east-1, path-style, any keys`],
          ['warehouse', warehousePath, 'DuckDB'],
          ...(snowflake
            ? [['Snowflake', snowflake.accessUrl, `warehouse "local-snowflake", database ${snowflake.database}`]]
            : []),
        ],
      ),
      '',
      registered
        ? 'Stored as the org "local" and the warehouse "local". Try:\n  kicksaw org test local\n  kicksaw query "SELECT Id, Name FROM Account" --org local'
        : 'Not stored (--no-register).',
      `The org's data is kept in ${join(dir, 'dev-org.json')} when this stops.`,
    ].join('\n'),
  );
}
