// Declared types (VARCHAR(18), TIMESTAMP_NTZ(3), ...) that DuckDB does not keep: recorded as column comments,
// and carried into the rowtype of a SELECT over plain tables.
import type { RowType } from '../result-columns.js';
import type { Session } from '../session.js';
import { declaredComment, declaredOf } from '../sql/catalog.js';
import { qualify, readName } from '../sql/names.js';
import { isOp, isWord, sqlIdent, sqlString, type Token } from '../sql/tokens.js';
import { isShadow } from '../transactions.js';

/** Words that end the FROM clause of a SELECT. */
const AFTER_FROM = new Set(['WHERE', 'GROUP', 'ORDER', 'LIMIT', 'QUALIFY', 'HAVING', 'WINDOW', 'OFFSET', 'FETCH']);

/**
 * The tables a `SELECT ... FROM a [JOIN b ...] [, c]` reads (name parts), or undefined when the query is
 * not one SELECT over plain tables (set operations, subqueries, table functions or VALUES in FROM).
 */
function queryTables(tokens: Token[]): string[][] | undefined {
  if (!isWord(tokens[0], 'SELECT')) return undefined;
  let depth = 0;
  let from = -1;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (isOp(t, '(')) depth++;
    else if (isOp(t, ')')) depth--;
    else if (depth === 0 && isWord(t, 'UNION', 'EXCEPT', 'INTERSECT', 'MINUS', 'LATERAL')) return undefined;
    else if (depth === 0 && isWord(t, 'FROM') && from < 0) from = k;
  }
  if (from < 0) return undefined;
  const tables: string[][] = [];
  let expectTable = true;
  depth = 0;
  for (let k = from + 1; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (depth === 0 && t.kind === 'word' && AFTER_FROM.has(t.value)) break;
    if (expectTable && depth === 0) {
      if (t.kind !== 'word' && t.kind !== 'quoted') return undefined;
      if (isWord(t, 'VALUES', 'TABLE')) return undefined;
      const name = readName(tokens, k);
      if (isOp(tokens[name.next], '(')) return undefined;
      tables.push(name.parts);
      k = name.next - 1;
      expectTable = false;
      continue;
    }
    if (isOp(t, '(')) depth++;
    else if (isOp(t, ')')) depth--;
    else if (depth === 0 && (isWord(t, 'JOIN') || isOp(t, ','))) expectTable = true;
  }
  return tables.length > 0 ? tables : undefined;
}

/** The result `type` of the driver's rowtype for each declared kind (see `declaredOf`). */
const ROWTYPE_OF_DECLARED: Record<string, string> = {
  VARCHAR: 'text',
  TIME: 'time',
  TIMESTAMP_NTZ: 'timestamp_ntz',
  TIMESTAMP_LTZ: 'timestamp_ltz',
  TIMESTAMP_TZ: 'timestamp_tz',
};

/**
 * The declared types (`VARCHAR(18)`, `TIMESTAMP_NTZ(3)`) of the columns a query reads, by column name, as
 * Snowflake carries them into a result: a name that only one of the query's tables has, or that all of them
 * declare alike. Undefined when the query is not a SELECT over plain tables.
 */
export async function declaredOfQuery(session: Session, tokens: Token[]): Promise<Map<string, string> | undefined> {
  const tables = queryTables(tokens);
  if (!tables || !session.database) return undefined;
  const found = new Map<string, Set<string>>();
  for (const parts of tables) {
    let q: { database: string; schema: string; name: string };
    try {
      q = qualify(parts, session.database, session.schema);
    } catch {
      return undefined;
    }
    const temp = parts.length === 1 && !isShadow(session, q.name);
    const rows = (
      await session.connection.runAndReadAll(
        `SELECT column_name, data_type, comment FROM duckdb_columns() WHERE (database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)}${temp ? ` OR database_name = 'temp'` : ''}) AND table_name = ${sqlString(q.name)} ORDER BY database_name = 'temp' DESC`,
      )
    ).getRows();
    const seen = new Set<string>();
    for (const [column, type, comment] of rows) {
      const name = String(column);
      if (seen.has(name)) continue; // a temporary table hides the permanent one of its name
      seen.add(name);
      const set = found.get(name) ?? new Set<string>();
      set.add(declaredOf(String(type), comment) ?? `undeclared ${String(type)}`);
      found.set(name, set);
    }
  }
  const declared = new Map<string, string>();
  for (const [name, set] of found) {
    const only = set.size === 1 ? [...set][0] : undefined;
    if (only && !only.startsWith('undeclared ')) declared.set(name, only);
  }
  return declared;
}

/**
 * Gives the result columns of a SELECT over plain tables (one, or several joined) the length / precision
 * their columns were declared with, as Snowflake's rowtype does (`VARCHAR(18)` -> length 18,
 * `TIMESTAMP_NTZ(3)` -> scale 3). A result column is taken as a table's column when its name and kind match
 * it: an expression aliased to a column's name (`SELECT UPPER(id) AS id`) is reported with that column's
 * declaration too, as Snowflake does for most functions that keep a text's length; other queries keep
 * DuckDB's types (16777216, 9).
 */
export async function applyDeclaredTypes(session: Session, tokens: Token[], rowtype: RowType[]): Promise<void> {
  if (!rowtype.some((c) => c.type === 'variant' || Object.values(ROWTYPE_OF_DECLARED).includes(c.type))) return;
  const declared = await declaredOfQuery(session, tokens);
  if (!declared) return;
  for (const meta of rowtype) {
    const d = declared.get(meta.name);
    if ((d === 'OBJECT' || d === 'ARRAY') && meta.type === 'variant') {
      meta.type = d.toLowerCase();
      continue;
    }
    const match = d ? /^([A-Z_]+)\((\d+)\)$/.exec(d) : null;
    if (!match || ROWTYPE_OF_DECLARED[match[1] as string] !== meta.type) continue;
    const n = Number(match[2]);
    if (meta.type === 'text') {
      meta.length = n;
      meta.byteLength = Math.min(n * 4, 16777216);
    } else {
      meta.scale = n;
    }
  }
}

/**
 * The DuckDB statements that record (or, with `undefined`, forget) columns' declared types in the
 * emulator's catalog (see `DECLARED_PREFIX`). `table` is the DuckDB table name as written in the statement.
 */
export function declaredTypeSql(table: string, columns: Array<{ column: string; declared?: string }>): string[] {
  return columns.map(
    ({ column, declared }) =>
      `COMMENT ON COLUMN ${table}.${sqlIdent(column)} IS ${declared ? sqlString(declaredComment(declared)) : 'NULL'}`,
  );
}
