import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Engine } from './engine.js';
import { fromDuckDbError, SnowflakeSqlError } from './errors.js';
import { column, type EncodedResult, encodeResult, type RowType, writeResult } from './results.js';
import type { Session } from './session.js';
import {
  DECLARED_PREFIX,
  declaredComment,
  declaredOf,
  informationSchemaSql,
  snowflakeTypeJson,
  snowflakeTypeText,
} from './sql/catalog.js';
import { displayName, duckName, qualify, readName } from './sql/names.js';
import { rewriteTimestampTz, toTimestampTzSql } from './sql/timestamp-tz.js';
import { isOp, isWord, significant, splitStatements, sqlIdent, sqlString, type Token, tokenize } from './sql/tokens.js';
import { CLAUSE_AFTER_TABLE, callArgs, closingParen, type TranslateContext, translateTokens } from './sql/translate.js';
import { parseType, TZ_TYPE_TEXT } from './sql/types.js';
import type { StageCommands } from './stages.js';
import {
  beginTransaction,
  commitTransaction,
  ddlTargets,
  isShadow,
  NOT_TRANSACTION_TABLE,
  prepareWrite,
  redirectShadows,
  rollbackTransaction,
  type TableLocks,
  writeTarget,
} from './transactions.js';

/** One bind as the driver sends it. */
export interface Bind {
  type: string;
  value: unknown;
}

/** What the driver asks to run. */
export interface StatementRequest {
  sqlText: string;
  bindings?: Record<string, Bind>;
  bindStage?: string;
  parameters?: Record<string, unknown>;
  describeOnly?: boolean;
}

/** The reply data of a statement. */
export type StatementOutcome =
  | {
      kind: 'result';
      statementTypeId: number;
      result: EncodedResult;
      /** A multi-statement request: each statement's own query id, text and outcome, in order. */
      children?: Array<{ queryId: string; sqlText: string; outcome: StatementOutcome }>;
    }
  | { kind: 'transfer'; data: Record<string, unknown> };

/** What statements need from the emulator around them. */
export interface Runtime {
  engine: Engine;
  stages: StageCommands;
  account: string;
  region: string;
  version: string;
  inlineRows: number;
  chunkRows: number;
  resultsDir: string;
  /** Tables locked by open transactions. */
  locks: TableLocks;
}

export const STATEMENT_TYPE = {
  select: 0x1000,
  insert: 0x3100,
  update: 0x3200,
  delete: 0x3300,
  merge: 0x3400,
  ddl: 0x6000,
  session: 0x4000,
  transaction: 0x5000,
} as const;

/** A small in-memory result (DDL status, SHOW output). */
export function rowsResult(rowtype: RowType[], rows: Array<Array<string | null>>): EncodedResult {
  return { rowtype, rowset: rows, chunks: [], total: rows.length };
}

/** A statement outcome with rows. */
export type ResultOutcome = Extract<StatementOutcome, { kind: 'result' }>;

export function statusResult(message: string): ResultOutcome {
  return {
    kind: 'result',
    statementTypeId: STATEMENT_TYPE.ddl,
    result: rowsResult([column('status', 'text', { length: 16777216 })], [[message]]),
  };
}

function countResult(statementTypeId: number, columns: Array<[string, number]>): StatementOutcome {
  return {
    kind: 'result',
    statementTypeId,
    result: rowsResult(
      columns.map(([name]) => column(name, 'fixed', { precision: 19, scale: 0, nullable: false })),
      [columns.map(([, count]) => String(count))],
    ),
  };
}

// A name after a table in DML: the clause words after a table name, and those that open DML's own clauses.
const CLAUSE_WORDS = new Set([...CLAUSE_AFTER_TABLE, 'SET', 'WHEN', 'VALUES', 'SELECT']);

/** Replaces `[db.]INFORMATION_SCHEMA.view` names by DuckDB subqueries with Snowflake's columns. */
function expandInformationSchema(tokens: Token[], session: Session): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    let database: string | undefined;
    let at = i;
    if (
      (token.kind === 'word' || token.kind === 'quoted') &&
      isOp(tokens[i + 1], '.') &&
      isWord(tokens[i + 2], 'INFORMATION_SCHEMA') &&
      isOp(tokens[i + 3], '.') &&
      !isOp(tokens[i - 1], '.')
    ) {
      database = token.value;
      at = i + 2;
    } else if (isWord(token, 'INFORMATION_SCHEMA') && isOp(tokens[i + 1], '.') && !isOp(tokens[i - 1], '.')) {
      database = session.database;
    } else {
      out.push(token);
      continue;
    }
    const view = tokens[at + 2];
    const sql = view && view.kind === 'word' && database ? informationSchemaSql(view.value, database) : undefined;
    if (!sql) {
      if (!database) throw SnowflakeSqlError.objectMissing('Schema', 'INFORMATION_SCHEMA');
      throw SnowflakeSqlError.unsupported(`INFORMATION_SCHEMA.${view?.value ?? ''}`);
    }
    const after = tokens[at + 3];
    const hasAlias =
      after !== undefined &&
      (isWord(after, 'AS') || ((after.kind === 'word' || after.kind === 'quoted') && !CLAUSE_WORDS.has(after.value)));
    out.push({ kind: 'raw', text: hasAlias ? sql : `${sql} AS ${view?.value}`, value: '', start: token.start });
    i = at + 2;
  }
  return out;
}

function bindLiteral(bind: Bind | undefined, value: unknown, index: number): string {
  if (!bind) {
    throw new SnowflakeSqlError(`SQL compilation error:\nBind variable ? not set.`, {
      sfCode: '002049',
      sqlState: '42601',
    });
  }
  if (value === null || value === undefined) return 'NULL';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  switch (bind.type.toUpperCase()) {
    case 'FIXED':
      if (/^-?\d+(\.\d+)?$/.test(text)) return text;
      return sqlString(text);
    case 'REAL':
      return `CAST(${sqlString(text)} AS DOUBLE)`;
    case 'BOOLEAN':
      return `CAST(${sqlString(text)} AS BOOLEAN)`;
    case 'VARIANT':
    case 'OBJECT':
    case 'ARRAY':
      return `json(${sqlString(text)})`;
    case 'DATE':
      return `CAST(${sqlString(text)} AS DATE)`;
    case 'TIME':
      return `CAST(${sqlString(text)} AS TIME)`;
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMP':
      return `CAST(${sqlString(text)} AS TIMESTAMP)`;
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
      return `CAST(${sqlString(text)} AS TIMESTAMPTZ)`;
    case 'BINARY':
      return `from_hex(${sqlString(text)})`;
    default:
      void index;
      return sqlString(text);
  }
}

/** The DuckDB type a bind column of this Snowflake bind type is cast to. */
function bindCastType(type: string): string | undefined {
  switch (type.toUpperCase()) {
    case 'FIXED':
    case 'REAL':
      // The driver types a whole column by its first row (0 is FIXED, 0.5 REAL): the text goes to
      // the target column's type as it is, so later rows keep their fractions.
      return undefined;
    case 'BOOLEAN':
      return 'BOOLEAN';
    case 'VARIANT':
    case 'OBJECT':
    case 'ARRAY':
      return 'JSON';
    case 'DATE':
      return 'DATE';
    case 'TIMESTAMP_NTZ':
      return 'TIMESTAMP';
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
      return 'TIMESTAMPTZ';
    default:
      return undefined;
  }
}

function sessionContext(session: Session, runtime: Runtime, bind: TranslateContext['bind']): TranslateContext {
  return {
    bind,
    session: {
      user: session.user,
      role: session.role,
      warehouse: session.warehouse,
      account: runtime.account.toUpperCase(),
      sessionId: String(session.id),
      region: runtime.region,
      version: runtime.version,
    },
  };
}

