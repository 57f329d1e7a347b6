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
  let i = name.next;
  let sql: string;
  /** Declared types to record once the table exists. */
  let declared: Array<{ column: string; declared?: string }> = [];
  if (isWord(tokens[i], 'LIKE') || isWord(tokens[i], 'CLONE')) {
    const source = readName(tokens, i + 1);
    const sq = qualify(source.parts, session.database, session.schema);
    const from = source.parts.length === 1 ? sqlIdent(sq.name) : duckName(sq);
    sql = isWord(tokens[i], 'LIKE') ? `${head} AS SELECT * FROM ${from} LIMIT 0` : `${head} AS SELECT * FROM ${from}`;
    // LIKE and CLONE copy the declared types (and LIKE NOT NULL and defaults too): read the source's definition.
    const columns = await runDuck(from, async () =>
      (
        await session.connection.runAndReadAll(
          `SELECT column_name, data_type, is_nullable, column_default, comment FROM duckdb_columns() WHERE database_name = ${sqlString(source.parts.length === 1 ? q.database : sq.database)} AND schema_name = ${sqlString(sq.schema)} AND table_name = ${sqlString(sq.name)} ORDER BY column_index`,
        )
      ).getRows(),
    );
    declared = columns
      .filter(([, , , , comment]) => typeof comment === 'string' && comment.startsWith(DECLARED_PREFIX))
      .map(([column, , , , comment]) => ({
        column: String(column),
        declared: String(comment).slice(DECLARED_PREFIX.length),
      }));
    if (isWord(tokens[i], 'LIKE')) {
      if (columns.length === 0) throw SnowflakeSqlError.objectMissing('Object', displayName(sq));
      const defs = columns.map(
        ([column, type, nullable, def]) =>
          `${sqlIdent(String(column))} ${String(type)}${def !== null ? ` DEFAULT ${String(def)}` : ''}${nullable ? '' : ' NOT NULL'}`,
      );
      sql = `${head} (${defs.join(', ')})`;
    }
  } else if (isOp(tokens[i], '(')) {
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
    i = close + 1;
    // Table options (CLUSTER BY, COMMENT =, DATA_RETENTION_TIME_IN_DAYS =, ...) up to AS.
    let as = -1;
    for (let k = i; k < tokens.length; k++) {
      if (isWord(tokens[k], 'AS')) {
        as = k;
        break;
      }
    }
    if (as >= 0) {
      sql = `${head} AS SELECT * FROM (${translateTokens(tokens, ctx, as + 1)})`;
      void defs;
      throw SnowflakeSqlError.unsupported('CREATE TABLE with a column list AS SELECT');
    }
    sql = `${head} (${defs.map((d) => d.sql).join(', ')})`;
    declared = defs.filter((d) => d.declared);
  } else if (isWord(tokens[i], 'AS') || isWord(tokens[i], 'CLUSTER', 'COMMENT', 'COPY')) {
    while (i < tokens.length && !isWord(tokens[i], 'AS')) i++;
    sql = `${head} AS ${translateTokens(tokens, ctx, i + 1)}`;
    // The new columns keep the declared types of the columns they come from, as in Snowflake.
    const fromQuery = await declaredOfQuery(session, tokens.slice(i + 1));
    if (fromQuery) {
      const query = translateTokens(tokens, ctx, i + 1);
      const described = await runDuck(query, () => session.connection.runAndReadAll(`DESCRIBE ${query}`));
      for (const [column, type] of described.getRows()) {
        const d = fromQuery.get(String(column));
        if (d && declaredOf(String(type), declaredComment(d))) declared.push({ column: String(column), declared: d });
      }
    }
  } else {
    throw SnowflakeSqlError.syntax(`unexpected '${tokens[i]?.text ?? '<EOF>'}'`, '', 0);
  }
  // IF NOT EXISTS on a table that exists changes nothing, so its recorded types stay.
  const database = mode.temporary ? 'temp' : q.database;
  const schema = mode.temporary ? 'main' : q.schema;
  if (exists.present && declared.length > 0 && (await tableExists(session, database, schema, q.name))) declared = [];
  const statements = [sql, ...declaredTypeSql(target, declared)].join('; ');
  await runDuck(statements, () => session.connection.run(statements));
  return statusResult(`Table ${q.name} successfully created.`);
}
