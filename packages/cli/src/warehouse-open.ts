import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Warehouse } from '@kicksaw/lakehouse';
import { unknownWarehouse } from './commands/warehouse.js';
import type { CommandContext } from './context.js';
import { CliError } from './errors.js';

/** An open warehouse and what it is. */
export interface OpenedWarehouse {
  warehouse: Warehouse;
  name: string | null;
  type: 'duckdb' | 'postgres' | 'snowflake';
  location: string;
}

/**
 * snowflake-sdk logs at INFO level to stdout by default, which would mix its lines into our results: turn its
 * logger off (errors still arrive as exceptions). The driver is the engine's dependency, so it is resolved
 * from the engine's own folder.
 */
function quietSnowflakeDriver(): void {
  try {
    const require = createRequire(import.meta.resolve('@kicksaw/warehouse-snowflake'));
    (require('snowflake-sdk') as { configure(options: { logLevel: string }): void }).configure({ logLevel: 'OFF' });
  } catch {
    // An engine without that driver: nothing to quiet.
  }
}

/** The default when no warehouse is named or stored: DuckDB in the working folder. */
export const DEFAULT_DUCKDB = join('.kicksaw', 'warehouse.duckdb');

async function engine<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
      String((error as Error).message).includes(name)
    ) {
      throw new CliError(`The warehouse engine ${name} is not installed`, {
        code: 'ENGINE_MISSING',
        hint: `Install it next to kicksaw: \`npm i -g ${name}\` (or \`npm i ${name}\` in the project).`,
      });
    }
    throw error;
  }
}

/**
 * Opens the warehouse of a run: `--warehouse NAME` (or KICKSAW_WAREHOUSE), else the default warehouse, else
 * DuckDB at `.kicksaw/warehouse.duckdb`. Engines other than DuckDB are optional packages, loaded on demand.
 */
export async function openWarehouse(ctx: CommandContext, requested = ctx.flags.warehouse): Promise<OpenedWarehouse> {
  const config = await ctx.config();
  const name = requested ?? config.defaultWarehouse;
  if (!name) {
    const path = join(ctx.io.cwd, DEFAULT_DUCKDB);
    const { openDuckDbWarehouse } = await import('@kicksaw/warehouse-duckdb');
    return { warehouse: await openDuckDbWarehouse({ path }), name: null, type: 'duckdb', location: path };
  }
  const stored = config.warehouses.get(name);
  if (!stored) throw unknownWarehouse(name, [...config.warehouses.keys()]);
  const entry = stored.warehouse;
  switch (entry.type) {
    case 'duckdb': {
      const path = entry.path ?? join(ctx.io.cwd, DEFAULT_DUCKDB);
      const { openDuckDbWarehouse } = await import('@kicksaw/warehouse-duckdb');
      return { warehouse: await openDuckDbWarehouse({ path }), name, type: 'duckdb', location: path };
    }
    case 'postgres': {
      const connectionString = config.secrets.warehouses?.[name]?.connectionString;
      if (!connectionString) {
        throw new CliError(`The PostgreSQL URL of warehouse "${name}" is not in the secrets file`, {
          code: 'WAREHOUSE_SECRET_MISSING',
          hint: `Store it again: \`kicksaw warehouse add ${name} --postgres URL\`.`,
        });
      }
      const { openPostgresWarehouse } = await engine(
        '@kicksaw/warehouse-postgres',
        () => import('@kicksaw/warehouse-postgres'),
      );
      const location = connectionString.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
      return { warehouse: await openPostgresWarehouse({ connectionString }), name, type: 'postgres', location };
    }
    case 'snowflake': {
      const { openSnowflakeWarehouse } = await engine(
        '@kicksaw/warehouse-snowflake',
        () => import('@kicksaw/warehouse-snowflake'),
      );
      quietSnowflakeDriver();
      if (entry.snowflake) {
        const password = config.secrets.warehouses?.[name]?.password;
        const warehouse = await openSnowflakeWarehouse({
          connection: { ...entry.snowflake, ...(password ? { password } : {}) } as never,
          logger: ctx.out.logger(),
        });
        return {
          warehouse,
          name,
          type: 'snowflake',
          location: entry.snowflake.accessUrl ?? entry.snowflake.account ?? '',
        };
      }
      const connectionName = entry.connection ?? name;
      const warehouse = await openSnowflakeWarehouse({ connectionName, env: ctx.env, logger: ctx.out.logger() });
      return { warehouse, name, type: 'snowflake', location: `connection ${connectionName}` };
    }
  }
}

/** Runs `fn` with the run's warehouse and closes it afterwards, whatever happens. */
export async function withWarehouse<T>(ctx: CommandContext, fn: (opened: OpenedWarehouse) => Promise<T>): Promise<T> {
  const opened = await openWarehouse(ctx);
  try {
    return await fn(opened);
  } finally {
    await opened.warehouse.close().catch(() => undefined);
  }
}
