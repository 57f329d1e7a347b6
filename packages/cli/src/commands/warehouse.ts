import { resolve } from 'node:path';
import type { Command } from 'commander';
import { action, example, type RunState } from '../command-kit.js';
import { forgetEntry, type StoredWarehouse, saveDefault, storeEntry } from '../config.js';
import { CliError, UsageError } from '../errors.js';
import { table } from '../output.js';
import { nearest } from '../salesforce.js';

interface AddOptions {
  duckdb?: string;
  postgres?: string;
  snowflake?: string;
  setDefault?: boolean;
}

/** `kicksaw warehouse ...`: the stored warehouses (configuration only; `test` opens one). */
export function registerWarehouse(program: Command, state: RunState): void {
  const warehouse = program
    .command('warehouse')
    .description('Store and choose the warehouses that create, sync, query --into and retl use');
  registerWarehouseAdd(warehouse, state);
  registerWarehouseList(warehouse, state);
  registerWarehouseDefault(warehouse, state);
  registerWarehouseRemove(warehouse, state);
  registerWarehouseTest(warehouse, state);
}

function registerWarehouseAdd(warehouse: Command, state: RunState): void {
  example(
    warehouse
      .command('add')
      .description('Store a warehouse under a name (a PostgreSQL URL goes to the secrets file)')
      .argument('<name>', 'the name')
      .option('--duckdb <path>', 'a DuckDB database file')
      .option('--postgres <url>', 'a PostgreSQL connection URL, e.g. postgres://user:pw@host:5432/db')
      .option('--snowflake <connection>', 'a Snowflake connection name (connections.toml) or account URL')
      .option('--set-default', 'make it the default warehouse (the first one always is)')
      .action(
        action<AddOptions>(state, async (ctx, [name], o) => {
          const given = [o.duckdb, o.postgres, o.snowflake].filter((v) => v !== undefined);
          if (given.length !== 1)
            throw new UsageError('Give exactly one of --duckdb PATH, --postgres URL, --snowflake CONNECTION');
          const alias = name as string;
          if (!/^[\w.-]+$/.test(alias))
            throw new UsageError(`The name "${alias}" may hold letters, digits, _ . - only`);
          const config = await ctx.config();
          const entry: StoredWarehouse = o.duckdb
            ? { type: 'duckdb', path: resolve(ctx.io.cwd, o.duckdb) }
            : o.postgres
              ? { type: 'postgres' }
              : { type: 'snowflake', connection: o.snowflake as string };
          if (o.postgres && !/^postgres(ql)?:\/\//.test(o.postgres)) {
            throw new UsageError('--postgres takes a URL such as postgres://user:password@host:5432/database');
          }
          const makeDefault = o.setDefault === true || !config.defaultWarehouse;
          await storeEntry(config, 'warehouses', alias, entry, {
            makeDefault,
            ...(o.postgres ? { secrets: { connectionString: o.postgres } } : {}),
          });
          ctx.out.result(
            {
              ok: true,
              command: 'warehouse add',
              name: alias,
              type: entry.type,
              location: describe(entry),
              default: makeDefault,
            },
            () => `Stored the ${entry.type} warehouse "${alias}"${makeDefault ? ' (the default)' : ''}.`,
          );
          return 0;
        }),
      ),
    'kicksaw warehouse add analytics --postgres "postgres://etl@db.internal:5432/analytics"',
    'kicksaw warehouse add scratch --duckdb ./scratch.duckdb --set-default',
  );
}

