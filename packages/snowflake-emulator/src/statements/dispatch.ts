// One statement to the module of its kind (by its first word), after INFORMATION_SCHEMA names are expanded and
// TIMESTAMP_TZ references rewritten; CALL SYSTEM$WAIT.
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { rewriteTimestampTz } from '../sql/timestamp-tz-rewrite.js';
import { isOp, isWord, type Token } from '../sql/tokens.js';
import { type TranslateContext, translateTokens } from '../sql/translate.js';
import { alter } from './alter.js';
import { create } from './create.js';
import { describe } from './describe.js';
import { dml, insert, update } from './dml.js';
import { drop, truncate } from './drop.js';
import { expandInformationSchema } from './information-schema.js';
import { timestampTzNames } from './lookups.js';
import { merge } from './merge.js';
import {
  type Runtime,
  STATEMENT_TYPE,
  type StatementOutcome,
  type StatementRequest,
  selectResult,
  statusResult,
  textColumn,
} from './outcome.js';
import { query } from './query.js';
import { transaction, use } from './session.js';
import { show } from './show.js';

/** Statements whose TIMESTAMP_TZ column references are rewritten (see sql/timestamp-tz.ts). */
const TZ_STATEMENTS = new Set(['SELECT', 'WITH', 'VALUES', 'FROM', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'CREATE']);

/**
 * Runs one statement by its first word (SELECT, INSERT, CREATE, PUT, COPY, SHOW, BEGIN, ...). The table of
 * statement kinds, kept whole so that what each kind runs is read in one place; each kind's work is in its module.
 */
export async function dispatch(
  session: Session,
  runtime: Runtime,
  raw: Token[],
  ctx: TranslateContext,
  request: StatementRequest,
  queryId: string,
): Promise<StatementOutcome> {
  const expanded = expandInformationSchema(raw, session);
  const first = expanded[0] as Token;
  const word = first.kind === 'word' ? first.value : isOp(first, '(') ? 'SELECT' : '';
  const conn = session.connection;
  // Comparisons and casts of TIMESTAMP_TZ columns, rewritten (sql/timestamp-tz.ts).
  const tokens = TZ_STATEMENTS.has(word)
    ? rewriteTimestampTz(expanded, await timestampTzNames(session, expanded))
    : expanded;
  switch (word) {
    case 'SELECT':
    case 'WITH':
    case 'VALUES':
    case 'FROM':
      return query(session, runtime, tokens, ctx, queryId, request, expanded);
    case 'INSERT':
      return insert(session, tokens, ctx);
    case 'UPDATE':
      return update(session, tokens, ctx);
    case 'DELETE':
      return dml(conn, translateTokens(tokens, ctx), STATEMENT_TYPE.delete, 'number of rows deleted');
    case 'MERGE':
      return merge(session, tokens, ctx);
    case 'CREATE':
      return create(session, runtime, tokens, ctx);
    case 'ALTER':
      return alter(session, tokens, ctx);
    case 'DROP':
      return drop(session, runtime, tokens);
    case 'TRUNCATE':
      return truncate(session, tokens);
    case 'USE':
      return use(session, runtime, tokens);
    case 'SHOW':
      return show(session, runtime, tokens);
    case 'DESCRIBE':
    case 'DESC':
      return describe(session, runtime, tokens);
    case 'BEGIN':
    case 'START':
    case 'COMMIT':
    case 'ROLLBACK':
    case 'ABORT':
    case 'END':
      return transaction(session, runtime, word);
    case 'GRANT':
    case 'REVOKE':
      return statusResult('Statement executed successfully.');
    case 'PUT':
      return runtime.stages.put(session, request.sqlText, tokens, queryId);
    case 'GET':
      return runtime.stages.get(session, request.sqlText, tokens, queryId);
    case 'LIST':
    case 'LS':
      return runtime.stages.list(session, tokens);
    case 'REMOVE':
    case 'RM':
      return runtime.stages.remove(session, tokens);
    case 'COPY':
      return runtime.stages.copyInto(session, tokens, ctx);
    case 'EXPLAIN':
      throw SnowflakeSqlError.unsupported('EXPLAIN');
    case 'CALL':
      if (isWord(tokens[1], 'SYSTEM$WAIT')) return systemWait(tokens);
      throw SnowflakeSqlError.unsupported('CALL (stored procedures and scripting)');
    case 'EXECUTE':
      throw SnowflakeSqlError.unsupported(`${word} (stored procedures and scripting)`);
    default:
      throw SnowflakeSqlError.syntax(`unexpected '${first.text}'`, request.sqlText, first.start);
  }
}

/** CALL SYSTEM$WAIT(n [, 'SECONDS' | 'MILLISECONDS' | 'MINUTES']): waits, as Snowflake does (tests of async queries use it). */
async function systemWait(tokens: Token[]): Promise<StatementOutcome> {
  const amount = Number(tokens[3]?.value ?? Number.NaN);
  const unit = (tokens[5]?.kind === 'string' ? tokens[5].value : 'SECONDS').toUpperCase();
  const factor = unit.startsWith('MILLI')
    ? 1
    : unit.startsWith('MIN')
      ? 60_000
      : unit.startsWith('HOUR')
        ? 3_600_000
        : 1000;
  if (!Number.isFinite(amount) || amount < 0) throw SnowflakeSqlError.syntax("unexpected ')'", '', 0);
  await new Promise((resolve) => setTimeout(resolve, amount * factor));
  return selectResult([textColumn('SYSTEM$WAIT')], [[`waited ${amount} ${unit.toLowerCase()}`]]);
}
