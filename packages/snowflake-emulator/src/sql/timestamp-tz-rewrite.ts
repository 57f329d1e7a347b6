// Rewriting a statement's references to TIMESTAMP_TZ columns (see timestamp-tz.ts): comparisons and ORDER BY keys
// of the instant, casts, literals compared with a column read with their own offset, and what is refused.
import { SnowflakeSqlError } from '../errors.js';
import { closingParen } from './scan.js';
import { TZ_FROM_TEXT } from './timestamp-tz.js';
import { castSql, castTarget, functionTarget } from './timestamp-tz-casts.js';
import { isOp, isWord, sqlIdent, type Token } from './tokens.js';

const COMPARISONS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=']);

/** A column reference `[a.[b.]]name` ending at `end` (exclusive), or undefined. */
interface Reference {
  start: number;
  end: number;
}

function referenceAt(tokens: Token[], at: number, names: ReadonlySet<string>): Reference | undefined {
  // at is the index of the reference's last part (a word or quoted name in `names`).
  const last = tokens[at];
  if (!last || (last.kind !== 'word' && last.kind !== 'quoted') || !names.has(last.value)) return undefined;
  if (isOp(tokens[at + 1], '(') || isOp(tokens[at + 1], '.')) return undefined;
  let start = at;
  while (
    isOp(tokens[start - 1], '.') &&
    (tokens[start - 2]?.kind === 'word' || tokens[start - 2]?.kind === 'quoted') &&
    at - start < 4
  )
    start -= 2;
  return { start, end: at + 1 };
}

function referenceText(tokens: Token[], ref: Reference): string {
  const parts: string[] = [];
  for (let k = ref.start; k < ref.end; k += 2) parts.push(sqlIdent((tokens[k] as Token).value));
  return parts.join('.');
}

function raw(text: string, start: number): Token {
  return { kind: 'raw', text, value: '', start };
}

/** Ranges (start inclusive, end exclusive) of GROUP BY / PARTITION BY lists and DISTINCT scopes. */
function groupingRanges(tokens: Token[]): Array<[number, number, string]> {
  const ranges: Array<[number, number, string]> = [];
  const endOfClause = (from: number, words: string[]) => {
    let depth = 0;
    for (let k = from; k < tokens.length; k++) {
      const t = tokens[k] as Token;
      if (isOp(t, '(')) depth++;
      else if (isOp(t, ')')) {
        if (depth === 0) return k;
        depth--;
      } else if (depth === 0 && t.kind === 'word' && words.includes(t.value)) return k;
    }
    return tokens.length;
  };
  const clauseEnd = ['HAVING', 'QUALIFY', 'ORDER', 'LIMIT', 'WINDOW', 'UNION', 'EXCEPT', 'INTERSECT', 'MINUS', 'ROWS'];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if ((isWord(t, 'GROUP') || isWord(t, 'PARTITION')) && isWord(tokens[k + 1], 'BY'))
      ranges.push([k + 2, endOfClause(k + 2, clauseEnd), `${t.value} BY`]);
    else if (isWord(t, 'DISTINCT') && !isWord(tokens[k - 1], 'IS')) {
      const end = isOp(tokens[k - 1], '(') ? closingParen(tokens, k - 1) : endOfClause(k + 1, ['FROM', ...clauseEnd]);
      ranges.push([k + 1, end, 'DISTINCT']);
    } else if (isWord(t, 'USING') && isOp(tokens[k + 1], '('))
      ranges.push([k + 2, closingParen(tokens, k + 1), 'JOIN USING']);
  }
  return ranges;
}

/**
 * Rewrites what DuckDB would get wrong about TIMESTAMP_TZ columns (`names`: the TIMESTAMP_TZ column names of the
 * tables the statement names) in significant tokens:
 * - a comparison (`=`, `<>`, `<`, ..., `BETWEEN`, `IN`) with a column compares its instant, as Snowflake does
 *   (two values of one instant and different offsets are equal); a text literal on the other side is read with
 *   its own offset;
 * - `col::TIMESTAMP_NTZ` (and `CAST`, `TO_TIMESTAMP_NTZ`) is its wall-clock time at its own offset,
 *   `::TIMESTAMP_LTZ` its instant, `::DATE` the date at its offset, `::VARCHAR` Snowflake's default text;
 * - grouping by a column (GROUP BY, PARTITION BY, DISTINCT, JOIN USING), `DISTINCT *` and UNION / INTERSECT /
 *   EXCEPT without ALL in a statement naming a table with TIMESTAMP_TZ columns are refused: DuckDB would keep
 *   equal instants of different offsets apart;
 * - comparing two TIMESTAMP_TZ expressions other than columns is refused (the struct comparison would tell
 *   equal instants apart).
 * Assignments (`SET col = ...`) are left alone. Returns the tokens unchanged when `names` is empty.
 */
