import { SnowflakeSqlError } from '../errors.js';
import { isOp, sqlIdent, type Token } from './tokens.js';

/** A possibly qualified object name as Snowflake resolves it (unquoted parts upper-cased). */
export interface ObjectName {
  parts: string[];
  next: number;
}

/** Reads `a`, `a.b` or `a.b.c` (quoted or not) at `at` in significant tokens. */
export function readName(tokens: Token[], at: number): ObjectName {
  const parts: string[] = [];
  let i = at;
  for (;;) {
    const token = tokens[i];
    if (!token || (token.kind !== 'word' && token.kind !== 'quoted')) {
      throw SnowflakeSqlError.syntax(`unexpected '${token?.text ?? '<EOF>'}'`, '', token?.start ?? 0);
    }
    parts.push(token.value);
    i++;
    if (isOp(tokens[i], '.') && (tokens[i + 1]?.kind === 'word' || tokens[i + 1]?.kind === 'quoted')) {
      i++;
      continue;
    }
    if (isOp(tokens[i], '.') && isOp(tokens[i + 1], '.')) {
      // db..table: the PUBLIC schema
      parts.push('PUBLIC');
      i++;
      continue;
    }
    break;
  }
  if (parts.length > 3) throw SnowflakeSqlError.syntax(`unexpected '.'`, '', 0);
  return { parts, next: i };
}

/** A name fully qualified with the session's database and schema. */
export function qualify(
  parts: string[],
  database: string | undefined,
  schema: string | undefined,
): { database: string; schema: string; name: string } {
  const name = parts.at(-1) as string;
  const noDatabase = () =>
    new SnowflakeSqlError(
      "Cannot perform operation. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.",
      { sfCode: '090105', sqlState: '22000' },
    );
  if (parts.length === 3) return { database: parts[0] as string, schema: parts[1] as string, name };
  if (parts.length === 2) {
    if (!database) throw noDatabase();
    return { database, schema: parts[0] as string, name };
  }
  if (!database || !schema) throw noDatabase();
  return { database, schema, name };
}

/** DuckDB text of a qualified name. */
export function duckName(q: { database: string; schema: string; name: string }): string {
  return `${sqlIdent(q.database)}.${sqlIdent(q.schema)}.${sqlIdent(q.name)}`;
}

/** Snowflake's display of a qualified name (`DB.SCHEMA.NAME`). */
export function displayName(q: { database: string; schema: string; name: string }): string {
  return `${q.database}.${q.schema}.${q.name}`;
}
