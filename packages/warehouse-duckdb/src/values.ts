/** DuckDB's types and values: the type names of the logical column types, CSV casts, parameters and results. */
import { DuckDBTimestampValue, type DuckDBValue } from '@duckdb/node-api';
import {
  type ColumnTypeNames,
  type CsvCellCasts,
  columnTypeSql,
  type SqlValue,
  sqlTimestamp,
} from '@kicksaw/lakehouse';

export const DUCKDB_TYPES: ColumnTypeNames = {
  // DuckDB keeps no length on VARCHAR (VARCHAR(18) is accepted and reported as VARCHAR).
  id: 'VARCHAR',
  text: 'VARCHAR',
  boolean: 'BOOLEAN',
  integer: 'BIGINT',
  decimal: (type) => `DECIMAL(${type.precision},${type.scale})`,
  double: 'DOUBLE',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  time: 'TIME',
  sql: (type) => type.sql,
};

/**
 * How a CSV cell (text, null when empty) reads as its logical type in `loadCsv`. A datetime or time goes to the
 * cast as Salesforce wrote it (`2026-01-02T03:04:05.678Z`, `03:04:05.678Z`): DuckDB's `TIMESTAMP` and `TIME`
 * casts read the trailing `Z` themselves and keep the milliseconds, with the same result as the cell without its
 * `Z` (checked on Z, offsets, whole seconds and bad values; a test loads them). Why not `rtrim(cell, 'Z')` first,
 * as before: it wrote a new string for every value, which cost 12-17% of DuckDB's CPU parsing a 1,000,000-row
 * export of 55 Account fields, and 8-16% of the whole load (README of the lakehouse, Performance).
 */
export const DUCKDB_CSV_CASTS: CsvCellCasts = {
  columnType: (type) => columnTypeSql(type, DUCKDB_TYPES),
  asText: ['id', 'text', 'sql'],
  zoneless: (cell) => cell,
};

export function toParam(value: SqlValue): DuckDBValue {
  if (value instanceof Date) return sqlTimestamp(value);
  return value;
}

export function fromValue(value: DuckDBValue): SqlValue {
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