export function rewriteTimestampTz(tokens: Token[], names: ReadonlySet<string>): Token[] {
  if (names.size === 0) return tokens;
  const assignments = assignmentsOf(tokens);
  const r: Rewrite = {
    tokens,
    names,
    isRef: (k) => referenceAt(tokens, k, names) !== undefined,
    comparison: (t, at) => t !== undefined && t.kind === 'op' && COMPARISONS.has(t.value) && !assignments.has(at),
    assignments,
    replaced: new Map(),
  };
  refuseDeduplication(r);
  rewriteReferences(r);
  rewriteOrderByItems(r);
  rewriteComparedLiterals(r);
  refuseExpressionComparisons(r);
  const out: Token[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const replacement = r.replaced.get(k);
    if (replacement) {
      out.push(...(replacement.tokens ?? [raw(replacement.text, (tokens[k] as Token).start)]));
      k = replacement.to - 1;
    } else out.push(tokens[k] as Token);
  }
  return out;
}

/** The state the passes of {@link rewriteTimestampTz} share. */
interface Rewrite {
  tokens: Token[];
  names: ReadonlySet<string>;
  /** Whether a TIMESTAMP_TZ column reference ends at `k`. */
  isRef(k: number): boolean;
  /** Whether `t` (at `at`) is a comparison operator (not the `=` of an assignment). */
  comparison(t: Token | undefined, at: number): boolean;
  /** Indexes of the `=` of `SET col = value` assignments. */
  assignments: Set<number>;
  /** Token ranges replaced, by start: up to `to` (exclusive), by `text` (or by `tokens`). */
  replaced: Map<number, { to: number; text: string; tokens?: Token[] }>;
}

const KEPT_APART = 'values of one instant and different offsets would be kept apart';

/**
 * Refuses what removes duplicates or groups by a TIMESTAMP_TZ value (set operations without ALL, GROUP BY,
 * PARTITION BY, DISTINCT, JOIN USING on a column or on a select item holding one, `DISTINCT *`): DuckDB would
 * keep equal instants of different offsets apart.
 */
function refuseDeduplication(r: Rewrite): void {
  const { tokens, isRef } = r;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if ((isWord(t, 'UNION') && !isWord(tokens[k + 1], 'ALL')) || isWord(t, 'INTERSECT', 'EXCEPT', 'MINUS'))
      throw SnowflakeSqlError.unsupported(
        `${t.value} (without ALL) over a table with TIMESTAMP_TZ columns: ${KEPT_APART}`,
      );
  }
  const containsRefIn = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (isRef(k)) return true;
    return false;
  };
  for (const [from, to, what] of groupingRanges(tokens)) {
    for (let k = from; k < to; k++) {
      if (what === 'DISTINCT' && isOp(tokens[k], '*'))
        throw SnowflakeSqlError.unsupported(`DISTINCT * over a table with TIMESTAMP_TZ columns: ${KEPT_APART}`);
      if (isRef(k))
        throw SnowflakeSqlError.unsupported(
          `${what} on a TIMESTAMP_TZ column (${(tokens[k] as Token).value}): ${KEPT_APART}`,
        );
      // A select item named by position or alias (`GROUP BY 2`, `GROUP BY day`) that holds a TIMESTAMP_TZ column.
      if (
        what !== 'DISTINCT' &&
        (isOp(tokens[k - 1], ',') || k === from) &&
        (isOp(tokens[k + 1], ',') || k + 1 === to)
      ) {
        const item = selectItem(tokens, from - 2, tokens[k] as Token);
        if (item && containsRefIn(item[0], item[1]))
          throw SnowflakeSqlError.unsupported(
            `${what} on a select item holding a TIMESTAMP_TZ column (${(tokens[k] as Token).text}): ${KEPT_APART}`,
          );
      }
    }
  }
}

/** `SET col = value`: the indexes of the `=` of assignments, which are not comparisons. */
function assignmentsOf(tokens: Token[]): Set<number> {
  const assignments = new Set<number>();
  let inSet = false;
  let depth = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (isOp(t, '(')) depth++;
    if (isOp(t, ')')) depth--;
    if (isWord(t, 'SET')) inSet = true;
    else if (depth === 0 && isWord(t, 'WHERE', 'FROM', 'WHEN')) inSet = false;
    if (
      inSet &&
      (t.kind === 'word' || t.kind === 'quoted') &&
      isOp(tokens[k + 1], '=') &&
      (isWord(tokens[k - 1], 'SET') || isOp(tokens[k - 1], ','))
    )
      assignments.add(k + 1);
  }
  return assignments;
}

const instant = (tokens: Token[], ref: Reference) => `struct_extract(${referenceText(tokens, ref)}, 'sf_instant')`;

