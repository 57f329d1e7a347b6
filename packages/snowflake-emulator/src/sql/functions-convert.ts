// Conversions: CAST and the TO_* / TRY_TO_* family (formats refused, TIMESTAMP_TZ through text).
import { SnowflakeSqlError } from '../errors.js';
import type { Call, Rewritten } from './call.js';
import { TZ_FROM_TEXT } from './timestamp-tz.js';
import { isOp, isWord, type Token } from './tokens.js';
import { parseType, TZ_TYPE } from './types.js';

/**
 * The conversion `call` rewritten for DuckDB, or `undefined` when it is not one. One switch over the function
 * names, kept whole: a case per Snowflake function, found by its name.
 */
export function rewriteConversion(call: Call): Rewritten | undefined {
  const { name, tokens, open, close, args, tr, arg, rawArg, done, noFormat } = call;
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
    case 'TO_VARCHAR':
    case 'TO_CHAR':
    case 'TRY_TO_VARCHAR':
      noFormat(1);
      return done(`CAST(${arg(0)} AS VARCHAR)`);
    default:
      return undefined;
  }
}
