import { SnowflakeSqlError } from '../errors.js';

/**
 * A token of Snowflake SQL text.
 *
 * - `word`: an unquoted identifier or keyword (`text` as written; `upper` folded)
 * - `quoted`: a double-quoted identifier (`value` without quotes, `""` unescaped)
 * - `string`: a string literal in single quotes or `$$...$$` (`value` decoded, Snowflake escapes applied)
 * - `number`: a numeric literal
 * - `bind`: `?` or `:1` (`index` 1-based, 0 for `?` until numbered)
 * - `stage`: `@name`, `@~`, `@%table`, with an optional `/path` (`text` as written)
 * - `op`: punctuation and operators (`::`, `||`, `->`, `<=`, `(`, ...)
 * - `ws`: whitespace and comments (kept to preserve positions; never significant)
 * - `raw`: DuckDB SQL put in by the emulator (an INFORMATION_SCHEMA view), passed through as is
 */
export interface Token {
  kind: 'word' | 'quoted' | 'string' | 'number' | 'bind' | 'stage' | 'op' | 'ws' | 'raw';
  text: string;
  /** For `word`: the upper-cased text. For `quoted`/`string`: the decoded value. For `op`: the operator. */
  value: string;
  /** For `bind`: the 1-based position (`?` numbered in order of appearance). */
  index?: number;
  /** Offset of the token in the source text. */
  start: number;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const OPERATORS = ['::', '||', '->>', '->', '<=', '>=', '<>', '!=', '=>'];

function decodeSnowflakeString(raw: string): string {
  // raw is the content between the quotes; '' is a quote, backslash escapes as Snowflake reads them.
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === "'" && raw[i + 1] === "'") {
      out += "'";
      i++;
    } else if (ch === '\\' && i + 1 < raw.length) {
      const next = raw[i + 1] as string;
      i++;
      switch (next) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case '0':
          out += '\0';
          break;
        default:
          out += next;
      }
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Splits Snowflake SQL into tokens. Throws a `001003` syntax error on an unterminated string,
 * quoted identifier or comment. One scanning loop with a branch per token kind, kept whole: the order in
 * which the branches are tried is the lexical grammar (comments before operators, `$$` before `$`, ...).
 */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let questionMarks = 0;
  const n = sql.length;
  const unterminated = (what: string, at: number): never => {
    throw SnowflakeSqlError.syntax(`unterminated ${what}`, sql, at);
  };
  while (i < n) {
    const ch = sql[i] as string;
    const start = i;
    if (/\s/.test(ch)) {
      while (i < n && /\s/.test(sql[i] as string)) i++;
      tokens.push({ kind: 'ws', text: sql.slice(start, i), value: ' ', start });
      continue;
    }
    if ((ch === '-' && sql[i + 1] === '-') || (ch === '/' && sql[i + 1] === '/')) {
      while (i < n && sql[i] !== '\n') i++;
      tokens.push({ kind: 'ws', text: sql.slice(start, i), value: ' ', start });
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) unterminated('comment', start);
      i = end + 2;
      tokens.push({ kind: 'ws', text: sql.slice(start, i), value: ' ', start });
      continue;
    }
    if (ch === "'") {
      i++;
      while (i < n) {
        const c = sql[i];
        if (c === '\\') i += 2;
        else if (c === "'" && sql[i + 1] === "'") i += 2;
        else if (c === "'") break;
        else i++;
      }
      if (i >= n) unterminated('string literal', start);
      i++;
      const text = sql.slice(start, i);
      tokens.push({ kind: 'string', text, value: decodeSnowflakeString(text.slice(1, -1)), start });
      continue;
    }
    if (ch === '$' && sql[i + 1] === '$') {
      const end = sql.indexOf('$$', i + 2);
      if (end < 0) unterminated('$$ string', start);
      i = end + 2;
      const text = sql.slice(start, i);
      tokens.push({ kind: 'string', text, value: text.slice(2, -2), start });
      continue;
    }
    if (ch === '"') {
      i++;
      while (i < n) {
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2;
        else if (sql[i] === '"') break;
        else i++;
      }
      if (i >= n) unterminated('quoted identifier', start);
      i++;
      const text = sql.slice(start, i);
      tokens.push({ kind: 'quoted', text, value: text.slice(1, -1).replaceAll('""', '"'), start });
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9]/.test(sql[i] as string)) i++;
      if (sql[i] === '.') {
        i++;
        while (i < n && /[0-9]/.test(sql[i] as string)) i++;
      }
      if ((sql[i] === 'e' || sql[i] === 'E') && /[0-9+-]/.test(sql[i + 1] ?? '')) {
        i += 2;
        while (i < n && /[0-9]/.test(sql[i] as string)) i++;
      }
      const text = sql.slice(start, i);
      tokens.push({ kind: 'number', text, value: text, start });
      continue;
    }
    if (WORD_START.test(ch)) {
      while (i < n && WORD_PART.test(sql[i] as string)) i++;
      const text = sql.slice(start, i);
      tokens.push({ kind: 'word', text, value: text.toUpperCase(), start });
      continue;
    }
    if (ch === '?') {
      i++;
      questionMarks++;
      tokens.push({ kind: 'bind', text: '?', value: '?', index: questionMarks, start });
      continue;
    }
    if (ch === ':' && sql[i + 1] !== ':' && /[0-9]/.test(sql[i + 1] ?? '') && sql[i - 1] !== ':') {
      // `:1` is a bind; a path step (`v:1`) after an identifier is rare enough to read as a bind too,
      // as Snowflake does.
      i++;
      while (i < n && /[0-9]/.test(sql[i] as string)) i++;
      const text = sql.slice(start, i);
      tokens.push({ kind: 'bind', text, value: text, index: Number(text.slice(1)), start });
      continue;
    }
    if (ch === '@') {
      i++;
      if (sql[i] === '"') {
        i++;
        while (i < n && sql[i] !== '"') i++;
        i++;
      }
      while (i < n && !/[\s;,()]/.test(sql[i] as string)) {
        if (sql[i] === "'") break;
        i++;
      }
      const text = sql.slice(start, i);
      tokens.push({ kind: 'stage', text, value: text, start });
      continue;
    }
    const op = OPERATORS.find((candidate) => sql.startsWith(candidate, i));
    if (op) {
      i += op.length;
      tokens.push({ kind: 'op', text: op, value: op, start });
      continue;
    }
    i++;
    tokens.push({ kind: 'op', text: ch, value: ch, start });
  }
  return tokens;
}

/** The tokens without whitespace and comments. */
export function significant(tokens: Token[]): Token[] {
  return tokens.filter((token) => token.kind !== 'ws');
}

/** Splits a token list into statements at top-level semicolons (empty statements dropped). */
export function splitStatements(tokens: Token[]): Token[][] {
  const out: Token[][] = [];
  let current: Token[] = [];
  for (const token of tokens) {
    if (token.kind === 'op' && token.value === ';') {
      if (current.some((t) => t.kind !== 'ws')) out.push(current);
      current = [];
    } else current.push(token);
  }
  if (current.some((t) => t.kind !== 'ws')) out.push(current);
  return out;
}

/** Renders a string as a DuckDB string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Renders a name as a DuckDB quoted identifier. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The Snowflake name a name token resolves to: unquoted folds to upper case, quoted keeps its case. */
export function identName(token: Token): string {
  return token.kind === 'quoted' ? token.value : token.value;
}

/** Whether a token is the keyword (one unquoted word). */
export function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token !== undefined && token.kind === 'word' && words.includes(token.value);
}

/** Whether a token is the operator. */
export function isOp(token: Token | undefined, op: string): boolean {
  return token !== undefined && token.kind === 'op' && token.value === op;
}
