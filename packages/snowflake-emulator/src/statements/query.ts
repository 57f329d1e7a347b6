// SELECT (and WITH, VALUES, FROM ...): the result written by DuckDB, the column names Snowflake gives them.
import { join } from 'node:path';
import { encodeResult, writeResult } from '../results.js';
import type { Session } from '../session.js';
import { topLevelWord } from '../sql/scan.js';
import { isOp, isWord, type Token } from '../sql/tokens.js';
import { type TranslateContext, translateTokens } from '../sql/translate.js';
import { applyDeclaredTypes } from './declared-types.js';
import { type Runtime, runDuck, STATEMENT_TYPE, type StatementOutcome, type StatementRequest } from './outcome.js';

export async function query(
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

function fitNames(names: string[] | undefined, count: number): string[] | undefined {
  return names && names.length === count ? names : undefined;
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

/** Words that end the select list of a SELECT. */
const AFTER_SELECT_LIST = [
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
];

/** The names Snowflake gives the columns of a SELECT (aliases, column names, expression text). */
function selectItemNames(tokens: Token[], sqlText: string): string[] | undefined {
  const items = selectItems(tokens);
  if (!items) return undefined;
  const names: string[] = [];
  for (const item of items) {
    const name = itemName(item, sqlText);
    if (name === undefined) return undefined;
    names.push(name);
  }
  return names;
}

/** The items of the main SELECT's select list (a WITH clause skipped), or undefined when there is none. */
function selectItems(tokens: Token[]): Token[][] | undefined {
  // The main SELECT is the first SELECT outside parentheses.
  let i = topLevelWord(tokens, 0, 'SELECT');
  if (i < 0) return undefined;
  i++;
  if (isWord(tokens[i], 'DISTINCT', 'ALL')) i++;
  const items: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (isOp(token, '(') || isOp(token, '[')) depth++;
    else if (isOp(token, ')') || isOp(token, ']')) depth--;
    if (depth < 0) break;
    if (depth === 0 && isWord(token, ...AFTER_SELECT_LIST)) break;
    if (depth === 0 && isOp(token, ',')) {
      items.push(current);
      current = [];
      continue;
    }
    current.push(token);
  }
  if (current.length > 0) items.push(current);
  return items;
}

/** One select item's column name; undefined for `*` (the names are then DuckDB's). */
function itemName(item: Token[], sqlText: string): string | undefined {
  const last = item.at(-1);
  const beforeLast = item.at(-2);
  if (!last) return undefined;
  if (isOp(last, '*')) return undefined;
  const isName = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'quoted');
  if (isName(last) && isWord(beforeLast, 'AS')) return last.value;
  const chain = item.every((t, k) => (k % 2 === 0 ? isName(t) : isOp(t, '.')));
  if (chain) return last.value;
  if (
    isName(last) &&
    beforeLast &&
    !isOp(beforeLast, '.') &&
    !isOp(beforeLast, '::') &&
    !isWord(last, 'END') &&
    (beforeLast.kind !== 'op' || isOp(beforeLast, ')'))
  ) {
    return last.value;
  }
  return expressionName(item, sqlText);
}
