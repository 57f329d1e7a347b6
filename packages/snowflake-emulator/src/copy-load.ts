// Loading one staged file into a table for COPY INTO: CSV through DuckDB's reader with Snowflake's options, JSON
// and Parquet by column name or into one VARIANT column, and ON_ERROR (rejected rows, all-or-nothing files).
import type { DuckDBConnection } from '@duckdb/node-api';
import { fromDuckDbError, SnowflakeSqlError } from './errors.js';
import { bool, type FormatOptions, option } from './sql/options.js';
import { toTimestampTzSql } from './sql/timestamp-tz.js';
import { sqlIdent, sqlString } from './sql/tokens.js';
import { TZ_TYPE_TEXT } from './sql/types.js';

export interface TargetColumn {
  name: string;
  type: string;
}

/** One file's line of the COPY result. */
export interface FileOutcome {
  file: string;
  status: 'LOADED' | 'LOAD_FAILED' | 'PARTIALLY_LOADED';
  parsed: number;
  loaded: number;
  errors: number;
  firstError: string | null;
  firstErrorLine: number | null;
  firstErrorColumn: string | null;
}

export type OnError = 'ABORT_STATEMENT' | 'CONTINUE' | 'SKIP_FILE';

const REJECTS = '__KICKSAW_COPY_REJECTS';
const SCANS = '__KICKSAW_COPY_SCANS';

/** A single-character CSV setting (`NONE` -> empty), with Snowflake's escapes (`'\\t'`). */
function csvChar(value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (value.toUpperCase() === 'NONE') return '';
  return value.replace(/\\t/g, '\t').replace(/\\n/g, '\n').replace(/\\r/g, '\r');
}

/** The read_csv settings of a CSV file format (its options as DuckDB takes them); throws for what is not supported. */
interface CsvSettings {
  enclosed: string;
  delimiter: string;
  record: string;
  parseHeader: boolean;
  skip: number;
  nulls: string[];
  escapeChar: string;
  duckCompression: string;
}

function csvSettings(format: FormatOptions): CsvSettings {
  const enclosed = csvChar(option(format, 'FIELD_OPTIONALLY_ENCLOSED_BY'), '');
  const delimiter = csvChar(option(format, 'FIELD_DELIMITER'), ',');
  const record = csvChar(option(format, 'RECORD_DELIMITER'), '\n');
  if (record !== '\n' && record !== '\r\n')
    throw SnowflakeSqlError.unsupported(`RECORD_DELIMITER other than a line break`);
  const parseHeader = bool(format, 'PARSE_HEADER', false);
  const skip = Number(option(format, 'SKIP_HEADER') ?? 0);
  const nullIf = Array.isArray(format.NULL_IF) ? format.NULL_IF : ['\\N'];
  const emptyAsNull = bool(format, 'EMPTY_FIELD_AS_NULL', true);
  const nulls = [...new Set([...nullIf, ...(emptyAsNull ? [''] : [])])];
  const escapeChar = csvChar(option(format, 'ESCAPE'), enclosed);
  if (bool(format, 'TRIM_SPACE', false)) throw SnowflakeSqlError.unsupported('TRIM_SPACE = TRUE');
  const compression = (option(format, 'COMPRESSION') ?? 'AUTO').toUpperCase();
  const duckCompression =
    compression === 'AUTO'
      ? 'auto'
      : compression === 'NONE'
        ? 'none'
        : compression === 'GZIP'
          ? 'gzip'
          : compression === 'ZSTD'
            ? 'zstd'
            : undefined;
  if (!duckCompression) throw SnowflakeSqlError.unsupported(`COMPRESSION = ${compression}`);
  return { enclosed, delimiter, record, parseHeader, skip, nulls, escapeChar, duckCompression };
}

// VARIANT is read as text and parsed by the column; TIMESTAMP_TZ is read as text and built by the macro that
// keeps a value's own offset (sql/timestamp-tz.ts).
const readType = (type: string) => (type === 'JSON' || type === TZ_TYPE_TEXT ? 'VARCHAR' : type);

/**
 * The columns read from the file: the target's in order, or (MATCH_BY_COLUMN_NAME) the file header's, each
 * matched to a target column (`name: ''` when none matches), read as `C<k>`.
 */
