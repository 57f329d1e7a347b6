// Snowflake SQL to DuckDB SQL, token by token: names folded, types mapped, VARIANT paths, divisors that raise
// on zero, the constructs refused. Calls are rewritten by functions.ts, operands read by operands.ts.
import { SnowflakeSqlError } from '../errors.js';
import type { TranslateContext } from './context.js';
import { rewriteCall } from './functions.js';
import { joinPieces, operandEnd, type Piece, pathAccess, takeOperand } from './operands.js';
import { callArgs } from './scan.js';
import { TZ_FROM_TEXT } from './timestamp-tz.js';
import { isOp, isWord, sqlIdent, sqlString, type Token } from './tokens.js';
import { parseType, TZ_TYPE } from './types.js';

export type { TranslateContext } from './context.js';

/** Words DuckDB reserves that are plain names in Snowflake (a column may be called AT or MAP). */
const DUCKDB_ONLY_KEYWORDS = new Set([
  'AT',
  'ASOF',
  'ANTI',
  'SEMI',
  'POSITIONAL',
  'GLOB',
  'MAP',
  'STRUCT',
  'COLUMNS',
  'UNPACK',
  'LAMBDA',
  'SUMMARIZE',
  'PIVOT_LONGER',
  'PIVOT_WIDER',
  'VARIADIC',
  'PLACING',
  'ASYMMETRIC',
  'SYMMETRIC',
  'ANALYSE',
  'ANALYZE',
  'BOTH',
  'LEADING',
  'TRAILING',
  'RETURNING',
  'DO',
  'FREEZE',
  'VERBOSE',
  'CONCURRENTLY',
  'GENERATED',
  'COLLATION',
  'AUTHORIZATION',
  'SIMILAR',
  'OVERLAPS',
  'ISNULL',
  'NOTNULL',
  'NONE',
  'OUT',
  'INOUT',
  'SETOF',
  'TREAT',
  'NATIONAL',
]);

/** Words that may follow a table name and so are never its alias. */
export const CLAUSE_AFTER_TABLE: ReadonlySet<string> = new Set([
  'WHERE',
  'GROUP',
  'ORDER',
  'LIMIT',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'CROSS',
  'ON',
  'UNION',
  'EXCEPT',
  'MINUS',
  'INTERSECT',
  'QUALIFY',
  'HAVING',
  'WINDOW',
  'NATURAL',
  'USING',
  'OFFSET',
  'FETCH',
]);

/**
 * Translates Snowflake SQL tokens (significant tokens, no whitespace) to DuckDB SQL text:
 * unquoted names upper-cased (Snowflake's folding; DuckDB keeps the case as written), types mapped,
 * Snowflake functions rewritten, `:` paths on VARIANT turned into JSON extraction, binds substituted.
 * Constructs that cannot be run faithfully throw `unsupported in the local Snowflake: ...`.
 */
export function translateTokens(tokens: Token[], ctx: TranslateContext, from = 0, to = tokens.length): string {
  const t: Translation = { tokens, ctx, to, pieces: [], tr: (a, b) => translateTokens(tokens, ctx, a, b) };
  let i = from;
  while (i < to) i = translateToken(t, i);
  return joinPieces(t.pieces);
}

/** One run of {@link translateTokens}: the tokens up to `to`, and the pieces written so far. */
interface Translation {
  tokens: Token[];
  ctx: TranslateContext;
  to: number;
  pieces: Piece[];
  tr: (a: number, b: number) => string;
}

/** Translates the token at `i` (and what belongs to it); returns the index of the next one. */
function translateToken(t: Translation, i: number): number {
  const token = t.tokens[i] as Token;
  switch (token.kind) {
    case 'ws':
      return i + 1;
    case 'raw':
      t.pieces.push({ text: token.text, operand: true });
      return i + 1;
    case 'string':
      t.pieces.push({ text: sqlString(token.value), operand: true });
      return i + 1;
    case 'quoted':
      t.pieces.push({ text: sqlIdent(token.value), operand: true });
      return i + 1;
    case 'number':
      t.pieces.push({ text: token.text, operand: true });
      return i + 1;
    case 'bind':
      t.pieces.push({ text: t.ctx.bind(token.index ?? 0), operand: true });
      return i + 1;
    case 'stage':
      throw SnowflakeSqlError.unsupported(`a stage reference (${token.text}) in this statement`);
    case 'op':
      return translateOp(t, i, token.value);
    case 'word':
      return translateWord(t, i, token.value);
  }
}

