/**
 * The Warehouse contract: what `@kicksaw/lakehouse` needs from a SQL engine. Each engine lives in a package of
 * its own (`@kicksaw/warehouse-duckdb`, `@kicksaw/warehouse-postgres`, ...), so a user installs only the driver
 * they use. The lakehouse functions never build engine-specific SQL themselves beyond what this contract offers:
 * quoting, column types, loads, merges and streamed reads are the engine's.
 */

/**
 * A column's logical type, mapped to SQL by each engine ({@link WarehouseSession.columnType}).
 *
 * - `id`: a Salesforce id (VARCHAR(18)).
 * - `text`: any text (VARCHAR); `length` is Salesforce's, engines may ignore it.
 * - `integer`: BIGINT / NUMBER(38,0).
 * - `decimal`: DECIMAL(precision, scale) from the describe.
 * - `double`: a binary float, for numbers without precision.
 * - `timestamp`: a UTC timestamp with milliseconds (stored without a zone, always UTC).
 * - `sql`: a raw SQL type, for per-field overrides.
 *
 * @example
 * ```ts
 * const amount: ColumnType = { kind: 'decimal', precision: 18, scale: 2 };
 * ```
 */
export type ColumnType =
  | { kind: 'id' }
  | { kind: 'text'; length?: number }
  | { kind: 'boolean' }
  | { kind: 'integer' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'double' }
  | { kind: 'date' }
  | { kind: 'timestamp' }
  | { kind: 'time' }
  | { kind: 'sql'; sql: string };

/**
 * A column to create: its name (kept exactly, always quoted) and logical type.
 *
 * @example
 * ```ts
 * const column: ColumnSpec = { name: 'AnnualRevenue', type: { kind: 'decimal', precision: 18, scale: 0 } };
 * ```
 */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

/**
 * A column as the warehouse reports it. `sqlType` is spelled the way {@link WarehouseSession.columnType}
 * spells it, so the two can be compared to detect type changes.
 *
 * @example
 * ```ts
 * const columns: TableColumn[] | undefined = await warehouse.listColumns('Account');
 * ```
 */
export interface TableColumn {
  name: string;
  sqlType: string;
}

/**
 * A value passed to or loaded into the warehouse. Timestamps are `Date`s or strings
 * `YYYY-MM-DD HH:MM:SS.sss` (UTC), dates `YYYY-MM-DD`, decimals strings or numbers.
 *
 * @example
 * ```ts
 * const row: SqlValue[] = ['001000000000001AAA', 'Acme', null, new Date()];
 * ```
 */
export type SqlValue = string | number | bigint | boolean | Date | null;

/**
 * A row read from the warehouse: column name to value. Timestamps are `Date`s (UTC), dates
 * `YYYY-MM-DD` strings, integers numbers (or strings beyond 2^53), decimals numbers or strings.
 *
 * @example
 * ```ts
 * for await (const row of warehouse.query('SELECT * FROM "Account"')) console.log(row.Id as string);
 * ```
 */
export type WarehouseRow = Record<string, SqlValue>;

/**
 * What {@link WarehouseSession.merge} does: rows of `staging` into `target` by `key`. Duplicates in staging
 * are collapsed first (the highest `versionColumn` wins); a matched row is replaced only when the staged
 * version is not older than the target's (an older row never overwrites a newer one). Only `columns` are
 * written, so a column missing from staging keeps its data.
 *
 * @example
 * ```ts
 * await warehouse.merge({ target: 'Account', staging: 'stage_1', key: 'Id', columns: ['Id', 'Name', 'SystemModstamp'], versionColumn: 'SystemModstamp' });
 * ```
 */
export interface MergeSpec {
  target: string;
  staging: string;
  key: string;
  /** Columns written (the key included), present in both tables. */
  columns: string[];
  /** The version (SystemModstamp) guarding updates. Without it, the staged row always wins. */
  versionColumn?: string;
}

/**
 * Counts of a merge, computed before it runs: every distinct staged key is exactly one of
 * `inserted`, `updated` (newer), `unchanged` (same version, written again) or `stale` (older, skipped).
 *
 * @example
 * ```ts
 * const { inserted, updated, unchanged, stale, duplicates }: MergeResult = await warehouse.merge(spec);
 * ```
 */
export interface MergeResult {
  inserted: number;
  updated: number;
  unchanged: number;
  stale: number;
  /** Staged rows dropped because a newer row with the same key was staged too. */
  duplicates: number;
}

/**
 * Options of {@link WarehouseSession.createTable}.
 *
 * @example
 * ```ts
 * await warehouse.createTable('Account', columns, { primaryKey: 'Id', replace: false } satisfies CreateTableOptions);
 * ```
 */
export interface CreateTableOptions {
  /** A primary key column. */
  primaryKey?: string;
  /** Drop an existing table of that name first. Default false (an existing table is an error). */
  replace?: boolean;
}