async function csvColumns(
  conn: DuckDBConnection,
  columns: TargetColumn[],
  file: { path: string },
  settings: CsvSettings,
  match: string,
): Promise<{ insertColumns: TargetColumn[]; columnSpec: string; header: boolean }> {
  if (match === 'NONE') {
    const columnSpec = columns.map((c) => `${sqlString(c.name)}: ${sqlString(readType(c.type))}`).join(', ');
    return { insertColumns: columns, columnSpec, header: settings.parseHeader };
  }
  if (!settings.parseHeader)
    throw new SnowflakeSqlError(
      'SQL compilation error:\nMATCH_BY_COLUMN_NAME on CSV files requires PARSE_HEADER = TRUE.',
      { sfCode: '002019', sqlState: '0A000' },
    );
  const names = await csvHeader(conn, file.path, settings.delimiter, settings.enclosed, settings.duckCompression);
  const insertColumns = names.map((n) => {
    const found = columns.find((c) =>
      match === 'CASE_SENSITIVE' ? c.name === n : c.name.toUpperCase() === n.toUpperCase(),
    );
    return found ?? { name: '', type: 'VARCHAR' };
  });
  const columnSpec = names
    .map((_, k) => `${sqlString(`C${k}`)}: ${sqlString(readType(insertColumns[k]?.type ?? 'VARCHAR'))}`)
    .join(', ');
  return { insertColumns, columnSpec, header: true };
}

export async function loadCsv(
  conn: DuckDBConnection,
  target: string,
  columns: TargetColumn[],
  file: { name: string; path: string },
  format: FormatOptions,
  onError: OnError,
  match: string,
): Promise<FileOutcome> {
  const settings = csvSettings(format);
  const { delimiter, enclosed, escapeChar, record, nulls, skip, duckCompression } = settings;
  const { insertColumns, columnSpec, header } = await csvColumns(conn, columns, file, settings, match);
  const source = (lenient: boolean) =>
    `read_csv(${sqlString(file.path)}, header = ${header}, skip = ${skip}, delim = ${sqlString(delimiter)}, quote = ${sqlString(enclosed)}, escape = ${sqlString(escapeChar)}, new_line = ${sqlString(record === '\r\n' ? '\\r\\n' : '\\n')}, columns = {${columnSpec}}, auto_detect = false, nullstr = [${nulls.map(sqlString).join(', ')}], allow_quoted_nulls = false, compression = ${sqlString(duckCompression)}${lenient ? `, ignore_errors = true, store_rejects = true, rejects_table = '${REJECTS}', rejects_scan = '${SCANS}'` : ''})`;
  const selected =
    match !== 'NONE'
      ? insertColumns.map((c, k) => ({ c, k })).filter(({ c }) => c.name !== '')
      : insertColumns.map((c, k) => ({ c, k }));
  const selectList = selected
    .map(({ c, k }) => {
      const name = match !== 'NONE' ? `${sqlIdent(`C${k}`)}` : sqlIdent(c.name);
      return c.type === TZ_TYPE_TEXT ? toTimestampTzSql(name) : name;
    })
    .join(', ');
  const insertList = selected.map(({ c }) => sqlIdent(c.name)).join(', ');
  return load(
    conn,
    file,
    onError,
    `INSERT INTO ${target} (${insertList})`,
    (lenient) => `SELECT ${selectList} FROM ${source(lenient)}`,
    true,
  );
}

async function csvHeader(
  conn: DuckDBConnection,
  path: string,
  delimiter: string,
  quote: string,
  compression: string,
): Promise<string[]> {
  const rows = (
    await conn.runAndReadAll(
      `SELECT * FROM read_csv(${sqlString(path)}, header = false, delim = ${sqlString(delimiter)}, quote = ${sqlString(quote)}, all_varchar = true, auto_detect = true, compression = ${sqlString(compression)}) LIMIT 1`,
    )
  ).getRows();
  return (rows[0] ?? []).map((v) => String(v ?? ''));
}

