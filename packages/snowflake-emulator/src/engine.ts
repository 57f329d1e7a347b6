import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { SnowflakeEmulatorError, SnowflakeSqlError } from './errors.js';
import { TZ_MACROS } from './sql/timestamp-tz.js';
import { sqlIdent, sqlString } from './sql/tokens.js';
import { DIVISOR_MACRO } from './sql/translate.js';

/** Where the engine keeps its data. */
export interface EngineOptions {
  /** The database created at start (and the file `persistPath` holds). */
  database: string;
  /** A DuckDB file holding `database`; more databases are kept beside it. In memory when absent. */
  persistPath?: string;
  /** DuckDB memory limit (e.g. `'1GB'`). */
  memoryLimit?: string;
  /** DuckDB threads. */
  threads?: number;
  /** DuckDB's spill folder. */
  tempDirectory: string;
}

/**
 * The storage and SQL engine: one DuckDB instance in which every Snowflake database is an attached
 * DuckDB catalog (in memory, or a file when `persistPath` is set) and every schema a DuckDB schema.
 */
export class Engine {
  readonly instance: DuckDBInstance;
  private readonly admin: DuckDBConnection;
  private readonly options: EngineOptions;
  /** Upper-case-insensitive lookup: Snowflake name -> attached catalog name. */
  private readonly databases = new Map<string, string>();

  private constructor(instance: DuckDBInstance, admin: DuckDBConnection, options: EngineOptions) {
    this.instance = instance;
    this.admin = admin;
    this.options = options;
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const config: Record<string, string> = { temp_directory: options.tempDirectory };
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    if (options.threads) config.threads = String(options.threads);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(':memory:', config);
    } catch (error) {
      throw new SnowflakeEmulatorError(`DuckDB could not start: ${(error as Error).message}`, {
        code: 'DUCKDB_START_FAILED',
        cause: error,
      });
    }
    const admin = await instance.connect();
    await admin.run(`SET TimeZone = 'UTC'`);
    const engine = new Engine(instance, admin, options);
    if (options.persistPath) {
      await mkdir(dirname(options.persistPath), { recursive: true });
      await engine.attach(options.database, options.persistPath);
      for (const [name, path] of engine.siblingFiles()) {
        if (name !== options.database) await engine.attach(name, path);
      }
    } else {
      await engine.attach(options.database, undefined);
    }
    return engine;
  }

  /** Database files kept beside `persistPath`: `<file>.<DATABASE>.duckdb`. */
  private siblingFiles(): Array<[string, string]> {
    const persistPath = this.options.persistPath;
    if (!persistPath) return [];
    const dir = dirname(persistPath);
    const prefix = `${basename(persistPath)}.`;
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => name.startsWith(prefix) && name.endsWith('.duckdb'))
      .map((name) => [decodeURIComponent(name.slice(prefix.length, -'.duckdb'.length)), join(dir, name)]);
  }

  private fileFor(name: string): string | undefined {
    const persistPath = this.options.persistPath;
    if (!persistPath) return undefined;
    if (name === this.options.database) return persistPath;
    return `${persistPath}.${encodeURIComponent(name)}.duckdb`;
  }

  private async attach(name: string, path: string | undefined): Promise<void> {
    try {
      await this.admin.run(`ATTACH ${sqlString(path ?? ':memory:')} AS ${sqlIdent(name)}`);
    } catch (error) {
      throw new SnowflakeEmulatorError(
        `DuckDB could not open ${path ?? 'an in-memory database'} for ${name}: ${(error as Error).message}`,
        {
          code: 'DUCKDB_ATTACH_FAILED',
          cause: error,
        },
      );
    }
    const exists = await this.admin.runAndReadAll(
      `SELECT count(*) FROM duckdb_schemas() WHERE database_name = ${sqlString(name)} AND schema_name = 'PUBLIC'`,
    );
    if (Number(exists.getRows()[0]?.[0] ?? 0) === 0) await this.admin.run(`CREATE SCHEMA ${sqlIdent(name)}."PUBLIC"`);
    this.databases.set(name, name);
  }

  /** A new DuckDB connection (one per Snowflake session). */
  async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    // Snowflake raises 100051 on a division by zero (DuckDB gives Infinity or NULL); see translate.ts.
    await connection.run(
      `CREATE TEMP MACRO ${DIVISOR_MACRO}(x) AS CASE WHEN x = 0 THEN error('Division by zero') ELSE x END`,
    );
    // TIMESTAMP_TZ values are structs of instant and offset, built and read by these macros (timestamp-tz.ts).
    for (const macro of TZ_MACROS) await connection.run(macro);
    return connection;
  }

  /** The catalog name of a Snowflake database, or undefined. */
  database(name: string): string | undefined {
    return this.databases.get(name);
  }

  /** Names of all databases. */
  databaseNames(): string[] {
    return [...this.databases.keys()].sort();
  }

  async createDatabase(
    name: string,
    mode: { orReplace: boolean; ifNotExists: boolean },
  ): Promise<'created' | 'exists'> {
    if (this.databases.has(name)) {
      if (mode.ifNotExists) return 'exists';
      if (!mode.orReplace)
        throw new SnowflakeSqlError(`SQL compilation error:\nObject '${name}' already exists.`, {
          sfCode: '002002',
          sqlState: '42710',
        });
      await this.dropDatabase(name, false);
    }
    const path = this.fileFor(name);
    if (path) await rm(path, { force: true });
    await this.attach(name, path);
    return 'created';
  }

  async dropDatabase(name: string, ifExists: boolean): Promise<boolean> {
    if (!this.databases.has(name)) {
      if (ifExists) return false;
      throw SnowflakeSqlError.objectMissing('Database', name);
    }
    await this.admin.run(`DETACH ${sqlIdent(name)}`);
    this.databases.delete(name);
    const path = this.fileFor(name);
    if (path && name !== this.options.database) {
      await rm(path, { force: true });
      await rm(`${path}.wal`, { force: true });
    }
    return true;
  }

  /** Runs SQL on the engine's own connection (catalog reads). */
  async read(sql: string): Promise<unknown[][]> {
    const reader = await this.admin.runAndReadAll(sql);
    return reader.getRows() as unknown[][];
  }

  async close(): Promise<void> {
    for (const name of [...this.databases.keys()]) {
      try {
        if (this.options.persistPath) await this.admin.run(`CHECKPOINT ${sqlIdent(name)}`);
      } catch {
        // a database with an open transaction elsewhere is checkpointed by DuckDB on detach
      }
    }
    this.admin.closeSync();
    this.instance.closeSync();
  }
}