/** Snowflake's name of an unaliased expression: its text as written, upper-cased outside quoted names. */
function expressionName(item: Token[], sqlText: string): string {
  const first = item[0] as Token;
  const last = item.at(-1) as Token;
  const text = sqlText.slice(first.start, last.start + last.text.length);
  if (!item.some((t) => t.kind === 'quoted')) return text.toUpperCase();
  let out = '';
  let at = first.start;
  for (const token of item) {
    out += sqlText.slice(at, token.start).toUpperCase();
    out += token.kind === 'quoted' ? token.text : token.text.toUpperCase();
    at = token.start + token.text.length;
  }
  return out;
}

/** The names Snowflake gives the columns of a SELECT (aliases, column names, expression text). */
function selectItemNames(tokens: Token[], sqlText: string): string[] | undefined {
  let i = 0;
  let depth = 0;
  // Skip a WITH clause: the main SELECT is the first SELECT at depth 0.
  while (i < tokens.length) {
    const token = tokens[i] as Token;
    if (isOp(token, '(')) depth++;
    else if (isOp(token, ')')) depth--;
    else if (depth === 0 && isWord(token, 'SELECT')) break;
    i++;
  }
  if (i >= tokens.length) return undefined;
  i++;
  if (isWord(tokens[i], 'DISTINCT', 'ALL')) i++;
  const items: Token[][] = [];
  let current: Token[] = [];
  depth = 0;
  for (; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (isOp(token, '(') || isOp(token, '[')) depth++;
    else if (isOp(token, ')') || isOp(token, ']')) depth--;
    if (depth < 0) break;
    if (
      depth === 0 &&
      isWord(
        token,
        'FROM',
        'WHERE',
        'GROUP',
        'ORDER',
        'LIMIT',
        'QUALIFY',
        'HAVING',
        'UNION',
        'EXCEPT',
        'MINUS',
        'INTERSECT',
        'INTO',
        'WINDOW',
        'OFFSET',
        'FETCH',
      )
    )
      break;
    if (depth === 0 && isOp(token, ',')) {
      items.push(current);
      current = [];
      continue;
    }
    current.push(token);
  }
  if (current.length > 0) items.push(current);
  const names: string[] = [];
  for (const item of items) {
    const last = item.at(-1);
    const beforeLast = item.at(-2);
    if (!last) return undefined;
    if (isOp(last, '*')) return undefined;
    const isName = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'quoted');
    if (isName(last) && isWord(beforeLast, 'AS')) {
      names.push(last.value);
      continue;
    }
    const chain = item.every((t, k) => (k % 2 === 0 ? isName(t) : isOp(t, '.')));
    if (chain) {
      names.push(last.value);
      continue;
    }
    if (
      isName(last) &&
      beforeLast &&
      !isOp(beforeLast, '.') &&
      !isOp(beforeLast, '::') &&
      !isWord(last, 'END') &&
      (beforeLast.kind !== 'op' || isOp(beforeLast, ')'))
    ) {
      names.push(last.value);
      continue;
    }
    names.push(expressionName(item, sqlText));
  }
  return names;
}

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
    kind: 'result',
    statementTypeId: STATEMENT_TYPE.select,
    result: rowsResult(
      [column('multiple statement execution', 'text', { length: 16777216 })],
      [['Multiple statements executed successfully.']],
    ),
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

async function dispatch(
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
  return {
    kind: 'result',
    statementTypeId: STATEMENT_TYPE.select,
    result: rowsResult(
      [column('SYSTEM$WAIT', 'text', { length: 16777216 })],
      [[`waited ${amount} ${unit.toLowerCase()}`]],
    ),
  };
}

/** Statements whose TIMESTAMP_TZ column references are rewritten (see sql/timestamp-tz.ts). */
const TZ_STATEMENTS = new Set(['SELECT', 'WITH', 'VALUES', 'FROM', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'CREATE']);

/**
 * Names of the TIMESTAMP_TZ columns of the tables and views a statement may name (any name in its text): what
 * {@link rewriteTimestampTz} treats as TIMESTAMP_TZ column references.
 */
async function timestampTzNames(session: Session, tokens: Token[]): Promise<Set<string>> {
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
async function tableColumns(session: Session, parts: string[]): Promise<Array<{ name: string; type: string }>> {
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

/**
 * `INSERT INTO target [(columns)] <source>` in DuckDB SQL. Into a table with TIMESTAMP_TZ columns, the source's
 * values for them are built through text (keeping an offset written in it): `INSERT INTO t (...) SELECT ...,
 * __KICKSAW_TZ(CAST(__C2 AS VARCHAR)) FROM (<source>) AS __S(__C1, __C2)`.
 */
async function insertSql(
  session: Session,
  tokens: Token[],
  ctx: TranslateContext,
  source?: { at: number; sql: string },
): Promise<string> {
  let i = 1;
  if (isWord(tokens[i], 'OVERWRITE')) i++;
  const plain = () =>
    source ? `${translateTokens(tokens, ctx, 0, source.at)} ${source.sql}` : translateTokens(tokens, ctx);
  if (!isWord(tokens[i], 'INTO')) return plain();
  const name = readName(tokens, i + 1);
  let sourceAt = name.next;
  let listed: string[] | undefined;
  if (isOp(tokens[sourceAt], '(') && !isWord(tokens[sourceAt + 1], 'SELECT', 'WITH')) {
    const { args, close } = callArgs(tokens, sourceAt);
    listed = args.map(([a]) => (tokens[a] as Token).value);
    sourceAt = close + 1;
  }
  const columns = await tableColumns(session, name.parts);
  if (!columns.some((c) => c.type === TZ_TYPE_TEXT)) return plain();
  const targets = listed ?? columns.map((c) => c.name);
  const isTz = (column: string) =>
    columns.find((c) => c.name.toUpperCase() === column.toUpperCase())?.type === TZ_TYPE_TEXT;
  const inner = targets.map((_, k) => `__C${k + 1}`);
  const body = source ? source.sql : translateTokens(tokens, ctx, sourceAt);
  const head = translateTokens(tokens, ctx, 0, i + 1);
  // Not translateTokens: a name before `(` would be read as a call.
  const target = name.parts.map(sqlIdent).join('.');
  return `${head} ${target} (${targets.map(sqlIdent).join(', ')}) SELECT ${targets
    .map((c, k) => (isTz(c) ? toTimestampTzSql(inner[k] as string) : inner[k]))
    .join(', ')} FROM (${body}) AS __S(${inner.join(', ')})`;
}

/**
 * Wraps the values assigned to TIMESTAMP_TZ columns (`SET col = value`, and MERGE's `INSERT (cols) VALUES (...)`)
 * so that they are built through text, keeping an offset written in them. `columns` are the target table's.
 */
function assignTimestampTz(
  tokens: Token[],
  columns: Array<{ name: string; type: string }>,
  ctx: TranslateContext,
): Token[] {
  const tz = new Set(columns.filter((c) => c.type === TZ_TYPE_TEXT).map((c) => c.name.toUpperCase()));
  if (tz.size === 0) return tokens;
  const replace = new Map<number, { to: number; text: string }>();
  const wrap = (from: number, to: number) =>
    replace.set(from, { to, text: toTimestampTzSql(`(${translateTokens(tokens, ctx, from, to)})`) });
  /** End (exclusive) of an expression starting at `from`: the next depth-0 `,`, `)` or clause word. */
  const expressionEnd = (from: number, words: string[]) => {
    let depth = 0;
    let k = from;
    for (; k < tokens.length; k++) {
      const t = tokens[k] as Token;
      if (isOp(t, '(')) depth++;
      else if (isOp(t, ')')) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (isOp(t, ',') || (t.kind === 'word' && words.includes(t.value)))) break;
    }
    return k;
  };
  for (let k = 0; k < tokens.length; k++) {
    if (isWord(tokens[k], 'SET')) {
      let at = k + 1;
      for (;;) {
        const name = tokens[at];
        if (!name || !isOp(tokens[at + 1], '=')) break;
        const end = expressionEnd(at + 2, ['FROM', 'WHERE', 'WHEN']);
        if ((name.kind === 'word' || name.kind === 'quoted') && tz.has(name.value.toUpperCase())) wrap(at + 2, end);
        if (!isOp(tokens[end], ',')) break;
        at = end + 1;
      }
    }
    if (isWord(tokens[k], 'INSERT') && isWord(tokens[k - 1], 'THEN')) {
      let at = k + 1;
      let names = columns.map((c) => c.name.toUpperCase());
      if (isOp(tokens[at], '(')) {
        const { args, close } = callArgs(tokens, at);
        names = args.map(([a]) => (tokens[a] as Token).value.toUpperCase());
        at = close + 1;
      }
      if (!isWord(tokens[at], 'VALUES') || !isOp(tokens[at + 1], '(')) continue;
      const { args } = callArgs(tokens, at + 1);
      args.forEach(([a, b], n) => {
        if (tz.has(names[n] ?? '')) wrap(a, b);
      });
    }
  }
  if (replace.size === 0) return tokens;
  const out: Token[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const r = replace.get(k);
    if (r) {
      out.push({ kind: 'raw', text: r.text, value: '', start: (tokens[k] as Token).start });
      k = r.to - 1;
    } else out.push(tokens[k] as Token);
  }
  return out;
}

async function runDuck<T>(sql: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw fromDuckDbError(error, sql);
  }
}