/** Each column reference: a cast of it, or its instant where it is compared or an ORDER BY key. */
function rewriteReferences(r: Rewrite): void {
  const { tokens, names, replaced, comparison } = r;
  for (let k = 0; k < tokens.length; k++) {
    const ref = referenceAt(tokens, k, names);
    if (!ref) continue;
    const before = tokens[ref.start - 1];
    const after = tokens[ref.end];
    if (r.assignments.has(ref.end)) continue;
    // Casts of the column.
    if (isOp(after, '::')) {
      const target = castTarget(tokens, ref.end + 1);
      if (target) {
        replaced.set(ref.start, { to: target.next, text: castSql(referenceText(tokens, ref), target.kind) });
        continue;
      }
    }
    const call = tokens[ref.start - 2];
    if (isOp(before, '(') && call?.kind === 'word') {
      const close = closingParen(tokens, ref.start - 1);
      const kind = functionTarget(tokens, ref.start - 2, ref.end, close);
      if (kind) {
        replaced.set(ref.start - 2, { to: close + 1, text: castSql(referenceText(tokens, ref), kind) });
        continue;
      }
    }
    const compared =
      comparison(before, ref.start - 1) ||
      comparison(after, ref.end) ||
      isWord(after, 'BETWEEN', 'IN') ||
      (isWord(after, 'NOT') && isWord(tokens[ref.end + 1], 'BETWEEN', 'IN')) ||
      (isWord(after, 'IS') && (isWord(tokens[ref.end + 1], 'DISTINCT') || isWord(tokens[ref.end + 2], 'DISTINCT')));
    // An ORDER BY key: instants only, so that equal instants tie and the next key decides, as in Snowflake.
    const sortKey =
      (isWord(before, 'BY') && isWord(tokens[ref.start - 2], 'ORDER')) ||
      (isOp(before, ',') && inOrderBy(tokens, ref.start - 1));
    if (
      compared ||
      (sortKey &&
        (isOp(after, ',') ||
          isOp(after, ')') ||
          isWord(after, 'ASC', 'DESC', 'NULLS', 'LIMIT', 'OFFSET', 'FETCH', 'ROWS', 'RANGE') ||
          after === undefined))
    )
      replaced.set(ref.start, { to: ref.end, text: instant(tokens, ref) });
  }
}

/** ORDER BY a select item's position or alias that is a column: its instant too. */
function rewriteOrderByItems(r: Rewrite): void {
  const { tokens, names, replaced } = r;
  for (let k = 0; k < tokens.length; k++) {
    if (!(isWord(tokens[k], 'BY') && isWord(tokens[k - 1], 'ORDER'))) continue;
    for (let at = k + 1; at < tokens.length; at++) {
      const t = tokens[at] as Token;
      const key =
        (isOp(tokens[at - 1], ',') || at === k + 1) &&
        (t.kind === 'number' || t.kind === 'word' || t.kind === 'quoted');
      const ends =
        !tokens[at + 1] ||
        isOp(tokens[at + 1], ',') ||
        isOp(tokens[at + 1], ')') ||
        isWord(tokens[at + 1], 'ASC', 'DESC', 'NULLS', 'LIMIT', 'OFFSET', 'FETCH');
      if (key && ends && !replaced.has(at) && !r.isRef(at)) {
        const item = selectItem(tokens, k - 1, t);
        const ref = item ? referenceAt(tokens, item[1] - 1, names) : undefined;
        if (item && ref && ref.start === item[0]) replaced.set(at, { to: at + 1, text: instant(tokens, ref) });
      }
      if (isOp(t, '(')) at = closingParen(tokens, at);
      else if (
        isOp(t, ')') ||
        (t.kind === 'word' && ['LIMIT', 'OFFSET', 'FETCH', 'UNION', 'EXCEPT', 'INTERSECT', 'MINUS'].includes(t.value))
      )
        break;
    }
  }
}

/**
 * Text literals and binds compared with a column: read with their own offset (DuckDB's cast of text to
 * TIMESTAMPTZ wants none, or `+hh:mm` without a space).
 */
function rewriteComparedLiterals(r: Rewrite): void {
  const { tokens, replaced, comparison } = r;
  const literal = (at: number) => {
    const t = tokens[at];
    if (t?.kind !== 'string' && t?.kind !== 'bind') return;
    const start = t.start;
    replaced.set(at, {
      to: at + 1,
      text: '',
      tokens: [raw(`struct_extract(${TZ_FROM_TEXT}(CAST(`, start), t, raw(` AS VARCHAR)), 'sf_instant')`, start)],
    });
  };
  for (const [start, replacement] of [...replaced]) {
    if (!replacement.text.startsWith('struct_extract(')) continue;
    if (comparison(tokens[replacement.to], replacement.to)) literal(replacement.to + 1);
    if (comparison(tokens[start - 1], start - 1)) literal(start - 2);
    let k = replacement.to;
    if (isWord(tokens[k], 'NOT')) k++;
    if (isWord(tokens[k], 'BETWEEN')) {
      literal(k + 1);
      literal(k + 3);
    } else if (isWord(tokens[k], 'IN') && isOp(tokens[k + 1], '(')) {
      const close = closingParen(tokens, k + 1);
      for (let at = k + 2; at < close; at++) if (isOp(tokens[at - 1], '(') || isOp(tokens[at - 1], ',')) literal(at);
    }
  }
}

