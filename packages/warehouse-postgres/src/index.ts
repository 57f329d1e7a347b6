import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * Options of {@link openPostgresWarehouse}: a connection string (a pool is opened and closed by the
 * warehouse) or a pool of your own (left open by `close()`).
 *
 * @example
 * ```ts
 * const byUrl: PostgresWarehouseOptions = { connectionString: 'postgres://me@127.0.0.1:5432/analytics', schema: 'salesforce' };
 * ```
 */
export type PostgresWarehouseOptions = ({ connectionString: string } | { pool: pg.Pool }) & {
  /** The schema of every table (created when missing). Default `public`. */
  schema?: string;
  /** Rows fetched per cursor round trip when streaming a query. Default 2,000. */
  fetchSize?: number;
};

/**
 * An error of the Postgres warehouse: `code` `POSTGRES_ERROR`, the failing statement's start in the message,
 * the driver's error (with its SQLSTATE `code`) as `cause`.
 *
 * @example
 * ```ts
 * try { await warehouse.execute('SELEC 1'); } catch (error) { if (error instanceof PostgresWarehouseError) console.error(error.message); }
 * ```
 */
export class PostgresWarehouseError extends KicksawError {
  constructor(message: string, cause: unknown) {
    super(message, { code: 'POSTGRES_ERROR', cause });
  }
}

function columnType(type: ColumnType): string {
  // Spelled as format_type() reports them, so listColumns() and columnType() compare equal.
  switch (type.kind) {
    case 'id':
      return 'character varying(18)';
    case 'text':
      return 'text';
    case 'boolean':
      return 'boolean';
    case 'integer':
      return 'bigint';
    case 'decimal':
      return `numeric(${type.precision},${type.scale})`;
    case 'double':
      return 'double precision';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp(3) without time zone';
    case 'time':
      return 'time(3) without time zone';
    case 'sql':
      return type.sql;
  }
}

/** A CSV cell (text, null when empty) as a value of its logical type: the SQL of `loadCsv`. */
function postgresCsvValue(cell: string, type: ColumnType): string {
  switch (type.kind) {
    case 'id':
    case 'text':
      return cell;
    case 'timestamp':
      // Salesforce writes UTC with a Z: read as a zoned instant, shown in UTC, whatever the session's TimeZone.
      return `(CAST(${cell} AS timestamp with time zone) AT TIME ZONE 'UTC')`;
    case 'time':
      return `CAST(rtrim(${cell}, 'Z') AS ${columnType(type)})`;
    default:
      return `CAST(${cell} AS ${columnType(type)})`;
  }
}

const TIMESTAMP = 1114;
const DATE = 1082;
const TIME = 1083;
const INT8 = 20;
const NUMERIC = 1700;

/**
 * Value parsers per query (the pool's global parsers are left alone): `timestamp` is UTC (pg would read it in
 * the machine's time zone), `date` and `time` stay text, `bigint` is a number when it fits, `numeric` text.
 */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
    switch (oid) {
      case TIMESTAMP:
        return (text: string) => new Date(`${text.replace(' ', 'T')}Z`);
      case DATE:
      case TIME:
      case NUMERIC:
        return (text: string) => text;
      case INT8:
        return (text: string) => {
          const n = Number(text);
          return Number.isSafeInteger(n) ? n : text;
        };
      default:
        return pg.types.getTypeParser(oid, 'text');
    }
  },
} as pg.CustomTypesConfig;

