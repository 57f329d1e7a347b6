import { SnowflakeSqlError } from '../errors.js';
import { callArgs, closingParen } from './scan.js';
import { isOp, isWord, sqlIdent, type Token } from './tokens.js';
import { TZ_TYPE, TZ_TYPE_TEXT } from './types.js';

/**
 * TIMESTAMP_TZ in DuckDB.
 *
 * Snowflake keeps each TIMESTAMP_TZ value's own UTC offset; DuckDB's TIMESTAMPTZ keeps the instant only. So a
 * TIMESTAMP_TZ column is a DuckDB STRUCT of the instant and the offset in minutes ({@link TZ_TYPE}). The struct
 * passes whole through SELECT, INSERT ... SELECT, CREATE TABLE AS, views, subqueries, UNION ALL, CASE, COALESCE,
 * ORDER BY (instant first, so the order is the instants'), MIN/MAX and window functions, and the result writer
 * renders it as the driver reads it (`"<epoch seconds> <offset + 1440>"`). What DuckDB cannot do with a struct (a
 * function, an arithmetic) fails to bind and is answered `unsupported in the local Snowflake` rather than with a
 * value computed in the session's zone. Comparisons, casts and CONVERT_TIMEZONE of a column are rewritten below
 * ({@link rewriteTimestampTz}); values are built from text by the {@link TZ_FROM_TEXT} macro (each session's
 * connection creates the macros, see {@link TZ_MACROS}).
 */
export { TZ_TYPE, TZ_TYPE_TEXT };

/** Macro: a TIMESTAMP_TZ struct from text (any text the cast to VARCHAR of a value gives). */
export const TZ_FROM_TEXT = '__KICKSAW_TZ';
/** Macro: the TIMESTAMP_NTZ of a TIMESTAMP_TZ struct (its wall-clock time at its own offset). */
export const TZ_TO_NTZ = '__KICKSAW_TZ_NTZ';
/** Macro: a TIMESTAMP_TZ struct's text as Snowflake's default TIMESTAMP_TZ_OUTPUT_FORMAT writes it. */
export const TZ_TO_TEXT = '__KICKSAW_TZ_TEXT';
/** Macro: a TIMESTAMP_TZ struct moved to a time zone (same instant, that zone's offset at it). */
export const TZ_AT_ZONE = '__KICKSAW_TZ_AT';

/** A Snowflake timestamp text: date, time, then an optional UTC offset (`Z`, `+05:30`, `-0800`, `+05`). */
const TEXT_PATTERN = String.raw`^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)$`;

/**
 * The macros each session's connection creates (TEMP, so per connection). Text with an offset keeps it; text
 * without one (and a TIMESTAMP_NTZ or TIMESTAMP_LTZ value's text) takes the session time zone's offset at that
 * instant, as Snowflake does; the text of a struct (`{'sf_instant': '...', 'sf_offset': n}`) gives it back.
 */
export const TZ_MACROS = [
  `CREATE TEMP MACRO __KICKSAW_TZ_MINUTES(off) AS CASE WHEN off = 'Z' THEN 0 ELSE
    (CASE WHEN starts_with(off, '-') THEN -1 ELSE 1 END) *
    (CAST(substr(replace(off, ':', ''), 2, 2) AS INTEGER) * 60 +
     CASE WHEN length(replace(off, ':', '')) >= 5 THEN CAST(substr(replace(off, ':', ''), 4, 2) AS INTEGER) ELSE 0 END) END`,
  `CREATE TEMP MACRO __KICKSAW_TZ_PARTS(t, p) AS CASE
    WHEN p.off = '' THEN {'sf_instant': CAST(t AS TIMESTAMPTZ), 'sf_offset': CAST(date_part('timezone', CAST(t AS TIMESTAMPTZ)) // 60 AS SMALLINT)}
    ELSE {'sf_instant': CAST(p.base || CASE WHEN p.off = 'Z' THEN '+00:00' ELSE p.off END AS TIMESTAMPTZ), 'sf_offset': CAST(__KICKSAW_TZ_MINUTES(p.off) AS SMALLINT)} END`,
  `CREATE TEMP MACRO ${TZ_FROM_TEXT}(t) AS CASE
    WHEN t IS NULL THEN NULL
    WHEN starts_with(t, '{') THEN {'sf_instant': CAST(regexp_extract(t, '''sf_instant'': ''([^'']*)''', 1) AS TIMESTAMPTZ), 'sf_offset': CAST(regexp_extract(t, '''sf_offset'': (-?\\d+)', 1) AS SMALLINT)}
    ELSE __KICKSAW_TZ_PARTS(trim(t), regexp_extract(trim(t), '${TEXT_PATTERN}', ['base', 'off'])) END`,
  `CREATE TEMP MACRO ${TZ_TO_NTZ}(v) AS CAST(timezone('UTC', struct_extract(v, 'sf_instant')) + to_minutes(CAST(struct_extract(v, 'sf_offset') AS BIGINT)) AS TIMESTAMP)`,
  `CREATE TEMP MACRO ${TZ_TO_TEXT}(v) AS strftime(${TZ_TO_NTZ}(v), '%Y-%m-%d %H:%M:%S.%g') || ' ' ||
    CASE WHEN struct_extract(v, 'sf_offset') < 0 THEN '-' ELSE '+' END ||
    lpad(CAST(abs(struct_extract(v, 'sf_offset')) // 60 AS VARCHAR), 2, '0') || lpad(CAST(abs(struct_extract(v, 'sf_offset')) % 60 AS VARCHAR), 2, '0')`,
  `CREATE TEMP MACRO ${TZ_AT_ZONE}(zone, v) AS CASE WHEN v IS NULL THEN NULL ELSE {'sf_instant': struct_extract(v, 'sf_instant'),
    'sf_offset': CAST(date_diff('minute', timezone('UTC', struct_extract(v, 'sf_instant')), timezone(zone, struct_extract(v, 'sf_instant'))) AS SMALLINT)} END`,
];

