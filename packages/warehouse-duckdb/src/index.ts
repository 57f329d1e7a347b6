import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, DuckDBTimestampValue, type DuckDBValue } from '@duckdb/node-api';
import { KicksawError } from '@kicksaw/core';
import {
  type ColumnSpec,
  type ColumnType,
  type CreateTableOptions,
  type CsvLoadSpec,
  csvLine,
  type MergeResult,
  type MergeSpec,
  quoteAnsiIdentifier,
  type SqlValue,
  sqlTimestamp,
  standardMergeSql,
  type TableColumn,
  type Warehouse,
  type WarehouseRow,
  type WarehouseSession,
} from '@kicksaw/lakehouse';

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
}

/**
 * An error of the DuckDB warehouse: `code` `DUCKDB_ERROR`, the failing statement's start in the message,
 * DuckDB's own error as `cause`.
 *
 * @example
 * ```ts
 * try { await warehouse.execute('SELEC 1'); } catch (error) { if (error instanceof DuckDbWarehouseError) console.error(error.message); }
 * ```
 */
export class DuckDbWarehouseError extends KicksawError {
  constructor(message: string, cause: unknown) {
    super(message, { code: 'DUCKDB_ERROR', cause });
  }
}

function columnType(type: ColumnType): string {
  switch (type.kind) {
    case 'id':
    case 'text':
      // DuckDB keeps no length on VARCHAR (VARCHAR(18) is accepted and reported as VARCHAR).
      return 'VARCHAR';
    case 'boolean':
      return 'BOOLEAN';
    case 'integer':
      return 'BIGINT';
    case 'decimal':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'double':
      return 'DOUBLE';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'time':
      return 'TIME';
    case 'sql':
      return type.sql;
  }
}

/** A CSV cell (text, null when empty) as a value of its logical type: the SQL of {@link DuckDbSession.loadCsv}. */
function duckDbCsvValue(cell: string, type: ColumnType): string {
  switch (type.kind) {
    case 'boolean':
      return `CAST(${cell} AS BOOLEAN)`;
    case 'integer':
      return `CAST(${cell} AS BIGINT)`;
    case 'decimal':
    case 'double':
    case 'date':
      return `CAST(${cell} AS ${columnType(type)})`;
    case 'timestamp':
      return `CAST(rtrim(${cell}, 'Z') AS TIMESTAMP)`;
    case 'time':
      return `CAST(rtrim(${cell}, 'Z') AS TIME)`;
    default:
      return cell;
  }
}

function toParam(value: SqlValue): DuckDBValue {
  if (value instanceof Date) return sqlTimestamp(value);
  return value;
}

function fromValue(value: DuckDBValue): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') {
    return value;
  }
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof DuckDBTimestampValue) return new Date(Number(value.micros / 1000n));
  return String(value);
}

function fail(sql: string, error: unknown): never {
  const statement = sql.replace(/\s+/g, ' ').slice(0, 160);
  const reason = error instanceof Error ? error.message : String(error);
  throw new DuckDbWarehouseError(`DuckDB: ${reason} (statement: ${statement})`, error);
}

class DuckDbSession implements WarehouseSession {
  readonly dialect = 'duckdb';
  constructor(
    protected readonly connection: () => Promise<DuckDBConnection>,
    protected readonly streamConnection: () => Promise<{ connection: DuckDBConnection; release: () => void }>,
    protected readonly tempDirectory: string | undefined,
    protected readonly loadPartRows: number,
  ) {}

  quoteIdentifier(name: string): string {
    return quoteAnsiIdentifier(name);
  }

  quoteTable(name: string): string {
    return quoteAnsiIdentifier(name);
  }

  columnType(type: ColumnType): string {
    return columnType(type);
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const connection = await this.connection();
    try {
      const result = await connection.run(sql, params.length > 0 ? params.map(toParam) : undefined);
      return result.rowsChanged;
    } catch (error) {
      fail(sql, error);
    }
  }

