/**
 * SQL text the engines share: identifier quoting, timestamps and parameters as text, a column type from the
 * engine's table of type names, the cast of a loaded CSV cell, the message of a failed statement. The engines
 * (`@kicksaw/warehouse-*`) import these from the contract package so that each rule is written once.
 */
import type { ColumnType, SqlValue } from './warehouse.js';

/**
 * Quotes an identifier the ANSI way (`"Name"`, inner quotes doubled). Used by engines whose quoting is
 * ANSI (DuckDB, Postgres, Snowflake).
 *
 * @example
 * ```ts
 * quoteAnsiIdentifier('Account'); // '"Account"'
 * ```
 */
export function quoteAnsiIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new TypeError(`"${name}" cannot be an identifier`);
  return `"${name.replaceAll('"', '""')}"`;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * A `Date` as `YYYY-MM-DD HH:MM:SS.sss` in UTC: the text form loads and parameters use for timestamps.
 *
 * @example
 * ```ts
 * sqlTimestamp(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))); // '2024-01-02 03:04:05.006'
 * ```
 */
export function sqlTimestamp(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
}

/**
 * A parameter as text-typed drivers bind it (`pg`, `snowflake-sdk`): `Date`s as UTC timestamp text
 * ({@link sqlTimestamp}, cast to TIMESTAMP without a zone shift), bigints as text, the rest as it is.
 *
 * @example
 * ```ts
 * sqlParam(new Date(0)); // '1970-01-01 00:00:00.000'
 * sqlParam(2n ** 64n); // '18446744073709551616'
 * ```
 */
export function sqlParam(value: SqlValue): string | number | boolean | null {
  if (value instanceof Date) return sqlTimestamp(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * An engine's SQL type names for the logical column types: a name, or a function of the type for the kinds
 * that carry arguments (`decimal`) or raw SQL (`sql`).
 *
 * @example
 * ```ts
 * const names: ColumnTypeNames = {
 *   id: 'VARCHAR', text: 'VARCHAR', boolean: 'BOOLEAN', integer: 'BIGINT',
 *   decimal: (t) => `DECIMAL(${t.precision},${t.scale})`, double: 'DOUBLE', date: 'DATE',
 *   timestamp: 'TIMESTAMP', time: 'TIME', sql: (t) => t.sql,
 * };
 * ```
 */
export type ColumnTypeNames = {
  [K in ColumnType['kind']]: string | ((type: Extract<ColumnType, { kind: K }>) => string);
};

/**
 * The SQL type of a logical type, looked up in an engine's {@link ColumnTypeNames}.
 *
 * @example
 * ```ts
 * columnTypeSql({ kind: 'decimal', precision: 18, scale: 2 }, names); // 'DECIMAL(18,2)'
 * ```
 */
export function columnTypeSql(type: ColumnType, names: ColumnTypeNames): string {
  const name = names[type.kind] as string | ((type: ColumnType) => string);
  return typeof name === 'string' ? name : name(type);
}

/**
 * How an engine turns the text of a loaded CSV cell into a value of the column's type (see
 * {@link csvCellSql}).
 *
 * @example
 * ```ts
 * const casts: CsvCellCasts = { columnType: (t) => columnTypeSql(t, names), asText: ['id', 'text'], zoneless: (c) => `rtrim(${c}, 'Z')` };
 * ```
 */
export interface CsvCellCasts {
  /** The engine's SQL type of a logical type. */
  columnType(type: ColumnType): string;
  /** Kinds whose text goes into the column as it is, without a cast. */
  asText: readonly ColumnType['kind'][];
  /** The cell's text without the `Z` of UTC (Salesforce writes one on datetimes and times). */
  zoneless(cell: string): string;
  /** A datetime's cast, when it is not `CAST(zoneless AS type)`. */
  timestamp?(cell: string): string;
}

/**
 * The SQL expression that reads a CSV cell (text, null when empty) as a value of its logical type: what each
 * engine's `loadCsv` selects from the raw text columns of a Bulk result page.
 *
 * @example
 * ```ts
 * csvCellSql('c0', { kind: 'integer' }, casts); // 'CAST(c0 AS BIGINT)'
 * csvCellSql('c1', { kind: 'time' }, casts); // "CAST(rtrim(c1, 'Z') AS TIME)"
 * ```
 */
export function csvCellSql(cell: string, type: ColumnType, casts: CsvCellCasts): string {
  if (casts.asText.includes(type.kind)) return cell;
  if (type.kind === 'timestamp' && casts.timestamp) return casts.timestamp(cell);
  const value = type.kind === 'timestamp' || type.kind === 'time' ? casts.zoneless(cell) : cell;
  return `CAST(${value} AS ${casts.columnType(type)})`;
}

/**
 * The message of a failed statement: the engine, its reason, and the statement's start on one line (160
 * characters), so that a log shows which statement failed without the whole of a long one.
 *
 * @example
 * ```ts
 * throw new MyEngineError(statementFailure('DuckDB', sql, error), error);
 * ```
 */
export function statementFailure(engine: string, sql: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return `${engine}: ${reason} (statement: ${sql.replace(/\s+/g, ' ').slice(0, 160)})`;
}