function toParam(value: SqlValue): unknown {
  if (value instanceof Date) return sqlTimestamp(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function fail(sql: string, error: unknown): never {
  const statement = sql.replace(/\s+/g, ' ').slice(0, 160);
  const reason = error instanceof Error ? error.message : String(error);
  throw new PostgresWarehouseError(`Postgres: ${reason} (statement: ${statement})`, error);
}

interface Lease {
  client: pg.PoolClient;
  /** Whether the client is inside the caller's transaction (cursors then need no BEGIN of their own). */
  inTransaction: boolean;
  release(): void;
}

let cursorCounter = 0;

class PostgresSession implements WarehouseSession {
  readonly dialect = 'postgres';
  constructor(
    protected readonly lease: () => Promise<Lease>,
    protected readonly schema: string,
    protected readonly fetchSize: number,
  ) {}

  quoteIdentifier(name: string): string {
    return quoteAnsiIdentifier(name);
  }

  quoteTable(name: string): string {
    return `${quoteAnsiIdentifier(this.schema)}.${quoteAnsiIdentifier(name)}`;
  }

  columnType(type: ColumnType): string {
    return columnType(type);
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const { client, release } = await this.lease();
    try {
      const result = await client.query({ text: sql, values: params.map(toParam), types: TYPES });
      return result.rowCount ?? 0;
    } catch (error) {
      fail(sql, error);
    } finally {
      release();
    }
  }

  /** Streams through a server-side cursor (`DECLARE ... CURSOR`, `FETCH n`): never LIMIT/OFFSET, never all rows at once. */
  async *query(sql: string, params: readonly SqlValue[] = []): AsyncIterable<WarehouseRow> {
    const { client, inTransaction, release } = await this.lease();
    cursorCounter++;
    const cursor = `kicksaw_cursor_${cursorCounter}`;
    let open = false;
    try {
      try {
        if (!inTransaction) await client.query('BEGIN');
        await client.query({ text: `DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, values: params.map(toParam) });
        open = true;
      } catch (error) {
        if (!inTransaction) await client.query('ROLLBACK').catch(() => undefined);
        fail(sql, error);
      }
      for (;;) {
        const page = await client.query({ text: `FETCH ${this.fetchSize} FROM ${cursor}`, types: TYPES });
        for (const row of page.rows as WarehouseRow[]) yield row;
        if (page.rows.length < this.fetchSize) break;
      }
    } finally {
      if (open) {
        if (inTransaction) await client.query(`CLOSE ${cursor}`).catch(() => undefined);
        else await client.query('COMMIT').catch(() => undefined);
      }
      release();
    }
  }

  async listColumns(table: string): Promise<TableColumn[] | undefined> {
    const columns: TableColumn[] = [];
    for await (const row of this.query(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`,
      [this.schema, table],
    )) {
      columns.push({ name: String(row.name), sqlType: String(row.type) });
    }
    return columns.length > 0 ? columns : undefined;
  }

  async createTable(table: string, columns: readonly ColumnSpec[], options: CreateTableOptions = {}): Promise<void> {
    const definitions = columns.map((c) => `${quoteAnsiIdentifier(c.name)} ${columnType(c.type)}`);
    if (options.primaryKey) definitions.push(`PRIMARY KEY (${quoteAnsiIdentifier(options.primaryKey)})`);
    if (options.replace) await this.dropTable(table);
    await this.execute(`CREATE TABLE ${this.quoteTable(table)} (${definitions.join(', ')})`);
  }

  async addColumns(table: string, columns: readonly ColumnSpec[]): Promise<void> {
    if (columns.length === 0) return;
    await this.execute(
      `ALTER TABLE ${this.quoteTable(table)} ${columns.map((c) => `ADD COLUMN ${quoteAnsiIdentifier(c.name)} ${columnType(c.type)}`).join(', ')}`,
    );
  }

  async dropTable(table: string): Promise<void> {
    await this.execute(`DROP TABLE IF EXISTS ${this.quoteTable(table)}`);
  }

  async swapTable(source: string, target: string): Promise<void> {
    await this.execute(`DROP TABLE IF EXISTS ${this.quoteTable(target)}`);
    await this.execute(`ALTER TABLE ${this.quoteTable(source)} RENAME TO ${quoteAnsiIdentifier(target)}`);
  }

  /** `COPY ... FROM STDIN (FORMAT csv)` fed from the rows as they come, with back-pressure. */
  async load(
    table: string,
    columns: readonly string[],
    rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>,
  ): Promise<number> {
    const { client, release } = await this.lease();
    const sql = `COPY ${this.quoteTable(table)} (${columns.map(quoteAnsiIdentifier).join(', ')}) FROM STDIN WITH (FORMAT csv)`;
    let count = 0;
    async function* lines(): AsyncGenerator<string> {
      let buffer = '';
      for await (const row of rows) {
        buffer += csvLine(row);
        count++;
        if (buffer.length >= 256 * 1024) {
          yield buffer;
          buffer = '';
        }
      }
      if (buffer.length > 0) yield buffer;
    }
    try {
      const copy = client.query(copyFrom(sql));
      await pipeline(Readable.from(lines()), copy);
      return count;
    } catch (error) {
      // A server error (it has a severity) is reported with the statement; an error of the rows themselves as it is.
      if ((error as { severity?: string }).severity !== undefined) fail(sql, error);
      throw error;
    } finally {
      release();
    }
  }

  /**
   * The file goes to the server as it is through `COPY ... FROM STDIN (FORMAT csv, HEADER, FORCE_NULL)` into a
   * temporary table of text columns, then one `INSERT ... SELECT` converts each column in SQL by its logical type
   * (a datetime read as UTC whatever the session's time zone) into the table. No row passes through JavaScript.
   */
  async loadCsv(spec: CsvLoadSpec): Promise<number> {
    const { client, release } = await this.lease();
    const raw = quoteAnsiIdentifier(`_kicksaw_csv_${randomUUID().replaceAll('-', '')}`);
    const cells = spec.columns.map((_, i) => `c${i}`);
    let sql = `CREATE TEMPORARY TABLE ${raw} (${cells.map((c) => `${c} text`).join(', ')})`;
    try {
      await client.query(sql);
      try {
        sql = `COPY ${raw} FROM STDIN WITH (FORMAT csv, HEADER true, FORCE_NULL (${cells.join(', ')}))`;
        await pipeline(createReadStream(spec.file), client.query(copyFrom(sql)));
        sql = `INSERT INTO ${this.quoteTable(spec.table)} (${spec.columns.map((c) => quoteAnsiIdentifier(c.name)).join(', ')}) SELECT ${spec.columns.map((c, i) => postgresCsvValue(cells[i] as string, c.type)).join(', ')} FROM ${raw}`;
        const result = await client.query(sql);
        return result.rowCount ?? 0;
      } finally {
        await client.query(`DROP TABLE IF EXISTS ${raw}`);
      }
    } catch (error) {
      if ((error as { severity?: string }).severity !== undefined) fail(sql, error);
      throw error;
    } finally {
      release();
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
    await this.execute(allNew ? (noDuplicates ? insertAllSql : insertSql) : mergeSql);
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

class PostgresWarehouse extends PostgresSession implements Warehouse {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    schema: string,
    fetchSize: number,
  ) {
    super(
      async () => {
        const client = await pool.connect();
        return { client, inTransaction: false, release: () => client.release() };
      },
      schema,
      fetchSize,
    );
  }

  async transaction<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const session = new PostgresSession(
      async () => ({ client, inTransaction: true, release: () => undefined }),
      this.schema,
      this.fetchSize,
    );
    let broken: unknown;
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(session);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw error;
      }
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}

/**
 * Opens a PostgreSQL warehouse (PostgreSQL 15 or later, for `MERGE`): loads through `COPY ... FROM STDIN`,
 * merges with `MERGE`, streams reads through server-side cursors. Tables live in `schema` (default `public`);
 * identifiers are always quoted, so `"Account"."Name"` keeps its case.
 *
 * @example
 * ```ts
 * import { openPostgresWarehouse } from '@kicksaw/warehouse-postgres';
 * import { sync } from '@kicksaw/lakehouse';
 *
 * const warehouse = await openPostgresWarehouse({ connectionString: process.env.DATABASE_URL! });
 * await sync({ connection: conn, warehouse, objects: ['Account', 'Contact'] });
 * await warehouse.close();
 * ```
 */
export async function openPostgresWarehouse(options: PostgresWarehouseOptions): Promise<Warehouse> {
  const owns = !('pool' in options);
  const pool = 'pool' in options ? options.pool : new pg.Pool({ connectionString: options.connectionString, max: 4 });
  const schema = options.schema ?? 'public';
  try {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ version: number }>(
        "SELECT current_setting('server_version_num')::int AS version",
      );
      const version = Number(rows[0]?.version ?? 0);
      if (version < 150000) {
        throw new PostgresWarehouseError(
          `PostgreSQL ${Math.floor(version / 10000)} has no MERGE: use PostgreSQL 15 or later`,
          undefined,
        );
      }
      if (schema !== 'public') await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteAnsiIdentifier(schema)}`);
    } finally {
      client.release();
    }
  } catch (error) {
    if (owns) await pool.end().catch(() => undefined);
    if (error instanceof PostgresWarehouseError) throw error;
    throw new PostgresWarehouseError(
      `Cannot connect to PostgreSQL: ${error instanceof Error ? error.message : String(error)} (check the connection string, that the server runs and accepts this user)`,
      error,
    );
  }
  return new PostgresWarehouse(pool, owns, schema, options.fetchSize ?? 2000);
}
