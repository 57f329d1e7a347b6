// Writing TIMESTAMP_TZ values: INSERT's SQL into a table with TIMESTAMP_TZ columns, and the values assigned by
// SET and MERGE's INSERT, built through text so that an offset written in them is kept.
import type { Session } from '../session.js';
import { readName } from '../sql/names.js';
import { callArgs } from '../sql/scan.js';
import { toTimestampTzSql } from '../sql/timestamp-tz.js';
import { isOp, isWord, sqlIdent, type Token } from '../sql/tokens.js';
import { type TranslateContext, translateTokens } from '../sql/translate.js';
import { TZ_TYPE_TEXT } from '../sql/types.js';
import { tableColumns } from './lookups.js';

/**
 * `INSERT INTO target [(columns)] <source>` in DuckDB SQL. Into a table with TIMESTAMP_TZ columns, the source's
 * values for them are built through text (keeping an offset written in it): `INSERT INTO t (...) SELECT ...,
 * __KICKSAW_TZ(CAST(__C2 AS VARCHAR)) FROM (<source>) AS __S(__C1, __C2)`.
 */
export async function insertSql(
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
export function assignTimestampTz(
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
