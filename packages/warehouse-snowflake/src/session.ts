/** The statements of the contract on one Snowflake session (driver.ts runs them, load.ts loads). */
import {
  type ColumnSpec,
  type ColumnType,
  type CreateTableOptions,
  type CsvLoadSpec,
  type MergeDialect,
  type MergeResult,
  type MergeSpec,
  mergeResultOf,
  type SqlValue,
  sqlParam,
  standardMergeSql,
  statementFailure,
  type TableColumn,
  type WarehouseRow,
  type WarehouseSession,
} from '@kicksaw/lakehouse';
import type snowflake from 'snowflake-sdk';
import type { DriverSession, Statement } from './driver.js';
import { SnowflakeWarehouseError } from './errors.js';
import { loadByCopy, loadByInsert, loadCsvFile, type SessionConfig } from './load.js';
import {
  presentedName,
  quoteSnowflakeIdentifier,
  snowflakeColumnType,
  sqlTypeOf,
  storedName,
  toSnowflakeBinds,
} from './sql.js';
import { fromDriver } from './values.js';

function sqlParams(params: readonly SqlValue[]): snowflake.Bind[] | undefined {
  return params.length > 0 ? params.map(sqlParam) : undefined;
}

/** Snowflake has no `DISTINCT ON` (and refuses a MERGE whose source holds a key twice): `QUALIFY ROW_NUMBER()`. */
const SNOWFLAKE_MERGE: MergeDialect = {
  newestPerKey: (staging, key, version, selected) =>
    `(SELECT ${selected} FROM ${staging} QUALIFY ROW_NUMBER() OVER (PARTITION BY ${key} ORDER BY ${version ? `${version} DESC NULLS LAST` : key}) = 1)`,
  countIf: (condition) => `COUNT_IF(${condition})`,
};

function quote(name: string): string {
  return quoteSnowflakeIdentifier(name);
}

/** The statements of the contract on one Snowflake session. */
export class SnowflakeSession implements WarehouseSession {
  readonly dialect = 'snowflake';

  constructor(
    protected readonly driver: () => Promise<DriverSession>,
    protected readonly config: SessionConfig,
  ) {}

  quoteIdentifier(name: string): string {
    return quote(name);
  }

  quoteTable(name: string): string {
    return quote(name);
  }

  columnType(type: ColumnType): string {
    return snowflakeColumnType(type);
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const driver = await this.driver();
    const { statement } = await driver.run(toSnowflakeBinds(sql), sqlParams(params));
    const changed = statement.getNumUpdatedRows();
    return typeof changed === 'number' && changed > 0 ? changed : 0;
  }

  async *query(sql: string, params: readonly SqlValue[] = []): AsyncIterable<WarehouseRow> {
    const driver = await this.driver();
    // A read is idempotent: retried on transient errors until its first row.
    const statement: Statement = await driver.start(toSnowflakeBinds(sql), sqlParams(params), true);
    const columns = (statement.getColumns() ?? []).map((c) => ({
      name: c.getName(),
      key: presentedName(c.getName()),
      type: c.getType(),
      scale: c.getScale(),
    }));
    const stream = statement.streamRows();
    try {
      for await (const raw of stream) {
        const source = raw as Record<string, unknown>;
        const row: WarehouseRow = {};
        for (const column of columns) row[column.key] = fromDriver(source[column.name], column.type, column.scale);
        yield row;
      }
    } catch (error) {
      throw new SnowflakeWarehouseError(statementFailure('Snowflake: reading the rows failed', sql, error), {
        cause: error,
      });
    } finally {
      stream.destroy();
    }
  }

  async listColumns(table: string): Promise<TableColumn[] | undefined> {
    const driver = await this.driver();
    const { rows } = await driver.run(
      `SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, datetime_precision
       FROM information_schema.columns WHERE table_schema = CURRENT_SCHEMA() AND table_name = :1 ORDER BY ordinal_position`,
      [storedName(table)],
      { idempotent: true },
    );
    if (rows.length === 0) return undefined;
    const number = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return rows.map((r) => ({
      name: presentedName(String(r.COLUMN_NAME)),
      sqlType: sqlTypeOf({
        dataType: String(r.DATA_TYPE),
        length: number(r.CHARACTER_MAXIMUM_LENGTH),
        precision: number(r.NUMERIC_PRECISION),
        scale: number(r.NUMERIC_SCALE),
        datetimePrecision: number(r.DATETIME_PRECISION),
      }),
    }));
  }

