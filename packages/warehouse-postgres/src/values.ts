/** PostgreSQL's types and values: the type names of the logical column types, CSV casts, result parsers. */
import { type ColumnTypeNames, type CsvCellCasts, columnTypeSql } from '@kicksaw/lakehouse';
import pg from 'pg';

/** Spelled as format_type() reports them, so listColumns() and columnType() compare equal. */
export const POSTGRES_TYPES: ColumnTypeNames = {
  id: 'character varying(18)',
  text: 'text',
  boolean: 'boolean',
  integer: 'bigint',
  decimal: (type) => `numeric(${type.precision},${type.scale})`,
  double: 'double precision',
  date: 'date',
  timestamp: 'timestamp(3) without time zone',
  time: 'time(3) without time zone',
  sql: (type) => type.sql,
};

/** How a CSV cell (text, null when empty) reads as its logical type in `loadCsv`. */
export const POSTGRES_CSV_CASTS: CsvCellCasts = {
  columnType: (type) => columnTypeSql(type, POSTGRES_TYPES),
  asText: ['id', 'text'],
  zoneless: (cell) => `rtrim(${cell}, 'Z')`,
  // Salesforce writes UTC with a Z: read as a zoned instant, shown in UTC, whatever the session's TimeZone.
  timestamp: (cell) => `(CAST(${cell} AS timestamp with time zone) AT TIME ZONE 'UTC')`,
};

const TIMESTAMP = 1114;
const DATE = 1082;
const TIME = 1083;
const INT8 = 20;
const NUMERIC = 1700;

/**
 * Value parsers per query (the pool's global parsers are left alone): `timestamp` is UTC (pg would read it in
 * the machine's time zone), `date` and `time` stay text, `bigint` is a number when it fits, `numeric` text.
 */
export const TYPES = {
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
