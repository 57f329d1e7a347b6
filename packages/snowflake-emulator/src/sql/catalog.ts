import { sqlString } from './tokens.js';

/** SQL (DuckDB) that maps a DuckDB `data_type` text column to Snowflake's INFORMATION_SCHEMA DATA_TYPE. */
export function snowflakeDataTypeSql(column: string): string {
  return `CASE
    WHEN ${column} LIKE 'DECIMAL%' OR ${column} IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT','UTINYINT','USMALLINT','UINTEGER','UBIGINT','UHUGEINT') THEN 'NUMBER'
    WHEN ${column} IN ('DOUBLE','FLOAT') THEN 'FLOAT'
    WHEN ${column} = 'VARCHAR' THEN 'TEXT'
    WHEN ${column} = 'JSON' THEN 'VARIANT'
    WHEN ${column} = 'TIMESTAMP' THEN 'TIMESTAMP_NTZ'
    WHEN ${column} = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP_LTZ'
    WHEN ${column} = 'BLOB' THEN 'BINARY'
    ELSE ${column} END`;
}

/** Snowflake's display of a column type (SHOW COLUMNS / DESCRIBE) from DuckDB's type text. */
export function snowflakeTypeText(duck: string): string {
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
    case 'TIME':
      return 'TIME(9)';
    case 'BLOB':
      return 'BINARY(8388608)';
    default:
      return duck;
  }
}

/** The SHOW COLUMNS `data_type` JSON of a DuckDB type text. */
export function snowflakeTypeJson(duck: string, nullable: boolean): string {
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(duck);
  if (decimal)
    return JSON.stringify({ type: 'FIXED', precision: Number(decimal[1]), scale: Number(decimal[2]), nullable });
  const text = snowflakeTypeText(duck);
  if (text === 'NUMBER(38,0)') return JSON.stringify({ type: 'FIXED', precision: 38, scale: 0, nullable });
  if (text === 'FLOAT') return JSON.stringify({ type: 'REAL', nullable });
  if (text.startsWith('VARCHAR'))
    return JSON.stringify({ type: 'TEXT', length: 16777216, byteLength: 16777216, fixed: false, nullable });
  if (text.startsWith('TIMESTAMP_NTZ'))
    return JSON.stringify({ type: 'TIMESTAMP_NTZ', precision: 0, scale: 9, nullable });
  if (text.startsWith('TIMESTAMP_LTZ'))
    return JSON.stringify({ type: 'TIMESTAMP_LTZ', precision: 0, scale: 9, nullable });
  if (text.startsWith('TIME')) return JSON.stringify({ type: 'TIME', precision: 0, scale: 9, nullable });
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
        ${snowflakeDataTypeSql('data_type')} AS DATA_TYPE,
        CAST(CASE WHEN data_type = 'VARCHAR' THEN 16777216 END AS DECIMAL(38,0)) AS CHARACTER_MAXIMUM_LENGTH,
        CAST(CASE WHEN data_type = 'VARCHAR' THEN 16777216 END AS DECIMAL(38,0)) AS CHARACTER_OCTET_LENGTH,
        CAST(CASE WHEN data_type LIKE 'DECIMAL%' THEN numeric_precision WHEN data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT') THEN 38 END AS DECIMAL(38,0)) AS NUMERIC_PRECISION,
        CAST(CASE WHEN data_type LIKE 'DECIMAL%' OR data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT') THEN 10 END AS DECIMAL(38,0)) AS NUMERIC_PRECISION_RADIX,
        CAST(CASE WHEN data_type LIKE 'DECIMAL%' THEN numeric_scale WHEN data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT') THEN 0 END AS DECIMAL(38,0)) AS NUMERIC_SCALE,
        CAST(CASE WHEN data_type LIKE 'TIME%' THEN 9 END AS DECIMAL(38,0)) AS DATETIME_PRECISION,
        comment AS COMMENT
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