  async *query(sql: string, params: readonly SqlValue[] = []): AsyncIterable<WarehouseRow> {
    const { connection, release } = await this.streamConnection();
    try {
      let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
      try {
        result = await connection.stream(sql, params.length > 0 ? params.map(toParam) : undefined);
      } catch (error) {
        fail(sql, error);
      }
      const names = result.deduplicatedColumnNames();
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const values of chunk.getRows()) {
          const row: WarehouseRow = {};
          for (let i = 0; i < names.length; i++) row[names[i] as string] = fromValue(values[i] as DuckDBValue);
          yield row;
        }
      }
    } finally {
      release();
    }
  }

  async listColumns(table: string): Promise<TableColumn[] | undefined> {
    const columns: TableColumn[] = [];
    for await (const row of this.query(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
      [table],
    )) {
      columns.push({ name: String(row.column_name), sqlType: String(row.data_type) });
    }
    return columns.length > 0 ? columns : undefined;
  }

  async createTable(table: string, columns: readonly ColumnSpec[], options: CreateTableOptions = {}): Promise<void> {
    // No PRIMARY KEY constraint, even when asked: DuckDB's index costs memory and load time (about 7 s and 100 MB
    // more for a 100,000-row first load here) and MERGE joins by hash without it. Keys stay unique because the
    // lakehouse writes synced tables only through merge(), which deduplicates.
    const definitions = columns.map((c) => `${quoteAnsiIdentifier(c.name)} ${columnType(c.type)}`);
    await this.execute(
      `CREATE ${options.replace ? 'OR REPLACE ' : ''}TABLE ${this.quoteTable(table)} (${definitions.join(', ')})`,
    );
  }

  async addColumns(table: string, columns: readonly ColumnSpec[]): Promise<void> {
    for (const column of columns) {
      await this.execute(
        `ALTER TABLE ${this.quoteTable(table)} ADD COLUMN ${quoteAnsiIdentifier(column.name)} ${columnType(column.type)}`,
      );
    }
  }

  async dropTable(table: string): Promise<void> {
    await this.execute(`DROP TABLE IF EXISTS ${this.quoteTable(table)}`);
  }

  async swapTable(source: string, target: string): Promise<void> {
    await this.execute(`DROP TABLE IF EXISTS ${this.quoteTable(target)}`);
    await this.execute(`ALTER TABLE ${this.quoteTable(source)} RENAME TO ${quoteAnsiIdentifier(target)}`);
  }

  /**
   * Rows are written as CSV to temporary files (streamed, with back-pressure) of `loadPartRows` rows each, and
   * each file is loaded with one `COPY` while the next one is written: DuckDB's CSV reader is far faster than
   * values appended one by one from JavaScript, and loading overlaps with a slow source (a Bulk query).
   */
  async load(
    table: string,
    columns: readonly string[],
    rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>,
  ): Promise<number> {
    const base = this.tempDirectory ?? tmpdir();
    await mkdir(base, { recursive: true });
    const directory = await mkdtemp(join(base, 'kicksaw-duckdb-'));
    const copySql = (file: string) =>
      `COPY ${this.quoteTable(table)} (${columns.map(quoteAnsiIdentifier).join(', ')}) FROM '${file.replaceAll("'", "''")}' (FORMAT csv, HEADER false, DELIMITER ',', QUOTE '"', ESCAPE '"', NULL '', ALLOW_QUOTED_NULLS false, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S.%g', MAX_LINE_SIZE 4194304, BUFFER_SIZE 16777216)`;
    let count = 0;
    let parts = 0;
    // One COPY at a time, in order; the next part is written meanwhile.
    let copying: Promise<void> = Promise.resolve();
    let failure: { error: unknown } | undefined;
    const startCopy = (file: string) => {
      copying = copying.then(async () => {
        if (failure) return;
        try {
          await this.execute(copySql(file));
        } catch (error) {
          failure = { error };
        } finally {
          await rm(file, { force: true });
        }
      });
    };
    try {
      let out: ReturnType<typeof createWriteStream> | undefined;
      let file = '';
      let inPart = 0;
      let buffer = '';
      const finishPart = async () => {
        if (!out) return;
        if (buffer.length > 0) out.write(buffer);
        buffer = '';
        const closed = once(out, 'close');
        out.end();
        await closed;
        out = undefined;
        // Back-pressure: at most one part waits for its COPY while the next is written.
        await copying;
        if (failure) throw failure.error;
        startCopy(file);
      };
      try {
        for await (const row of rows) {
          if (!out) {
            parts++;
            file = join(directory, `part-${parts}.csv`);
            out = createWriteStream(file);
            inPart = 0;
          }
          buffer += csvLine(row);
          count++;
          inPart++;
          if (buffer.length >= 1 << 20) {
            if (!out.write(buffer)) await once(out, 'drain');
            buffer = '';
          }
          if (inPart >= this.loadPartRows) await finishPart();
        }
        await finishPart();
      } finally {
        if (out) {
          const closed = once(out, 'close');
          out.end();
          await closed;
        }
      }
      await copying;
      if (failure) throw failure.error;
      return count;
    } finally {
      await copying;
      await rm(directory, { recursive: true, force: true });
    }
  }

  /**
   * One `INSERT ... SELECT` from `read_csv` of the file: every column read as text, converted in SQL by its
   * logical type (a datetime's `Z` dropped before the cast, so milliseconds stay), empty values null. DuckDB
   * parses the file in parallel in native code; no row passes through JavaScript.
   */
  async loadCsv(spec: CsvLoadSpec): Promise<number> {
    const columns = spec.columns;
    const struct = columns.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
    const values = columns.map((column, i) => duckDbCsvValue(`c${i}`, column.type)).join(', ');
    const sql = `INSERT INTO ${this.quoteTable(spec.table)} (${columns.map((c) => quoteAnsiIdentifier(c.name)).join(', ')})
SELECT ${values} FROM read_csv('${spec.file.replaceAll("'", "''")}', header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = true, columns = {${struct}}, max_line_size = 8388608, buffer_size = 16777216, strict_mode = true)`;
    return this.execute(sql);
  }

  /**
   * What the MERGE does, as delete + append: the staged rows that replace target rows (deduplicated, guarded by
   * the version) are gathered with the target's other columns (kept as they are) in a temporary table, their old
   * rows deleted, then they and the new keys appended. Why not MERGE: DuckDB updates rows in place, and rows
   * updated all over a large table (a delta is spread across it) make the next checkpoint rewrite every row group
   * they touch, all columns, which cost an incremental sync of 1% of 1,000,000 rows most of its time; a delete
   * only marks rows, and the appended rows fill new row groups.
   */
  private async replaceRows(spec: MergeSpec): Promise<void> {
    const q = quoteAnsiIdentifier;
    const key = q(spec.key);
    const target = this.quoteTable(spec.target);
    const version = spec.versionColumn ? q(spec.versionColumn) : undefined;
    const order = version ? `${key}, ${version} DESC NULLS LAST` : key;
    const deduped = `(SELECT DISTINCT ON (${key}) * FROM ${this.quoteTable(spec.staging)} ORDER BY ${order})`;
    const written = new Set(spec.columns);
    const others = ((await this.listColumns(spec.target)) ?? []).map((c) => c.name).filter((n) => !written.has(n));
    const guard = version ? `(t.${version} IS NULL OR s.${version} >= t.${version})` : 'TRUE';
    const replaced = q(`_kicksaw_replace_${randomUUID().replaceAll('-', '')}`);
    const columns = [...spec.columns, ...others].map(q).join(', ');
    await this.execute(
      `CREATE TEMPORARY TABLE ${replaced} AS SELECT ${[...spec.columns.map((c) => `s.${q(c)}`), ...others.map((c) => `t.${q(c)}`)].join(', ')} FROM ${deduped} AS s JOIN ${target} AS t ON t.${key} = s.${key} WHERE ${guard}`,
    );
    try {
      await this.execute(`DELETE FROM ${target} WHERE ${key} IN (SELECT ${key} FROM ${replaced})`);
      await this.execute(`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${replaced}`);
      await this.execute(
        `INSERT INTO ${target} (${spec.columns.map(q).join(', ')}) SELECT ${spec.columns.map((c) => `s.${q(c)}`).join(', ')} FROM ${deduped} AS s WHERE NOT EXISTS (SELECT 1 FROM ${target} AS t WHERE t.${key} = s.${key})`,
      );
    } finally {
      await this.execute(`DROP TABLE IF EXISTS ${replaced}`);
    }
  }

  async merge(spec: MergeSpec): Promise<MergeResult> {
    const { countSql, mergeSql, insertSql, insertAllSql } = standardMergeSql(spec, quoteAnsiIdentifier, (t) =>
      this.quoteTable(t),
    );
    let counts: WarehouseRow = {};
    for await (const row of this.query(countSql)) counts = row;
    // Nothing to update (a first or full load): a plain INSERT of the deduplicated rows is much cheaper than MERGE.
    const allNew = Number(counts.updated ?? 0) + Number(counts.unchanged ?? 0) + Number(counts.stale ?? 0) === 0;
    // Without duplicates the staged rows go in as they are, without the sort DISTINCT ON needs.
    const noDuplicates = Number(counts.staged ?? 0) === Number(counts.inserted ?? 0);
    if (allNew) await this.execute(noDuplicates ? insertAllSql : insertSql);
    else if (Number(counts.updated ?? 0) + Number(counts.unchanged ?? 0) > 0) await this.replaceRows(spec);
    else await this.execute(mergeSql);
    const inserted = Number(counts.inserted ?? 0);
    const updated = Number(counts.updated ?? 0);
    const unchanged = Number(counts.unchanged ?? 0);
    const stale = Number(counts.stale ?? 0);
    return {
      inserted,
      updated,
      unchanged,
      stale,
      duplicates: Number(counts.staged ?? 0) - inserted - updated - unchanged - stale,
    };
  }
}

class DuckDbWarehouse extends DuckDbSession implements Warehouse {
  constructor(
    private readonly instance: DuckDBInstance,
    private readonly main: DuckDBConnection,
    private readonly ownsInstance: boolean,
    tempDirectory: string | undefined,
    loadPartRows: number,
  ) {
    super(
      async () => main,
      async () => {
        const connection = await instance.connect();
        return { connection, release: () => connection.closeSync() };
      },
      tempDirectory,
      loadPartRows,
    );
  }

  async transaction<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect();
    // Inside a transaction every statement, reads included, runs on its one connection.
    const session = new DuckDbSession(
      async () => connection,
      async () => ({ connection, release: () => undefined }),
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
  return new DuckDbWarehouse(instance, main, owns, options.tempDirectory, options.loadPartRows ?? 100_000);
}
