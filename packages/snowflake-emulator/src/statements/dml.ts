// INSERT (and INSERT OVERWRITE), UPDATE and DELETE, with Snowflake's count columns.
import type { DuckDBConnection } from '@duckdb/node-api';
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { readName } from '../sql/names.js';
import { isOp, isWord, type Token } from '../sql/tokens.js';
import { type TranslateContext, translateTokens } from '../sql/translate.js';
import { tableColumns } from './lookups.js';
import { countResult, runDuck, STATEMENT_TYPE, type StatementOutcome } from './outcome.js';
import { assignTimestampTz, insertSql } from './tz-writes.js';

export async function dml(
  conn: DuckDBConnection,
  sql: string,
  statementTypeId: number,
  label: string,
): Promise<StatementOutcome> {
  const changed = await runDuck(sql, async () => (await conn.run(sql)).rowsChanged);
  return countResult(statementTypeId, [[label, changed]]);
}

export async function insert(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
  if (isWord(tokens[1], 'ALL', 'FIRST')) throw SnowflakeSqlError.unsupported('multi-table INSERT (INSERT ALL | FIRST)');
  if (isWord(tokens[1], 'OVERWRITE')) {
    // INSERT OVERWRITE INTO t ...: truncate, then insert, in one transaction.
    const target = readName(tokens, 3);
    const rest = [tokens[0] as Token, ...tokens.slice(2)];
    const name = translateTokens(tokens, ctx, 3, target.next);
    const sql = await insertSql(session, rest, ctx);
    const conn = session.connection;
    return runDuck(sql, async () => {
      await conn.run('BEGIN TRANSACTION');
      try {
        await conn.run(`DELETE FROM ${name}`);
        const changed = (await conn.run(sql)).rowsChanged;
        await conn.run('COMMIT');
        return countResult(STATEMENT_TYPE.insert, [['number of rows inserted', changed]]);
      } catch (error) {
        await conn.run('ROLLBACK');
        throw error;
      }
    });
  }
  return dml(
    session.connection,
    await insertSql(session, tokens, ctx),
    STATEMENT_TYPE.insert,
    'number of rows inserted',
  );
}

export async function update(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
  const set = tokens.findIndex((t) => isWord(t, 'SET'));
  let rewritten = set > 0 ? stripSetQualifiers(tokens, set + 1) : tokens;
  if (set > 0) rewritten = assignTimestampTz(rewritten, await tableColumns(session, readName(tokens, 1).parts), ctx);
  const sql = translateTokens(rewritten, ctx);
  const changed = await runDuck(sql, async () => (await session.connection.run(sql)).rowsChanged);
  return countResult(STATEMENT_TYPE.update, [
    ['number of rows updated', changed],
    ['number of multi-joined rows updated', 0],
  ]);
}

/** Removes `alias.` before assigned columns in `SET a.col = ...` lists (DuckDB takes bare names). */
export function stripSetQualifiers(tokens: Token[], from: number): Token[] {
  const out = tokens.slice(0, from);
  let depth = 0;
  let atAssignment = true;
  for (let i = from; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (isOp(token, '(')) depth++;
    if (isOp(token, ')')) depth--;
    if (depth === 0 && isWord(token, 'FROM', 'WHERE', 'WHEN')) {
      out.push(...tokens.slice(i));
      return out;
    }
    if (
      atAssignment &&
      (token.kind === 'word' || token.kind === 'quoted') &&
      isOp(tokens[i + 1], '.') &&
      (tokens[i + 2]?.kind === 'word' || tokens[i + 2]?.kind === 'quoted') &&
      isOp(tokens[i + 3], '=')
    ) {
      i++;
      atAssignment = false;
      continue;
    }
    atAssignment = depth === 0 && isOp(token, ',');
    out.push(token);
  }
  return out;
}
