// MERGE: the parts of the statement, Snowflake's refusal of a target row matched twice, counts per action.
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { type ObjectName, readName } from '../sql/names.js';
import { topLevelWord } from '../sql/scan.js';
import { isWord, type Token } from '../sql/tokens.js';
import { type TranslateContext, translateTokens } from '../sql/translate.js';
import { stripSetQualifiers } from './dml.js';
import { tableColumns } from './lookups.js';
import { countResult, runDuck, STATEMENT_TYPE, type StatementOutcome } from './outcome.js';
import { assignTimestampTz } from './tz-writes.js';

/** The parts of `MERGE INTO target [AS] [alias] USING source [AS] [alias] ON cond WHEN ...`, in DuckDB SQL. */
interface MergeParts {
  target: ObjectName;
  targetSql: string;
  targetAlias: string | undefined;
  sourceSql: string;
  conditionSql: string;
  /** Which actions the WHEN clauses name: each is a count column of the result, in this order. */
  actions: { insert: boolean; update: boolean; delete: boolean };
}

export async function merge(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
  const parts = mergeParts(tokens, ctx);
  const { actions } = parts;
  if (actions.update || actions.delete) await refuseNondeterministic(session, parts);
  const body = assignTimestampTz(stripMergeSetQualifiers(tokens), await tableColumns(session, parts.target.parts), ctx);
  const counts = await runMerge(session, `${translateTokens(body, ctx)} RETURNING merge_action`);
  const columns: Array<[string, number]> = [];
  if (actions.insert) columns.push(['number of rows inserted', counts.INSERT ?? 0]);
  if (actions.update) columns.push(['number of rows updated', counts.UPDATE ?? 0]);
  if (actions.delete) columns.push(['number of rows deleted', counts.DELETE ?? 0]);
  return countResult(STATEMENT_TYPE.merge, columns);
}

function mergeParts(tokens: Token[], ctx: TranslateContext): MergeParts {
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
  const on = topLevelWord(tokens, usingAt + 1, 'ON');
  if (on < 0) throw SnowflakeSqlError.syntax("unexpected '<EOF>'", '', 0);
  const firstWhen = topLevelWord(tokens, on + 1, 'WHEN');
  if (firstWhen < 0) throw SnowflakeSqlError.syntax("unexpected '<EOF>'", '', 0);
  const actions = { insert: false, update: false, delete: false };
  for (let k = firstWhen; k < tokens.length; k++) {
    if (isWord(tokens[k], 'THEN')) {
      const action = tokens[k + 1];
      if (isWord(action, 'INSERT')) actions.insert = true;
      if (isWord(action, 'UPDATE')) actions.update = true;
      if (isWord(action, 'DELETE')) actions.delete = true;
    }
  }
  return {
    target,
    targetSql: translateTokens(tokens, ctx, 2, target.next),
    targetAlias,
    sourceSql: translateTokens(tokens, ctx, usingAt + 1, on),
    conditionSql: translateTokens(tokens, ctx, on + 1, firstWhen),
    actions,
  };
}

/**
 * Snowflake refuses to update or delete one target row from several source rows
 * (ERROR_ON_NONDETERMINISTIC_MERGE); DuckDB would apply each. Checked before the MERGE runs.
 */
async function refuseNondeterministic(session: Session, parts: MergeParts): Promise<void> {
  const { targetSql, targetAlias, sourceSql, conditionSql } = parts;
  const alias = targetAlias ?? targetSql;
  const check = `SELECT 1 FROM ${targetSql}${targetAlias ? ` AS ${targetAlias}` : ''} JOIN ${sourceSql} ON ${conditionSql} GROUP BY ${alias}.rowid HAVING count(*) > 1 LIMIT 1`;
  const duplicate = await runDuck(
    check,
    async () => (await session.connection.runAndReadAll(check)).currentRowCount > 0,
  );
  if (duplicate) {
    throw new SnowflakeSqlError(
      'Duplicate row detected during DML action\nRow Values: (the target row is matched by more than one source row)',
      { sfCode: '100090', sqlState: '42P18' },
    );
  }
}

/** Runs the MERGE (`... RETURNING merge_action`) and counts the rows of each action. */
async function runMerge(session: Session, sql: string): Promise<Record<string, number>> {
  const counts = { INSERT: 0, UPDATE: 0, DELETE: 0 } as Record<string, number>;
  await runDuck(sql, async () => {
    const result = await session.connection.stream(sql);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const action of chunk.getColumnValues(0)) counts[String(action)] = (counts[String(action)] ?? 0) + 1;
    }
  });
  return counts;
}

function stripMergeSetQualifiers(tokens: Token[]): Token[] {
  let out = tokens;
  for (let k = 0; k < out.length; k++) {
    if (isWord(out[k], 'UPDATE') && isWord(out[k + 1], 'SET')) out = stripSetQualifiers(out, k + 2);
  }
  return out;
}
