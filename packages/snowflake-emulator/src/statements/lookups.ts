// What a statement reads from DuckDB's catalog as the session sees it: TIMESTAMP_TZ column names, a table's
// columns, whether a table exists.
import type { Session } from '../session.js';
import { qualify } from '../sql/names.js';
import { rewriteTimestampTz } from '../sql/timestamp-tz-rewrite.js';
import { sqlString, type Token } from '../sql/tokens.js';
import { TZ_TYPE_TEXT } from '../sql/types.js';

/**
 * Names of the TIMESTAMP_TZ columns of the tables and views a statement may name (any name in its text): what
 * {@link rewriteTimestampTz} treats as TIMESTAMP_TZ column references.
 */
export async function timestampTzNames(session: Session, tokens: Token[]): Promise<Set<string>> {
  const words = new Set<string>();
  for (const t of tokens) if (t.kind === 'word' || t.kind === 'quoted') words.add(t.value);
  if (words.size === 0) return new Set();
  const rows = (
    await session.connection.runAndReadAll(
      `SELECT DISTINCT column_name FROM duckdb_columns() WHERE data_type = ${sqlString(TZ_TYPE_TEXT)} AND table_name IN (${[...words].map(sqlString).join(', ')})`,
    )
  ).getRows();
  return new Set(rows.map(([name]) => String(name)));
}

/** The columns (name, DuckDB type text) of a table the statement names, in order; a temporary table first. */
export async function tableColumns(session: Session, parts: string[]): Promise<Array<{ name: string; type: string }>> {
  if (!session.database) return [];
  const q = qualify(parts, session.database, session.schema);
  const temp = parts.length === 1;
  const rows = (
    await session.connection.runAndReadAll(
      `SELECT column_name, data_type, database_name = 'temp' FROM duckdb_columns() WHERE (database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)}${temp ? ` OR database_name = 'temp'` : ''}) AND table_name = ${sqlString(q.name)} ORDER BY database_name = 'temp' DESC, column_index`,
    )
  ).getRows();
  const fromTemp = rows[0]?.[2] === true;
  return rows
    .filter((r) => (r[2] === true) === fromTemp)
    .map(([name, type]) => ({ name: String(name), type: String(type) }));
}

/** Whether a table (DuckDB catalog, schema, name) exists, as the session's connection sees it. */
export async function tableExists(session: Session, database: string, schema: string, name: string): Promise<boolean> {
  const rows = (
    await session.connection.runAndReadAll(
      `SELECT 1 FROM duckdb_tables() WHERE database_name = ${sqlString(database)} AND schema_name = ${sqlString(schema)} AND table_name = ${sqlString(name)}`,
    )
  ).getRows();
  return rows.length > 0;
}
