import { SnowflakeSqlError } from '../errors.js';
import { isOp, isWord, sqlIdent, sqlString, type Token } from './tokens.js';
import { parseType, TZ_TYPE } from './types.js';

/** What the translator needs to know about the session and the statement's binds. */
export interface TranslateContext {
  /** SQL text to put where bind `index` (1-based) stands. */
  bind(index: number): string;
  /** Values of the session functions (`CURRENT_USER()` ...). */
  session: {
    user: string;
    role: string;
    warehouse: string;
    account: string;
    sessionId: string;
    region: string;
    version: string;
  };
}

interface Piece {
  text: string;
  /** An identifier (name part), a closing paren/bracket or a literal: something a `:` path can follow. */
  operand?: boolean;
  /** For `(`: whether the paren directly follows a function name (`f(`). */
  call?: boolean;
}

/** Finds the index of the `)` that closes the `(` at `open`. */
export function closingParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind !== 'op') continue;
    if (token.value === '(' || token.value === '[') depth++;
    else if (token.value === ')' || token.value === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw SnowflakeSqlError.syntax("unexpected '<EOF>'", '', 0);
}

/** Splits the tokens between `(` at `open` and its `)` into top-level comma-separated ranges. */
export function callArgs(tokens: Token[], open: number): { args: Array<[number, number]>; close: number } {
  const close = closingParen(tokens, open);
  const args: Array<[number, number]> = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < close; i++) {
    const token = tokens[i] as Token;
    if (token.kind === 'op' && (token.value === '(' || token.value === '[')) depth++;
    else if (token.kind === 'op' && (token.value === ')' || token.value === ']')) depth--;
    else if (depth === 0 && isOp(token, ',')) {
      args.push([start, i]);
      start = i + 1;
    }
  }
  if (close > open + 1) args.push([start, close]);
  return { args, close };
}

function joinPieces(pieces: Piece[]): string {
  let out = '';
  let previous: Piece | undefined;
  for (const piece of pieces) {
    const text = piece.text;
    const glue =
      previous === undefined ||
      text === ')' ||
      text === ',' ||
      text === '.' ||
      text === ']' ||
      previous.text === '.' ||
      previous.text === '(' ||
      previous.text === '[' ||
      (text === '(' && piece.call) ||
      (text === '[' && previous.operand)
        ? ''
        : ' ';
    out += glue + text;
    previous = piece;
  }
  return out;
}

const SIMPLE_RENAMES: Record<string, string> = {
  IFF: 'IF',
  NVL: 'COALESCE',
  CHARINDEX: 'CHARINDEX',
  STARTSWITH: 'STARTS_WITH',
  ENDSWITH: 'ENDS_WITH',
  OBJECT_CONSTRUCT_KEEP_NULL: 'JSON_OBJECT',
  ARRAY_CONSTRUCT: 'JSON_ARRAY',
  ARRAY_SIZE: 'JSON_ARRAY_LENGTH',
  REGEXP_SUBSTR: 'REGEXP_EXTRACT',
  RLIKE: 'REGEXP_FULL_MATCH',
  REGEXP_LIKE: 'REGEXP_FULL_MATCH',
  BOOLAND_AGG: 'BOOL_AND',
  BOOLOR_AGG: 'BOOL_OR',
  OBJECT_AGG: 'JSON_GROUP_OBJECT',
  SQUARE: 'POW2',
  LEN: 'LENGTH',
};

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

const UNSUPPORTED_FUNCTIONS = new Set([
  'FLATTEN',
  'HASH',
  'HASH_AGG',
  'RESULT_SCAN',
  'TYPEOF',
  'GET_DDL',
  'SYSTEM$CLUSTERING_INFORMATION',
  'SYSTEM$TYPEOF',
  'CONDITIONAL_CHANGE_EVENT',
  'ST_POINT',
  'TO_GEOGRAPHY',
  'ENCRYPT',
  'DECRYPT',
]);