  protected createTableSql(table: string, columns: readonly ColumnSpec[], options: CreateTableOptions): string {
    const definitions = columns.map((c) => `${quote(c.name)} ${snowflakeColumnType(c.type)}`);
    // Snowflake records but does not enforce primary keys; kept for tools that read them.
    if (options.primaryKey) definitions.push(`PRIMARY KEY (${quote(options.primaryKey)})`);
    return `CREATE ${options.replace ? 'OR REPLACE ' : ''}TABLE ${this.quoteTable(table)} (${definitions.join(', ')})`;
  }

  async createTable(table: string, columns: readonly ColumnSpec[], options: CreateTableOptions = {}): Promise<void> {
    await (await this.driver()).run(this.createTableSql(table, columns, options));
  }

  async addColumns(table: string, columns: readonly ColumnSpec[]): Promise<void> {
    const driver = await this.driver();
    for (const column of columns) {
      await driver.run(
        `ALTER TABLE ${this.quoteTable(table)} ADD COLUMN ${quote(column.name)} ${snowflakeColumnType(column.type)}`,
      );
    }
  }

  async dropTable(table: string): Promise<void> {
    await (await this.driver()).run(`DROP TABLE IF EXISTS ${this.quoteTable(table)}`, undefined, { idempotent: true });
  }

  /** Exchanges two existing tables (`ALTER TABLE ... SWAP WITH`: one atomic statement). */
  protected async exchange(driver: DriverSession, a: string, b: string): Promise<void> {
    await driver.run(`ALTER TABLE ${this.quoteTable(a)} SWAP WITH ${this.quoteTable(b)}`);
  }

  /** Puts `source` in place of `target`; returns whether a `target` existed (then `source` holds the old table). */
  protected async putInPlace(driver: DriverSession, source: string, target: string): Promise<boolean> {
    if (await this.listColumns(target)) {
      await this.exchange(driver, source, target);
      return true;
    }
    await driver.run(`ALTER TABLE ${this.quoteTable(source)} RENAME TO ${this.quoteTable(target)}`);
    return false;
  }

  async swapTable(source: string, target: string): Promise<void> {
    const driver = await this.driver();
    if (await this.putInPlace(driver, source, target)) await this.dropTable(source);
  }

  async load(
    table: string,
    columns: readonly string[],
    rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>,
  ): Promise<number> {
    const load = this.config.loadMethod === 'insert' ? loadByInsert : loadByCopy;
    return load(await this.driver(), this.config, { table, columns, rows });
  }

  /** A Bulk result page through a text table converted in SQL (see `loadCsvFile`). */
  async loadCsv(spec: CsvLoadSpec): Promise<number> {
    return loadCsvFile(await this.driver(), spec);
  }

  /**
   * Counts, then one `MERGE`: staged rows deduplicated with `QUALIFY ROW_NUMBER()` (newest version first;
   * Snowflake has no `DISTINCT ON`, and refuses a MERGE whose source holds a key twice), a matched row
   * replaced only when the staged version is not older. When the counts found no key staged twice, staging is
   * read as it is (no window over it).
   */
  async merge(spec: MergeSpec): Promise<MergeResult> {
    const { countSql, mergeSql, mergeDistinctSql } = standardMergeSql(
      spec,
      quote,
      (name) => this.quoteTable(name),
      SNOWFLAKE_MERGE,
    );
    let counts: WarehouseRow = {};
    for await (const row of this.query(countSql)) counts = row;
    const result = mergeResultOf(counts);
    await this.execute(result.duplicates === 0 ? mergeDistinctSql : mergeSql);
    return result;
  }
}
