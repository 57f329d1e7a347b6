/** Opening a Snowflake warehouse (its two sessions), its options, and its transactions. */
import { type Logger, silentLogger } from '@kicksaw/core';
import type { Warehouse, WarehouseSession } from '@kicksaw/lakehouse';
import type snowflake from 'snowflake-sdk';
import { readSnowflakeConnection } from './connections.js';
import { type DriverSession, openDriverSession, type RetryPolicy } from './driver.js';
import { SnowflakeWarehouseError } from './errors.js';
import { LOAD_STAGE, type SessionConfig, type SnowflakeLoadMethod } from './load.js';
import { SnowflakeSession } from './session.js';
import { SnowflakeTransactionSession } from './transaction.js';

/**
 * Options of {@link openSnowflakeWarehouse}: the driver's connection options, or a named connection read
 * from `connections.toml` / `config.toml` the way Snowflake's tools read them ({@link readSnowflakeConnection}).
 * With neither, the default named connection is used.
 *
 * @example
 * ```ts
 * const byOptions: SnowflakeWarehouseOptions = {
 *   connection: { account: 'acme-xy123', username: 'LOADER', privateKeyPath: '/secrets/rsa_key.p8', authenticator: 'SNOWFLAKE_JWT', database: 'RAW', schema: 'SALESFORCE', warehouse: 'LOAD_WH' },
 * };
 * const byName: SnowflakeWarehouseOptions = { connectionName: 'dev' };
 * ```
 */
export interface SnowflakeWarehouseOptions {
  /** `snowflake.createConnection` options (account, username, password or private key, database, schema, warehouse, role, accessUrl, ...). */
  connection?: snowflake.ConnectionOptions;
  /** A connection of `connections.toml` / `config.toml`. */
  connectionName?: string;
  /** The folder of the connection files. Default `$SNOWFLAKE_HOME`, else `~/.snowflake`. */
  snowflakeHome?: string;
  /** The environment read for the connection files and their overrides. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Default `copy`. */
  loadMethod?: SnowflakeLoadMethod;
  /** Rows per CSV file of a `copy` load (each file is one PUT). Default 200,000. */
  fileRows?: number;
  /** Rows per statement of an `insert` load. Default 10,000. */
  insertBatchRows?: number;
  /** Where `copy` loads write their files. Default the OS temp folder. */
  tempDirectory?: string;
  /** Retries of idempotent statements (reads, PUT, DROP IF EXISTS, login) on network errors and 5xx. Default 3. */
  retries?: number;
  /** First wait before a retry, doubled after each. Default 500 ms. */
  retryBaseDelayMs?: number;
  logger?: Logger;
}

class SnowflakeWarehouse extends SnowflakeSession implements Warehouse {
  private transactionDriver: Promise<DriverSession> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly main: DriverSession,
    private readonly openSession: () => Promise<DriverSession>,
    config: SessionConfig,
  ) {
    super(async () => main, config);
  }

  /**
   * Runs `fn` in one transaction on a session of its own (transactions of one warehouse run one at a time).
   * See {@link SnowflakeTransactionSession} for DDL inside it.
   */
  transaction<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.transactionDriver ??= this.openSession();
      const own = await this.transactionDriver;
      const session = new SnowflakeTransactionSession(own, async () => this.main, this.config);
      let result: T;
      try {
        result = await fn(session);
      } catch (error) {
        await session.rollback();
        throw error;
      }
      await session.commit();
      return result;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    const other = this.transactionDriver;
    this.transactionDriver = undefined;
    await Promise.all([
      this.main.destroy(),
      other?.then(
        (d) => d.destroy(),
        () => undefined,
      ),
    ]);
  }
}

/**
 * Opens a Snowflake warehouse on the unmodified `snowflake-sdk`. Loads are gzipped CSV files `PUT` to the
 * table's stage and one `COPY INTO` (never row-by-row INSERTs); merges are `MERGE` from staging with the
 * contract's key and newest-version guard; reads stream with `statement.streamRows()`; identifiers are
 * always quoted. Each session is set to UTC, TIMESTAMP = TIMESTAMP_NTZ and case-sensitive quoted names.
 * Idempotent statements are retried on network errors and 5xx.
 *
 * The engine opens its own sessions: one for ordinary statements and one for transactions (Snowflake
 * commits an open transaction before DDL, so DDL inside a transaction runs on the other session; see
 * {@link Warehouse.transaction}). `close()` logs them out.
 *
 * @example
 * ```ts
 * import { openSnowflakeWarehouse } from '@kicksaw/warehouse-snowflake';
 * import { sync } from '@kicksaw/lakehouse';
 *
 * const warehouse = await openSnowflakeWarehouse({ connectionName: 'dev' }); // ~/.snowflake/connections.toml
 * await sync({ connection: conn, warehouse, objects: ['Account', 'Contact'] });
 * for await (const row of warehouse.query('SELECT "Id", "Name" FROM "Account" ORDER BY "Id"')) console.log(row);
 * await warehouse.close();
 * ```
 */
export async function openSnowflakeWarehouse(options: SnowflakeWarehouseOptions = {}): Promise<Warehouse> {
  const logger = options.logger ?? silentLogger;
  const connection =
    options.connection ??
    (
      await readSnowflakeConnection({
        name: options.connectionName,
        home: options.snowflakeHome,
        env: options.env,
      })
    ).options;
  const positive = (value: number | undefined, fallback: number, name: string) => {
    const n = value ?? fallback;
    if (!Number.isInteger(n) || n < 1) {
      throw new SnowflakeWarehouseError(`${name} must be a positive integer (got ${value})`, {
        code: 'SNOWFLAKE_CONFIG',
      });
    }
    return n;
  };
  const retry: RetryPolicy = {
    retries: options.retries ?? 3,
    baseDelayMs: options.retryBaseDelayMs ?? 500,
  };
  const config: SessionConfig = {
    loadMethod: options.loadMethod ?? 'copy',
    fileRows: positive(options.fileRows, 200_000, 'fileRows'),
    insertBatchRows: positive(options.insertBatchRows, 10_000, 'insertBatchRows'),
    tempDirectory: options.tempDirectory,
    logger,
  };
  const openSession = async (): Promise<DriverSession> => {
    const session = await openDriverSession(connection, retry, logger);
    try {
      await session.run(
        "ALTER SESSION SET TIMEZONE = 'UTC', TIMESTAMP_TYPE_MAPPING = 'TIMESTAMP_NTZ', QUOTED_IDENTIFIERS_IGNORE_CASE = FALSE, TIME_OUTPUT_FORMAT = 'HH24:MI:SS.FF3'",
        undefined,
        { idempotent: true },
      );
      if (config.loadMethod === 'copy') {
        await session.run(`CREATE TEMPORARY STAGE IF NOT EXISTS ${LOAD_STAGE}`, undefined, { idempotent: true });
      }
      const { rows } = await session.run('SELECT CURRENT_DATABASE() AS d, CURRENT_SCHEMA() AS s', undefined, {
        idempotent: true,
      });
      const where = rows[0] ?? {};
      if (!where.D || !where.S) {
        throw new SnowflakeWarehouseError(
          'The Snowflake session has no current database or schema; set database and schema in the connection',
          { code: 'SNOWFLAKE_CONFIG' },
        );
      }
    } catch (error) {
      await session.destroy();
      throw error;
    }
    return session;
  };
  const main = await openSession();
  return new SnowflakeWarehouse(main, openSession, config);
}