const TIME_PARTS = new Set([
  'YEAR',
  'YEARS',
  'Y',
  'YY',
  'YYYY',
  'YR',
  'YRS',
  'QUARTER',
  'Q',
  'MONTH',
  'MONTHS',
  'MM',
  'MON',
  'WEEK',
  'W',
  'WK',
  'DAY',
  'DAYS',
  'D',
  'DD',
  'HOUR',
  'HOURS',
  'H',
  'HH',
  'MINUTE',
  'MINUTES',
  'MI',
  'MIN',
  'M',
  'SECOND',
  'SECONDS',
  'S',
  'SEC',
  'MILLISECOND',
  'MILLISECONDS',
  'MS',
  'MICROSECOND',
  'MICROSECONDS',
  'US',
  'NANOSECOND',
  'NANOSECONDS',
  'NS',
]);

function normalPart(part: string): string {
  const p = part.toUpperCase();
  if (['Y', 'YY', 'YYYY', 'YR', 'YRS', 'YEARS'].includes(p)) return 'year';
  if (['Q', 'QUARTERS'].includes(p)) return 'quarter';
  if (['MM', 'MON', 'MONTHS'].includes(p)) return 'month';
  if (['W', 'WK', 'WEEKS'].includes(p)) return 'week';
  if (['D', 'DD', 'DAYS'].includes(p)) return 'day';
  if (['H', 'HH', 'HOURS'].includes(p)) return 'hour';
  if (['MI', 'MIN', 'M', 'MINUTES'].includes(p)) return 'minute';
  if (['S', 'SEC', 'SECONDS'].includes(p)) return 'second';
  if (['MS', 'MILLISECONDS'].includes(p)) return 'millisecond';
  if (['US', 'MICROSECONDS'].includes(p)) return 'microsecond';
  if (['NS', 'NANOSECOND', 'NANOSECONDS'].includes(p)) throw SnowflakeSqlError.unsupported('nanosecond date parts');
  return p.toLowerCase();
}

/**
 * Translates Snowflake SQL tokens (significant tokens, no whitespace) to DuckDB SQL text:
 * unquoted names upper-cased (Snowflake's folding; DuckDB keeps the case as written), types mapped,
 * Snowflake functions rewritten, `:` paths on VARIANT turned into JSON extraction, binds substituted.
 * Constructs that cannot be run faithfully throw `unsupported in the local Snowflake: ...`.
 */
