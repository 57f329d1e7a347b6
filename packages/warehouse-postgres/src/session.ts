/** The statements of the contract on pooled PostgreSQL clients: cursor-streamed reads, COPY loads, MERGE. */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AnsiSession,
  type ColumnSpec,
  type ColumnTypeNames,
  type CsvLoadSpec,
  csvCellSql,
  csvChunks,
  type SqlValue,
  sqlParam,
  statementFailure,
  type TableColumn,
  type WarehouseRow,
} from '@kicksaw/lakehouse';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PostgresWarehouseError } from './errors.js';
import { POSTGRES_CSV_CASTS, POSTGRES_TYPES, TYPES } from './values.js';

function fail(sql: string, error: unknown): never {
  throw new PostgresWarehouseError(statementFailure('Postgres', sql, error), error);
}

/** A server error (it has a severity) is reported with the statement; an error of the rows themselves as it is. */
function failCopy(sql: string, error: unknown): never {
  if ((error as { severity?: string }).severity !== undefined) fail(sql, error);
  throw error;
}

export interface Lease {
  client: pg.PoolClient;
  /** Whether the client is inside the caller's transaction (cursors then need no BEGIN of their own). */
  inTransaction: boolean;
  release(): void;
}

let cursorCounter = 0;

export class PostgresSession extends AnsiSession {
  readonly dialect = 'postgres';
  protected readonly typeNames: ColumnTypeNames = POSTGRES_TYPES;

  constructor(
    protected readonly lease: () => Promise<Lease>,
    protected readonly schema: string,
    protected readonly fetchSize: number,
  ) {
    super();
  }

  override quoteTable(name: string): string {
    return `${this.quoteIdentifier(this.schema)}.${this.quoteIdentifier(name)}`;
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const { client, release } = await this.lease();
    try {
      const result = await client.query({ text: sql, values: params.map(sqlParam), types: TYPES });
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
        await client.query({ text: `DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, values: params.map(sqlParam) });
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

  /** One `ALTER TABLE` with every column. */
  override async addColumns(table: string, columns: readonly ColumnSpec[]): Promise<void> {
    if (columns.length === 0) return;
    await this.execute(
      `ALTER TABLE ${this.quoteTable(table)} ${columns.map((c) => `ADD COLUMN ${this.quoteIdentifier(c.name)} ${this.columnType(c.type)}`).join(', ')}`,
    );
  }

  /** `COPY ... FROM STDIN (FORMAT csv)` fed from the rows as they come, with back-pressure. */
  async load(
    table: string,
    columns: readonly string[],
    rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>,
  ): Promise<number> {
    const { client, release } = await this.lease();
    const sql = `COPY ${this.quoteTable(table)} (${columns.map((c) => this.quoteIdentifier(c)).join(', ')}) FROM STDIN WITH (FORMAT csv)`;
    const counter = { rows: 0 };
    try {
      await pipeline(Readable.from(csvChunks(rows, counter)), client.query(copyFrom(sql)));
      return counter.rows;
    } catch (error) {
      failCopy(sql, error);
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
    const raw = this.quoteIdentifier(`_kicksaw_csv_${randomUUID().replaceAll('-', '')}`);
    const cells = spec.columns.map((_, i) => `c${i}`);
    let sql = `CREATE TEMPORARY TABLE ${raw} (${cells.map((c) => `${c} text`).join(', ')})`;
    try {
      await client.query(sql);
      try {
        sql = `COPY ${raw} FROM STDIN WITH (FORMAT csv, HEADER true, FORCE_NULL (${cells.join(', ')}))`;
        await pipeline(createReadStream(spec.file), client.query(copyFrom(sql)));
        const values = spec.columns.map((c, i) => csvCellSql(cells[i] as string, c.type, POSTGRES_CSV_CASTS));
        sql = `INSERT INTO ${this.quoteTable(spec.table)} (${spec.columns.map((c) => this.quoteIdentifier(c.name)).join(', ')}) SELECT ${values.join(', ')} FROM ${raw}`;
        const result = await client.query(sql);
        return result.rowCount ?? 0;
      } finally {
        await client.query(`DROP TABLE IF EXISTS ${raw}`);
      }
    } catch (error) {
      failCopy(sql, error);
    } finally {
      release();
    }
  }
}
