import { type SnowflakeEmulator, startSnowflakeEmulator } from '@kicksaw/snowflake-emulator';
import snowflake from 'snowflake-sdk';
import { openSnowflakeWarehouse, type SnowflakeWarehouseOptions } from '../src/index.js';

snowflake.configure({ logLevel: 'OFF' });

/** The local Snowflake and a way to open warehouses on it, each in a fresh schema. */
export interface LocalSnowflake {
  sf: SnowflakeEmulator;
  connectionOptions(schema?: string): snowflake.ConnectionOptions;
  /** A new schema, for a warehouse of its own. */
  freshSchema(): Promise<string>;
  open(extra?: Partial<SnowflakeWarehouseOptions>): ReturnType<typeof openSnowflakeWarehouse>;
  stop(): Promise<void>;
}

export async function startLocalSnowflake(
  defaults: Partial<SnowflakeWarehouseOptions> = {},
  emulatorOptions: Parameters<typeof startSnowflakeEmulator>[0] = {},
): Promise<LocalSnowflake> {
  const sf = await startSnowflakeEmulator(emulatorOptions);
  const connectionOptions = (schema?: string): snowflake.ConnectionOptions => ({
    accessUrl: sf.accessUrl,
    account: sf.account,
    username: sf.username,
    password: sf.password,
    database: sf.database,
    schema: schema ?? sf.schema,
    warehouse: sf.warehouse,
  });
  const admin = snowflake.createConnection(connectionOptions());
  await new Promise<void>((resolve, reject) => admin.connect((error) => (error ? reject(error) : resolve())));
  let n = 0;
  const freshSchema = async () => {
    const name = `T${++n}_${Date.now().toString(36).toUpperCase()}`;
    await new Promise<void>((resolve, reject) =>
      admin.execute({ sqlText: `CREATE SCHEMA "${name}"`, complete: (error) => (error ? reject(error) : resolve()) }),
    );
    return name;
  };
  return {
    sf,
    connectionOptions,
    freshSchema,
    open: async (extra = {}) =>
      openSnowflakeWarehouse({ connection: connectionOptions(await freshSchema()), ...defaults, ...extra }),
    stop: async () => {
      await new Promise<void>((resolve) => admin.destroy(() => resolve()));
      await sf.stop();
    },
  };
}

/** The engine of the shared lakehouse cases: one local Snowflake for the file, a fresh schema per case. */
export function snowflakeEngine(): { open(): ReturnType<typeof openSnowflakeWarehouse>; stop(): Promise<void> } {
  let local: Promise<LocalSnowflake> | undefined;
  return {
    open: async () => {
      local ??= startLocalSnowflake();
      return (await local).open();
    },
    stop: async () => {
      await (await local)?.stop();
    },
  };
}
