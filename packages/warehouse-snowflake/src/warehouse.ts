import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { type Logger, silentLogger } from '@kicksaw/core';
import {
  type ColumnSpec,
  type ColumnType,
  type CreateTableOptions,
  type CsvLoadSpec,
  csvLine,
  type MergeResult,
  type MergeSpec,
  type SqlValue,
  type TableColumn,
  type Warehouse,
  type WarehouseRow,
  type WarehouseSession,
} from '@kicksaw/lakehouse';
import type snowflake from 'snowflake-sdk';
import { readSnowflakeConnection } from './connections.js';
import { type DriverSession, openDriverSession, type RetryPolicy, type Statement } from './driver.js';
import { SnowflakeWarehouseError } from './errors.js';
import {
  presentedName,
  quoteSnowflakeIdentifier,
  snowflakeColumnType,
  sqlTypeOf,
  storedName,
  toBindValue,
  toSnowflakeBinds,
} from './sql.js';

/**
 * How {@link WarehouseSession.load} moves rows into Snowflake.
 *
 * - `copy` (default): gzipped CSV files written to a temporary folder, `PUT` to the table's stage, one
 *   `COPY INTO` (then purged). Snowflake's bulk path; memory stays flat.
 * - `insert`: `INSERT ... VALUES (?, ...)` with array binds, `insertBatchRows` rows a statement (the driver
 *   itself moves big batches through a temporary stage). For servers without `COPY INTO` (the local
 *   Snowflake until it has it) and small loads.
 *
 * @example
 * ```ts
 * const method: SnowflakeLoadMethod = 'copy';
 * const warehouse = await openSnowflakeWarehouse({ connectionName: 'dev', loadMethod: method });
 * ```
 */
export type SnowflakeLoadMethod = 'copy' | 'insert';

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

const NUMBER_DIGITS_SAFE = 15;

/**
 * The temporary stage each session creates when it opens (outside any transaction: creating a stage is DDL,
 * which Snowflake would let commit an open transaction). Every load uses a folder of its own in it.
 *
 * @example
 * ```ts
 * for await (const file of warehouse.query(`LIST @${LOAD_STAGE}`)) console.log(file.name); // files of a load under way
 * ```
 */
export const LOAD_STAGE = 'KICKSAW_LOAD';

/** A value read from the driver, in the contract's form (dates as text, timestamps as plain `Date`s). */
function fromDriver(value: unknown, type: string, scale: number): SqlValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'fixed': {
      const text = String(value);
      // With fetchAsString the driver spells NULL as the text 'NULL' (its representNullAsStringNull default,
      // a process-wide setting this engine leaves alone); no number is spelled so.
      if (text === 'NULL') return null;
      if (scale === 0) {
        const n = Number(text);
        return Number.isSafeInteger(n) ? n : text;
      }
      return text.replace(/[-.]/g, '').replace(/^0+/, '').length <= NUMBER_DIGITS_SAFE ? Number(text) : text;
    }
    case 'real':
      return typeof value === 'number' ? value : value === 'NULL' ? null : Number(value);
    case 'date': {
      const date = value as Date;
      return date.toISOString().slice(0, 10);
    }
    case 'timestamp_ntz':
    case 'timestamp_ltz':
    case 'timestamp_tz':
      return new Date((value as Date).getTime());
    case 'boolean':
      return typeof value === 'boolean' ? value : String(value).toLowerCase() === 'true' || String(value) === '1';
    default:
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
      if (value instanceof Date) return new Date(value.getTime());
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

function binds(params: readonly SqlValue[]): snowflake.Bind[] | undefined {
  return params.length > 0 ? params.map(toBindValue) : undefined;
}

