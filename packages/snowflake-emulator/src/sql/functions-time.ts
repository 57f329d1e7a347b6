// Date and time functions: date parts, DATEADD / DATEDIFF / DATE_TRUNC / DATE_PART, the current time and
// CONVERT_TIMEZONE.
import { SnowflakeSqlError } from '../errors.js';
import type { Call, Rewritten } from './call.js';
import { TZ_AT_ZONE, TZ_FROM_TEXT } from './timestamp-tz.js';
import { sqlString, type Token } from './tokens.js';

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

function partName(raw: Token[], fn: string): string {
  const first = raw[0];
  if (raw.length === 1 && first && (first.kind === 'word' || first.kind === 'string')) return first.value;
  throw new SnowflakeSqlError(`SQL compilation error:\ninvalid date part for function ${fn}`, {
    sfCode: '001003',
    sqlState: '42000',
  });
}

export function rewriteTimeFunction(call: Call): Rewritten | undefined {
  const { name, args, arg, rawArg, done } = call;
  switch (name) {
    case 'CONVERT_TIMEZONE': {
      if (args.length === 2) return done(`${TZ_AT_ZONE}(${arg(0)}, ${TZ_FROM_TEXT}(CAST(${arg(1)} AS VARCHAR)))`);
      if (args.length === 3) return done(`timezone(${arg(1)}, timezone(${arg(0)}, CAST(${arg(2)} AS TIMESTAMP)))`);
      throw new SnowflakeSqlError('SQL compilation error:\nwrong number of arguments for function [CONVERT_TIMEZONE]', {
        sfCode: '000938',
        sqlState: '42601',
      });
    }
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
    default:
      return undefined;
  }
}
