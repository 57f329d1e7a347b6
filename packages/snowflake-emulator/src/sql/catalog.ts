import { sqlString } from './tokens.js';
import { TZ_TYPE_TEXT } from './types.js';

/**
 * The emulator's catalog of declared types: DuckDB keeps no VARCHAR length nor TIME/TIMESTAMP precision, so a
 * column declared with one gets a DuckDB column comment `<DECLARED_PREFIX><type>` (e.g. `VARCHAR(18)`). A
 * column comment, not a table of our own, because DuckDB then keeps it for us through RENAME COLUMN, DROP
 * COLUMN, DROP / CREATE OR REPLACE TABLE, transactions (ROLLBACK undoes it) and the persist file. Snowflake's
 * own COMMENT clauses are ignored by the emulator, so nothing else writes column comments.
 */
export const DECLARED_PREFIX = 'snowflake-emulator declared type: ';

/** The column comment that records a declared type. */
export function declaredComment(declared: string): string {
  return `${DECLARED_PREFIX}${declared}`;
}

/** The declared type recorded in a DuckDB column comment, if it matches the column's DuckDB type. */
export function declaredOf(duck: string, comment: unknown): string | undefined {
  if (typeof comment !== 'string' || !comment.startsWith(DECLARED_PREFIX)) return undefined;
  const declared = comment.slice(DECLARED_PREFIX.length);
  const kind = /^([A-Z_]+)(?:\(\d+\))?$/.exec(declared)?.[1];
  const fits =
    ((kind === 'OBJECT' || kind === 'ARRAY') && declared === kind && duck === 'JSON') ||
    (kind === 'VARCHAR' && duck === 'VARCHAR') ||
    (kind === 'TIME' && duck === 'TIME') ||
    (kind === 'TIMESTAMP_NTZ' && duck === 'TIMESTAMP') ||
    (kind === 'TIMESTAMP_LTZ' && duck === 'TIMESTAMP WITH TIME ZONE') ||
    (kind === 'TIMESTAMP_TZ' && duck === TZ_TYPE_TEXT);
  return fits ? declared : undefined;
}

/** The number in a declared type's parentheses (`VARCHAR(18)` -> 18). */
function declaredNumber(declared: string | undefined): number | undefined {
  const n = declared ? /\((\d+)\)$/.exec(declared)?.[1] : undefined;
  return n === undefined ? undefined : Number(n);
}

/** DuckDB SQL reading the number of a declared type of `kinds` from a `comment` column ('' when there is none). */
function declaredNumberSql(kinds: string): string {
  return `TRY_CAST(regexp_extract(comment, ${sqlString(`^${DECLARED_PREFIX}(${kinds})\\((\\d+)\\)$`)}, 2) AS INTEGER)`;
}

/** SQL (DuckDB) that maps a DuckDB `data_type` text column to Snowflake's INFORMATION_SCHEMA DATA_TYPE. */
export function snowflakeDataTypeSql(column: string): string {
  return `CASE
    WHEN ${column} LIKE 'DECIMAL%' OR ${column} IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT','UTINYINT','USMALLINT','UINTEGER','UBIGINT','UHUGEINT') THEN 'NUMBER'
    WHEN ${column} IN ('DOUBLE','FLOAT') THEN 'FLOAT'
    WHEN ${column} = 'VARCHAR' THEN 'TEXT'
    WHEN ${column} = 'JSON' THEN 'VARIANT'
    WHEN ${column} = 'TIMESTAMP' THEN 'TIMESTAMP_NTZ'
    WHEN ${column} = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP_LTZ'
    WHEN ${column} = ${sqlString(TZ_TYPE_TEXT)} THEN 'TIMESTAMP_TZ'
    WHEN ${column} = 'BLOB' THEN 'BINARY'
    ELSE ${column} END`;
}

