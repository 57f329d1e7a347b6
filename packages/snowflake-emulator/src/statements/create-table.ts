// CREATE TABLE: a column list, LIKE, CLONE or AS SELECT, and the declared types (VARCHAR(18), ...) it records.
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { DECLARED_PREFIX, declaredComment, declaredOf } from '../sql/catalog.js';
import { displayName, duckName, qualify, readName } from '../sql/names.js';
import { callArgs, ifNotExists } from '../sql/scan.js';
import { isOp, isWord, sqlIdent, sqlString, type Token } from '../sql/tokens.js';
import { type TranslateContext, translateTokens } from '../sql/translate.js';
import { CONSTRAINT_WORDS, type ColumnDefinition, columnDefinition } from './columns.js';
import { declaredOfQuery, declaredTypeSql } from './declared-types.js';
import { tableExists } from './lookups.js';
import { runDuck, type StatementOutcome, statusResult } from './outcome.js';

/** A CREATE TABLE's DuckDB statement, and the declared types to record once the table exists. */
interface TableDefinition {
  sql: string;
  declared: Array<{ column: string; declared?: string }>;
}

/** `CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] t (...) | LIKE s | CLONE s | AS SELECT ...`. */
export async function createTable(
  session: Session,
  tokens: Token[],
  at: number,
  mode: { orReplace: boolean; temporary: boolean },
  ctx: TranslateContext,
): Promise<StatementOutcome> {
  const exists = ifNotExists(tokens, at);
  const name = readName(tokens, exists.next);
  const q = qualify(name.parts, session.database, session.schema);
  const target = mode.temporary ? `temp.main.${sqlIdent(q.name)}` : duckName(q);
  const head = `CREATE ${mode.orReplace ? 'OR REPLACE ' : ''}${mode.temporary ? 'TEMP ' : ''}TABLE ${exists.present ? 'IF NOT EXISTS ' : ''}${target}`;
  const i = name.next;
  let definition: TableDefinition;
  if (isWord(tokens[i], 'LIKE') || isWord(tokens[i], 'CLONE'))
    definition = await copiedTable(session, tokens, i, head, q.database);
  else if (isOp(tokens[i], '(')) definition = columnList(tokens, i, head, ctx);
  else if (isWord(tokens[i], 'AS') || isWord(tokens[i], 'CLUSTER', 'COMMENT', 'COPY'))
    definition = await tableAsSelect(session, tokens, i, head, ctx);
  else throw SnowflakeSqlError.syntax(`unexpected '${tokens[i]?.text ?? '<EOF>'}'`, '', 0);
  const { sql } = definition;
  let { declared } = definition;
  // IF NOT EXISTS on a table that exists changes nothing, so its recorded types stay.
  const database = mode.temporary ? 'temp' : q.database;
  const schema = mode.temporary ? 'main' : q.schema;
  if (exists.present && declared.length > 0 && (await tableExists(session, database, schema, q.name))) declared = [];
  const statements = [sql, ...declaredTypeSql(target, declared)].join('; ');
  await runDuck(statements, () => session.connection.run(statements));
  return statusResult(`Table ${q.name} successfully created.`);
}

/**
 * `LIKE source` (columns, NOT NULL and defaults) or `CLONE source` (columns and rows) at `i`: both copy the
 * declared types, read from the source's definition. `database` is the new table's (an unqualified source is
 * looked up there).
 */
async function copiedTable(
  session: Session,
  tokens: Token[],
  i: number,
  head: string,
  database: string,
): Promise<TableDefinition> {
  const like = isWord(tokens[i], 'LIKE');
  const source = readName(tokens, i + 1);
  const sq = qualify(source.parts, session.database, session.schema);
  const from = source.parts.length === 1 ? sqlIdent(sq.name) : duckName(sq);
  const columns = await runDuck(from, async () =>
    (
      await session.connection.runAndReadAll(
        `SELECT column_name, data_type, is_nullable, column_default, comment FROM duckdb_columns() WHERE database_name = ${sqlString(source.parts.length === 1 ? database : sq.database)} AND schema_name = ${sqlString(sq.schema)} AND table_name = ${sqlString(sq.name)} ORDER BY column_index`,
      )
    ).getRows(),
  );
  const declared = columns
    .filter(([, , , , comment]) => typeof comment === 'string' && comment.startsWith(DECLARED_PREFIX))
    .map(([column, , , , comment]) => ({
      column: String(column),
      declared: String(comment).slice(DECLARED_PREFIX.length),
    }));
  if (!like) return { sql: `${head} AS SELECT * FROM ${from}`, declared };
  if (columns.length === 0) throw SnowflakeSqlError.objectMissing('Object', displayName(sq));
  const defs = columns.map(
    ([column, type, nullable, def]) =>
      `${sqlIdent(String(column))} ${String(type)}${def !== null ? ` DEFAULT ${String(def)}` : ''}${nullable ? '' : ' NOT NULL'}`,
  );
  return { sql: `${head} (${defs.join(', ')})`, declared };
}

/** `(column definitions, constraints) [table options]` at `i`. */
function columnList(tokens: Token[], i: number, head: string, ctx: TranslateContext): TableDefinition {
  const { args, close } = callArgs(tokens, i);
  const defs: ColumnDefinition[] = [];
  for (const [from, to] of args) {
    const first = tokens[from] as Token;
    if (first.kind === 'word' && CONSTRAINT_WORDS.has(first.value)) {
      if (isWord(first, 'CHECK')) throw SnowflakeSqlError.unsupported('CHECK constraints');
      continue; // PRIMARY KEY / UNIQUE / FOREIGN KEY: recorded by Snowflake, not enforced
    }
    defs.push(columnDefinition(tokens, from, to, ctx));
  }
  // Table options (CLUSTER BY, COMMENT =, DATA_RETENTION_TIME_IN_DAYS =, ...) up to AS.
  for (let k = close + 1; k < tokens.length; k++) {
    if (isWord(tokens[k], 'AS')) {
      translateTokens(tokens, ctx, k + 1); // the query's own errors are reported first
      throw SnowflakeSqlError.unsupported('CREATE TABLE with a column list AS SELECT');
    }
  }
  return { sql: `${head} (${defs.map((d) => d.sql).join(', ')})`, declared: defs.filter((d) => d.declared) };
}

/** `[table options] AS SELECT ...` at `i`: the new columns keep the declared types of the columns they come from. */
async function tableAsSelect(
  session: Session,
  tokens: Token[],
  at: number,
  head: string,
  ctx: TranslateContext,
): Promise<TableDefinition> {
  let i = at;
  while (i < tokens.length && !isWord(tokens[i], 'AS')) i++;
  const sql = `${head} AS ${translateTokens(tokens, ctx, i + 1)}`;
  const declared: TableDefinition['declared'] = [];
  const fromQuery = await declaredOfQuery(session, tokens.slice(i + 1));
  if (fromQuery) {
    const query = translateTokens(tokens, ctx, i + 1);
    const described = await runDuck(query, () => session.connection.runAndReadAll(`DESCRIBE ${query}`));
    for (const [column, type] of described.getRows()) {
      const d = fromQuery.get(String(column));
      if (d && declaredOf(String(type), declaredComment(d))) declared.push({ column: String(column), declared: d });
    }
  }
  return { sql, declared };
}