export function translateTokens(tokens: Token[], ctx: TranslateContext, from = 0, to = tokens.length): string {
  const pieces: Piece[] = [];
  const tr = (a: number, b: number) => translateTokens(tokens, ctx, a, b);
  let i = from;
  while (i < to) {
    const token = tokens[i] as Token;
    const next = tokens[i + 1];
    switch (token.kind) {
      case 'ws':
        i++;
        continue;
      case 'raw':
        pieces.push({ text: token.text, operand: true });
        i++;
        continue;
      case 'string':
        pieces.push({ text: sqlString(token.value), operand: true });
        i++;
        continue;
      case 'quoted':
        pieces.push({ text: sqlIdent(token.value), operand: true });
        i++;
        continue;
      case 'number':
        pieces.push({ text: token.text, operand: true });
        i++;
        continue;
      case 'bind':
        pieces.push({ text: ctx.bind(token.index ?? 0), operand: true });
        i++;
        continue;
      case 'stage':
        throw SnowflakeSqlError.unsupported(`a stage reference (${token.text}) in this statement`);
      case 'op': {
        const op = token.value;
        if (op === '::') {
          const type = parseType(tokens, i + 1);
          if (type.duck === TZ_TYPE) {
            // To TIMESTAMP_TZ: through text, which keeps an offset written in it (see timestamp-tz.ts).
            const base = takeOperand(pieces, '::');
            pieces.push({ text: `${TZ_FROM_TEXT}(CAST(${joinPieces(base)} AS VARCHAR))`, operand: true });
            i = type.next;
            continue;
          }
          pieces.push({ text: '::' }, { text: type.duck, operand: true });
          i = type.next;
          continue;
        }
        if (op === ':' || (op === '[' && pieces.at(-1)?.operand)) {
          i = pathAccess(tokens, i, to, pieces);
          continue;
        }
        if (op === '$') throw SnowflakeSqlError.unsupported('positional stage columns ($1)');
        if (op === '/') {
          // Snowflake raises 100051 where DuckDB gives Infinity or NULL: the divisor goes through a macro
          // of each session's connection that raises DuckDB's error (mapped to 100051) on zero.
          const end = operandEnd(tokens, i + 1, to);
          if (end > i + 1) {
            pieces.push({ text: '/' }, { text: `${DIVISOR_MACRO}(${tr(i + 1, end)})`, operand: true });
            i = end;
            continue;
          }
        }
        if (op === '(') pieces.push({ text: '(' });
        else if (op === ')' || op === ']') pieces.push({ text: op, operand: true });
        else pieces.push({ text: op });
        i++;
        continue;
      }
      case 'word': {
        const word = token.value;
        if (
          (word === 'AT' || word === 'BEFORE') &&
          isOp(next, '(') &&
          isWord(tokens[i + 2], 'TIMESTAMP', 'OFFSET', 'STATEMENT')
        )
          throw SnowflakeSqlError.unsupported('Time Travel (AT | BEFORE)');
        if (DUCKDB_ONLY_KEYWORDS.has(word) && !isOp(next, '(')) {
          // A plain name in Snowflake that DuckDB reads as a keyword: quote it.
          pieces.push({ text: sqlIdent(word), operand: true });
          i++;
          continue;
        }
        if (
          word === 'VALUES' &&
          (isWord(tokens[i - 1], 'FROM', 'JOIN') || (isOp(tokens[i - 1], ',') && pieces.some((p) => p.text === 'FROM')))
        ) {
          i = valuesTable(tokens, i, to, pieces, tr);
          continue;
        }
        if (isOp(next, '(')) {
          const rewritten = rewriteCall(tokens, i, ctx, tr);
          if (rewritten) {
            pieces.push({ text: rewritten.text, operand: true });
            i = rewritten.next;
            continue;
          }
          pieces.push({ text: word }, { text: '(', call: true });
          i += 2;
          continue;
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
          i++;
          continue;
        }
        if (word === 'MINUS') {
          pieces.push({ text: 'EXCEPT' });
          i++;
          continue;
        }
        if (word === 'SYSDATE' || word === 'SYSTIMESTAMP') {
          pieces.push({ text: "(now() AT TIME ZONE 'UTC')", operand: true });
          i++;
          continue;
        }
        if (word === 'CURRENT_USER' || word === 'CURRENT_ROLE') {
          pieces.push({
            text: sqlString(word === 'CURRENT_USER' ? ctx.session.user : ctx.session.role),
            operand: true,
          });
          i++;
          continue;
        }
        if (word === 'CONNECT' && isWord(next, 'BY')) throw SnowflakeSqlError.unsupported('CONNECT BY');
        if (
          (word === 'AT' || word === 'BEFORE') &&
          isOp(next, '(') &&
          isWord(tokens[i + 2], 'TIMESTAMP', 'OFFSET', 'STATEMENT')
        )
          throw SnowflakeSqlError.unsupported('Time Travel (AT | BEFORE)');
        if (word === 'CHANGES' && isOp(next, '(')) throw SnowflakeSqlError.unsupported('CHANGES');
        if (word === 'LATERAL') throw SnowflakeSqlError.unsupported('LATERAL');
        if (word === 'ILIKE' && isWord(next, 'ANY', 'ALL')) throw SnowflakeSqlError.unsupported(`ILIKE ${next?.value}`);
        if (word === 'LIKE' && isWord(next, 'ANY', 'ALL')) throw SnowflakeSqlError.unsupported(`LIKE ${next?.value}`);
        if (word === 'TOP' && isWord(tokens[i - 1], 'SELECT', 'DISTINCT'))
          throw SnowflakeSqlError.unsupported('SELECT TOP n (use LIMIT)');
        pieces.push({ text: word, operand: true });
        i++;
        continue;
      }
    }
  }
  return joinPieces(pieces);
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

/** Macros of timestamp-tz.ts (named here too, so that this module does not import that one). */
const TZ_FROM_TEXT = '__KICKSAW_TZ';
const TZ_AT_ZONE = '__KICKSAW_TZ_AT';

/**
 * End (exclusive) of the operand that starts at `at`: unary signs, then a literal, bind, name chain, call,
 * parenthesised expression or CASE ... END, then `::type`, `[...]` and `:path` suffixes. Returns `at` when no
 * operand is recognised (the caller then leaves the SQL as it is).
 */
function operandEnd(tokens: Token[], at: number, to: number): number {
  let i = at;
  while (i < to && (isOp(tokens[i], '-') || isOp(tokens[i], '+'))) i++;
  const first = tokens[i];
  if (!first || i >= to) return at;
  const named = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'quoted');
  if (isOp(first, '(')) i = closingParen(tokens, i) + 1;
  else if (isWord(first, 'CASE')) {
    let depth = 0;
    for (; i < to; i++) {
      if (isWord(tokens[i], 'CASE')) depth++;
      else if (isWord(tokens[i], 'END') && --depth === 0) break;
    }
    if (i >= to) return at;
    i++;
  } else if (first.kind === 'number' || first.kind === 'string' || first.kind === 'bind' || first.kind === 'raw') i++;
  else if (named(first)) {
    i++;
    while (isOp(tokens[i], '.') && named(tokens[i + 1])) i += 2;
    if (isOp(tokens[i], '(')) i = closingParen(tokens, i) + 1;
  } else return at;
  for (;;) {
    if (isOp(tokens[i], '::') && i + 1 < to) i = parseType(tokens, i + 1).next;
    else if (isOp(tokens[i], '[')) i = closingParen(tokens, i) + 1;
    else if (isOp(tokens[i], ':') && named(tokens[i + 1])) {
      i += 2;
      while (isOp(tokens[i], '.') && named(tokens[i + 1])) i += 2;
    } else break;
  }
  return i <= to ? i : at;
}

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