/** An operator: `::type`, VARIANT paths, divisors (see {@link DIVISOR_MACRO}), the rest as written. */
function translateOp(t: Translation, i: number, op: string): number {
  const { tokens, pieces, to, tr } = t;
  if (op === '::') {
    const type = parseType(tokens, i + 1);
    if (type.duck === TZ_TYPE) {
      // To TIMESTAMP_TZ: through text, which keeps an offset written in it (see timestamp-tz.ts).
      const base = takeOperand(pieces, '::');
      pieces.push({ text: `${TZ_FROM_TEXT}(CAST(${joinPieces(base)} AS VARCHAR))`, operand: true });
      return type.next;
    }
    pieces.push({ text: '::' }, { text: type.duck, operand: true });
    return type.next;
  }
  if (op === ':' || (op === '[' && pieces.at(-1)?.operand)) return pathAccess(tokens, i, to, pieces);
  if (op === '$') throw SnowflakeSqlError.unsupported('positional stage columns ($1)');
  if (op === '/') {
    // Snowflake raises 100051 where DuckDB gives Infinity or NULL: the divisor goes through a macro
    // of each session's connection that raises DuckDB's error (mapped to 100051) on zero.
    const end = operandEnd(tokens, i + 1, to);
    if (end > i + 1) {
      pieces.push({ text: '/' }, { text: `${DIVISOR_MACRO}(${tr(i + 1, end)})`, operand: true });
      return end;
    }
  }
  if (op === '(') pieces.push({ text: '(' });
  else if (op === ')' || op === ']') pieces.push({ text: op, operand: true });
  else pieces.push({ text: op });
  return i + 1;
}

/** A word: a keyword, a name, a call (rewritten by sql/functions.ts) or a construct that is refused. */
function translateWord(t: Translation, i: number, word: string): number {
  const { tokens, pieces, ctx, to, tr } = t;
  const next = tokens[i + 1];
  // Refused first: CHANGES ( and LATERAL ( read as calls and would otherwise reach the function rewriter.
  refuseWord(tokens, i, word);
  if (DUCKDB_ONLY_KEYWORDS.has(word) && !isOp(next, '(')) {
    // A plain name in Snowflake that DuckDB reads as a keyword: quote it.
    pieces.push({ text: sqlIdent(word), operand: true });
    return i + 1;
  }
  if (
    word === 'VALUES' &&
    (isWord(tokens[i - 1], 'FROM', 'JOIN') || (isOp(tokens[i - 1], ',') && pieces.some((p) => p.text === 'FROM')))
  ) {
    return valuesTable(tokens, i, to, pieces, tr);
  }
  if (isOp(next, '(')) {
    const rewritten = rewriteCall(tokens, i, ctx, tr);
    if (rewritten) {
      pieces.push({ text: rewritten.text, operand: true });
      return rewritten.next;
    }
    pieces.push({ text: word }, { text: '(', call: true });
    return i + 2;
  }
  if (word === 'NEXTVAL' && pieces.at(-1)?.text === '.') {
    // seq.NEXTVAL -> nextval('seq'): take the sequence's name chain off the pieces.
    pieces.pop();
    const chain: string[] = [];
    while (pieces.at(-1)?.operand) {
      chain.unshift((pieces.pop() as Piece).text);
      if (pieces.at(-1)?.text !== '.') break;
      pieces.pop();
    }
    pieces.push({ text: `nextval(${sqlString(chain.join('.'))})`, operand: true });
    return i + 1;
  }
  const text = wordText(word, ctx);
  if (text !== undefined) {
    pieces.push(word === 'MINUS' ? { text } : { text, operand: true });
    return i + 1;
  }
  pieces.push({ text: word, operand: true });
  return i + 1;
}

