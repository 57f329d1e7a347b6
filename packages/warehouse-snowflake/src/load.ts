/**
 * Loads into Snowflake: rows as gzipped CSV files `PUT` to the session's stage and one `COPY INTO` (or array-bound
 * INSERTs), and a Bulk result page (`loadCsv`) through a text table converted in SQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@kicksaw/core';
import { type CsvCellCasts, type CsvLoadSpec, csvCellSql, csvParts, type SqlValue, sqlParam } from '@kicksaw/lakehouse';
import type snowflake from 'snowflake-sdk';
import type { DriverSession } from './driver.js';
import { SnowflakeWarehouseError } from './errors.js';
import { quoteSnowflakeIdentifier as quote, snowflakeColumnType } from './sql.js';

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
 * The temporary stage each session creates when it opens (outside any transaction: creating a stage is DDL,
 * which Snowflake would let commit an open transaction). Every load uses a folder of its own in it.
 *
 * @example
 * ```ts
 * for await (const file of warehouse.query(`LIST @${LOAD_STAGE}`)) console.log(file.name); // files of a load under way
 * ```
 */
export const LOAD_STAGE = 'KICKSAW_LOAD';

/** The settings of a session's loads. */
export interface SessionConfig {
  loadMethod: SnowflakeLoadMethod;
  fileRows: number;
  insertBatchRows: number;
  tempDirectory: string | undefined;
  logger: Logger;
}

/** Rows (values in `columns` order) to load into an existing table. */
export interface RowsLoad {
  table: string;
  columns: readonly string[];
  rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>;
}

/** A CSV cell (text, null when empty) as a value of its logical type: the SQL of `loadCsv`. */
const CSV_CASTS: CsvCellCasts = {
  columnType: snowflakeColumnType,
  asText: ['id', 'text'],
  // Salesforce writes UTC with a Z; the column keeps no zone (TIMESTAMP_NTZ), so the Z goes before the cast.
  zoneless: (cell) => `REPLACE(${cell}, 'Z', '')`,
};

/** The CSV files the loads write and Bulk API 2.0 query results: an empty value, quoted or not, is null. */
function fileFormat(options: { skipHeader?: boolean; gzip?: boolean }): string {
  return `TYPE = CSV FIELD_DELIMITER = ',' FIELD_OPTIONALLY_ENCLOSED_BY = '"'${options.skipHeader ? ' SKIP_HEADER = 1' : ''} ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = ()${options.gzip ? ' COMPRESSION = GZIP' : ''} ENCODING = 'UTF8'`;
}

export function count(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** Throws unless `path` can stand in a `PUT 'file://...'` statement. */
function checkPutPath(path: string, what: string): void {
  if (/['\\]/.test(path)) {
    throw new SnowflakeWarehouseError(`The ${what} ${path} cannot hold a quote or backslash for PUT`, {
      code: 'SNOWFLAKE_CONFIG',
    });
  }
}

/** A fresh folder of the load stage: a folder unique per load keeps Snowflake's load history out of the way. */
function stageFolder(id = randomUUID().replaceAll('-', '')): string {
  return `@${LOAD_STAGE}/${id}/`;
}

/**
 * The file is `PUT` as it is (compressed by the driver) to a fresh folder of the session's temporary stage,
 * `COPY INTO` a temporary table of text columns (`SKIP_HEADER = 1`), then one `INSERT ... SELECT` converts each
 * column in SQL by its logical type into the table (an empty value, quoted or not, is null). No row passes
 * through JavaScript.
 */
export async function loadCsvFile(driver: DriverSession, spec: CsvLoadSpec): Promise<number> {
  checkPutPath(spec.file, 'file');
  const id = randomUUID().replaceAll('-', '');
  const raw = quote(`_KICKSAW_CSV_${id}`);
  const stagePath = stageFolder(id);
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
         FILE_FORMAT = (${fileFormat({ skipHeader: true })})
         ON_ERROR = ABORT_STATEMENT PURGE = TRUE`,
    );
    staged = false;
    const values = spec.columns.map((c, i) => csvCellSql(`NULLIF(${cells[i]}, '')`, c.type, CSV_CASTS)).join(', ');
    const { statement } = await driver.run(
      `INSERT INTO ${quote(spec.table)} (${spec.columns.map((c) => quote(c.name)).join(', ')}) SELECT ${values} FROM ${raw}`,
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
export async function loadByCopy(driver: DriverSession, config: SessionConfig, load: RowsLoad): Promise<number> {
  const { table, columns, rows } = load;
  const base = config.tempDirectory ?? tmpdir();
  await mkdir(base, { recursive: true });
  const directory = await mkdtemp(join(base, 'kicksaw-snowflake-'));
  checkPutPath(directory, 'temporary folder');
  const stagePath = stageFolder();
  let total = 0;
  let staged = false;
  try {
    for await (const part of csvParts(rows, { directory, partRows: config.fileRows, gzip: true })) {
      staged = true;
      await driver.run(
        `PUT 'file://${part.path}' ${stagePath} AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE`,
        undefined,
        { idempotent: true },
      );
      await rm(part.path, { force: true });
      total += part.rows;
    }
    if (total === 0) return 0;
    const { rows: results } = await driver.run(
      `COPY INTO ${quote(table)} (${columns.map(quote).join(', ')}) FROM ${stagePath}
         FILE_FORMAT = (${fileFormat({ gzip: true })})
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
          config.logger.warn('Could not remove staged load files', { stagePath, reason: String(error) }),
        );
    }
  }
}

/** `INSERT ... VALUES (?, ...)` with array binds, `insertBatchRows` rows a statement. */
export async function loadByInsert(driver: DriverSession, config: SessionConfig, load: RowsLoad): Promise<number> {
  const { table, columns, rows } = load;
  const sql = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
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
    batch.push(row.map(sqlParam));
    if (batch.length >= config.insertBatchRows) await flush();
  }
  await flush();
  return total;
}