/** A CSV cell (text, null when empty) as a value of its logical type: the SQL of `loadCsv`. */
function snowflakeCsvValue(cell: string, type: ColumnType): string {
  switch (type.kind) {
    case 'id':
    case 'text':
      return cell;
    case 'timestamp':
    case 'time':
      // Salesforce writes UTC with a Z; the column keeps no zone (TIMESTAMP_NTZ), so the Z goes before the cast.
      return `CAST(REPLACE(${cell}, 'Z', '') AS ${snowflakeColumnType(type)})`;
    default:
      return `CAST(${cell} AS ${snowflakeColumnType(type)})`;
  }
}

function count(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function quote(name: string): string {
  return quoteSnowflakeIdentifier(name);
}

interface SessionConfig {
  loadMethod: SnowflakeLoadMethod;
  fileRows: number;
  insertBatchRows: number;
  tempDirectory: string | undefined;
  logger: Logger;
}

/** The statements of the contract on one Snowflake session. */
class SnowflakeSession implements WarehouseSession {
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
    const { statement } = await driver.run(toSnowflakeBinds(sql), binds(params));
    const changed = statement.getNumUpdatedRows();
    return typeof changed === 'number' && changed > 0 ? changed : 0;
  }

  async *query(sql: string, params: readonly SqlValue[] = []): AsyncIterable<WarehouseRow> {
    const driver = await this.driver();
    // A read is idempotent: retried on transient errors until its first row.
    const statement: Statement = await driver.start(toSnowflakeBinds(sql), binds(params), true);
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
      throw new SnowflakeWarehouseError(
        `Snowflake: reading the rows failed: ${error instanceof Error ? error.message : String(error)} (statement: ${sql.replace(/\s+/g, ' ').slice(0, 160)})`,
        { cause: error },
      );
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
    return this.config.loadMethod === 'insert'
      ? this.loadByInsert(table, columns, rows)
      : this.loadByCopy(table, columns, rows);
  }

  /**
   * The file is `PUT` as it is (compressed by the driver) to a fresh folder of the session's temporary stage,
   * `COPY INTO` a temporary table of text columns (`SKIP_HEADER = 1`), then one `INSERT ... SELECT` converts each
   * column in SQL by its logical type into the table (an empty value, quoted or not, is null). No row passes
   * through JavaScript.
   */
  async loadCsv(spec: CsvLoadSpec): Promise<number> {
    if (/['\\]/.test(spec.file)) {
      throw new SnowflakeWarehouseError(`The file ${spec.file} cannot hold a quote or backslash for PUT`, {
        code: 'SNOWFLAKE_CONFIG',
      });
    }
    const driver = await this.driver();
    const id = randomUUID().replaceAll('-', '');
    const raw = quote(`_KICKSAW_CSV_${id}`);
    const stagePath = `@${LOAD_STAGE}/${id}/`;
    const cells = spec.columns.map((_, i) => `C${i}`);
    await driver.run(`CREATE TEMPORARY TABLE ${raw} (${cells.map((c) => `${c} VARCHAR`).join(', ')})`);
    let staged = false;
    try {
      staged = true;
      await driver.run(`PUT 'file://${spec.file}' ${stagePath} AUTO_COMPRESS = TRUE OVERWRITE = TRUE`, undefined, {
        idempotent: true,
      });
      await driver.run(
        `COPY INTO ${raw} FROM ${stagePath}
         FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = ',' FIELD_OPTIONALLY_ENCLOSED_BY = '"' SKIP_HEADER = 1 ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = () ENCODING = 'UTF8')
         ON_ERROR = ABORT_STATEMENT PURGE = TRUE`,
      );
      staged = false;
      const values = spec.columns.map((c, i) => snowflakeCsvValue(`NULLIF(${cells[i]}, '')`, c.type)).join(', ');
      const { statement } = await driver.run(
        `INSERT INTO ${this.quoteTable(spec.table)} (${spec.columns.map((c) => quote(c.name)).join(', ')}) SELECT ${values} FROM ${raw}`,
      );
      return count(statement.getNumUpdatedRows());
    } finally {
      await driver.run(`DROP TABLE IF EXISTS ${raw}`, undefined, { idempotent: true }).catch(() => undefined);
      if (staged) {
        await driver.run(`REMOVE ${stagePath}`, undefined, { idempotent: true }).catch(() => undefined);
      }
    }
  }

  /**
   * Gzipped CSV files (`fileRows` rows each, written with back-pressure), each `PUT` to a fresh folder of the
   * session's temporary stage as soon as it is complete, then one `COPY INTO` of the folder, purged after. A
   * folder unique per load keeps Snowflake's load history (which skips files it loaded before) out of the way.
   */
  private async loadByCopy(
    table: string,
    columns: readonly string[],
    rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>,
  ): Promise<number> {
    const driver = await this.driver();
    const base = this.config.tempDirectory ?? tmpdir();
    await mkdir(base, { recursive: true });
    const directory = await mkdtemp(join(base, 'kicksaw-snowflake-'));
    if (/['\\]/.test(directory)) {
      throw new SnowflakeWarehouseError(`The temporary folder ${directory} cannot hold a quote or backslash for PUT`, {
        code: 'SNOWFLAKE_CONFIG',
      });
    }
    const stagePath = `@${LOAD_STAGE}/${randomUUID().replaceAll('-', '')}/`;
    let total = 0;
    let files = 0;
    let staged = false;
    try {
      let file:
        | { path: string; gzip: ReturnType<typeof createGzip>; closed: Promise<unknown>; rows: number }
        | undefined;
      // Lines are gathered into ~1 MB pieces before they reach gzip: a write per row costs far more.
      let buffer = '';
      const flush = async () => {
        if (!file || buffer.length === 0) return;
        const piece = buffer;
        buffer = '';
        if (!file.gzip.write(piece)) await once(file.gzip, 'drain');
      };
      const finish = async () => {
        if (!file) return;
        await flush();
        const current = file;
        file = undefined;
        current.gzip.end();
        await current.closed;
        staged = true;
        await driver.run(
          `PUT 'file://${current.path}' ${stagePath} AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE`,
          undefined,
          { idempotent: true },
        );
        await rm(current.path, { force: true });
      };
      for await (const row of rows) {
        if (!file) {
          files++;
          const path = join(directory, `part-${String(files).padStart(5, '0')}.csv.gz`);
          const gzip = createGzip();
          const out = createWriteStream(path);
          gzip.pipe(out);
          file = { path, gzip, closed: once(out, 'close'), rows: 0 };
        }
        buffer += csvLine(row);
        if (buffer.length >= 1 << 20) await flush();
        file.rows++;
        total++;
        if (file.rows >= this.config.fileRows) await finish();
      }
      await finish();
      if (total === 0) return 0;
      const { rows: results } = await driver.run(
        `COPY INTO ${this.quoteTable(table)} (${columns.map(quote).join(', ')}) FROM ${stagePath}
         FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = ',' FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = () COMPRESSION = GZIP ENCODING = 'UTF8')
         ON_ERROR = ABORT_STATEMENT PURGE = TRUE`,
      );
      staged = false;
      let loaded = 0;
      for (const r of results) loaded += count(r.rows_loaded ?? r.ROWS_LOADED);
      if (loaded !== total) {
        throw new SnowflakeWarehouseError(
          `COPY INTO ${table} loaded ${loaded} rows of the ${total} written; check the table's load history (COPY_HISTORY)`,
          { code: 'SNOWFLAKE_LOAD_MISMATCH' },
        );
      }
      return total;
    } finally {
      await rm(directory, { recursive: true, force: true });
      if (staged) {
        await driver
          .run(`REMOVE ${stagePath}`, undefined, { idempotent: true })
          .catch((error: unknown) =>
            this.config.logger.warn('Could not remove staged load files', { stagePath, reason: String(error) }),
          );
      }
    }
  }

  private async loadByInsert(
    table: string,
    columns: readonly string[],
    rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>,
  ): Promise<number> {
    const driver = await this.driver();
    const sql = `INSERT INTO ${this.quoteTable(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    let batch: snowflake.Bind[][] = [];
    let total = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const { statement } = await driver.run(sql, batch);
      const inserted = statement.getNumUpdatedRows();
      if (typeof inserted === 'number' && inserted !== batch.length) {
        throw new SnowflakeWarehouseError(`INSERT into ${table} added ${inserted} rows of a batch of ${batch.length}`, {
          code: 'SNOWFLAKE_LOAD_MISMATCH',
        });
      }
      total += batch.length;
      batch = [];
    };
    for await (const row of rows) {
      batch.push(row.map(toBindValue));
      if (batch.length >= this.config.insertBatchRows) await flush();
    }
    await flush();
    return total;
  }

  /**
   * Counts, then one `MERGE`: staged rows deduplicated with `QUALIFY ROW_NUMBER()` (newest version first;
   * Snowflake has no `DISTINCT ON`, and refuses a MERGE whose source holds a key twice), a matched row
   * replaced only when the staged version is not older.
   */
  async merge(spec: MergeSpec): Promise<MergeResult> {
    const key = quote(spec.key);
    const target = this.quoteTable(spec.target);
    const staging = this.quoteTable(spec.staging);
    const version = spec.versionColumn ? quote(spec.versionColumn) : undefined;
    const order = version ? `${version} DESC NULLS LAST` : key;
    const deduped = `(SELECT * FROM ${staging} QUALIFY ROW_NUMBER() OVER (PARTITION BY ${key} ORDER BY ${order}) = 1)`;
    const newer = version ? `(t.${version} IS NULL OR s.${version} > t.${version})` : 'TRUE';
    const same = version ? `(s.${version} = t.${version})` : 'FALSE';
    const older = version ? `(s.${version} IS NULL OR s.${version} < t.${version})` : 'FALSE';
    const countSql = `SELECT (SELECT COUNT(*) FROM ${staging}) AS staged,
  COUNT_IF(t.${key} IS NULL) AS inserted,
  COUNT_IF(t.${key} IS NOT NULL AND ${newer}) AS updated,
  COUNT_IF(t.${key} IS NOT NULL AND ${same}) AS unchanged,
  COUNT_IF(t.${key} IS NOT NULL AND ${older} AND NOT ${newer}) AS stale
FROM ${deduped} AS s LEFT JOIN ${target} AS t ON t.${key} = s.${key}`;
    const insertColumns = spec.columns.map(quote);
    const updates = spec.columns.filter((c) => c !== spec.key).map((c) => `${quote(c)} = s.${quote(c)}`);
    const guard = version ? ` AND (t.${version} IS NULL OR s.${version} >= t.${version})` : '';
    const mergeSql = `MERGE INTO ${target} AS t USING ${deduped} AS s ON t.${key} = s.${key}
${updates.length > 0 ? `WHEN MATCHED${guard} THEN UPDATE SET ${updates.join(', ')}\n` : ''}WHEN NOT MATCHED THEN INSERT (${insertColumns.join(', ')}) VALUES (${insertColumns.map((c) => `s.${c}`).join(', ')})`;
    let counts: WarehouseRow = {};
    for await (const row of this.query(countSql)) counts = row;
    await this.execute(mergeSql);
    const inserted = count(counts.inserted);
    const updated = count(counts.updated);
    const unchanged = count(counts.unchanged);
    const stale = count(counts.stale);
    return {
      inserted,
      updated,
      unchanged,
      stale,
      duplicates: count(counts.staged) - inserted - updated - unchanged - stale,
    };
  }
}

/**
 * The session of {@link Warehouse.transaction}. Snowflake commits any open transaction before a DDL
 * statement, so DDL is arranged to keep the transaction whole:
 *
 * - the transaction begins at its first write (DML, load, merge), not before;
 * - `createTable` before that runs on this session, after it on the warehouse's other session (which commits
 *   only itself); a table created here is dropped when the transaction rolls back;
 * - `addColumns` runs before the first write only (else `SNOWFLAKE_DDL_IN_TRANSACTION`); on rollback the
 *   columns are dropped again;
 * - `dropTable` waits until the transaction has committed (and does not happen on rollback);
 * - `swapTable` is a commit point: what ran before it is committed (Snowflake would do so anyway), the swap
 *   is one statement, and a rollback after it swaps back. Lakehouse swaps only tables no reader sees before.
 */
class SnowflakeTransactionSession extends SnowflakeSession {
  /**
   * Kept in one object, so that callers wrapping the session (`Object.create(session)`, as the shared engine
   * tests do) share the transaction's state instead of shadowing a field of their own.
   */
  private readonly state = {
    begun: false,
    undo: [] as (() => Promise<void>)[],
    afterCommit: [] as (() => Promise<void>)[],
  };

  constructor(
    private readonly own: DriverSession,
    private readonly other: () => Promise<DriverSession>,
    config: SessionConfig,
  ) {
    super(async () => own, config);
  }

  private async begin(): Promise<void> {
    if (this.state.begun) return;
    await this.own.run('BEGIN TRANSACTION');
    this.state.begun = true;
  }

  override async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    await this.begin();
    return super.execute(sql, params);
  }

  override async load(
    table: string,
    columns: readonly string[],
    rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>,
  ): Promise<number> {
    await this.begin();
    return super.load(table, columns, rows);
  }

  override async merge(spec: MergeSpec): Promise<MergeResult> {
    await this.begin();
    return super.merge(spec);
  }

  override async createTable(
    table: string,
    columns: readonly ColumnSpec[],
    options: CreateTableOptions = {},
  ): Promise<void> {
    const driver = this.state.begun ? await this.other() : this.own;
    await driver.run(this.createTableSql(table, columns, options));
    this.state.undo.push(async () => {
      await (await this.other()).run(`DROP TABLE IF EXISTS ${this.quoteTable(table)}`, undefined, { idempotent: true });
    });
  }

  override async addColumns(table: string, columns: readonly ColumnSpec[]): Promise<void> {
    if (this.state.begun) {
      throw new SnowflakeWarehouseError(
        `Cannot add columns to ${table} after the transaction's first write: Snowflake would commit the transaction first. Add columns before writing.`,
        { code: 'SNOWFLAKE_DDL_IN_TRANSACTION' },
      );
    }
    for (const column of columns) {
      await this.own.run(
        `ALTER TABLE ${this.quoteTable(table)} ADD COLUMN ${quote(column.name)} ${snowflakeColumnType(column.type)}`,
      );
      this.state.undo.push(async () => {
        await this.own.run(`ALTER TABLE ${this.quoteTable(table)} DROP COLUMN ${quote(column.name)}`);
      });
    }
  }

  override async dropTable(table: string): Promise<void> {
    this.state.afterCommit.push(() => super.dropTable(table));
  }

  override async swapTable(source: string, target: string): Promise<void> {
    if (this.state.begun) {
      await this.own.run('COMMIT');
      this.state.begun = false;
    }
    const existed = await this.putInPlace(this.own, source, target);
    this.state.undo.push(async () => {
      if (existed) await this.exchange(this.own, source, target);
      else await this.own.run(`ALTER TABLE ${this.quoteTable(target)} RENAME TO ${this.quoteTable(source)}`);
    });
    if (existed) this.state.afterCommit.push(() => super.dropTable(source));
  }

  async commit(): Promise<void> {
    if (this.state.begun) await this.own.run('COMMIT');
    this.state.begun = false;
    for (const step of this.state.afterCommit) {
      await step().catch((error: unknown) =>
        this.config.logger.warn('A drop after the commit failed (the data is committed)', { reason: String(error) }),
      );
    }
  }

  async rollback(): Promise<void> {
    if (this.state.begun) await this.own.run('ROLLBACK').catch(() => undefined);
    this.state.begun = false;
    for (const step of this.state.undo.reverse()) {
      await step().catch((error: unknown) =>
        this.config.logger.error('Undoing a DDL statement of a rolled back transaction failed', {
          reason: String(error),
        }),
      );
    }
  }
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
