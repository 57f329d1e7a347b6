import snowflake from 'snowflake-sdk';
import { type SnowflakeEmulator, type SnowflakeEmulatorOptions, startSnowflakeEmulator } from '../src/index.js';

snowflake.configure({ logLevel: 'OFF' });

/** A running emulator and a connected, unmodified snowflake-sdk connection. */
export interface Harness {
  sf: SnowflakeEmulator;
  connection: snowflake.Connection;
  /** Runs SQL and resolves to the rows (objects keyed by column name). */
  rows<T = Record<string, unknown>>(sqlText: string, binds?: snowflake.Binds): Promise<T[]>;
  /** Runs SQL and resolves to the statement (for DML counts, column metadata). */
  statement(
    sqlText: string,
    binds?: snowflake.Binds,
  ): Promise<{ statement: snowflake.RowStatement; rows: Record<string, unknown>[] }>;
  /** Runs SQL and resolves to the driver's error. */
  error(sqlText: string, binds?: snowflake.Binds): Promise<snowflake.SnowflakeError>;
  close(): Promise<void>;
}

export async function connect(
  sf: SnowflakeEmulator,
  extra: Partial<snowflake.ConnectionOptions> = {},
): Promise<snowflake.Connection> {
  const connection = snowflake.createConnection({
    accessUrl: sf.accessUrl,
    account: sf.account,
    username: sf.username,
    password: sf.password,
    database: sf.database,
    schema: sf.schema,
    warehouse: sf.warehouse,
    ...extra,
  });
  await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
  return connection;
}

export function run(
  connection: snowflake.Connection,
  sqlText: string,
  binds?: snowflake.Binds,
  more: Partial<snowflake.StatementOption> = {},
): Promise<{ statement: snowflake.RowStatement; rows: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    connection.execute({
      sqlText,
      binds,
      ...more,
      complete: (error, statement, rows) =>
        error
          ? reject(error)
          : resolve({
              statement: statement as snowflake.RowStatement,
              rows: (rows ?? []) as Record<string, unknown>[],
            }),
    } as snowflake.StatementOption);
  });
}

export async function harness(
  options: SnowflakeEmulatorOptions = {},
  extra: Partial<snowflake.ConnectionOptions> = {},
): Promise<Harness> {
  const sf = await startSnowflakeEmulator(options);
  const connection = await connect(sf, extra);
  return {
    sf,
    connection,
    rows: async <T>(sqlText: string, binds?: snowflake.Binds) => (await run(connection, sqlText, binds)).rows as T[],
    statement: (sqlText, binds) => run(connection, sqlText, binds),
    error: async (sqlText, binds) => {
      try {
        await run(connection, sqlText, binds);
      } catch (error) {
        return error as snowflake.SnowflakeError;
      }
      throw new Error(`expected ${sqlText} to fail`);
    },
    close: async () => {
      await new Promise<void>((resolve) => connection.destroy(() => resolve()));
      await sf.stop();
    },
  };
}
