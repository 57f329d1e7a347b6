import { type ColumnType, type ColumnTypeNames, columnTypeSql } from '@kicksaw/lakehouse';

/**
 * A name written the way Snowflake stores an unquoted identifier: lower-case letters, digits, `_` and `$`,
 * not starting with a digit or `$`. Such names are folded: `row_key` and `ROW_KEY` are one name in Snowflake.
 */
const FOLDED_LOWER = /^[a-z_][a-z0-9_$]*$/;
const FOLDED_UPPER = /^[A-Z_][A-Z0-9_$]*$/;

/**
 * The name Snowflake keeps for `name`: all-lower-case simple names are stored upper case (what Snowflake does
 * with the same name written unquoted), every other name exactly as written.
 *
 * Why: `@kicksaw/lakehouse` and user SQL write bookkeeping names unquoted in lower case (`table_name`,
 * `row_key`, aliases such as `AS n`), as on Postgres. Snowflake folds those to upper case, so the same names
 * created quoted must be stored upper case too, and read back in lower case ({@link presentedName}). This is
 * the convention of Snowflake's SQLAlchemy dialect (its name normalization), kept here so that SQL written
 * for the contract runs unchanged. Salesforce names (`Id`, `Name`, `Ext__c`) have capitals and keep their case.
 *
 * @example
 * ```ts
 * storedName('row_key'); // 'ROW_KEY'
 * storedName('Id'); // 'Id'
 * ```
 */
export function storedName(name: string): string {
  return FOLDED_LOWER.test(name) ? name.toUpperCase() : name;
}

/**
 * The name a column or table is reported by: the inverse of {@link storedName} (all-upper-case simple names,
 * which is how Snowflake reports unquoted names, in lower case).
 *
 * @example
 * ```ts
 * presentedName('ROW_KEY'); // 'row_key'
 * presentedName('Id'); // 'Id'
 * ```
 */
export function presentedName(name: string): string {
  return FOLDED_UPPER.test(name) ? name.toLowerCase() : name;
}

/**
 * An identifier always quoted for Snowflake, so its case never changes between runs (see {@link storedName}
 * for all-lower-case names).
 *
 * @example
 * ```ts
 * quoteSnowflakeIdentifier('Account'); // '"Account"'
 * quoteSnowflakeIdentifier('_kicksaw_sync_state'); // '"_KICKSAW_SYNC_STATE"'
 * ```
 */
export function quoteSnowflakeIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new TypeError(`"${name}" cannot be an identifier`);
  return `"${storedName(name).replaceAll('"', '""')}"`;
}

/**
 * The Snowflake type of a logical column type, spelled the way `listColumns` reports it: ids `VARCHAR(18)`,
 * text `VARCHAR` (16 MB: Salesforce lengths are not enforced, so a longer value never fails a load), integers
 * `NUMBER(38,0)`, decimals `NUMBER(p,s)`, doubles `FLOAT`, `BOOLEAN`, `DATE`, timestamps `TIMESTAMP_NTZ(3)`
 * (UTC, milliseconds), times `TIME(3)`.
 *
 * @example
 * ```ts
 * snowflakeColumnType({ kind: 'decimal', precision: 18, scale: 2 }); // 'NUMBER(18,2)'
 * ```
 */
export function snowflakeColumnType(type: ColumnType): string {
  return columnTypeSql(type, SNOWFLAKE_TYPES);
}

const SNOWFLAKE_TYPES: ColumnTypeNames = {
  id: 'VARCHAR(18)',
  text: 'VARCHAR',
  boolean: 'BOOLEAN',
  integer: 'NUMBER(38,0)',
  decimal: (type) => `NUMBER(${type.precision},${type.scale})`,
  double: 'FLOAT',
  date: 'DATE',
  timestamp: 'TIMESTAMP_NTZ(3)',
  time: 'TIME(3)',
  sql: (type) => canonicalSnowflakeType(type.sql),
};

/** Snowflake's maximum VARCHAR length (and the length of a VARCHAR declared without one). */
const VARCHAR_DEFAULT = 16_777_216;
/** Snowflake's default BINARY length. */
const BINARY_DEFAULT = 8_388_608;

/**
 * A Snowflake type written the one way `listColumns` reports it, so that a type written another way (an
 * override `INT`, `DECIMAL(10,2)`, `STRING`, `TIMESTAMP`, `DOUBLE`, ...) compares equal to the column
 * Snowflake made of it: integer aliases are `NUMBER(38,0)`, `DECIMAL`/`NUMERIC` are `NUMBER(p,s)`, text types
 * `VARCHAR[(n)]`, `DATETIME`/`TIMESTAMP` `TIMESTAMP_NTZ(p)` (the engine's sessions map TIMESTAMP to NTZ),
 * floating types `FLOAT`, and time types carry their precision (9 unless given). A type it does not know (or
 * with more than a type: `DEFAULT`, `COLLATE`, ...) is returned as written.
 *
 * Why hand-written: Snowflake's alias table is short and documented (Data types reference); no library has it.
 *
 * @example
 * ```ts
 * canonicalSnowflakeType('int'); // 'NUMBER(38,0)'
 * canonicalSnowflakeType('DECIMAL(10, 2)'); // 'NUMBER(10,2)'
 * canonicalSnowflakeType('TIMESTAMP'); // 'TIMESTAMP_NTZ(9)'
 * ```
 */