/** A comparison between expressions (not columns) holding a TIMESTAMP_TZ column compares structs: refused. */
function refuseExpressionComparisons(r: Rewrite): void {
  const { tokens, replaced } = r;
  const containsUnreplacedRef = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      const replacement = replaced.get(k);
      if (replacement) {
        k = replacement.to - 1;
        continue;
      }
      if (r.isRef(k)) return true;
    }
    return false;
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (!r.comparison(t, k)) continue;
    const left = tokens[k - 1];
    if (isOp(left, ')') && !replaced.has(k - 1)) {
      let open = k - 1;
      let d = 0;
      for (; open >= 0; open--) {
        if (isOp(tokens[open], ')')) d++;
        else if (isOp(tokens[open], '(') && --d === 0) break;
      }
      if (open >= 0 && containsUnreplacedRef(open, k - 1)) refuseExpressionComparison();
    }
    const right = tokens[k + 1];
    const open = isOp(right, '(') ? k + 1 : right?.kind === 'word' && isOp(tokens[k + 2], '(') ? k + 2 : -1;
    if (open > 0 && containsUnreplacedRef(open, closingParen(tokens, open))) refuseExpressionComparison();
  }
}

/**
 * The token range [start, end) of the select item that `key` (a position number or an alias) names, for the
 * clause before `at` (the nearest SELECT at the clause's depth), without its alias; undefined when none.
 */
function selectItem(tokens: Token[], at: number, key: Token): [number, number] | undefined {
  let depth = 0;
  let select = -1;
  for (let k = at; k >= 0; k--) {
    const t = tokens[k] as Token;
    if (isOp(t, ')')) depth++;
    else if (isOp(t, '(')) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && isWord(t, 'SELECT')) {
      select = k;
      break;
    }
  }
  if (select < 0) return undefined;
  const items: Array<[number, number]> = [];
  let start = select + 1;
  if (isWord(tokens[start], 'DISTINCT', 'ALL')) start++;
  depth = 0;
  for (let k = start; k <= tokens.length; k++) {
    const t = tokens[k];
    if (t && isOp(t, '(')) depth++;
    else if (t && isOp(t, ')')) depth--;
    if (!t || depth < 0 || (depth === 0 && (isOp(t, ',') || isWord(t, 'FROM')))) {
      items.push([start, k]);
      if (!t || !isOp(t, ',')) break;
      start = k + 1;
    }
  }
  if (key.kind === 'number') {
    const item = items[Number(key.value) - 1];
    return item && !isWord(tokens[item[1] - 2], 'AS') ? item : item ? [item[0], item[1] - 2] : undefined;
  }
  for (const [from, to] of items) {
    const last = tokens[to - 1] as Token;
    if (to - from < 2 || (last.kind !== 'word' && last.kind !== 'quoted') || last.value !== key.value) continue;
    if (isWord(tokens[to - 2], 'AS')) return [from, to - 2];
    const before = tokens[to - 2] as Token;
    if (before.kind !== 'op' || isOp(before, ')')) return [from, to - 1];
  }
  return undefined;
}

/** Whether the `,` at `at` separates ORDER BY keys (the nearest ORDER BY at its depth, with no clause between). */
function inOrderBy(tokens: Token[], at: number): boolean {
  let depth = 0;
  for (let k = at - 1; k >= 0; k--) {
    const t = tokens[k] as Token;
    if (isOp(t, ')')) depth++;
    else if (isOp(t, '(')) {
      if (depth === 0) return false;
      depth--;
    } else if (depth === 0 && isWord(t, 'BY')) return isWord(tokens[k - 1], 'ORDER');
    else if (
      depth === 0 &&
      t.kind === 'word' &&
      ['SELECT', 'FROM', 'WHERE', 'ON', 'SET', 'VALUES', 'PARTITION', 'GROUP'].includes(t.value)
    )
      return false;
  }
  return false;
}

function refuseExpressionComparison(): never {
  throw SnowflakeSqlError.unsupported(
    'comparing TIMESTAMP_TZ expressions other than columns (compare the columns, or cast the expressions to TIMESTAMP_LTZ)',
  );
}