/** Words written differently in DuckDB: MINUS, and the niladic SYSDATE, CURRENT_USER, ... without parens. */
function wordText(word: string, ctx: TranslateContext): string | undefined {
  if (word === 'MINUS') return 'EXCEPT';
  if (word === 'SYSDATE' || word === 'SYSTIMESTAMP') return "(now() AT TIME ZONE 'UTC')";
  if (word === 'CURRENT_USER') return sqlString(ctx.session.user);
  if (word === 'CURRENT_ROLE') return sqlString(ctx.session.role);
  return undefined;
}

/**
 * Throws `unsupported` for the constructs a word at `i` opens that cannot be run faithfully; runs before any
 * other reading of the word, so that a construct followed by `(` (CHANGES, LATERAL, AT) is not taken for a call.
 */
function refuseWord(tokens: Token[], i: number, word: string): void {
  const next = tokens[i + 1];
  if (
    (word === 'AT' || word === 'BEFORE') &&
    isOp(next, '(') &&
    isWord(tokens[i + 2], 'TIMESTAMP', 'OFFSET', 'STATEMENT')
  )
    throw SnowflakeSqlError.unsupported('Time Travel (AT | BEFORE)');
  if (word === 'CONNECT' && isWord(next, 'BY')) throw SnowflakeSqlError.unsupported('CONNECT BY');
  if (word === 'CHANGES' && isOp(next, '(')) throw SnowflakeSqlError.unsupported('CHANGES');
  if (word === 'LATERAL') throw SnowflakeSqlError.unsupported('LATERAL');
  if (word === 'ILIKE' && isWord(next, 'ANY', 'ALL')) throw SnowflakeSqlError.unsupported(`ILIKE ${next?.value}`);
  if (word === 'LIKE' && isWord(next, 'ANY', 'ALL')) throw SnowflakeSqlError.unsupported(`LIKE ${next?.value}`);
  if (word === 'TOP' && isWord(tokens[i - 1], 'SELECT', 'DISTINCT'))
    throw SnowflakeSqlError.unsupported('SELECT TOP n (use LIMIT)');
}

/**
 * `FROM VALUES (..), (..) [[AS] alias [(names)]]`: DuckDB wants the rows in parentheses, and Snowflake names
 * the columns COLUMN1, COLUMN2, ... unless the alias names them.
 */
function valuesTable(
  tokens: Token[],
  at: number,
  to: number,
  pieces: Piece[],
  tr: (a: number, b: number) => string,
): number {
  const rows: string[] = [];
  let i = at + 1;
  let width = 0;
  while (i < to && isOp(tokens[i], '(')) {
    const { args, close } = callArgs(tokens, i);
    width = Math.max(width, args.length);
    rows.push(`(${args.map(([a, b]) => tr(a, b)).join(', ')})`);
    i = close + 1;
    if (isOp(tokens[i], ',') && isOp(tokens[i + 1], '(')) i++;
    else break;
  }
  let alias = '__VALUES';
  let names = Array.from({ length: width }, (_, k) => `COLUMN${k + 1}`);
  if (isWord(tokens[i], 'AS')) i++;
  const aliasToken = tokens[i];
  if (
    aliasToken &&
    (aliasToken.kind === 'quoted' || (aliasToken.kind === 'word' && !CLAUSE_AFTER_TABLE.has(aliasToken.value)))
  ) {
    alias = sqlIdent(aliasToken.value);
    i++;
    if (isOp(tokens[i], '(')) {
      const { args, close } = callArgs(tokens, i);
      names = args.map(([a]) => (tokens[a] as Token).value);
      i = close + 1;
    }
  }
  pieces.push({
    text: `(VALUES ${rows.join(', ')}) AS ${alias === '__VALUES' ? alias : alias}(${names.map(sqlIdent).join(', ')})`,
    operand: true,
  });
  return i;
}

/** The macro a divisor is wrapped in (created on every session connection, see Engine.connect). */
export const DIVISOR_MACRO = '__KICKSAW_DIVISOR';