export function canonicalSnowflakeType(sql: string): string {
  const match = /^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/.exec(sql);
  if (!match) return sql;
  const name = (match[1] as string).toUpperCase().replace(/\s+/g, ' ');
  const first = match[2] === undefined ? undefined : Number(match[2]);
  const second = match[3] === undefined ? undefined : Number(match[3]);
  const precision = (p: number | undefined) => (p === undefined ? 9 : p);
  switch (name) {
    case 'INT':
    case 'INTEGER':
    case 'BIGINT':
    case 'SMALLINT':
    case 'TINYINT':
    case 'BYTEINT':
      return first === undefined ? 'NUMBER(38,0)' : sql;
    case 'NUMBER':
    case 'DECIMAL':
    case 'DEC':
    case 'NUMERIC':
      return `NUMBER(${first ?? 38},${second ?? 0})`;
    case 'VARCHAR':
    case 'STRING':
    case 'TEXT':
    case 'NVARCHAR':
    case 'NVARCHAR2':
    case 'CHAR VARYING':
    case 'NCHAR VARYING':
      return first === undefined || first === VARCHAR_DEFAULT ? 'VARCHAR' : `VARCHAR(${first})`;
    case 'CHAR':
    case 'CHARACTER':
    case 'NCHAR':
      return `VARCHAR(${first ?? 1})`;
    case 'FLOAT':
    case 'FLOAT4':
    case 'FLOAT8':
    case 'DOUBLE':
    case 'DOUBLE PRECISION':
    case 'REAL':
      return 'FLOAT';
    case 'BOOLEAN':
    case 'DATE':
    case 'VARIANT':
    case 'OBJECT':
    case 'ARRAY':
      return first === undefined ? name : sql;
    case 'BINARY':
    case 'VARBINARY':
      return first === undefined || first === BINARY_DEFAULT ? 'BINARY' : `BINARY(${first})`;
    case 'TIMESTAMP':
    case 'DATETIME':
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMPNTZ':
    case 'TIMESTAMP WITHOUT TIME ZONE':
      return `TIMESTAMP_NTZ(${precision(first)})`;
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMPLTZ':
    case 'TIMESTAMP WITH LOCAL TIME ZONE':
      return `TIMESTAMP_LTZ(${precision(first)})`;
    case 'TIMESTAMP_TZ':
    case 'TIMESTAMPTZ':
    case 'TIMESTAMP WITH TIME ZONE':
      return `TIMESTAMP_TZ(${precision(first)})`;
    case 'TIME':
      return `TIME(${precision(first)})`;
    default:
      return sql;
  }
}

/**
 * A column's type spelled like {@link snowflakeColumnType}, from an `INFORMATION_SCHEMA.COLUMNS` row.
 *
 * @example
 * ```ts
 * sqlTypeOf({ dataType: 'NUMBER', precision: 18, scale: 2 }); // 'NUMBER(18,2)'
 * ```
 */
export function sqlTypeOf(column: {
  dataType: string;
  length?: number | null;
  precision?: number | null;
  scale?: number | null;
  datetimePrecision?: number | null;
}): string {
  const type = column.dataType.toUpperCase();
  switch (type) {
    case 'TEXT':
    case 'VARCHAR':
      return column.length && column.length !== VARCHAR_DEFAULT ? `VARCHAR(${column.length})` : 'VARCHAR';
    case 'NUMBER':
    case 'DECIMAL':
    case 'NUMERIC':
      return `NUMBER(${column.precision ?? 38},${column.scale ?? 0})`;
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
    case 'TIME':
      return `${type}(${column.datetimePrecision ?? 9})`;
    case 'REAL':
    case 'DOUBLE':
    case 'FLOAT':
      return 'FLOAT';
    case 'BINARY':
      return column.length && column.length !== BINARY_DEFAULT ? `BINARY(${column.length})` : 'BINARY';
    default:
      return type;
  }
}

/**
 * Rewrites the contract's `$1`-style parameters into Snowflake's `:1` binds, leaving string literals (with
 * Snowflake's backslash escapes), `$$` strings, quoted identifiers and comments alone.
 *
 * Why hand-written: no maintained library tokenizes Snowflake SQL for this; the scan is small and only looks
 * for `$<digits>` outside literals.
 *
 * @example
 * ```ts
 * toSnowflakeBinds("SELECT * FROM t WHERE a = $1 AND b = '$2'"); // "SELECT * FROM t WHERE a = :1 AND b = '$2'"
 * ```
 */
export function toSnowflakeBinds(sql: string): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    if (c === "'") {
      let j = i + 1;
      while (j < n) {
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && !(sql[j] === '"' && sql[j + 1] !== '"')) j += sql[j] === '"' ? 2 : 1;
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '$' && sql[i + 1] === '$') {
      const end = sql.indexOf('$$', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? n : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '$' && /[0-9]/.test(sql[i + 1] ?? '') && !/[A-Za-z0-9_$.]/.test(sql[i - 1] ?? '')) {
      let j = i + 1;
      while (j < n && /[0-9]/.test(sql[j] as string)) j++;
      out += `:${sql.slice(i + 1, j)}`;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