export async function loadDocuments(
  conn: DuckDBConnection,
  target: string,
  columns: TargetColumn[],
  file: { name: string; path: string },
  format: FormatOptions,
  type: 'JSON' | 'PARQUET',
  onError: OnError,
  match: string,
): Promise<FileOutcome> {
  const strip = bool(format, 'STRIP_OUTER_ARRAY', false);
  const raw =
    type === 'JSON'
      ? `read_json_objects(${sqlString(file.path)}, format = ${sqlString(strip ? 'array' : 'unstructured')})`
      : `read_parquet(${sqlString(file.path)})`;
  if (match === 'NONE') {
    if (columns.length !== 1 || columns[0]?.type !== 'JSON') {
      throw new SnowflakeSqlError(
        `SQL compilation error:\n${type} file format can produce one and only one column of type variant, object, or array. Load data into separate columns using the MATCH_BY_COLUMN_NAME copy option or copy with transformation.`,
        { sfCode: '002019', sqlState: '0A000' },
      );
    }
    const value = type === 'JSON' ? '__J.json' : 'to_json(__J)';
    return load(
      conn,
      file,
      onError,
      `INSERT INTO ${target} (${sqlIdent(columns[0]?.name ?? '')})`,
      () => `SELECT ${value} FROM ${raw} AS __J`,
      false,
    );
  }
  const records =
    type === 'JSON'
      ? `read_json(${sqlString(file.path)}, format = ${sqlString(strip ? 'array' : 'newline_delimited')}, records = true)`
      : `read_parquet(${sqlString(file.path)})`;
  const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${records}`))
    .getRows()
    .map(([n, t]) => ({ name: String(n), type: String(t) }));
  const pairs: Array<{ target: TargetColumn; source: { name: string; type: string } }> = [];
  for (const c of columns) {
    const source = described.find((s) =>
      match === 'CASE_SENSITIVE' ? s.name === c.name : s.name.toUpperCase() === c.name.toUpperCase(),
    );
    if (source) pairs.push({ target: c, source });
  }
  if (pairs.length === 0) {
    return failedFile(file.name, 'No column of the file matches a column of the table.');
  }
  const expr = (p: (typeof pairs)[number]) =>
    p.target.type === 'JSON'
      ? `to_json(${sqlIdent(p.source.name)})`
      : p.target.type === TZ_TYPE_TEXT
        ? toTimestampTzSql(sqlIdent(p.source.name))
        : `CAST(${sqlIdent(p.source.name)} AS ${p.target.type})`;
  return load(
    conn,
    file,
    onError,
    `INSERT INTO ${target} (${pairs.map((p) => sqlIdent(p.target.name)).join(', ')})`,
    () => `SELECT ${pairs.map(expr).join(', ')} FROM ${records}`,
    false,
  );
}

/**
 * Loads one file by the ON_ERROR rule. CSV reads can skip bad rows and record them (DuckDB's rejects
 * tables); JSON and Parquet files load whole or fail whole (CONTINUE acts as SKIP_FILE for them).
 */
async function load(
  conn: DuckDBConnection,
  file: { name: string; path: string },
  onError: OnError,
  insertInto: string,
  select: (lenient: boolean) => string,
  rowErrors: boolean,
): Promise<FileOutcome> {
  if (onError === 'ABORT_STATEMENT') {
    const sql = `${insertInto} ${select(false)}`;
    const loaded = (await conn.run(sql).catch((error: unknown) => Promise.reject(copyError(error, file.name, sql))))
      .rowsChanged;
    return loadedFile(file.name, loaded);
  }
  if (!rowErrors || onError === 'SKIP_FILE') return loadAllOrNothing(conn, file.name, insertInto, select, rowErrors);
  // CONTINUE on CSV: load the good rows, report the rejected ones.
  await conn.run(`DROP TABLE IF EXISTS temp.main.${REJECTS}; DROP TABLE IF EXISTS temp.main.${SCANS}`);
  const sql = `${insertInto} ${select(true)}`;
  const loaded = (await conn.run(sql).catch((error: unknown) => Promise.reject(copyError(error, file.name, sql))))
    .rowsChanged;
  const rejected = await rejects(conn);
  return {
    file: file.name,
    status: rejected.count === 0 ? 'LOADED' : loaded === 0 ? 'LOAD_FAILED' : 'PARTIALLY_LOADED',
    parsed: loaded + rejected.count,
    loaded,
    errors: rejected.count,
    firstError: rejected.message,
    firstErrorLine: rejected.line,
    firstErrorColumn: rejected.column,
  };
}

/**
 * SKIP_FILE (and CONTINUE on JSON and Parquet): the file is read into a staging table first, so a file with
 * any error loads nothing.
 */
async function loadAllOrNothing(
  conn: DuckDBConnection,
  name: string,
  insertInto: string,
  select: (lenient: boolean) => string,
  rowErrors: boolean,
): Promise<FileOutcome> {
  const staging = 'temp.main.__KICKSAW_COPY_STAGING';
  if (rowErrors) await conn.run(`DROP TABLE IF EXISTS temp.main.${REJECTS}; DROP TABLE IF EXISTS temp.main.${SCANS}`);
  try {
    await conn.run(`CREATE OR REPLACE TEMP TABLE __KICKSAW_COPY_STAGING AS ${select(rowErrors)}`);
  } catch (error) {
    return failedFile(name, copyError(error, name, select(false)).message);
  }
  try {
    if (rowErrors) {
      const rejected = await rejects(conn);
      if (rejected.count > 0) {
        const parsed =
          Number((await conn.runAndReadAll(`SELECT count(*) FROM ${staging}`)).getRows()[0]?.[0] ?? 0) + rejected.count;
        return {
          file: name,
          status: 'LOAD_FAILED',
          parsed,
          loaded: 0,
          errors: rejected.count,
          firstError: rejected.message,
          firstErrorLine: rejected.line,
          firstErrorColumn: rejected.column,
        };
      }
    }
    const sql = `${insertInto} SELECT * FROM ${staging}`;
    try {
      return loadedFile(name, (await conn.run(sql)).rowsChanged);
    } catch (error) {
      return failedFile(name, copyError(error, name, sql).message);
    }
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${staging}`);
  }
}