/** Takes the operand before a postfix operator off the pieces: a name chain (a.b.c), a parenthesised expression or a call. */
function takeOperand(pieces: Piece[], operator: string): Piece[] {
  const base: Piece[] = [];
  const last = pieces.at(-1);
  if (!last?.operand) throw SnowflakeSqlError.syntax(`unexpected '${operator}'`, '', 0);
  if (last.text === ')' || last.text === ']') {
    let depth = 0;
    while (pieces.length > 0) {
      const piece = pieces.pop() as Piece;
      base.unshift(piece);
      if (piece.text === ')' || piece.text === ']') depth++;
      else if (piece.text === '(' || piece.text === '[') {
        depth--;
        if (depth === 0) break;
      }
    }
    if ((base[0]?.text === '(' && base[0]?.call) || (base[0]?.text === '[' && pieces.at(-1)?.operand)) {
      base.unshift(pieces.pop() as Piece);
    }
  } else {
    base.unshift(pieces.pop() as Piece);
    while (pieces.at(-1)?.text === '.' && pieces.at(-2)?.operand) {
      base.unshift(pieces.pop() as Piece);
      base.unshift(pieces.pop() as Piece);
    }
  }
  return base;
}

/** Handles `base:path.to[0]` and `base['key']`: wraps the preceding operand in JSON extraction. */
function pathAccess(tokens: Token[], at: number, to: number, pieces: Piece[]): number {
  const base = takeOperand(pieces, ':');
  let path = '$';
  let i = at;
  const key = (name: string) =>
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `.${name}` : `."${name.replaceAll('"', '\\"')}"`;
  if (isOp(tokens[i], ':')) {
    const step = tokens[i + 1];
    if (!step || (step.kind !== 'word' && step.kind !== 'quoted'))
      throw SnowflakeSqlError.syntax("unexpected ':'", '', 0);
    path += key(step.kind === 'word' ? step.text : step.value);
    i += 2;
  }
  while (i < to) {
    const token = tokens[i];
    if (isOp(token, '.') && (tokens[i + 1]?.kind === 'word' || tokens[i + 1]?.kind === 'quoted')) {
      const step = tokens[i + 1] as Token;
      path += key(step.kind === 'word' ? step.text : step.value);
      i += 2;
    } else if (isOp(token, '[') && isOp(tokens[i + 2], ']')) {
      const inner = tokens[i + 1] as Token;
      if (inner.kind === 'number') path += `[${inner.value}]`;
      else if (inner.kind === 'string') path += key(inner.value);
      else throw SnowflakeSqlError.unsupported('computed VARIANT subscripts');
      i += 3;
    } else break;
  }
  const cast = isOp(tokens[i], '::');
  pieces.push({ text: `(${joinPieces(base)} ${cast ? '->>' : '->'} ${sqlString(path)})`, operand: true });
  return i;
}

