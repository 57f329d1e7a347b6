/**
 * What the engines with ANSI quoting and DDL (DuckDB, PostgreSQL) share of a {@link WarehouseSession}: the
 * table statements, written once on top of the engine's `execute`, `quoteTable` and type names.
 */
import { standardMerge } from './merge-sql.js';
import { type ColumnTypeNames, columnTypeSql, quoteAnsiIdentifier } from './sql.js';
import type {
  ColumnSpec,
  ColumnType,
  CreateTableOptions,
  MergeResult,
  MergeSpec,
  SqlValue,
  TableColumn,
  WarehouseRow,
  WarehouseSession,
} from './warehouse.js';

/**
 * A base for engine sessions with ANSI identifiers (`"Name"`) and `DROP TABLE IF EXISTS` / `ALTER TABLE ...
 * RENAME TO` / `ADD COLUMN`: an engine supplies its statements (`execute`, `query`, `load`), its table quoting
 * and its {@link ColumnTypeNames}; `merge` is {@link standardMerge}.
 *
 * @example
 * ```ts
 * // an engine's session: its statements (execute, query, load, listColumns) are left abstract here
 * abstract class MySession extends AnsiSession {
 *   readonly dialect = 'mine';
 *   protected readonly typeNames = MY_TYPE_NAMES;
 * }
 * ```
 */
export abstract class AnsiSession implements WarehouseSession {
  abstract readonly dialect: string;
  /** The engine's SQL type names. */
  protected abstract readonly typeNames: ColumnTypeNames;
  /** Whether `CREATE TABLE` declares the primary key it is asked for. */
  protected readonly declaresPrimaryKey: boolean = true;

  abstract execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
  abstract query(sql: string, params?: readonly SqlValue[]): AsyncIterable<WarehouseRow>;
  abstract listColumns(table: string): Promise<TableColumn[] | undefined>;
  abstract load(
    table: string,
    columns: readonly string[],
    rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>,
  ): Promise<number>;

  quoteIdentifier(name: string): string {
    return quoteAnsiIdentifier(name);
  }

  quoteTable(name: string): string {
    return quoteAnsiIdentifier(name);
  }

  columnType(type: ColumnType): string {
    return columnTypeSql(type, this.typeNames);
  }

  /** `CREATE TABLE` (`replace`: the old table dropped first), the primary key declared where the engine wants it. */
  async createTable(table: string, columns: readonly ColumnSpec[], options: CreateTableOptions = {}): Promise<void> {
    const definitions = columns.map((c) => `${this.quoteIdentifier(c.name)} ${this.columnType(c.type)}`);
    if (options.primaryKey && this.declaresPrimaryKey) {
      definitions.push(`PRIMARY KEY (${this.quoteIdentifier(options.primaryKey)})`);
    }
    if (options.replace) await this.dropTable(table);
    await this.execute(`CREATE TABLE ${this.quoteTable(table)} (${definitions.join(', ')})`);
  }

  async addColumns(table: string, columns: readonly ColumnSpec[]): Promise<void> {
    for (const column of columns) {
      await this.execute(
        `ALTER TABLE ${this.quoteTable(table)} ADD COLUMN ${this.quoteIdentifier(column.name)} ${this.columnType(column.type)}`,
      );
    }
  }

  async dropTable(table: string): Promise<void> {
    await this.execute(`DROP TABLE IF EXISTS ${this.quoteTable(table)}`);
  }

  async swapTable(source: string, target: string): Promise<void> {
    await this.execute(`DROP TABLE IF EXISTS ${this.quoteTable(target)}`);
    await this.execute(`ALTER TABLE ${this.quoteTable(source)} RENAME TO ${this.quoteIdentifier(target)}`);
  }

  merge(spec: MergeSpec): Promise<MergeResult> {
    return standardMerge(this, spec);
  }
}