async function rejects(
  conn: DuckDBConnection,
): Promise<{ count: number; line: number | null; message: string | null; column: string | null }> {
  const rows = (
    await conn.runAndReadAll(
      `SELECT count(*) OVER (), line, error_message, column_name FROM temp.main.${REJECTS} ORDER BY line LIMIT 1`,
    )
  ).getRows();
  const first = rows[0];
  if (!first) return { count: 0, line: null, message: null, column: null };
  return {
    count: Number(first[0]),
    line: Number(first[1]),
    message: String(first[2]),
    column: first[3] === null ? null : String(first[3]),
  };
}

/** A file loaded whole. */
function loadedFile(file: string, loaded: number): FileOutcome {
  return {
    file,
    status: 'LOADED',
    parsed: loaded,
    loaded,
    errors: 0,
    firstError: null,
    firstErrorLine: null,
    firstErrorColumn: null,
  };
}

/** A file that loads nothing because of one error (its message's first line is reported). */
function failedFile(file: string, message: string): FileOutcome {
  return {
    file,
    status: 'LOAD_FAILED',
    parsed: 0,
    loaded: 0,
    errors: 1,
    firstError: message.split('\n')[0] ?? message,
    firstErrorLine: null,
    firstErrorColumn: null,
  };
}

/** A DuckDB CSV/JSON error as Snowflake's load error, naming the file and line. */
function copyError(error: unknown, file: string, sql: string): SnowflakeSqlError {
  const message = error instanceof Error ? error.message : String(error);
  const line = /Line: (\d+)/.exec(message)?.[1];
  const value =
    /Could not convert string "([^"]*)" to '?(?:DECIMAL|INT|BIGINT|HUGEINT|DOUBLE|FLOAT|SMALLINT|TINYINT)/.exec(
      message,
    )?.[1];
  const columnName = /converting column "([^"]*)"/.exec(message)?.[1];
  const where = `\n  File '${file}'${line ? `, line ${line}` : ''}${columnName ? `, column "${columnName}"` : ''}\n  If you would like to continue loading when an error is encountered, use other values such as 'SKIP_FILE' or 'CONTINUE' for the ON_ERROR option.`;
  if (/Expected Number of Columns|TOO MANY COLUMNS|too many columns|Expected \d+ columns/i.test(message)) {
    return new SnowflakeSqlError(`Number of columns in file does not match that of the corresponding table${where}`, {
      sfCode: '100080',
      sqlState: '22000',
      cause: error,
    });
  }
  if (value !== undefined) {
    return new SnowflakeSqlError(`Numeric value '${value}' is not recognized${where}`, {
      sfCode: '100038',
      sqlState: '22018',
      cause: error,
    });
  }
  const mapped = fromDuckDbError(error, sql);
  return new SnowflakeSqlError(`${mapped.message}${where}`, {
    sfCode: mapped.sfCode,
    sqlState: mapped.sqlState,
    cause: error,
  });
}