async function query(
  session: Session,
  runtime: Runtime,
  tokens: Token[],
  ctx: TranslateContext,
  queryId: string,
  request: StatementRequest,
  written: Token[] = tokens,
): Promise<StatementOutcome> {
  // A bare VALUES statement: Snowflake names its columns COLUMN1, COLUMN2, ...
  const sql = isWord(tokens[0], 'VALUES')
    ? `SELECT * FROM ${translateTokens([{ kind: 'word', text: 'FROM', value: 'FROM', start: 0 }, ...tokens], ctx).slice(5)}`
    : translateTokens(tokens, ctx);
  const names = selectItemNames(written, request.sqlText);
  const result = await runDuck(sql, async () => {
    if (request.describeOnly) {
      const stream = await session.connection.stream(`SELECT * FROM (${sql}) LIMIT 0`);
      return encodeResult(stream, {
        inlineRows: 0,
        chunkRows: 1,
        chunkDir: '',
        names: fitNames(names, stream.columnCount),
      });
    }
    // Learn the column types first, then let DuckDB render every row as the driver's text into a file.
    const prepared = await session.connection.prepare(sql);
    const types = Array.from({ length: prepared.columnCount }, (_, k) => prepared.columnType(k));
    const columnNames = Array.from({ length: prepared.columnCount }, (_, k) => prepared.columnName(k));
    const resultNames = fitNames(names, types.length) ?? columnNames;
    return writeResult(session.connection, sql, {
      inlineRows: runtime.inlineRows,
      chunkRows: runtime.chunkRows,
      file: join(runtime.resultsDir, queryId, 'rows.json'),
      names: resultNames,
      types,
    });
  });
  await applyDeclaredTypes(session, tokens, result.rowtype);
  return { kind: 'result', statementTypeId: STATEMENT_TYPE.select, result };
}

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
async function declaredOfQuery(session: Session, tokens: Token[]): Promise<Map<string, string> | undefined> {
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
async function applyDeclaredTypes(session: Session, tokens: Token[], rowtype: RowType[]): Promise<void> {
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

function fitNames(names: string[] | undefined, count: number): string[] | undefined {
  return names && names.length === count ? names : undefined;
}

async function dml(
  conn: DuckDBConnection,
  sql: string,
  statementTypeId: number,
  label: string,
): Promise<StatementOutcome> {
  const changed = await runDuck(sql, async () => (await conn.run(sql)).rowsChanged);
  return countResult(statementTypeId, [[label, changed]]);
}

async function insert(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
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

/** Removes `alias.` before assigned columns in `SET a.col = ...` lists (DuckDB takes bare names). */
function stripSetQualifiers(tokens: Token[], from: number): Token[] {
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

async function update(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
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

async function merge(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
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

function ifNotExists(tokens: Token[], at: number): { present: boolean; next: number } {
  if (isWord(tokens[at], 'IF') && isWord(tokens[at + 1], 'NOT') && isWord(tokens[at + 2], 'EXISTS'))
    return { present: true, next: at + 3 };
  return { present: false, next: at };
}

function ifExists(tokens: Token[], at: number): { present: boolean; next: number } {
  if (isWord(tokens[at], 'IF') && isWord(tokens[at + 1], 'EXISTS')) return { present: true, next: at + 2 };
  return { present: false, next: at };
}

async function create(
  session: Session,
  runtime: Runtime,
  tokens: Token[],
  ctx: TranslateContext,
): Promise<StatementOutcome> {
  let i = 1;
  let orReplace = false;
  if (isWord(tokens[i], 'OR') && isWord(tokens[i + 1], 'REPLACE')) {
    orReplace = true;
    i += 2;
  }
  let temporary = false;
  let transient = false;
  while (isWord(tokens[i], 'LOCAL', 'GLOBAL', 'TEMP', 'TEMPORARY', 'VOLATILE', 'TRANSIENT')) {
    if (isWord(tokens[i], 'TEMP', 'TEMPORARY', 'VOLATILE')) temporary = true;
    if (isWord(tokens[i], 'TRANSIENT')) transient = true;
    i++;
  }
  void transient;
  const kind = tokens[i];
  if (isWord(kind, 'DATABASE')) {
    const exists = ifNotExists(tokens, i + 1);
    const name = readName(tokens, exists.next).parts.join('.');
    const outcome = await runtime.engine.createDatabase(name, { orReplace, ifNotExists: exists.present });
    if (outcome === 'created') await useSchema(session, runtime, name, 'PUBLIC');
    return statusResult(
      outcome === 'exists' ? `${name} already exists, statement succeeded.` : `Database ${name} successfully created.`,
    );
  }
  if (isWord(kind, 'SCHEMA')) {
    const exists = ifNotExists(tokens, i + 1);
    const parts = readName(tokens, exists.next).parts;
    const database = parts.length === 2 ? (parts[0] as string) : session.database;
    const schema = parts.at(-1) as string;
    if (!database) throw SnowflakeSqlError.objectMissing('Database', '<none>');
    if (!runtime.engine.database(database)) throw SnowflakeSqlError.objectMissing('Database', database);
    const name = `${sqlIdent(database)}.${sqlIdent(schema)}`;
    const sql = orReplace
      ? `DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}`
      : `CREATE SCHEMA ${exists.present ? 'IF NOT EXISTS ' : ''}${name}`;
    await runDuck(sql, () => session.connection.run(sql));
    if (!exists.present || orReplace) await useSchema(session, runtime, database, schema);
    return statusResult(`Schema ${schema} successfully created.`);
  }
  if (isWord(kind, 'TABLE')) return createTable(session, tokens, i + 1, { orReplace, temporary }, ctx);
  if (isWord(kind, 'VIEW') || (isWord(kind, 'SECURE') && isWord(tokens[i + 1], 'VIEW'))) {
    const viewAt = isWord(kind, 'SECURE') ? i + 1 : i;
    const exists = ifNotExists(tokens, viewAt + 1);
    const name = readName(tokens, exists.next);
    const q = qualify(name.parts, session.database, session.schema);
    let as = name.next;
    while (as < tokens.length && !isWord(tokens[as], 'AS')) as++;
    const body = translateTokens(tokens, ctx, as + 1);
    const sql = `CREATE ${orReplace ? 'OR REPLACE ' : ''}${temporary ? 'TEMP ' : ''}VIEW ${exists.present ? 'IF NOT EXISTS ' : ''}${temporary ? sqlIdent(q.name) : duckName(q)} AS ${body}`;
    await runDuck(sql, () => session.connection.run(sql));
    return statusResult(`View ${q.name} successfully created.`);
  }
  if (isWord(kind, 'SEQUENCE')) {
    const exists = ifNotExists(tokens, i + 1);
    const name = readName(tokens, exists.next);
    const q = qualify(name.parts, session.database, session.schema);
    const rest = tokens
      .slice(name.next)
      .filter((t) => !isOp(t, '=') && !isWord(t, 'WITH', 'ORDER', 'NOORDER'))
      .map((t) => (t.kind === 'word' ? t.value : t.text))
      .join(' ');
    const sql = `CREATE ${orReplace ? 'OR REPLACE ' : ''}SEQUENCE ${exists.present ? 'IF NOT EXISTS ' : ''}${duckName(q)} ${rest}`;
    await runDuck(sql, () => session.connection.run(sql));
    return statusResult(`Sequence ${q.name} successfully created.`);
  }
  if (isWord(kind, 'STAGE')) return runtime.stages.createStage(session, tokens, i + 1, { orReplace, temporary });
  if (isWord(kind, 'FILE') && isWord(tokens[i + 1], 'FORMAT'))
    return runtime.stages.createFileFormat(session, tokens, i + 2, { orReplace });
  if (isWord(kind, 'WAREHOUSE')) return statusResult(`Warehouse ${tokens[i + 1]?.value ?? ''} successfully created.`);
  if (isWord(kind, 'ROLE', 'USER')) return statusResult('Statement executed successfully.');
  throw SnowflakeSqlError.unsupported(`CREATE ${kind?.text ?? ''}`);
}

const CONSTRAINT_WORDS = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK']);

/** One translated column definition: its DuckDB SQL, its name and the declared type DuckDB does not keep. */
interface ColumnDefinition {
  sql: string;
  column: string;
  declared?: string;
}

/** Translates one column definition (`name TYPE [options]`) of CREATE TABLE / ALTER TABLE ADD. */
function columnDefinition(tokens: Token[], from: number, to: number, ctx: TranslateContext): ColumnDefinition {
  const nameToken = tokens[from] as Token;
  if (nameToken.kind !== 'word' && nameToken.kind !== 'quoted')
    throw SnowflakeSqlError.syntax(`unexpected '${nameToken.text}'`, '', 0);
  const name = sqlIdent(nameToken.value);
  if (from + 1 >= to) return { sql: name, column: nameToken.value }; // CTAS-style column list without types
  const type = parseType(tokens.slice(0, to), from + 1);
  const parts = [name, type.duck];
  let i = type.next;
  while (i < to) {
    const token = tokens[i] as Token;
    if (isWord(token, 'NOT') && isWord(tokens[i + 1], 'NULL')) {
      parts.push('NOT NULL');
      i += 2;
    } else if (isWord(token, 'NULL')) {
      i++;
    } else if (isWord(token, 'DEFAULT')) {
      // DEFAULT expr runs to the next option keyword.
      let end = i + 1;
      let depth = 0;
      while (end < to) {
        const t = tokens[end] as Token;
        if (isOp(t, '(')) depth++;
        else if (isOp(t, ')')) depth--;
        else if (
          depth === 0 &&
          isWord(t, 'NOT', 'NULL', 'PRIMARY', 'UNIQUE', 'REFERENCES', 'COMMENT', 'COLLATE', 'CONSTRAINT')
        )
          break;
        end++;
      }
      parts.push(`DEFAULT ${translateTokens(tokens, ctx, i + 1, end)}`);
      i = end;
    } else if (isWord(token, 'AUTOINCREMENT', 'IDENTITY')) {
      throw SnowflakeSqlError.unsupported('AUTOINCREMENT / IDENTITY columns');
    } else if (isWord(token, 'COMMENT', 'COLLATE')) {
      i += 2;
    } else if (isWord(token, 'PRIMARY') && isWord(tokens[i + 1], 'KEY')) {
      // Snowflake records PRIMARY KEY / UNIQUE / FOREIGN KEY but does not enforce them: neither do we.
      i += 2;
    } else if (isWord(token, 'UNIQUE')) {
      i++;
    } else if (isWord(token, 'REFERENCES')) {
      i++;
      i = readName(tokens, i).next;
      if (isOp(tokens[i], '(')) i = closingParen(tokens, i) + 1;
    } else if (isWord(token, 'CONSTRAINT')) {
      i += 2;
    } else if (
      isWord(
        token,
        'ENFORCED',
        'NOT',
        'DEFERRABLE',
        'INITIALLY',
        'DEFERRED',
        'IMMEDIATE',
        'RELY',
        'NORELY',
        'VALIDATE',
        'NOVALIDATE',
        'ENABLE',
        'DISABLE',
      )
    ) {
      i++;
    } else {
      throw SnowflakeSqlError.unsupported(`the column option ${token.text}`);
    }
  }
  return { sql: parts.join(' '), column: nameToken.value, ...(type.declared ? { declared: type.declared } : {}) };
}

/**
 * The DuckDB statements that record (or, with `undefined`, forget) columns' declared types in the
 * emulator's catalog (see `DECLARED_PREFIX`). `table` is the DuckDB table name as written in the statement.
 */
function declaredTypeSql(table: string, columns: Array<{ column: string; declared?: string }>): string[] {
  return columns.map(
    ({ column, declared }) =>
      `COMMENT ON COLUMN ${table}.${sqlIdent(column)} IS ${declared ? sqlString(declaredComment(declared)) : 'NULL'}`,
  );
}

/** Whether a table (DuckDB catalog, schema, name) exists, as the session's connection sees it. */
async function tableExists(session: Session, database: string, schema: string, name: string): Promise<boolean> {
  const rows = (
    await session.connection.runAndReadAll(
      `SELECT 1 FROM duckdb_tables() WHERE database_name = ${sqlString(database)} AND schema_name = ${sqlString(schema)} AND table_name = ${sqlString(name)}`,
    )
  ).getRows();
  return rows.length > 0;
}

async function createTable(
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

/**
 * Sets the session's TIMEZONE: DuckDB's TimeZone of the session connection (TIMESTAMP_LTZ casts and
 * CURRENT_TIMESTAMP follow it) and the TIMEZONE parameter the driver formats TIMESTAMP_LTZ values with.
 */
export async function setTimeZone(session: Session, zone: string): Promise<void> {
  try {
    await session.connection.run(`SET TimeZone = ${sqlString(zone)}`);
  } catch (error) {
    throw new SnowflakeSqlError(`invalid value [${zone}] for parameter 'TIMEZONE'`, {
      sfCode: '002211',
      sqlState: '22023',
      cause: error,
    });
  }
  session.parameters.set('TIMEZONE', zone);
}

async function alter(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
  if (isWord(tokens[1], 'SESSION') && isWord(tokens[2], 'SET')) {
    for (let i = 3; i + 2 < tokens.length + 1; ) {
      const key = tokens[i];
      const value = tokens[i + 2];
      if (!key || !value) break;
      if (key.value === 'TIMEZONE') await setTimeZone(session, value.value);
      session.parameters.set(key.value, value.kind === 'number' ? Number(value.value) : value.value);
      i += 3;
      if (isOp(tokens[i], ',')) i++;
    }
    return { ...statusResult('Statement executed successfully.'), statementTypeId: STATEMENT_TYPE.session };
  }
  if (isWord(tokens[1], 'SESSION') && isWord(tokens[2], 'UNSET')) {
    for (const token of tokens.slice(3)) {
      if (token.kind !== 'word') continue;
      session.parameters.delete(token.value);
      if (token.value === 'TIMEZONE') await setTimeZone(session, 'UTC');
    }
    return statusResult('Statement executed successfully.');
  }
  if (isWord(tokens[1], 'WAREHOUSE', 'USER', 'ACCOUNT', 'ROLE'))
    return statusResult('Statement executed successfully.');
  if (!isWord(tokens[1], 'TABLE')) throw SnowflakeSqlError.unsupported(`ALTER ${tokens[1]?.text ?? ''}`);
  const exists = ifExists(tokens, 2);
  const name = readName(tokens, exists.next);
  const q = qualify(name.parts, session.database, session.schema);
  const table = name.parts.length === 1 ? sqlIdent(q.name) : duckName(q);
  let i = name.next;
  const action = tokens[i];
  let sql: string;
  if (isWord(action, 'ADD')) {
    i++;
    if (isWord(tokens[i], 'COLUMN')) i++;
    const columnExists = ifNotExists(tokens, i);
    const defs: ColumnDefinition[] = [];
    let start = columnExists.next;
    let depth = 0;
    for (let k = start; k <= tokens.length; k++) {
      const t = tokens[k];
      if (isOp(t, '(')) depth++;
      else if (isOp(t, ')')) depth--;
      if (k === tokens.length || (depth === 0 && isOp(t, ','))) {
        defs.push(columnDefinition(tokens, start, k, ctx));
        start = k + 1;
      }
    }
    // ADD COLUMN IF NOT EXISTS of a column that exists changes nothing, so its recorded type stays.
    let existing = new Set<string>();
    if (columnExists.present) {
      const rows = (
        await session.connection.runAndReadAll(
          `SELECT column_name FROM duckdb_columns() WHERE (database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)}${name.parts.length === 1 ? ` OR database_name = 'temp'` : ''}) AND table_name = ${sqlString(q.name)}`,
        )
      ).getRows();
      existing = new Set(rows.map(([c]) => String(c)));
    }
    sql = [
      ...defs.map((def) => `ALTER TABLE ${table} ADD COLUMN ${columnExists.present ? 'IF NOT EXISTS ' : ''}${def.sql}`),
      ...declaredTypeSql(
        table,
        defs.filter((d) => d.declared && !existing.has(d.column)),
      ),
    ].join('; ');
  } else if (isWord(action, 'DROP')) {
    i++;
    if (isWord(tokens[i], 'COLUMN')) i++;
    const columnExists = ifExists(tokens, i);
    const names: string[] = [];
    for (let k = columnExists.next; k < tokens.length; k++) {
      const t = tokens[k] as Token;
      if (t.kind === 'word' || t.kind === 'quoted') names.push(sqlIdent(t.value));
    }
    sql = names
      .map((n) => `ALTER TABLE ${table} DROP COLUMN ${columnExists.present ? 'IF EXISTS ' : ''}${n}`)
      .join('; ');
  } else if (isWord(action, 'RENAME') && isWord(tokens[i + 1], 'COLUMN')) {
    const from = tokens[i + 2] as Token;
    const to = tokens[i + 4] as Token;
    sql = `ALTER TABLE ${table} RENAME COLUMN ${sqlIdent(from.value)} TO ${sqlIdent(to.value)}`;
  } else if (isWord(action, 'RENAME') && isWord(tokens[i + 1], 'TO')) {
    const next = readName(tokens, i + 2);
    sql = `ALTER TABLE ${table} RENAME TO ${sqlIdent(next.parts.at(-1) as string)}`;
  } else if (isWord(action, 'ALTER', 'MODIFY')) {
    i++;
    if (isWord(tokens[i], 'COLUMN')) i++;
    const col = tokens[i] as Token;
    i++;
    if (isWord(tokens[i], 'SET') && isWord(tokens[i + 1], 'DATA') && isWord(tokens[i + 2], 'TYPE')) i += 3;
    else if (isWord(tokens[i], 'TYPE')) i++;
    else if (isWord(tokens[i], 'SET') && isWord(tokens[i + 1], 'NOT') && isWord(tokens[i + 2], 'NULL')) {
      sql = `ALTER TABLE ${table} ALTER COLUMN ${sqlIdent(col.value)} SET NOT NULL`;
      await runDuck(sql, () => session.connection.run(sql));
      return statusResult('Statement executed successfully.');
    } else if (isWord(tokens[i], 'DROP') && isWord(tokens[i + 1], 'NOT') && isWord(tokens[i + 2], 'NULL')) {
      sql = `ALTER TABLE ${table} ALTER COLUMN ${sqlIdent(col.value)} DROP NOT NULL`;
      await runDuck(sql, () => session.connection.run(sql));
      return statusResult('Statement executed successfully.');
    } else if (isWord(tokens[i], 'COMMENT')) {
      return statusResult('Statement executed successfully.');
    }
    const type = parseType(tokens, i);
    sql = [
      `ALTER TABLE ${table} ALTER COLUMN ${sqlIdent(col.value)} SET DATA TYPE ${type.duck}`,
      ...declaredTypeSql(table, [{ column: col.value, ...(type.declared ? { declared: type.declared } : {}) }]),
    ].join('; ');
  } else if (isWord(action, 'SET', 'UNSET', 'CLUSTER', 'SUSPEND', 'RESUME')) {
    return statusResult('Statement executed successfully.');
  } else if (isWord(action, 'SWAP') && isWord(tokens[i + 1], 'WITH')) {
    return swapTables(session, q, readName(tokens, i + 2).parts, exists.present);
  } else {
    throw SnowflakeSqlError.unsupported(`ALTER TABLE ... ${action?.text ?? ''}`);
  }
  if (exists.present) {
    const found = await session.connection.runAndReadAll(
      `SELECT count(*) FROM duckdb_tables() WHERE database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)} AND table_name = ${sqlString(q.name)}`,
    );
    if (Number(found.getRows()[0]?.[0] ?? 0) === 0) return statusResult('Statement executed successfully.');
  }
  await runDuck(sql, () => session.connection.run(sql));
  return statusResult('Statement executed successfully.');
}

/**
 * `ALTER TABLE a SWAP WITH b`: the two tables exchange names (with them their rows, columns, declared types
 * and comments) in one DuckDB transaction of three renames, so no other session ever sees one of them
 * missing or both under one name. Snowflake swaps across schemas too; DuckDB cannot rename a table into
 * another schema, so that (and swapping temporary tables) is refused.
 */
async function swapTables(
  session: Session,
  q: { database: string; schema: string; name: string },
  otherParts: string[],
  ifExists: boolean,
): Promise<StatementOutcome> {
  const other = qualify(otherParts, session.database, session.schema);
  if (other.database !== q.database || other.schema !== q.schema) {
    throw SnowflakeSqlError.unsupported('ALTER TABLE ... SWAP WITH a table of another schema or database');
  }
  if (!(await tableExists(session, q.database, q.schema, q.name))) {
    if (ifExists) return statusResult('Statement executed successfully.');
    throw SnowflakeSqlError.objectMissing('Object', displayName(q));
  }
  if (!(await tableExists(session, other.database, other.schema, other.name)))
    throw SnowflakeSqlError.objectMissing('Object', displayName(other));
  if (other.name === q.name) return statusResult('Statement executed successfully.');
  const schema = `${sqlIdent(q.database)}.${sqlIdent(q.schema)}`;
  const parking = `__KICKSAW_SWAP_${session.id}_${Date.now()}`;
  const conn = session.connection;
  const sql = [
    `ALTER TABLE ${schema}.${sqlIdent(q.name)} RENAME TO ${sqlIdent(parking)}`,
    `ALTER TABLE ${schema}.${sqlIdent(other.name)} RENAME TO ${sqlIdent(q.name)}`,
    `ALTER TABLE ${schema}.${sqlIdent(parking)} RENAME TO ${sqlIdent(other.name)}`,
  ].join('; ');
  await runDuck(sql, async () => {
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run(sql);
      await conn.run('COMMIT');
    } catch (error) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
  return statusResult('Statement executed successfully.');
}

async function drop(session: Session, runtime: Runtime, tokens: Token[]): Promise<StatementOutcome> {
  const kind = tokens[1];
  const exists = ifExists(tokens, 2);
  if (isWord(kind, 'DATABASE')) {
    const name = readName(tokens, exists.next).parts.join('.');
    const dropped = await runtime.engine.dropDatabase(name, exists.present);
    if (dropped && session.database === name) {
      session.database = undefined;
      session.schema = undefined;
    }
    return statusResult(
      dropped ? `${name} successfully dropped.` : `Drop statement executed successfully (${name} already dropped).`,
    );
  }
  if (isWord(kind, 'SCHEMA')) {
    const parts = readName(tokens, exists.next).parts;
    const database = parts.length === 2 ? (parts[0] as string) : session.database;
    const schema = parts.at(-1) as string;
    if (!database) throw SnowflakeSqlError.objectMissing('Schema', schema);
    const sql = `DROP SCHEMA ${exists.present ? 'IF EXISTS ' : ''}${sqlIdent(database)}.${sqlIdent(schema)} CASCADE`;
    await runDuck(sql, () => session.connection.run(sql));
    if (session.database === database && session.schema === schema) session.schema = undefined;
    return statusResult(`${schema} successfully dropped.`);
  }
  if (isWord(kind, 'TABLE', 'VIEW', 'SEQUENCE')) {
    const name = readName(tokens, exists.next);
    const q = qualify(name.parts, session.database, session.schema);
    const what = (kind as Token).value;
    // An unqualified name may be a temporary table (DuckDB's temp catalog): look it up first.
    let target = duckName(q);
    if (name.parts.length === 1 && what === 'TABLE') {
      const temp = await session.connection.runAndReadAll(
        `SELECT count(*) FROM duckdb_tables() WHERE database_name = 'temp' AND table_name = ${sqlString(q.name)}`,
      );
      if (Number(temp.getRows()[0]?.[0] ?? 0) > 0) target = `temp.main.${sqlIdent(q.name)}`;
    }
    const sql = `DROP ${what} ${exists.present ? 'IF EXISTS ' : ''}${target}`;
    try {
      await session.connection.run(sql);
    } catch (error) {
      const mapped = fromDuckDbError(error, sql);
      if (mapped.sfCode === '002003' || /does not exist/.test(mapped.message))
        throw SnowflakeSqlError.objectMissing('Object', displayName(q));
      throw mapped;
    }
    return statusResult(`${q.name} successfully dropped.`);
  }
  if (isWord(kind, 'STAGE')) return runtime.stages.dropStage(session, tokens, exists.next, exists.present);
  if (isWord(kind, 'FILE') && isWord(tokens[2], 'FORMAT')) {
    const again = ifExists(tokens, 3);
    return runtime.stages.dropFileFormat(session, tokens, again.next, again.present);
  }
  if (isWord(kind, 'WAREHOUSE', 'ROLE', 'USER')) return statusResult('Statement executed successfully.');
  throw SnowflakeSqlError.unsupported(`DROP ${kind?.text ?? ''}`);
}

async function truncate(session: Session, tokens: Token[]): Promise<StatementOutcome> {
  let i = 1;
  if (isWord(tokens[i], 'TABLE')) i++;
  const exists = ifExists(tokens, i);
  const name = readName(tokens, exists.next);
  const q = qualify(name.parts, session.database, session.schema);
  const target = name.parts.length === 1 ? sqlIdent(q.name) : duckName(q);
  const sql = `DELETE FROM ${target}`;
  try {
    await session.connection.run(sql);
  } catch (error) {
    const mapped = fromDuckDbError(error, sql);
    if (exists.present && mapped.sfCode === '002003') return statusResult('Statement executed successfully.');
    throw mapped;
  }
  return statusResult('Statement executed successfully.');
}

/** Points the session (and its DuckDB connection) at a database and schema. */
export async function useSchema(
  session: Session,
  runtime: Runtime,
  database: string,
  schema: string | undefined,
): Promise<void> {
  if (!runtime.engine.database(database)) throw SnowflakeSqlError.objectMissing('Database', database);
  if (schema) {
    const found = await session.connection.runAndReadAll(
      `SELECT count(*) FROM duckdb_schemas() WHERE database_name = ${sqlString(database)} AND schema_name = ${sqlString(schema)}`,
    );
    if (Number(found.getRows()[0]?.[0] ?? 0) === 0)
      throw SnowflakeSqlError.objectMissing('Schema', `${database}.${schema}`);
    await session.connection.run(`USE ${sqlIdent(database)}.${sqlIdent(schema)}`);
  } else {
    await session.connection.run(`USE ${sqlIdent(database)}`);
  }
  session.database = database;
  session.schema = schema;
}

async function use(session: Session, runtime: Runtime, tokens: Token[]): Promise<StatementOutcome> {
  let i = 1;
  const kind = tokens[i];
  if (isWord(kind, 'WAREHOUSE')) {
    session.warehouse = readName(tokens, i + 1).parts.join('.');
    return { ...statusResult('Statement executed successfully.'), statementTypeId: STATEMENT_TYPE.session };
  }
  if (isWord(kind, 'ROLE')) {
    session.role = readName(tokens, i + 1).parts.join('.');
    return { ...statusResult('Statement executed successfully.'), statementTypeId: STATEMENT_TYPE.session };
  }
  if (isWord(kind, 'SECONDARY')) return statusResult('Statement executed successfully.');
  if (isWord(kind, 'DATABASE')) {
    const name = readName(tokens, i + 1).parts[0] as string;
    const hasPublic = await session.connection.runAndReadAll(
      `SELECT count(*) FROM duckdb_schemas() WHERE database_name = ${sqlString(name)} AND schema_name = 'PUBLIC'`,
    );
    await useSchema(session, runtime, name, Number(hasPublic.getRows()[0]?.[0] ?? 0) > 0 ? 'PUBLIC' : undefined);
  } else {
    if (isWord(kind, 'SCHEMA')) i++;
    const parts = readName(tokens, i).parts;
    if (parts.length === 2) await useSchema(session, runtime, parts[0] as string, parts[1] as string);
    else if (!session.database) throw SnowflakeSqlError.objectMissing('Schema', parts[0] as string);
    else await useSchema(session, runtime, session.database, parts[0] as string);
  }
  return { ...statusResult('Statement executed successfully.'), statementTypeId: STATEMENT_TYPE.session };
}

async function transaction(session: Session, runtime: Runtime, word: string): Promise<StatementOutcome> {
  const done = (message: string) => ({ ...statusResult(message), statementTypeId: STATEMENT_TYPE.transaction });
  // BEGIN inside a transaction is ignored, as Snowflake does; COMMIT / ROLLBACK outside one do nothing.
  if (word === 'BEGIN' || word === 'START') beginTransaction(session);
  else if (word === 'COMMIT' || word === 'END') await commitTransaction(session, runtime.locks);
  else await rollbackTransaction(session, runtime.locks);
  return done('Statement executed successfully.');
}

function likePattern(tokens: Token[]): string | undefined {
  const at = tokens.findIndex((t) => isWord(t, 'LIKE'));
  const value = at >= 0 ? tokens[at + 1] : undefined;
  return value?.kind === 'string' ? value.value : undefined;
}

/** Where SHOW ... IN looks: account, a database, or a schema. */
function showScope(
  session: Session,
  tokens: Token[],
  defaultScope: 'database' | 'schema',
): { database?: string; schema?: string; table?: string[] } {
  const at = tokens.findIndex((t) => isWord(t, 'IN', 'FROM'));
  if (at < 0) {
    if (defaultScope === 'database') return { database: session.database };
    return { database: session.database, schema: session.schema };
  }
  let i = at + 1;
  if (isWord(tokens[i], 'ACCOUNT')) return {};
  if (isWord(tokens[i], 'DATABASE')) return { database: readName(tokens, i + 1).parts[0] };
  if (isWord(tokens[i], 'TABLE', 'VIEW')) return { table: readName(tokens, i + 1).parts };
  if (isWord(tokens[i], 'SCHEMA')) i++;
  const parts = readName(tokens, i).parts;
  if (parts.length === 2) return { database: parts[0], schema: parts[1] };
  if (defaultScope === 'database' && !isWord(tokens[at + 1], 'SCHEMA')) return { database: parts[0] };
  return { database: session.database, schema: parts[0] };
}

function likeFilter(column: string, pattern: string | undefined): string {
  return pattern ? ` AND ${column} ILIKE ${sqlString(pattern)}` : '';
}

const TS = (name: string) => column(name, 'timestamp_ltz', { scale: 3, precision: 0 });
const TEXT = (name: string) => column(name, 'text', { length: 16777216 });
const NUM = (name: string) => column(name, 'fixed', { precision: 38, scale: 0 });

async function show(session: Session, runtime: Runtime, tokens: Token[]): Promise<StatementOutcome> {
  let i = 1;
  if (isWord(tokens[i], 'TERSE')) i++;
  const what = tokens[i]?.value ?? '';
  const pattern = likePattern(tokens);
  const now = String(Math.floor(Date.now() / 1000));
  const done = (rowtype: RowType[], rows: Array<Array<string | null>>): StatementOutcome => ({
    kind: 'result',
    statementTypeId: STATEMENT_TYPE.select,
    result: rowsResult(rowtype, rows),
  });
  const read = (sql: string) => runtime.engine.read(sql);
  const likeJs = (name: string) =>
    !pattern ||
    new RegExp(
      `^${pattern
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replaceAll('%', '.*')
        .replaceAll('_', '.')}$`,
      'i',
    ).test(name);
  if (what === 'DATABASES') {
    const rows = runtime.engine
      .databaseNames()
      .filter(likeJs)
      .map((name) => [
        now,
        name,
        'N',
        session.database === name ? 'Y' : 'N',
        '',
        'ACCOUNTADMIN',
        '',
        '',
        '1',
        'STANDARD',
      ]);
    return done(
      [
        TS('created_on'),
        TEXT('name'),
        TEXT('is_default'),
        TEXT('is_current'),
        TEXT('origin'),
        TEXT('owner'),
        TEXT('comment'),
        TEXT('options'),
        TEXT('retention_time'),
        TEXT('kind'),
      ],
      rows,
    );
  }
  if (what === 'SCHEMAS') {
    const scope = showScope(session, tokens, 'database');
    const where = scope.database ? ` AND database_name = ${sqlString(scope.database)}` : '';
    const rows = await read(
      `SELECT database_name, schema_name FROM duckdb_schemas() WHERE schema_name NOT IN ('main', 'pg_catalog', 'information_schema') AND database_name NOT IN ('system', 'temp', 'memory')${where}${likeFilter('schema_name', pattern)} ORDER BY 1, 2`,
    );
    const out = rows.map(([db, name]) => [
      now,
      String(name),
      'N',
      session.database === db && session.schema === name ? 'Y' : 'N',
      String(db),
      'ACCOUNTADMIN',
      '',
      '',
      '1',
    ]);
    if (scope.database && likeJs('INFORMATION_SCHEMA'))
      out.unshift([
        now,
        'INFORMATION_SCHEMA',
        'N',
        'N',
        scope.database,
        '',
        'Views describing the contents of schemas in this database',
        '',
        '1',
      ]);
    return done(
      [
        TS('created_on'),
        TEXT('name'),
        TEXT('is_default'),
        TEXT('is_current'),
        TEXT('database_name'),
        TEXT('owner'),
        TEXT('comment'),
        TEXT('options'),
        TEXT('retention_time'),
      ],
      out,
    );
  }
  if (what === 'TABLES' || what === 'VIEWS' || what === 'OBJECTS') {
    const scope = showScope(session, tokens, 'schema');
    let where = '';
    if (scope.database) where += ` AND database_name = ${sqlString(scope.database)}`;
    if (scope.schema) where += ` AND schema_name = ${sqlString(scope.schema)}`;
    const tables =
      what === 'VIEWS'
        ? []
        : await read(
            `SELECT database_name, schema_name, table_name, temporary, estimated_size, comment FROM duckdb_tables() WHERE database_name NOT IN ('system', 'memory')${where}${likeFilter('table_name', pattern)} ORDER BY 3`,
          );
    const temps =
      what === 'VIEWS'
        ? []
        : await session.connection
            .runAndReadAll(
              `SELECT table_name, estimated_size FROM duckdb_tables() WHERE database_name = 'temp' AND ${NOT_TRANSACTION_TABLE}${likeFilter('table_name', pattern)}`,
            )
            .then((r) => r.getRows());
    const views =
      what === 'TABLES'
        ? []
        : await read(
            `SELECT database_name, schema_name, view_name, sql, comment FROM duckdb_views() WHERE NOT internal AND database_name NOT IN ('system', 'memory', 'temp')${where}${likeFilter('view_name', pattern)} ORDER BY 3`,
          );
    if (what === 'VIEWS') {
      return done(
        [
          TS('created_on'),
          TEXT('name'),
          TEXT('reserved'),
          TEXT('database_name'),
          TEXT('schema_name'),
          TEXT('owner'),
          TEXT('comment'),
          TEXT('text'),
          TEXT('is_secure'),
          TEXT('is_materialized'),
        ],
        views.map(([db, schema, name, sql, comment]) => [
          now,
          String(name),
          '',
          String(db),
          String(schema),
          'ACCOUNTADMIN',
          (comment as string | null) ?? '',
          String(sql),
          'false',
          'false',
        ]),
      );
    }
    const rows: Array<Array<string | null>> = tables.map(([db, schema, name, , size, comment]) => [
      now,
      String(name),
      String(db),
      String(schema),
      'TABLE',
      (comment as string | null) ?? '',
      '',
      String(size),
      '0',
      'ACCOUNTADMIN',
      '1',
      'OFF',
      'OFF',
    ]);
    if (!scope.table && session.database && (!scope.database || scope.database === session.database)) {
      for (const [name, size] of temps)
        rows.push([
          now,
          String(name),
          session.database,
          session.schema ?? '',
          'TEMPORARY',
          '',
          '',
          String(size),
          '0',
          'ACCOUNTADMIN',
          '1',
          'OFF',
          'OFF',
        ]);
    }
    if (what === 'OBJECTS')
      for (const [db, schema, name] of views)
        rows.push([
          now,
          String(name),
          String(db),
          String(schema),
          'VIEW',
          '',
          '',
          '0',
          '0',
          'ACCOUNTADMIN',
          '1',
          'OFF',
          'OFF',
        ]);
    return done(
      [
        TS('created_on'),
        TEXT('name'),
        TEXT('database_name'),
        TEXT('schema_name'),
        TEXT('kind'),
        TEXT('comment'),
        TEXT('cluster_by'),
        NUM('rows'),
        NUM('bytes'),
        TEXT('owner'),
        TEXT('retention_time'),
        TEXT('automatic_clustering'),
        TEXT('change_tracking'),
      ],
      rows,
    );
  }
  if (what === 'COLUMNS') {
    const scope = showScope(session, tokens, 'schema');
    let where = '';
    if (scope.table) {
      const q = qualify(scope.table, session.database, session.schema);
      where = ` AND database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)} AND table_name = ${sqlString(q.name)}`;
    } else {
      if (scope.database) where += ` AND database_name = ${sqlString(scope.database)}`;
      if (scope.schema) where += ` AND schema_name = ${sqlString(scope.schema)}`;
    }
    const rows = await read(
      `SELECT table_name, schema_name, column_name, data_type, is_nullable, column_default, database_name, comment FROM duckdb_columns() WHERE NOT internal AND database_name NOT IN ('system', 'memory')${where}${likeFilter('column_name', pattern)} ORDER BY database_name, schema_name, table_name, column_index`,
    );
    return done(
      [
        TEXT('table_name'),
        TEXT('schema_name'),
        TEXT('column_name'),
        TEXT('data_type'),
        TEXT('null?'),
        TEXT('default'),
        TEXT('kind'),
        TEXT('expression'),
        TEXT('comment'),
        TEXT('database_name'),
        TEXT('autoincrement'),
      ],
      rows.map(([table, schema, name, type, nullable, def, db, comment]) => [
        String(table),
        String(schema),
        String(name),
        snowflakeTypeJson(String(type), Boolean(nullable), comment),
        nullable ? 'true' : 'false',
        (def as string | null) ?? '',
        'COLUMN',
        '',
        '',
        String(db),
        '',
      ]),
    );
  }
  if (what === 'WAREHOUSES') {
    return done(
      [TEXT('name'), TEXT('state'), TEXT('type'), TEXT('size')],
      [[session.warehouse || 'COMPUTE_WH', 'STARTED', 'STANDARD', 'X-Small']],
    );
  }
  if (what === 'STAGES') return runtime.stages.showStages(session, tokens);
  if (what === 'FILE' && isWord(tokens[i + 1], 'FORMATS')) return runtime.stages.showFileFormats(session, tokens);
  if (what === 'PARAMETERS') {
    return done(
      [TEXT('key'), TEXT('value'), TEXT('default'), TEXT('level'), TEXT('description'), TEXT('type')],
      [...session.parameters.entries()].map(([key, value]) => [
        key,
        String(value),
        '',
        'SESSION',
        '',
        typeof value === 'number' ? 'NUMBER' : 'STRING',
      ]),
    );
  }
  if (what === 'PRIMARY' || what === 'IMPORTED' || what === 'UNIQUE')
    return done(
      [TS('created_on'), TEXT('database_name'), TEXT('schema_name'), TEXT('table_name'), TEXT('column_name')],
      [],
    );
  throw SnowflakeSqlError.unsupported(`SHOW ${what}`);
}

async function describe(session: Session, runtime: Runtime, tokens: Token[]): Promise<StatementOutcome> {
  let i = 1;
  if (isWord(tokens[i], 'TABLE', 'VIEW')) i++;
  else if (isWord(tokens[i], 'STAGE')) return runtime.stages.describeStage(session, tokens, i + 1);
  else if (isWord(tokens[i], 'DATABASE', 'SCHEMA', 'WAREHOUSE', 'FILE', 'SEQUENCE', 'FUNCTION', 'PROCEDURE', 'RESULT'))
    throw SnowflakeSqlError.unsupported(`DESCRIBE ${tokens[i]?.value}`);
  const name = readName(tokens, i);
  const q = qualify(name.parts, session.database, session.schema);
  const temp = name.parts.length === 1 && !isShadow(session, q.name);
  const sql = `SELECT column_name, data_type, is_nullable, column_default, comment FROM duckdb_columns() WHERE (database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)}${temp ? ` OR database_name = 'temp'` : ''}) AND table_name = ${sqlString(q.name)} ORDER BY column_index`;
  const rows = (await session.connection.runAndReadAll(sql)).getRows();
  if (rows.length === 0) throw SnowflakeSqlError.objectMissing('Object', displayName(q));
  return {
    kind: 'result',
    statementTypeId: STATEMENT_TYPE.select,
    result: rowsResult(
      [
        'name',
        'type',
        'kind',
        'null?',
        'default',
        'primary key',
        'unique key',
        'check',
        'expression',
        'comment',
        'policy name',
        'privacy domain',
      ].map(TEXT),
      rows.map(([col, type, nullable, def, comment]) => [
        String(col),
        snowflakeTypeText(String(type), comment),
        'COLUMN',
        nullable ? 'Y' : 'N',
        (def as string | null) ?? null,
        'N',
        'N',
        null,
        null,
        null,
        null,
        null,
      ]),
    ),
  };
}

/**
 * An array bind (rows of values per bind) or a stage bind: an `INSERT ... VALUES (?, ?)` becomes one
 * `INSERT ... SELECT` over the bind rows (loaded into a temporary DuckDB table, or read from the
 * stage's CSV files); any other statement runs once per row and the counts add up.
 */
async function runArrayBind(
  session: Session,
  runtime: Runtime,
  tokens: Token[],
  request: StatementRequest,
  queryId: string,
): Promise<StatementOutcome> {
  const bindings = request.bindings ?? {};
  const count = Math.max(
    0,
    ...Object.keys(bindings).map(Number),
    ...tokens.filter((t) => t.kind === 'bind').map((t) => t.index ?? 0),
  );
  const valuesAt = tokens.findIndex((t) => isWord(t, 'VALUES'));
  const isInsertValues =
    isWord(tokens[0], 'INSERT') &&
    valuesAt > 0 &&
    isOp(tokens[valuesAt + 1], '(') &&
    closingParen(tokens, valuesAt + 1) === tokens.length - 1;
  const conn = session.connection;
  if (!isInsertValues) {
    if (request.bindStage)
      throw SnowflakeSqlError.unsupported('stage binds on statements other than INSERT ... VALUES');
    const rows = Math.max(0, ...Object.values(bindings).map((b) => (Array.isArray(b.value) ? b.value.length : 1)));
    let total: StatementOutcome | undefined;
    const sums: number[] = [];
    for (let r = 0; r < rows; r++) {
      const ctx = sessionContext(session, runtime, (index) => {
        const bind = bindings[String(index)];
        return bindLiteral(bind, Array.isArray(bind?.value) ? bind?.value[r] : bind?.value, index);
      });
      const outcome = await dispatch(session, runtime, tokens, ctx, { ...request, bindings: undefined }, queryId);
      if (outcome.kind === 'result' && outcome.statementTypeId >= 0x3000 && outcome.statementTypeId < 0x4000) {
        outcome.result.rowset[0]?.forEach((v, k) => {
          sums[k] = (sums[k] ?? 0) + Number(v ?? 0);
        });
      }
      total = outcome;
    }
    if (total && total.kind === 'result' && sums.length > 0) total.result.rowset = [sums.map(String)];
    return total ?? statusResult('Statement executed successfully.');
  }
  const types = Array.from({ length: count }, (_, k) => bindings[String(k + 1)]?.type ?? 'TEXT');
  let source: string;
  let cleanup: string | undefined;
  if (request.bindStage) {
    const files = await runtime.stages.bindStageFiles(session, request.bindStage);
    if (files.length === 0) throw SnowflakeSqlError.objectMissing('Stage', request.bindStage);
    const columns = types.map((_, k) => `'C${k + 1}': 'VARCHAR'`).join(', ');
    source = `read_csv([${files.map(sqlString).join(', ')}], header = false, delim = ',', quote = '"', escape = '"', columns = {${columns}}, auto_detect = false, allow_quoted_nulls = false, null_padding = false)`;
  } else {
    const table = `__KICKSAW_BINDS_${queryId.replaceAll('-', '_')}`;
    await conn.run(`CREATE TEMP TABLE ${sqlIdent(table)} (${types.map((_, k) => `C${k + 1} VARCHAR`).join(', ')})`);
    cleanup = `DROP TABLE IF EXISTS temp.main.${sqlIdent(table)}`;
    const appender = await conn.createAppender(table, 'main', 'temp');
    const columns = types.map((_, k) => {
      const value = bindings[String(k + 1)]?.value;
      return Array.isArray(value) ? value : undefined;
    });
    const rows = Math.max(0, ...columns.map((c) => c?.length ?? 0));
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < count; k++) {
        const value = columns[k] ? columns[k]?.[r] : bindings[String(k + 1)]?.value;
        if (value === null || value === undefined) appender.appendNull();
        else appender.appendVarchar(typeof value === 'string' ? value : JSON.stringify(value));
      }
      appender.endRow();
    }
    appender.closeSync();
    source = `temp.main.${sqlIdent(table)}`;
  }
  try {
    const ctx = sessionContext(session, runtime, (index) => {
      const cast = bindCastType(types[index - 1] ?? 'TEXT');
      return cast ? `CAST(__B.C${index} AS ${cast})` : `__B.C${index}`;
    });
    const close = closingParen(tokens, valuesAt + 1);
    const values = translateTokens(tokens, ctx, valuesAt + 2, close);
    const sql = await insertSql(session, tokens, ctx, { at: valuesAt, sql: `SELECT ${values} FROM ${source} AS __B` });
    const changed = await runDuck(sql, async () => (await conn.run(sql)).rowsChanged);
    return countResult(STATEMENT_TYPE.insert, [['number of rows inserted', changed]]);
  } finally {
    if (cleanup) await conn.run(cleanup).catch(() => undefined);
  }
}
