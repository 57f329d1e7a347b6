/** The statements of the contract on DuckDB connections: reads by chunks, loads through CSV files, merges. */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import {
  AnsiSession,
  type ColumnTypeNames,
  type CsvLoadSpec,
  csvCellSql,
  csvParts,
  type MergeResult,
  type MergeSpec,
  type SqlValue,
  standardMerge,
  statementFailure,
  type TableColumn,
  type WarehouseRow,
} from '@kicksaw/lakehouse';
import { DuckDbWarehouseError } from './errors.js';
import { DUCKDB_CSV_CASTS, DUCKDB_TYPES, fromValue, toParam } from './values.js';

function fail(sql: string, error: unknown): never {
  throw new DuckDbWarehouseError(statementFailure('DuckDB', sql, error), error);
}

/** A string literal for DuckDB. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The connections a session runs on: one for statements, one per streamed read (released when done). */
export interface DuckDbConnections {
  connection: () => Promise<DuckDBConnection>;
  streamConnection: () => Promise<{ connection: DuckDBConnection; release: () => void }>;
  /** Runs a load with the instance's `threads` lowered for its duration (shared by every session of a warehouse). */
  duringLoad: <T>(load: () => Promise<T>) => Promise<T>;
}

/**
 * DuckDB's `threads` lowered while loads run, and put back once none runs. `threads` is a setting of the whole
 * instance (no connection has its own), so the loads of every session of one warehouse share one count.
 *
 * Why: a load (`read_csv` or `COPY` into a table) costs about twice the CPU with DuckDB's default of a thread a
 * core as with one thread, and takes longer, since the threads wait on each other and on the cores the download
 * and the org need (measured: 400,000 Accounts of 55 columns, 3.4 s CPU with one thread, 7.6 s with two; README
 * of the lakehouse, Performance).
 */
export class LoadThreads {
  private running = 0;
  /** The lowering under way or done (every load waits for it), and the value to put back. */
  private lowered: Promise<string | undefined> | undefined;
  /** Every `SET` in order: a lowering for a new load waits for the restore of the loads before it. */
  private settings: Promise<unknown> = Promise.resolve();

  constructor(
    /** A connection of its own for the `SET` (closed after use), so it never waits behind a session's statement. */
    private readonly connect: () => Promise<DuckDBConnection>,
    /** Threads during loads; undefined leaves DuckDB's setting alone. */
    private readonly threads: number | undefined,
  ) {}

  async run<T>(load: () => Promise<T>): Promise<T> {
    const threads = this.threads;
    if (threads === undefined) return load();
    this.running++;
    try {
      this.lowered ??= this.set(threads).catch((error: unknown) => {
        throw new DuckDbWarehouseError(
          `DuckDB: cannot set threads to ${threads} for a load (pass loadThreads: false to leave them): ${error instanceof Error ? error.message : String(error)}`,
          error,
        );
      });
      await this.lowered;
      return await load();
    } finally {
      if (--this.running === 0) {
        const lowered = this.lowered;
        this.lowered = undefined;
        // Queued now, so a load that starts meanwhile lowers the threads again after this restore, not before it.
        // A restore that fails leaves the instance on fewer threads (slower, never wrong): not worth failing a
        // load that succeeded.
        await this.queue(async () => {
          const restore = await lowered?.catch(() => undefined);
          return restore === undefined ? undefined : this.setNow(Number(restore));
        }).catch(() => undefined);
      }
    }
  }

  /** Sets `threads` after the `SET`s before it; returns the value before, or undefined when it was already that. */
  private set(threads: number): Promise<string | undefined> {
    return this.queue(() => this.setNow(threads));
  }

  private queue<T>(step: () => Promise<T>): Promise<T> {
    const done = this.settings.then(step);
    this.settings = done.catch(() => undefined);
    return done;
  }

  private async setNow(threads: number): Promise<string | undefined> {
    const connection = await this.connect();
    try {
      const reader = await connection.runAndReadAll("SELECT current_setting('threads')::VARCHAR AS v");
      const before = String(reader.getRows()[0]?.[0]);
      if (before === String(threads)) return undefined;
      await connection.run(`SET threads = ${Math.max(1, Math.trunc(threads))}`);
      return before;
    } finally {
      connection.closeSync();
    }
  }
}

export class DuckDbSession extends AnsiSession {
  readonly dialect = 'duckdb';
  protected readonly typeNames: ColumnTypeNames = DUCKDB_TYPES;
  // No PRIMARY KEY constraint, even when asked: DuckDB's index costs memory and load time (about 7 s and 100 MB
  // more for a 100,000-row first load here) and MERGE joins by hash without it. Keys stay unique because the
  // lakehouse writes synced tables only through merge(), which deduplicates.
  protected override readonly declaresPrimaryKey = false;

  constructor(
    protected readonly connections: DuckDbConnections,
    protected readonly tempDirectory: string | undefined,
    protected readonly loadPartRows: number,
  ) {
    super();
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const connection = await this.connections.connection();
    try {
      const result = await connection.run(sql, params.length > 0 ? params.map(toParam) : undefined);
      return result.rowsChanged;
    } catch (error) {
      fail(sql, error);
    }
  }