/**
 * A CSV file to load into an existing table with the engine's own CSV loader ({@link WarehouseSession.loadCsv}),
 * in the form a Bulk API 2.0 query writes its result pages: UTF-8, comma-separated, `"` quoting with doubled
 * quotes inside, LF (or CRLF) line endings, line breaks allowed inside quotes, a header line first (skipped),
 * and an empty value (quoted or not) for null. How each column's text reads follows its logical type: booleans
 * `true` / `false`; dates `YYYY-MM-DD`; timestamps `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC, milliseconds kept); times
 * `HH:MM:SS.sssZ`; numbers plain decimals; `id`, `text` and `sql` as they are (cast by the column's SQL type).
 *
 * @example
 * ```ts
 * const spec: CsvLoadSpec = {
 *   table: 'stage_1',
 *   file: '/tmp/page-1.csv',
 *   columns: [{ name: 'Id', type: { kind: 'id' } }, { name: 'SystemModstamp', type: { kind: 'timestamp' } }],
 * };
 * ```
 */
export interface CsvLoadSpec {
  /** An existing table holding every column of `columns`. */
  table: string;
  /** The CSV file (left in place). */
  file: string;
  /** The file's columns in order, by the table's column names, each with how its text reads. */
  columns: readonly ColumnSpec[];
}

/**
 * The statements a warehouse runs, on its own or inside {@link Warehouse.transaction}.
 *
 * @example
 * ```ts
 * await warehouse.transaction(async (session: WarehouseSession) => {
 *   await session.addColumns('Account', [{ name: 'Tier__c', type: { kind: 'text' } }]);
 * });
 * ```
 */
export interface WarehouseSession {
  /** The engine: `duckdb`, `postgres`, `snowflake`, ... */
  readonly dialect: string;
  /** An identifier quoted for this engine (case kept exactly). */
  quoteIdentifier(name: string): string;
  /** A table name quoted (and schema-qualified where the engine has a default schema). */
  quoteTable(name: string): string;
  /** The SQL type of a logical type, spelled as {@link listColumns} reports it. */
  columnType(type: ColumnType): string;
  /** The table's columns in order, or `undefined` when it does not exist. */
  listColumns(table: string): Promise<TableColumn[] | undefined>;
  createTable(table: string, columns: readonly ColumnSpec[], options?: CreateTableOptions): Promise<void>;
  /** ALTER TABLE ADD COLUMN for each column (none of them may exist). */
  addColumns(table: string, columns: readonly ColumnSpec[]): Promise<void>;
  /** Drops a table if it exists. */
  dropTable(table: string): Promise<void>;
  /** Replaces `target` by `source` (renamed), dropping the old `target`; readers see one or the other. */
  swapTable(source: string, target: string): Promise<void>;
  /**
   * Bulk-loads rows (values in `columns` order) into an existing table through the engine's bulk path
   * (DuckDB `read_csv`, Postgres `COPY`, Snowflake PUT + COPY), never row-by-row INSERTs. Returns rows loaded.
   */
  load(
    table: string,
    columns: readonly string[],
    rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>,
  ): Promise<number>;
  /**
   * Loads one CSV file (see {@link CsvLoadSpec}) into an existing table through the engine's own CSV loader
   * (DuckDB `read_csv`, Postgres `COPY ... FROM STDIN`, Snowflake PUT + `COPY INTO`), values converted in SQL,
   * no row passing through JavaScript. Returns rows loaded. Optional: without it, the lakehouse parses pages
   * itself and calls {@link load}.
   */
  loadCsv?(spec: CsvLoadSpec): Promise<number>;
  /** MERGE staging into target (see {@link MergeSpec}). */
  merge(spec: MergeSpec): Promise<MergeResult>;
  /** Runs one statement with `$1`-style parameters; returns rows changed (0 when unknown). */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Streams a query's rows (never collected: engines read by chunks or server-side cursors). Breaking out of
   * the loop releases the cursor.
   */
  query(sql: string, params?: readonly SqlValue[]): AsyncIterable<WarehouseRow>;
}

/**
 * A warehouse engine: {@link WarehouseSession} plus transactions and closing.
 *
 * @example
 * ```ts
 * import { openDuckDbWarehouse } from '@kicksaw/warehouse-duckdb';
 * const warehouse: Warehouse = await openDuckDbWarehouse({ path: '.kicksaw/warehouse.duckdb' });
 * await warehouse.close();
 * ```
 */
export interface Warehouse extends WarehouseSession {
  /**
   * Runs `fn` in one transaction (DDL included where the engine allows it): committed when `fn` resolves,
   * rolled back when it throws.
   */
  transaction<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T>;
  /** Closes connections the engine opened (not a pool or instance the caller passed in). */
  close(): Promise<void>;
}