function registerWarehouseList(warehouse: Command, state: RunState): void {
  example(
    warehouse
      .command('list')
      .description('List the stored warehouses (never their secrets)')
      .action(
        action(state, async (ctx) => {
          const config = await ctx.config();
          const list = [...config.warehouses].map(([name, { warehouse: w, source }]) => ({
            name,
            type: w.type,
            location: describe(w),
            source,
            default: name === config.defaultWarehouse,
          }));
          ctx.out.result(
            {
              ok: true,
              command: 'warehouse list',
              defaultWarehouse: config.defaultWarehouse ?? null,
              warehouses: list,
            },
            () =>
              list.length
                ? table(
                    ['', 'name', 'type', 'location', 'from'],
                    list.map((w) => [w.default ? '*' : '', w.name, w.type, w.location, w.source]),
                  )
                : 'No warehouse stored: commands use DuckDB at .kicksaw/warehouse.duckdb.',
          );
          return 0;
        }),
      ),
    'kicksaw warehouse list',
  );
}

function registerWarehouseDefault(warehouse: Command, state: RunState): void {
  example(
    warehouse
      .command('default')
      .description('Set the default warehouse')
      .argument('<name>', 'the name')
      .action(
        action(state, async (ctx, [name]) => {
          const config = await ctx.config();
          if (!config.warehouses.has(name as string))
            throw unknownWarehouse(name as string, [...config.warehouses.keys()]);
          await saveDefault(config, 'warehouses', name as string);
          ctx.out.result(
            { ok: true, command: 'warehouse default', defaultWarehouse: name },
            () => `The default warehouse is now "${name}".`,
          );
          return 0;
        }),
      ),
    'kicksaw warehouse default analytics',
  );
}

function registerWarehouseRemove(warehouse: Command, state: RunState): void {
  example(
    warehouse
      .command('remove')
      .description('Forget a stored warehouse (its data is left alone)')
      .argument('<name>', 'the name')
      .action(
        action(state, async (ctx, [name]) => {
          const config = await ctx.config();
          const alias = name as string;
          if (!config.user.warehouses?.[alias])
            throw unknownWarehouse(alias, Object.keys(config.user.warehouses ?? {}));
          const wasDefault = await forgetEntry(config, 'warehouses', alias);
          ctx.out.result(
            { ok: true, command: 'warehouse remove', removed: alias, wasDefault },
            () => `Removed "${alias}".`,
          );
          return 0;
        }),
      ),
    'kicksaw warehouse remove scratch',
  );
}

export function registerWarehouseTest(warehouse: Command, state: RunState): void {
  example(
    warehouse
      .command('test')
      .description('Open a warehouse and run a query in it')
      .argument('[name]', 'the name (default: --warehouse, else the default warehouse)')
      .action(
        action(state, async (ctx, [name]) => {
          const { openWarehouse } = await import('../warehouse-open.js');
          const opened = await openWarehouse(ctx, name ?? ctx.flags.warehouse);
          try {
            let answer: unknown;
            for await (const row of opened.warehouse.query('SELECT 1 AS ok')) answer = row.ok ?? row.OK;
            ctx.out.result(
              {
                ok: true,
                command: 'warehouse test',
                name: opened.name,
                type: opened.type,
                location: opened.location,
                answer: Number(answer),
              },
              () =>
                `${opened.name ? `"${opened.name}"` : 'The default DuckDB'} works: ${opened.type} at ${opened.location}.`,
            );
          } finally {
            await opened.warehouse.close();
          }
          return 0;
        }),
      ),
    'kicksaw warehouse test analytics',
  );
}

function describe(w: StoredWarehouse): string {
  if (w.type === 'duckdb') return w.path ?? '';
  if (w.type === 'snowflake') return w.connection ?? w.snowflake?.accessUrl ?? w.snowflake?.account ?? '';
  return '(connection URL in the secrets file)';
}

export function unknownWarehouse(name: string, known: string[]): CliError {
  return new CliError(`No warehouse named "${name}"`, {
    code: 'WAREHOUSE_UNKNOWN',
    hint: known.length
      ? `Known warehouses: ${known.join(', ')}${nearest(name, known)}. Add one with \`kicksaw warehouse add ${name} --duckdb PATH\`.`
      : `Add one with \`kicksaw warehouse add ${name} --duckdb PATH\` (or --postgres URL).`,
  });
}
