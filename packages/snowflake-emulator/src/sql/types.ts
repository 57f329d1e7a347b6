import { SnowflakeSqlError } from '../errors.js';
import { isOp, type Token } from './tokens.js';

/** A Snowflake type read from SQL text and the DuckDB type that stores it. */
export interface ParsedType {
  /** DuckDB type text. */
  duck: string;
  /** Index of the first token after the type. */
  next: number;
  /**
   * The Snowflake type as declared when DuckDB's type loses part of it (`VARCHAR(18)`, `TIMESTAMP_NTZ(3)`,
   * `TIME(3)`): DuckDB keeps no text length nor time precision, so the emulator records this beside the column.
   */
  declared?: string;
}

const INTEGER_NAMES = new Set(['INT', 'INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'BYTEINT']);
const DECIMAL_NAMES = new Set(['NUMBER', 'NUMERIC', 'DECIMAL', 'DEC']);
const FLOAT_NAMES = new Set(['FLOAT', 'FLOAT4', 'FLOAT8', 'DOUBLE', 'REAL']);
const TEXT_NAMES = new Set(['VARCHAR', 'STRING', 'TEXT', 'CHAR', 'CHARACTER', 'NCHAR', 'NVARCHAR', 'NVARCHAR2']);
const BINARY_NAMES = new Set(['BINARY', 'VARBINARY']);
const NTZ_NAMES = new Set(['TIMESTAMP_NTZ', 'TIMESTAMPNTZ', 'DATETIME']);
const TZ_NAMES = new Set(['TIMESTAMP_LTZ', 'TIMESTAMPLTZ', 'TIMESTAMP_TZ', 'TIMESTAMPTZ']);
const JSON_NAMES = new Set(['VARIANT', 'OBJECT', 'ARRAY']);
const UNSUPPORTED_NAMES = new Set(['GEOGRAPHY', 'GEOMETRY', 'VECTOR', 'MAP', 'FILE']);

/**
 * The DuckDB type of a TIMESTAMP_TZ column: the instant and the value's own offset in minutes (see
 * timestamp-tz.ts for why a struct).
 */
export const TZ_TYPE = 'STRUCT(sf_instant TIMESTAMPTZ, sf_offset SMALLINT)';

/** DuckDB's display of {@link TZ_TYPE} (`duckdb_columns().data_type`). */
export const TZ_TYPE_TEXT = 'STRUCT(sf_instant TIMESTAMP WITH TIME ZONE, sf_offset SMALLINT)';

/** Whether a word names a Snowflake type this emulator knows. */
export function isTypeName(word: string): boolean {
  return (
    INTEGER_NAMES.has(word) ||
    DECIMAL_NAMES.has(word) ||
    FLOAT_NAMES.has(word) ||
    TEXT_NAMES.has(word) ||
    BINARY_NAMES.has(word) ||
    NTZ_NAMES.has(word) ||
    TZ_NAMES.has(word) ||
    JSON_NAMES.has(word) ||
    ['BOOLEAN', 'DATE', 'TIME', 'TIMESTAMP'].includes(word)
  );
}

/** Reads `(n[, m])` after a type name; returns the numbers and the index after `)`. */
function typeArgs(tokens: Token[], at: number): { args: number[]; next: number } {
  if (!isOp(tokens[at], '(')) return { args: [], next: at };
  const args: number[] = [];
  let i = at + 1;
  while (i < tokens.length && !isOp(tokens[i], ')')) {
    const token = tokens[i] as Token;
    if (token.kind === 'number') args.push(Number(token.value));
    i++;
  }
  return { args, next: i + 1 };
}

/** A time type with its declared precision (`TIME(3)`), when one was written. */
function withPrecision(duck: string, snowflake: string, precision: { args: number[]; next: number }): ParsedType {
  const p = precision.args[0];
  return { duck, next: precision.next, ...(p !== undefined ? { declared: `${snowflake}(${p})` } : {}) };
}

/**
 * Reads a Snowflake type starting at `at` (significant tokens) and returns the DuckDB type.
 * NUMBER(p,s) -> DECIMAL(p,s) (NUMBER and the integer names -> DECIMAL(38,0)), FLOAT/DOUBLE -> DOUBLE,
 * text names -> VARCHAR, BINARY -> BLOB, TIMESTAMP/_NTZ -> TIMESTAMP, _LTZ -> TIMESTAMPTZ, _TZ -> {@link TZ_TYPE},
 * VARIANT/OBJECT/ARRAY -> JSON.
 */
export function parseType(tokens: Token[], at: number): ParsedType {
  const token = tokens[at];
  if (token?.kind !== 'word') {
    throw SnowflakeSqlError.syntax(`unexpected '${token?.text ?? '<EOF>'}'`, '', 0);
  }
  const name = token.value;
  let i = at + 1;
  if (UNSUPPORTED_NAMES.has(name)) throw SnowflakeSqlError.unsupported(`the ${name} type`);
  if (DECIMAL_NAMES.has(name)) {
    const { args, next } = typeArgs(tokens, i);
    const precision = args[0] ?? 38;
    const scale = args[1] ?? 0;
    if (precision < 1 || precision > 38 || scale < 0 || scale > Math.min(37, precision)) {
      throw new SnowflakeSqlError(`SQL compilation error:\nUnsupported data type '${name}(${precision},${scale})'.`, {
        sfCode: '002040',
        sqlState: '42601',
      });
    }
    return { duck: `DECIMAL(${precision},${scale})`, next };
  }
  if (INTEGER_NAMES.has(name)) return { duck: 'DECIMAL(38,0)', next: i };
  if (FLOAT_NAMES.has(name)) {
    if (name === 'DOUBLE' && tokens[i]?.kind === 'word' && tokens[i]?.value === 'PRECISION') i++;
    return { duck: 'DOUBLE', next: typeArgs(tokens, i).next };
  }
  if (TEXT_NAMES.has(name)) {
    if (tokens[i]?.kind === 'word' && tokens[i]?.value === 'VARYING') i++;
    const { args, next } = typeArgs(tokens, i);
    // CHAR/CHARACTER/NCHAR without a length are one character in Snowflake; the others 16777216.
    const length = args[0] ?? (['CHAR', 'CHARACTER', 'NCHAR'].includes(name) ? 1 : undefined);
    return { duck: 'VARCHAR', next, ...(length !== undefined ? { declared: `VARCHAR(${length})` } : {}) };
  }
  if (BINARY_NAMES.has(name)) return { duck: 'BLOB', next: typeArgs(tokens, i).next };
  if (name === 'BOOLEAN') return { duck: 'BOOLEAN', next: i };
  if (name === 'DATE') return { duck: 'DATE', next: i };
  if (name === 'TIME') return withPrecision('TIME', 'TIME', typeArgs(tokens, i));
  if (NTZ_NAMES.has(name)) return withPrecision('TIMESTAMP', 'TIMESTAMP_NTZ', typeArgs(tokens, i));
  if (name === 'TIMESTAMP_TZ' || name === 'TIMESTAMPTZ') {
    const { args, next } = typeArgs(tokens, i);
    return { duck: TZ_TYPE, next, ...(args[0] !== undefined ? { declared: `TIMESTAMP_TZ(${args[0]})` } : {}) };
  }
  if (TZ_NAMES.has(name)) return withPrecision('TIMESTAMPTZ', 'TIMESTAMP_LTZ', typeArgs(tokens, i));
  if (name === 'TIMESTAMP') {
    const precision = typeArgs(tokens, i);
    i = precision.next;
    const declared = (snowflake: string) =>
      precision.args[0] !== undefined ? { declared: `${snowflake}(${precision.args[0]})` } : {};
    const w = (k: number) => (tokens[k]?.kind === 'word' ? tokens[k]?.value : undefined);
    if (w(i) === 'WITH' && w(i + 1) === 'LOCAL' && w(i + 2) === 'TIME' && w(i + 3) === 'ZONE')
      return { duck: 'TIMESTAMPTZ', next: i + 4, ...declared('TIMESTAMP_LTZ') };
    if (w(i) === 'WITH' && w(i + 1) === 'TIME' && w(i + 2) === 'ZONE')
      return { duck: TZ_TYPE, next: i + 3, ...declared('TIMESTAMP_TZ') };
    if (w(i) === 'WITHOUT' && w(i + 1) === 'TIME' && w(i + 2) === 'ZONE')
      return { duck: 'TIMESTAMP', next: i + 3, ...declared('TIMESTAMP_NTZ') };
    return { duck: 'TIMESTAMP', next: i, ...declared('TIMESTAMP_NTZ') };
  }
  if (JSON_NAMES.has(name)) {
    if (isOp(tokens[i], '(')) throw SnowflakeSqlError.unsupported(`structured ${name} types`);
    // OBJECT and ARRAY are declared, so that they are reported as such (all three are DuckDB JSON).
    return { duck: 'JSON', next: i, ...(name === 'VARIANT' ? {} : { declared: name }) };
  }
  throw new SnowflakeSqlError(`SQL compilation error:\nUnsupported data type '${name}'.`, {
    sfCode: '002040',
    sqlState: '42601',
  });
}
