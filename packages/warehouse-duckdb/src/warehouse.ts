/** Opening a DuckDB warehouse (a file or memory), its options, and its transactions. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Warehouse, WarehouseSession } from '@kicksaw/lakehouse';
import { DuckDbWarehouseError } from './errors.js';
import { DuckDbSession, LoadThreads } from './session.js';

/**
 * Options of {@link openDuckDbWarehouse}.
 *
 * @example
 * ```ts
 * const options: DuckDbWarehouseOptions = { path: '.kicksaw/warehouse.duckdb' };
 * ```
 */
export interface DuckDbWarehouseOptions {
  /** A database file (created with its folder when missing). Default: in memory. */
  path?: string;
  /** An instance you opened yourself (not closed by `close()`); `path` is then ignored. */
  instance?: DuckDBInstance;
  /** Where load files are written before `COPY`. Default: the OS temp dir. */
  tempDirectory?: string;
  /**
   * DuckDB settings for a new instance, e.g. `{ memory_limit: '1GB', threads: '4' }`. Default `memory_limit`:
   * {@link DEFAULT_DUCKDB_MEMORY_LIMIT} (DuckDB's own default is 80% of the machine's RAM, all of it in this
   * process; beyond the limit DuckDB spills to its temp directory). `threads` stays DuckDB's (the cores).
   */
  config?: Record<string, string>;
  /** Rows per CSV file of a load (each file is one `COPY`, loaded while the next is written). Default 100,000. */
  loadPartRows?: number;
  /**
   * DuckDB's `threads` while a load (`loadCsv`, `load`) runs; the instance's own setting comes back after it.
   * Default 1 for an instance this warehouse opens (a load takes about half the CPU with one thread as with a
   * thread a core, and leaves the cores to the download; measured in the lakehouse README), and DuckDB's setting
   * left alone for an `instance` you pass. `false` leaves it alone in both cases.
   */
  loadThreads?: number | false;
}

class DuckDbWarehouse extends DuckDbSession implements Warehouse {
  constructor(
    private readonly instance: DuckDBInstance,
    private readonly main: DuckDBConnection,
    private readonly ownsInstance: boolean,
    tempDirectory: string | undefined,
    loadPartRows: number,
    private readonly loadThreads: LoadThreads,
  ) {
    super(
      {
        connection: async () => main,
        streamConnection: async () => {
          const connection = await instance.connect();
          return { connection, release: () => connection.closeSync() };
        },
        duringLoad: (load) => loadThreads.run(load),
      },
      tempDirectory,
      loadPartRows,
    );
  }

  async transaction<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect();
    // Inside a transaction every statement, reads included, runs on its one connection.
    const session = new DuckDbSession(
      {
        connection: async () => connection,
        streamConnection: async () => ({ connection, release: () => undefined }),
        duringLoad: (load) => this.loadThreads.run(load),
      },
      this.tempDirectory,
      this.loadPartRows,
    );
    try {
      await connection.run('BEGIN TRANSACTION');
      try {
        const result = await fn(session);
        await connection.run('COMMIT');
        return result;
      } catch (error) {
        await connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      connection.closeSync();
    }
  }

  async close(): Promise<void> {
    this.main.closeSync();
    if (this.ownsInstance) this.instance.closeSync();
  }
}

/**
 * The `memory_limit` a new instance gets unless `config` sets one. DuckDB runs inside your process, so its
 * buffers count in your process's memory: with DuckDB's own default (80% of the RAM) a 1,000,000-row sync grew
 * the client's resident memory with the table; 256MB keeps it bounded, and DuckDB spills what does not fit
 * (measured in the lakehouse README's Performance section).
 *
 * @example
 * ```ts
 * await openDuckDbWarehouse({ path: 'w.duckdb', config: { memory_limit: DEFAULT_DUCKDB_MEMORY_LIMIT } });
 * ```
 */
export const DEFAULT_DUCKDB_MEMORY_LIMIT = '256MB';

/**
 * Opens a DuckDB warehouse: a database file (the CLI uses `.kicksaw/warehouse.duckdb`) or memory. Loads go
 * through CSV files and `COPY`, merges through DuckDB's `MERGE` (1.4+), reads stream chunk by chunk. Tables
 * live in the default schema; identifiers are always quoted.
 *
 * @example
 * ```ts
 * import { openDuckDbWarehouse } from '@kicksaw/warehouse-duckdb';
 * import { sync } from '@kicksaw/lakehouse';
 *
 * const warehouse = await openDuckDbWarehouse({ path: '.kicksaw/warehouse.duckdb' });
 * await sync({ connection: conn, warehouse, objects: 'Account' });
 * for await (const row of warehouse.query('SELECT "Id", "Name" FROM "Account" ORDER BY "Id"')) console.log(row);
 * await warehouse.close();
 * ```
 */
export async function openDuckDbWarehouse(options: DuckDbWarehouseOptions = {}): Promise<Warehouse> {
  let instance = options.instance;
  const owns = !instance;
  if (!instance) {
    const path = options.path ?? ':memory:';
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
    try {
      instance = await DuckDBInstance.create(path, { memory_limit: DEFAULT_DUCKDB_MEMORY_LIMIT, ...options.config });
    } catch (error) {
      throw new DuckDbWarehouseError(
        `Cannot open the DuckDB database ${path}: ${error instanceof Error ? error.message : String(error)} (is another process holding it open?)`,
        error,
      );
    }
  }
  const main = await instance.connect();
  const opened = instance;
  const threads = options.loadThreads === false ? undefined : (options.loadThreads ?? (owns ? 1 : undefined));
  return new DuckDbWarehouse(
    instance,
    main,
    owns,
    options.tempDirectory,
    options.loadPartRows ?? 100_000,
    new LoadThreads(() => opened.connect(), threads),
  );
}