/** DuckDB SQL turning any value (text, TIMESTAMP_NTZ/LTZ, DATE, a TIMESTAMP_TZ struct) into a TIMESTAMP_TZ struct. */
export function toTimestampTzSql(value: string): string {
  return `${TZ_FROM_TEXT}(CAST(${value} AS VARCHAR))`;
}

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
  const isRef = (k: number) => referenceAt(tokens, k, names) !== undefined;
  // Set operations that remove duplicates compare whole rows: equal instants of different offsets would stay apart.
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if ((isWord(t, 'UNION') && !isWord(tokens[k + 1], 'ALL')) || isWord(t, 'INTERSECT', 'EXCEPT', 'MINUS'))
      throw SnowflakeSqlError.unsupported(
        `${t.value} (without ALL) over a table with TIMESTAMP_TZ columns: values of one instant and different offsets would be kept apart`,
      );
  }
  for (const [from, to, what] of groupingRanges(tokens)) {
    for (let k = from; k < to; k++) {
      if (what === 'DISTINCT' && isOp(tokens[k], '*'))
        throw SnowflakeSqlError.unsupported(
          'DISTINCT * over a table with TIMESTAMP_TZ columns: values of one instant and different offsets would be kept apart',
        );
      if (isRef(k))
        throw SnowflakeSqlError.unsupported(
          `${what} on a TIMESTAMP_TZ column (${(tokens[k] as Token).value}): values of one instant and different offsets would be kept apart`,
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
            `${what} on a select item holding a TIMESTAMP_TZ column (${(tokens[k] as Token).text}): values of one instant and different offsets would be kept apart`,
          );
      }
    }
  }
  function containsRefIn(from: number, to: number): boolean {
    for (let k = from; k < to; k++) if (isRef(k)) return true;
    return false;
  }
  const out: Token[] = [];
  const instant = (ref: Reference) => `struct_extract(${referenceText(tokens, ref)}, 'sf_instant')`;
  const replaced = new Map<number, { to: number; text: string; tokens?: Token[] }>();
  // `SET col = value`: the `=` of an assignment, not a comparison.
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
  const comparison = (t: Token | undefined, at: number) =>
    t !== undefined && t.kind === 'op' && COMPARISONS.has(t.value) && !assignments.has(at);
  for (let k = 0; k < tokens.length; k++) {
    const ref = referenceAt(tokens, k, names);
    if (!ref) continue;
    const before = tokens[ref.start - 1];
    const after = tokens[ref.end];
    if (assignments.has(ref.end)) continue;
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
      replaced.set(ref.start, { to: ref.end, text: instant(ref) });
  }
  // ORDER BY a select item's position or alias that is a column: its instant too.
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
      if (key && ends && !replaced.has(at) && !isRef(at)) {
        const item = selectItem(tokens, k - 1, t);
        const ref = item ? referenceAt(tokens, item[1] - 1, names) : undefined;
        if (item && ref && ref.start === item[0]) replaced.set(at, { to: at + 1, text: instant(ref) });
      }
      if (isOp(t, '(')) at = closingParen(tokens, at);
      else if (
        isOp(t, ')') ||
        (t.kind === 'word' && ['LIMIT', 'OFFSET', 'FETCH', 'UNION', 'EXCEPT', 'INTERSECT', 'MINUS'].includes(t.value))
      )
        break;
    }
  }
  // Text literals and binds compared with a column: read with their own offset (DuckDB's cast of text to
  // TIMESTAMPTZ wants none, or `+hh:mm` without a space).
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
  for (const [start, r] of [...replaced]) {
    if (!r.text.startsWith('struct_extract(')) continue;
    if (comparison(tokens[r.to], r.to)) literal(r.to + 1);
    if (comparison(tokens[start - 1], start - 1)) literal(start - 2);
    let k = r.to;
    if (isWord(tokens[k], 'NOT')) k++;
    if (isWord(tokens[k], 'BETWEEN')) {
      literal(k + 1);
      literal(k + 3);
    } else if (isWord(tokens[k], 'IN') && isOp(tokens[k + 1], '(')) {
      const close = closingParen(tokens, k + 1);
      for (let at = k + 2; at < close; at++) if (isOp(tokens[at - 1], '(') || isOp(tokens[at - 1], ',')) literal(at);
    }
  }
  // A comparison between expressions (not columns) holding a TIMESTAMP_TZ column compares structs: refused.
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (!comparison(t, k)) continue;
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
  function containsUnreplacedRef(from: number, to: number): boolean {
    for (let k = from; k < to; k++) {
      const r = replaced.get(k);
      if (r) {
        k = r.to - 1;
        continue;
      }
      if (isRef(k)) return true;
    }
    return false;
  }
  for (let k = 0; k < tokens.length; k++) {
    const r = replaced.get(k);
    if (r) {
      out.push(...(r.tokens ?? [raw(r.text, (tokens[k] as Token).start)]));
      k = r.to - 1;
    } else out.push(tokens[k] as Token);
  }
  return out;
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

