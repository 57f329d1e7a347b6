// Casts of a TIMESTAMP_TZ column (`::TIMESTAMP_NTZ`, `CAST(col AS DATE)`, `TO_VARCHAR(col)`, ...) as the DuckDB SQL
// of what Snowflake gives: the wall-clock time at the value's own offset, its instant, its date, its text.
import { callArgs, closingParen } from './scan.js';
import { TZ_TO_NTZ, TZ_TO_TEXT } from './timestamp-tz.js';
import { isOp, isWord, type Token } from './tokens.js';

export type CastKind = 'NTZ' | 'LTZ' | 'TZ' | 'DATE' | 'TEXT';

/** The cast target at `at` (after `::` or `AS`), if it is one the rewrite handles. */
export function castTarget(tokens: Token[], at: number): { kind: CastKind; next: number } | undefined {
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
export function functionTarget(tokens: Token[], at: number, refEnd: number, close: number): CastKind | undefined {
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

export function castSql(ref: string, kind: CastKind): string {
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
