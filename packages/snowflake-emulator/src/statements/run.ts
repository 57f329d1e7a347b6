// Running a request: one statement or several (MULTI_STATEMENT_COUNT), Snowflake's transaction rules before
// each, binds, and array binds.
import { randomUUID } from 'node:crypto';
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { isWord, significant, splitStatements, type Token, tokenize } from '../sql/tokens.js';
import {
  beginTransaction,
  commitTransaction,
  ddlTargets,
  prepareWrite,
  redirectShadows,
  writeTarget,
} from '../transactions.js';
import { runArrayBind } from './array-bind.js';
import { bindLiteral, sessionContext } from './binds.js';
import { dispatch } from './dispatch.js';
import { type Runtime, type StatementOutcome, type StatementRequest, selectResult, textColumn } from './outcome.js';

/** Executes one statement of a session. */
export async function runStatement(
  session: Session,
  runtime: Runtime,
  request: StatementRequest,
  queryId: string,
): Promise<StatementOutcome> {
  const all = tokenize(request.sqlText);
  const statements = splitStatements(all);
  if (statements.length === 0) {
    throw new SnowflakeSqlError('Empty SQL statement.', { sfCode: '000900', sqlState: '42000' });
  }
  const wanted = Number(
    request.parameters?.MULTI_STATEMENT_COUNT ?? session.parameters.get('MULTI_STATEMENT_COUNT') ?? 1,
  );
  if (statements.length > 1) {
    if (wanted === 1 || (wanted !== 0 && wanted !== statements.length)) {
      throw new SnowflakeSqlError(
        `Actual statement count ${statements.length} did not match the desired statement count ${wanted === 0 ? statements.length : wanted}.`,
        { sfCode: '000008', sqlState: '0A000' },
      );
    }
    return runMultiStatement(session, runtime, request, statements);
  }
  return runOne(session, runtime, significant(statements[0] as Token[]), request, queryId);
}

/**
 * A multi-statement request (`MULTI_STATEMENT_COUNT` 0 or the number of statements): the statements run in
 * order, each as a query of its own id; the reply lists the ids (`resultIds`) and the driver fetches each
 * result by id (`statement.hasNext()` / `NextResult()`). Binds are numbered across the whole text. The
 * first failing statement fails the request; the statements before it stay done, as in Snowflake.
 */
async function runMultiStatement(
  session: Session,
  runtime: Runtime,
  request: StatementRequest,
  statements: Token[][],
): Promise<StatementOutcome> {
  if (request.bindStage || Object.values(request.bindings ?? {}).some((bind) => Array.isArray(bind.value))) {
    throw SnowflakeSqlError.unsupported('array binds in a multi-statement request');
  }
  const children: Array<{ queryId: string; sqlText: string; outcome: StatementOutcome }> = [];
  for (const statement of statements) {
    const tokens = significant(statement);
    const first = tokens[0] as Token;
    const last = tokens.at(-1) as Token;
    const sqlText = request.sqlText.slice(first.start, last.start + last.text.length);
    const queryId = randomUUID();
    children.push({ queryId, sqlText, outcome: await runOne(session, runtime, tokens, request, queryId) });
  }
  return {
    ...selectResult([textColumn('multiple statement execution')], [['Multiple statements executed successfully.']]),
    children,
  };
}

/** Runs one statement (its significant tokens) of a request. */
async function runOne(
  session: Session,
  runtime: Runtime,
  first: Token[],
  request: StatementRequest,
  queryId: string,
): Promise<StatementOutcome> {
  let tokens = first;
  await transactionRules(session, runtime, tokens);
  tokens = redirectShadows(session, tokens);
  const bindings = request.bindings ?? {};
  const arrayBind = Object.values(bindings).some((bind) => Array.isArray(bind.value));
  if (request.bindStage || arrayBind) return runArrayBind(session, runtime, tokens, request, queryId);
  const ctx = sessionContext(session, runtime, (index) => {
    const bind = bindings[String(index)];
    return bindLiteral(bind, bind?.value, index);
  });
  return dispatch(session, runtime, tokens, ctx, request, queryId);
}

/** Statements Snowflake runs as DDL: each commits an open transaction first and is its own transaction. */
function isDdl(tokens: Token[]): boolean {
  if (isWord(tokens[0], 'ALTER')) return !isWord(tokens[1], 'SESSION');
  return isWord(tokens[0], 'CREATE', 'DROP', 'UNDROP', 'GRANT', 'REVOKE', 'COMMENT');
}

/**
 * Snowflake's transaction rules before a statement runs: DDL commits an open transaction (and waits for the
 * tables it changes to be unlocked); with `AUTOCOMMIT = FALSE` a DML statement or query opens a transaction;
 * a DML statement waits for another transaction's lock on its table and, in a transaction, takes the lock
 * and writes to the transaction's copy (see transactions.ts).
 */
async function transactionRules(session: Session, runtime: Runtime, tokens: Token[]): Promise<void> {
  if (isDdl(tokens)) {
    if (session.inTransaction) await commitTransaction(session, runtime.locks);
    for (const parts of ddlTargets(tokens)) await prepareWrite(session, runtime.locks, parts);
    return;
  }
  const target = writeTarget(tokens);
  const autocommit = String(session.parameters.get('AUTOCOMMIT') ?? 'TRUE').toUpperCase() !== 'FALSE';
  if (!autocommit && !session.inTransaction && (target || isWord(tokens[0], 'SELECT', 'WITH'))) {
    beginTransaction(session);
  }
  if (target) await prepareWrite(session, runtime.locks, target);
}