  async *query(sql: string, params: readonly SqlValue[] = []): AsyncIterable<WarehouseRow> {
    const { connection, release } = await this.connections.streamConnection();
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
        // Read by columns (an array a column of the chunk), not getRows() (an array a row besides its object).
        const columns = chunk.getColumns();
        for (let r = 0; r < chunk.rowCount; r++) {
          const row: WarehouseRow = {};
          for (let i = 0; i < names.length; i++) {
            row[names[i] as string] = fromValue((columns[i] as DuckDBValue[])[r] as DuckDBValue);
          }
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
      `COPY ${this.quoteTable(table)} (${columns.map((c) => this.quoteIdentifier(c)).join(', ')}) FROM ${literal(file)} (FORMAT csv, HEADER false, DELIMITER ',', QUOTE '"', ESCAPE '"', NULL '', ALLOW_QUOTED_NULLS false, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S.%g', MAX_LINE_SIZE 4194304, BUFFER_SIZE 16777216)`;
    let count = 0;
    // One COPY at a time, in order; the next part is written meanwhile (at most one part waits for its COPY).
    let copying: Promise<void> = Promise.resolve();
    let failure: { error: unknown } | undefined;
    try {
      for await (const part of csvParts(rows, { directory, partRows: this.loadPartRows })) {
        await copying;
        if (failure) throw failure.error;
        count += part.rows;
        copying = this.connections
          .duringLoad(() => this.execute(copySql(part.path)))
          .then(
            () => rm(part.path, { force: true }),
            async (error: unknown) => {
              failure = { error };
              await rm(part.path, { force: true });
            },
          );
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
   * logical type (a datetime cast with its `Z`, read as UTC with its milliseconds), empty values null. DuckDB
   * parses the file in native code; no row passes through JavaScript. Lines up to 8 MB (long text fields); the
   * reader's buffers are 8 MB too, the least DuckDB allows for that line size: it holds two of them, and buffers
   * of 16 MB took more page faults, CPU and peak memory in a probe (README of the lakehouse, Performance).
   */
  async loadCsv(spec: CsvLoadSpec): Promise<number> {
    const columns = spec.columns;
    const struct = columns.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
    const values = columns.map((column, i) => csvCellSql(`c${i}`, column.type, DUCKDB_CSV_CASTS)).join(', ');
    const sql = `INSERT INTO ${this.quoteTable(spec.table)} (${columns.map((c) => this.quoteIdentifier(c.name)).join(', ')})
SELECT ${values} FROM read_csv(${literal(spec.file)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = true, columns = {${struct}}, max_line_size = 8388608, buffer_size = 8388608, strict_mode = true)`;
    return this.connections.duringLoad(() => this.execute(sql));
  }

  override merge(spec: MergeSpec): Promise<MergeResult> {
    return standardMerge(this, spec, (matched, counts) =>
      this.replaceRows(matched, counts.inserted > 0, counts.duplicates > 0),
    );
  }

  /**
   * What the MERGE does, as delete + append: the staged rows that replace target rows (deduplicated, guarded by
   * the version) are gathered with the target's other columns (kept as they are) in a temporary table, their old
   * rows deleted, then they and the new keys appended. Why not MERGE: DuckDB updates rows in place, and rows
   * updated all over a large table (a delta is spread across it) make the next checkpoint rewrite every row group
   * they touch, all columns, which cost an incremental sync of 1% of 1,000,000 rows most of its time; a delete
   * only marks rows, and the appended rows fill new row groups. The staged rows with new keys are appended only
   * when the counts found any (`newKeys`): looking for them is an anti-join over the whole target (1.7 s of the
   * 4.4 s of this merge for 10,230 updates into 1,000,000 rows, none of them new). Staging is deduplicated only
   * when the counts found a key staged twice (`duplicates`): `DISTINCT ON` over every column costs an ordered
   * aggregate a column (0.31 s of the 0.45 s gathering 9,976 rows of 55 columns took).
   */
  private async replaceRows(spec: MergeSpec, newKeys: boolean, duplicates: boolean): Promise<void> {
    const q = (name: string) => this.quoteIdentifier(name);
    const key = q(spec.key);
    const target = this.quoteTable(spec.target);
    const version = spec.versionColumn ? q(spec.versionColumn) : undefined;
    const order = version ? `${key}, ${version} DESC NULLS LAST` : key;
    const staging = this.quoteTable(spec.staging);
    const deduped = duplicates ? `(SELECT DISTINCT ON (${key}) * FROM ${staging} ORDER BY ${order})` : staging;
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
      if (newKeys) {
        await this.execute(
          `INSERT INTO ${target} (${spec.columns.map(q).join(', ')}) SELECT ${spec.columns.map((c) => `s.${q(c)}`).join(', ')} FROM ${deduped} AS s WHERE NOT EXISTS (SELECT 1 FROM ${target} AS t WHERE t.${key} = s.${key})`,
        );
      }
    } finally {
      await this.execute(`DROP TABLE IF EXISTS ${replaced}`);
    }
  }
}