/** Snowflake's display of a column type (SHOW COLUMNS / DESCRIBE) from DuckDB's type text. */
export function snowflakeTypeText(duck: string, comment?: unknown): string {
  const declared = declaredOf(duck, comment);
  if (declared) return declared;
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(duck);
  if (decimal) return `NUMBER(${decimal[1]},${decimal[2]})`;
  switch (duck) {
    case 'TINYINT':
    case 'SMALLINT':
    case 'INTEGER':
    case 'BIGINT':
    case 'HUGEINT':
      return 'NUMBER(38,0)';
    case 'DOUBLE':
    case 'FLOAT':
      return 'FLOAT';
    case 'VARCHAR':
      return 'VARCHAR(16777216)';
    case 'JSON':
      return 'VARIANT';
    case 'TIMESTAMP':
      return 'TIMESTAMP_NTZ(9)';
    case 'TIMESTAMP WITH TIME ZONE':
      return 'TIMESTAMP_LTZ(9)';
    case TZ_TYPE_TEXT:
      return 'TIMESTAMP_TZ(9)';
    case 'TIME':
      return 'TIME(9)';
    case 'BLOB':
      return 'BINARY(8388608)';
    default:
      return duck;
  }
}

/** The SHOW COLUMNS `data_type` JSON of a DuckDB type text. */
export function snowflakeTypeJson(duck: string, nullable: boolean, comment?: unknown): string {
  const declared = declaredNumber(declaredOf(duck, comment));
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(duck);
  if (decimal)
    return JSON.stringify({ type: 'FIXED', precision: Number(decimal[1]), scale: Number(decimal[2]), nullable });
  const text = snowflakeTypeText(duck);
  if (text === 'NUMBER(38,0)') return JSON.stringify({ type: 'FIXED', precision: 38, scale: 0, nullable });
  if (text === 'FLOAT') return JSON.stringify({ type: 'REAL', nullable });
  if (text.startsWith('VARCHAR'))
    return JSON.stringify({
      type: 'TEXT',
      length: declared ?? 16777216,
      byteLength: Math.min((declared ?? 16777216) * 4, 16777216),
      fixed: false,
      nullable,
    });
  if (text.startsWith('TIMESTAMP_NTZ'))
    return JSON.stringify({ type: 'TIMESTAMP_NTZ', precision: 0, scale: declared ?? 9, nullable });
  const objectOrArray = declaredOf(duck, comment);
  if (objectOrArray === 'OBJECT' || objectOrArray === 'ARRAY') return JSON.stringify({ type: objectOrArray, nullable });
  if (text.startsWith('TIMESTAMP_TZ'))
    return JSON.stringify({ type: 'TIMESTAMP_TZ', precision: 0, scale: declared ?? 9, nullable });
  if (text.startsWith('TIMESTAMP_LTZ'))
    return JSON.stringify({ type: 'TIMESTAMP_LTZ', precision: 0, scale: declared ?? 9, nullable });
  if (text.startsWith('TIME')) return JSON.stringify({ type: 'TIME', precision: 0, scale: declared ?? 9, nullable });
  if (text.startsWith('BINARY'))
    return JSON.stringify({ type: 'BINARY', length: 8388608, byteLength: 8388608, fixed: true, nullable });
  return JSON.stringify({ type: text, nullable });
}