type Tr = (a: number, b: number) => string;

function rewriteCall(
  tokens: Token[],
  at: number,
  ctx: TranslateContext,
  tr: Tr,
): { text: string; next: number } | undefined {
  const name = (tokens[at] as Token).value;
  const open = at + 1;
  if (UNSUPPORTED_FUNCTIONS.has(name) || name.startsWith('SYSTEM$'))
    throw SnowflakeSqlError.unsupported(`the function ${name}`);
  const simple = SIMPLE_RENAMES[name];
  const { args, close } = callArgs(tokens, open);
  const arg = (k: number) => {
    const range = args[k];
    if (!range)
      throw new SnowflakeSqlError(`SQL compilation error:\nnot enough arguments for function [${name}]`, {
        sfCode: '000938',
        sqlState: '42601',
      });
    return tr(range[0], range[1]);
  };
  const rawArg = (k: number) => {
    const range = args[k];
    return range ? tokens.slice(range[0], range[1]).filter((t) => t.kind !== 'ws') : [];
  };
  const done = (text: string) => ({ text, next: close + 1 });
  const all = () => args.map((_, k) => arg(k)).join(', ');
  const noFormat = (k: number) => {
    if (args.length > k) {
      const first = rawArg(k)[0];
      if (first?.kind === 'string') throw SnowflakeSqlError.unsupported(`${name} with a format argument`);
    }
  };
  if (simple) return done(`${simple}(${all()})`);
  switch (name) {
    case 'CAST':
    case 'TRY_CAST': {
      // CAST(expr AS type): split at the top-level AS.
      let depth = 0;
      for (let k = open + 1; k < close; k++) {
        const token = tokens[k] as Token;
        if (isOp(token, '(') || isOp(token, '[')) depth++;
        else if (isOp(token, ')') || isOp(token, ']')) depth--;
        else if (depth === 0 && isWord(token, 'AS')) {
          let t = k + 1;
          while (tokens[t]?.kind === 'ws') t++;
          const type = parseType(
            tokens.filter((_, idx) => idx < close),
            t,
          );
          if (type.duck === TZ_TYPE) {
            const value = `${TZ_FROM_TEXT}(CAST(${tr(open + 1, k)} AS VARCHAR))`;
            return done(name === 'TRY_CAST' ? `try(${value})` : value);
          }
          return done(`${name}(${tr(open + 1, k)} AS ${type.duck})`);
        }
      }
      throw SnowflakeSqlError.syntax("unexpected ')'", '', 0);
    }
    case 'NVL2':
      return done(`(CASE WHEN (${arg(0)}) IS NOT NULL THEN (${arg(1)}) ELSE (${arg(2)}) END)`);
    case 'ZEROIFNULL':
      return done(`COALESCE(${arg(0)}, 0)`);
    case 'NULLIFZERO':
      return done(`NULLIF(${arg(0)}, 0)`);
    case 'DIV0':
      return done(`(CASE WHEN (${arg(1)}) = 0 THEN 0 ELSE (${arg(0)}) / (${arg(1)}) END)`);
    case 'DIV0NULL':
      return done(`(CASE WHEN (${arg(1)}) = 0 OR (${arg(1)}) IS NULL THEN 0 ELSE (${arg(0)}) / (${arg(1)}) END)`);
    case 'EQUAL_NULL':
      return done(`((${arg(0)}) IS NOT DISTINCT FROM (${arg(1)}))`);
    case 'PARSE_JSON':
      return done(`json(${arg(0)})`);
    case 'TRY_PARSE_JSON':
      return done(`TRY_CAST(${arg(0)} AS JSON)`);
    case 'TO_VARIANT':
    case 'TO_OBJECT':
    case 'TO_ARRAY':
      return done(`to_json(${arg(0)})`);
    case 'TO_JSON':
      return done(`CAST(to_json(${arg(0)}) AS VARCHAR)`);
    case 'OBJECT_CONSTRUCT': {
      if (rawArg(0)[0]?.kind === 'op' && rawArg(0)[0]?.value === '*')
        throw SnowflakeSqlError.unsupported('OBJECT_CONSTRUCT(*)');
      // Snowflake leaves out keys whose value is NULL: build the object from the non-null pairs.
      if (args.length === 0) return done(`CAST('{}' AS JSON)`);
      const pairs: string[] = [];
      for (let k = 0; k + 1 < args.length; k += 2) pairs.push(`(${arg(k)}, to_json(${arg(k + 1)}))`);
      return done(
        `(SELECT COALESCE(json_group_object(__k, __v), CAST('{}' AS JSON)) FROM (VALUES ${pairs.join(', ')}) AS __kv(__k, __v) WHERE __v IS NOT NULL)`,
      );
    }
    case 'OBJECT_KEYS':
      return done(`to_json(json_keys(${arg(0)}))`);
    case 'IS_NULL_VALUE':
      return done(`(json_type(${arg(0)}) = 'NULL')`);
    case 'GET':
      if (rawArg(1)[0]?.kind === 'string') return done(`(${arg(0)} -> ${sqlString(`$.${rawArg(1)[0]?.value}`)})`);
      if (rawArg(1)[0]?.kind === 'number') return done(`(${arg(0)} -> ${sqlString(`$[${rawArg(1)[0]?.value}]`)})`);
      throw SnowflakeSqlError.unsupported('GET with a computed key');
    case 'TRY_TO_NUMBER':
    case 'TRY_TO_DECIMAL':
    case 'TRY_TO_NUMERIC':
    case 'TO_NUMBER':
    case 'TO_DECIMAL':
    case 'TO_NUMERIC': {
      noFormat(1);
      const precision = rawArg(1)[0]?.value ?? '38';
      const scale = rawArg(2)[0]?.value ?? '0';
      const fn = name.startsWith('TRY_') ? 'TRY_CAST' : 'CAST';
      return done(`${fn}(${arg(0)} AS DECIMAL(${precision},${scale}))`);
    }
    case 'TRY_TO_DOUBLE':
    case 'TO_DOUBLE':
      noFormat(1);
      return done(`${name.startsWith('TRY_') ? 'TRY_CAST' : 'CAST'}(${arg(0)} AS DOUBLE)`);
    case 'TRY_TO_BOOLEAN':
    case 'TO_BOOLEAN':
      return done(`${name.startsWith('TRY_') ? 'TRY_CAST' : 'CAST'}(${arg(0)} AS BOOLEAN)`);
    case 'TRY_TO_DATE':
    case 'TO_DATE':
    case 'DATE':
      noFormat(1);
      return done(`${name.startsWith('TRY_') ? 'TRY_CAST' : 'CAST'}(${arg(0)} AS DATE)`);
    case 'TRY_TO_TIME':
    case 'TO_TIME':
    case 'TIME':
      noFormat(1);
      return done(`${name.startsWith('TRY_') ? 'TRY_CAST' : 'CAST'}(${arg(0)} AS TIME)`);
    case 'TO_TIMESTAMP':
    case 'TO_TIMESTAMP_NTZ':
    case 'TRY_TO_TIMESTAMP':
    case 'TRY_TO_TIMESTAMP_NTZ':
    case 'TO_TIMESTAMP_LTZ':
    case 'TO_TIMESTAMP_TZ':
    case 'TRY_TO_TIMESTAMP_LTZ':
    case 'TRY_TO_TIMESTAMP_TZ': {
      noFormat(1);
      const tz = /_TZ$/.test(name);
      const duck = /_LTZ$/.test(name) ? 'TIMESTAMPTZ' : 'TIMESTAMP';
      const first = rawArg(0);
      const numeric = first.length === 1 && first[0]?.kind === 'number';
      if (numeric) {
        const scale = Number(rawArg(1)[0]?.value ?? 0);
        const seconds = scale === 0 ? arg(0) : `(${arg(0)}) / ${10 ** scale}`;
        if (tz) return done(`${TZ_FROM_TEXT}(CAST(to_timestamp(${seconds}) AS VARCHAR))`);
        return done(`CAST(to_timestamp(${seconds}) AT TIME ZONE 'UTC' AS ${duck})`);
      }
      if (args.length > 1) throw SnowflakeSqlError.unsupported(`${name} with a scale argument on a non-literal`);
      if (tz) {
        // Through text, which keeps an offset written in it (see timestamp-tz.ts).
        const value = `${TZ_FROM_TEXT}(CAST(${arg(0)} AS VARCHAR))`;
        return done(name.startsWith('TRY_') ? `try(${value})` : value);
      }
      return done(`${name.startsWith('TRY_') ? 'TRY_CAST' : 'CAST'}(${arg(0)} AS ${duck})`);
    }
    case 'CONVERT_TIMEZONE': {
      if (args.length === 2) return done(`${TZ_AT_ZONE}(${arg(0)}, ${TZ_FROM_TEXT}(CAST(${arg(1)} AS VARCHAR)))`);
      if (args.length === 3) return done(`timezone(${arg(1)}, timezone(${arg(0)}, CAST(${arg(2)} AS TIMESTAMP)))`);
      throw new SnowflakeSqlError('SQL compilation error:\nwrong number of arguments for function [CONVERT_TIMEZONE]', {
        sfCode: '000938',
        sqlState: '42601',
      });
    }
    case 'TO_VARCHAR':
    case 'TO_CHAR':
    case 'TRY_TO_VARCHAR':
      noFormat(1);
      return done(`CAST(${arg(0)} AS VARCHAR)`);
    case 'DATEADD':
    case 'TIMEADD':
    case 'TIMESTAMPADD': {
      const part = normalPart(partName(rawArg(0), name));
      return done(`(${arg(2)} + (${arg(1)}) * INTERVAL 1 ${part.toUpperCase()})`);
    }
    case 'DATEDIFF':
    case 'TIMEDIFF':
    case 'TIMESTAMPDIFF':
      return done(`date_diff(${sqlString(normalPart(partName(rawArg(0), name)))}, ${arg(1)}, ${arg(2)})`);
    case 'DATE_TRUNC':
    case 'TRUNC':
      if (name === 'TRUNC' && !(rawArg(0).length === 1 && TIME_PARTS.has(rawArg(0)[0]?.value ?? ''))) return undefined;
      return done(`date_trunc(${sqlString(normalPart(partName(rawArg(0), name)))}, ${arg(1)})`);
    case 'DATE_PART':
      return done(`date_part(${sqlString(normalPart(partName(rawArg(0), name)))}, ${arg(1)})`);
    case 'CURRENT_TIMESTAMP':
    case 'GETDATE':
    case 'LOCALTIMESTAMP':
      if (args.length > 0) throw SnowflakeSqlError.unsupported(`${name} with a precision`);
      return done(name === 'LOCALTIMESTAMP' ? "(now() AT TIME ZONE 'UTC')" : 'CURRENT_TIMESTAMP');
    case 'SYSDATE':
    case 'SYSTIMESTAMP':
      return done("(now() AT TIME ZONE 'UTC')");
    case 'CURRENT_DATE':
      return done('CURRENT_DATE');
    case 'CURRENT_TIME':
    case 'LOCALTIME':
      return done("CAST(now() AT TIME ZONE 'UTC' AS TIME)");
    case 'CURRENT_USER':
      return done(sqlString(ctx.session.user));
    case 'CURRENT_ROLE':
      return done(sqlString(ctx.session.role));
    case 'CURRENT_WAREHOUSE':
      return done(ctx.session.warehouse ? sqlString(ctx.session.warehouse) : 'NULL');
    case 'CURRENT_ACCOUNT':
    case 'CURRENT_ACCOUNT_NAME':
      return done(sqlString(ctx.session.account));
    case 'CURRENT_REGION':
      return done(sqlString(ctx.session.region));
    case 'CURRENT_SESSION':
      return done(sqlString(ctx.session.sessionId));
    case 'CURRENT_VERSION':
      return done(sqlString(ctx.session.version));
    case 'CURRENT_CLIENT':
      return done(sqlString('JavaScript'));
    case 'CURRENT_DATABASE':
      return done('current_database()');
    case 'CURRENT_SCHEMA':
      return done('current_schema()');
    case 'UUID_STRING':
      if (args.length > 0) throw SnowflakeSqlError.unsupported('UUID_STRING with a namespace (version 5 UUIDs)');
      return done('CAST(uuid() AS VARCHAR)');
    case 'SHA2':
    case 'SHA2_HEX': {
      const bits = rawArg(1)[0]?.value ?? '256';
      if (bits !== '256') throw SnowflakeSqlError.unsupported(`SHA2 with ${bits} bits`);
      return done(`sha256(${arg(0)})`);
    }
    case 'RANDOM':
      // Snowflake's RANDOM() is a 64-bit integer; a seeded RANDOM(n) repeats per seed, which DuckDB cannot.
      if (args.length > 0) throw SnowflakeSqlError.unsupported('RANDOM with a seed');
      return done('CAST(floor((random() - 0.5) * 18446744073709551615) AS BIGINT)');
    case 'RANDSTR':
      // A string of the given length that depends only on the generator value, as Snowflake's.
      return done(
        `left(repeat(md5(CAST(${arg(1)} AS VARCHAR)), CAST(ceil((${arg(0)}) / 32.0) AS INTEGER)), CAST(${arg(0)} AS INTEGER))`,
      );
    case 'SEQ1':
    case 'SEQ2':
    case 'SEQ4':
    case 'SEQ8':
      return done('(row_number() OVER () - 1)');
    case 'GENERATOR': {
      const raw = rawArg(0);
      if (!(isWord(raw[0], 'ROWCOUNT') && isOp(raw[1], '=>')))
        throw SnowflakeSqlError.unsupported('GENERATOR without ROWCOUNT');
      const range = args[0] as [number, number];
      let start = range[0];
      while (!isOp(tokens[start], '=>')) start++;
      return done(`range(CAST(${tr(start + 1, range[1])} AS BIGINT))`);
    }
    case 'TABLE':
      return done(all());
    case 'SPLIT':
      return done(`to_json(string_split(${arg(0)}, ${arg(1)}))`);
    case 'LISTAGG':
    case 'ARRAY_AGG': {
      let orderBy = '';
      let next = close + 1;
      while (tokens[next]?.kind === 'ws') next++;
      if (isWord(tokens[next], 'WITHIN')) {
        let g = next + 1;
        while (tokens[g]?.kind === 'ws') g++;
        let p = g + 1;
        while (tokens[p]?.kind === 'ws') p++;
        if (!isWord(tokens[g], 'GROUP') || !isOp(tokens[p], '('))
          throw SnowflakeSqlError.syntax("unexpected 'WITHIN'", '', 0);
        const end = closingParen(tokens, p);
        orderBy = ` ${tr(p + 1, end)}`;
        next = end + 1;
      }
      const first = rawArg(0);
      const distinct = isWord(first[0], 'DISTINCT');
      const range = args[0] as [number, number];
      let a0 = range[0];
      if (distinct) {
        while (!isWord(tokens[a0], 'DISTINCT')) a0++;
        a0++;
      }
      const value = tr(a0, range[1]);
      const text =
        name === 'LISTAGG'
          ? `COALESCE(string_agg(${distinct ? 'DISTINCT ' : ''}${value}, ${args.length > 1 ? arg(1) : "''"}${orderBy}), '')`
          : `COALESCE(to_json(list(${distinct ? 'DISTINCT ' : ''}${value}${orderBy}) FILTER (WHERE (${value}) IS NOT NULL)), '[]'::JSON)`;
      return { text, next };
    }
    default:
      return undefined;
  }
}

function partName(raw: Token[], fn: string): string {
  const first = raw[0];
  if (raw.length === 1 && first && (first.kind === 'word' || first.kind === 'string')) return first.value;
  throw new SnowflakeSqlError(`SQL compilation error:\ninvalid date part for function ${fn}`, {
    sfCode: '001003',
    sqlState: '42000',
  });
}