type CastKind = 'NTZ' | 'LTZ' | 'TZ' | 'DATE' | 'TEXT';

/** The cast target at `at` (after `::` or `AS`), if it is one the rewrite handles. */
function castTarget(tokens: Token[], at: number): { kind: CastKind; next: number } | undefined {
  const t = tokens[at];
  if (t?.kind !== 'word') return undefined;
  let next = at + 1;
  if (isOp(tokens[next], '(')) next = closingParen(tokens, next) + 1;
  switch (t.value) {
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMPNTZ':
    case 'DATETIME':
    case 'TIMESTAMP':
      if (t.value === 'TIMESTAMP' && isWord(tokens[next], 'WITH')) return undefined;
      return { kind: 'NTZ', next };
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMPLTZ':
      return { kind: 'LTZ', next };
    case 'TIMESTAMP_TZ':
    case 'TIMESTAMPTZ':
      return { kind: 'TZ', next };
    case 'DATE':
      return { kind: 'DATE', next };
    case 'VARCHAR':
    case 'STRING':
    case 'TEXT':
      return { kind: 'TEXT', next };
    default:
      return undefined;
  }
}

/** `CAST(col AS t)`, `TO_TIMESTAMP_NTZ(col)` and friends with the column as their only argument. */
function functionTarget(tokens: Token[], at: number, refEnd: number, close: number): CastKind | undefined {
  const name = (tokens[at] as Token).value;
  if (name === 'CAST' || name === 'TRY_CAST') {
    if (!isWord(tokens[refEnd], 'AS')) return undefined;
    const target = castTarget(tokens, refEnd + 1);
    return target && target.next === close ? target.kind : undefined;
  }
  if (refEnd !== close || callArgs(tokens, at + 1).args.length !== 1) return undefined;
  switch (name) {
    case 'TO_TIMESTAMP_NTZ':
    case 'TRY_TO_TIMESTAMP_NTZ':
    case 'TO_TIMESTAMP':
    case 'TRY_TO_TIMESTAMP':
      return 'NTZ';
    case 'TO_TIMESTAMP_LTZ':
    case 'TRY_TO_TIMESTAMP_LTZ':
      return 'LTZ';
    case 'TO_TIMESTAMP_TZ':
    case 'TRY_TO_TIMESTAMP_TZ':
      return 'TZ';
    case 'TO_DATE':
    case 'TRY_TO_DATE':
    case 'DATE':
      return 'DATE';
    case 'TO_VARCHAR':
    case 'TO_CHAR':
      return 'TEXT';
    default:
      return undefined;
  }
}

function castSql(ref: string, kind: CastKind): string {
  switch (kind) {
    case 'NTZ':
      return `${TZ_TO_NTZ}(${ref})`;
    case 'LTZ':
      return `struct_extract(${ref}, 'sf_instant')`;
    case 'TZ':
      return ref;
    case 'DATE':
      return `CAST(${TZ_TO_NTZ}(${ref}) AS DATE)`;
    case 'TEXT':
      return `${TZ_TO_TEXT}(${ref})`;
  }
}
