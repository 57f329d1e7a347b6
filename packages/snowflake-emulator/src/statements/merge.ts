import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { readName } from '../sql/names.js';
import { isOp, isWord, type Token } from '../sql/tokens.js';
import { type TranslateContext, translateTokens } from '../sql/translate.js';
import { stripSetQualifiers } from './dml.js';
import { tableColumns } from './lookups.js';
import { countResult, runDuck, STATEMENT_TYPE, type StatementOutcome } from './outcome.js';
import { assignTimestampTz } from './tz-writes.js';

export async function merge(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
  // MERGE INTO target [AS] [alias] USING source [AS] [alias] ON cond WHEN ...
  if (!isWord(tokens[1], 'INTO')) throw SnowflakeSqlError.syntax(`unexpected '${tokens[1]?.text}'`, '', 0);
  const target = readName(tokens, 2);
  let i = target.next;
  let targetAlias: string | undefined;
  if (isWord(tokens[i], 'AS')) i++;
  if (!isWord(tokens[i], 'USING')) {
    targetAlias = translateTokens(tokens, ctx, i, i + 1);
    i++;
  }
  if (!isWord(tokens[i], 'USING')) throw SnowflakeSqlError.syntax(`unexpected '${tokens[i]?.text}'`, '', 0);
  const usingAt = i;
  let depth = 0;
  let on = -1;
  for (let k = usingAt + 1; k < tokens.length; k++) {
    if (isOp(tokens[k], '(')) depth++;
    else if (isOp(tokens[k], ')')) depth--;
    else if (depth === 0 && isWord(tokens[k], 'ON')) {
      on = k;
      break;
    }
  }
  if (on < 0) throw SnowflakeSqlError.syntax("unexpected '<EOF>'", '', 0);
  let firstWhen = -1;
  depth = 0;
  for (let k = on + 1; k < tokens.length; k++) {
    if (isOp(tokens[k], '(')) depth++;
    else if (isOp(tokens[k], ')')) depth--;
    else if (depth === 0 && isWord(tokens[k], 'WHEN')) {
      firstWhen = k;
      break;
    }
  }
  if (firstWhen < 0) throw SnowflakeSqlError.syntax("unexpected '<EOF>'", '', 0);
  const targetSql = translateTokens(tokens, ctx, 2, target.next);
  const sourceSql = translateTokens(tokens, ctx, usingAt + 1, on);
  const conditionSql = translateTokens(tokens, ctx, on + 1, firstWhen);
  const whens = tokens.slice(firstWhen);
  const actions = { insert: false, update: false, delete: false };
  for (let k = 0; k < whens.length; k++) {
    if (isWord(whens[k], 'THEN')) {
      const action = whens[k + 1];
      if (isWord(action, 'INSERT')) actions.insert = true;
      if (isWord(action, 'UPDATE')) actions.update = true;
      if (isWord(action, 'DELETE')) actions.delete = true;
    }
  }
  const conn = session.connection;
  // Snowflake refuses to update or delete one target row from several source rows
  // (ERROR_ON_NONDETERMINISTIC_MERGE); DuckDB would apply each. Check first.
  if (actions.update || actions.delete) {
    const alias = targetAlias ?? targetSql;
    const check = `SELECT 1 FROM ${targetSql}${targetAlias ? ` AS ${targetAlias}` : ''} JOIN ${sourceSql} ON ${conditionSql} GROUP BY ${alias}.rowid HAVING count(*) > 1 LIMIT 1`;
    const duplicate = await runDuck(check, async () => (await conn.runAndReadAll(check)).currentRowCount > 0);
    if (duplicate) {
      throw new SnowflakeSqlError(
        'Duplicate row detected during DML action\nRow Values: (the target row is matched by more than one source row)',
        { sfCode: '100090', sqlState: '42P18' },
      );
    }
  }
  const body = assignTimestampTz(stripMergeSetQualifiers(tokens), await tableColumns(session, target.parts), ctx);
  const sql = `${translateTokens(body, ctx)} RETURNING merge_action`;
  const counts = { INSERT: 0, UPDATE: 0, DELETE: 0 } as Record<string, number>;
  await runDuck(sql, async () => {
    const result = await conn.stream(sql);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const action of chunk.getColumnValues(0)) counts[String(action)] = (counts[String(action)] ?? 0) + 1;
    }
  });
  const columns: Array<[string, number]> = [];
  if (actions.insert) columns.push(['number of rows inserted', counts.INSERT ?? 0]);
  if (actions.update) columns.push(['number of rows updated', counts.UPDATE ?? 0]);
  if (actions.delete) columns.push(['number of rows deleted', counts.DELETE ?? 0]);
  return countResult(STATEMENT_TYPE.merge, columns);
}

function stripMergeSetQualifiers(tokens: Token[]): Token[] {
  let out = tokens;
  for (let k = 0; k < out.length; k++) {
    if (isWord(out[k], 'UPDATE') && isWord(out[k + 1], 'SET')) out = stripSetQualifiers(out, k + 2);
  }
  return out;
}