/** DuckDB SQL of INFORMATION_SCHEMA views of one database, with Snowflake's columns. */
export function informationSchemaSql(view: string, database: string): string | undefined {
  const db = sqlString(database);
  switch (view) {
    case 'TABLES':
      return `(SELECT database_name AS TABLE_CATALOG, schema_name AS TABLE_SCHEMA, table_name AS TABLE_NAME,
        'ACCOUNTADMIN' AS TABLE_OWNER, 'BASE TABLE' AS TABLE_TYPE, 'NO' AS IS_TRANSIENT,
        CAST(estimated_size AS DECIMAL(38,0)) AS ROW_COUNT, CAST(NULL AS DECIMAL(38,0)) AS BYTES,
        CAST(NULL AS TIMESTAMPTZ) AS CREATED, CAST(NULL AS TIMESTAMPTZ) AS LAST_ALTERED, comment AS COMMENT
        FROM duckdb_tables() WHERE database_name = ${db}
        UNION ALL SELECT database_name, schema_name, view_name, 'ACCOUNTADMIN', 'VIEW', 'NO', NULL, NULL, NULL, NULL, comment
        FROM duckdb_views() WHERE database_name = ${db} AND NOT internal)`;
    case 'COLUMNS':
      return `(SELECT database_name AS TABLE_CATALOG, schema_name AS TABLE_SCHEMA, table_name AS TABLE_NAME,
        column_name AS COLUMN_NAME, CAST(column_index AS DECIMAL(38,0)) AS ORDINAL_POSITION,
        column_default AS COLUMN_DEFAULT, CASE WHEN is_nullable THEN 'YES' ELSE 'NO' END AS IS_NULLABLE,
        CASE WHEN data_type = 'JSON' AND comment IN (${sqlString(`${DECLARED_PREFIX}OBJECT`)}, ${sqlString(`${DECLARED_PREFIX}ARRAY`)}) THEN substr(comment, ${DECLARED_PREFIX.length + 1})
          ELSE ${snowflakeDataTypeSql('data_type')} END AS DATA_TYPE,
        CAST(CASE WHEN data_type = 'VARCHAR' THEN coalesce(${declaredNumberSql('VARCHAR')}, 16777216) END AS DECIMAL(38,0)) AS CHARACTER_MAXIMUM_LENGTH,
        CAST(CASE WHEN data_type = 'VARCHAR' THEN least(coalesce(${declaredNumberSql('VARCHAR')} * 4, 16777216), 16777216) END AS DECIMAL(38,0)) AS CHARACTER_OCTET_LENGTH,
        CAST(CASE WHEN data_type LIKE 'DECIMAL%' THEN numeric_precision WHEN data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT') THEN 38 END AS DECIMAL(38,0)) AS NUMERIC_PRECISION,
        CAST(CASE WHEN data_type LIKE 'DECIMAL%' OR data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT') THEN 10 END AS DECIMAL(38,0)) AS NUMERIC_PRECISION_RADIX,
        CAST(CASE WHEN data_type LIKE 'DECIMAL%' THEN numeric_scale WHEN data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT') THEN 0 END AS DECIMAL(38,0)) AS NUMERIC_SCALE,
        CAST(CASE WHEN data_type = 'TIME' THEN coalesce(${declaredNumberSql('TIME')}, 9)
          WHEN data_type = 'TIMESTAMP' THEN coalesce(${declaredNumberSql('TIMESTAMP_NTZ')}, 9)
          WHEN data_type LIKE 'TIMESTAMP%' OR data_type = ${sqlString(TZ_TYPE_TEXT)} THEN coalesce(${declaredNumberSql('TIMESTAMP_LTZ|TIMESTAMP_TZ')}, 9) END AS DECIMAL(38,0)) AS DATETIME_PRECISION,
        CASE WHEN starts_with(comment, ${sqlString(DECLARED_PREFIX)}) THEN NULL ELSE comment END AS COMMENT
        FROM duckdb_columns() WHERE database_name = ${db} AND NOT internal)`;
    case 'SCHEMATA':
      return `(SELECT database_name AS CATALOG_NAME, schema_name AS SCHEMA_NAME, 'ACCOUNTADMIN' AS SCHEMA_OWNER,
        'NO' AS IS_TRANSIENT, 'NO' AS IS_MANAGED_ACCESS, CAST(1 AS DECIMAL(38,0)) AS RETENTION_TIME,
        CAST(NULL AS TIMESTAMPTZ) AS CREATED, CAST(NULL AS TIMESTAMPTZ) AS LAST_ALTERED, comment AS COMMENT
        FROM duckdb_schemas() WHERE database_name = ${db} AND schema_name <> 'main'
        UNION ALL SELECT ${db}, 'INFORMATION_SCHEMA', 'ACCOUNTADMIN', 'NO', 'NO', 1, NULL, NULL, 'Views describing the contents of schemas in this database')`;
    case 'VIEWS':
      return `(SELECT database_name AS TABLE_CATALOG, schema_name AS TABLE_SCHEMA, view_name AS TABLE_NAME,
        'ACCOUNTADMIN' AS TABLE_OWNER, sql AS VIEW_DEFINITION, comment AS COMMENT
        FROM duckdb_views() WHERE database_name = ${db} AND NOT internal)`;
    default:
      return undefined;
  }
}
