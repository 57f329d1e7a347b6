// Binds: a bind's value as a SQL literal, the cast of an array-bind column, and the translation context of a
// session with its binds.
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { sqlString } from '../sql/tokens.js';
import type { TranslateContext } from '../sql/translate.js';
import type { Bind, Runtime } from './outcome.js';

export function bindLiteral(bind: Bind | undefined, value: unknown, index: number): string {
  if (!bind) {
    throw new SnowflakeSqlError(`SQL compilation error:\nBind variable ? not set.`, {
      sfCode: '002049',
      sqlState: '42601',
    });
  }
  if (value === null || value === undefined) return 'NULL';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  switch (bind.type.toUpperCase()) {
    case 'FIXED':
      if (/^-?\d+(\.\d+)?$/.test(text)) return text;
      return sqlString(text);
    case 'REAL':
      return `CAST(${sqlString(text)} AS DOUBLE)`;
    case 'BOOLEAN':
      return `CAST(${sqlString(text)} AS BOOLEAN)`;
    case 'VARIANT':
    case 'OBJECT':
    case 'ARRAY':
      return `json(${sqlString(text)})`;
    case 'DATE':
      return `CAST(${sqlString(text)} AS DATE)`;
    case 'TIME':
      return `CAST(${sqlString(text)} AS TIME)`;
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMP':
      return `CAST(${sqlString(text)} AS TIMESTAMP)`;
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
      return `CAST(${sqlString(text)} AS TIMESTAMPTZ)`;
    case 'BINARY':
      return `from_hex(${sqlString(text)})`;
    default:
      void index;
      return sqlString(text);
  }
}

/** The DuckDB type a bind column of this Snowflake bind type is cast to. */
export function bindCastType(type: string): string | undefined {
  switch (type.toUpperCase()) {
    case 'FIXED':
    case 'REAL':
      // The driver types a whole column by its first row (0 is FIXED, 0.5 REAL): the text goes to
      // the target column's type as it is, so later rows keep their fractions.
      return undefined;
    case 'BOOLEAN':
      return 'BOOLEAN';
    case 'VARIANT':
    case 'OBJECT':
    case 'ARRAY':
      return 'JSON';
    case 'DATE':
      return 'DATE';
    case 'TIMESTAMP_NTZ':
      return 'TIMESTAMP';
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
      return 'TIMESTAMPTZ';
    default:
      return undefined;
  }
}

export function sessionContext(session: Session, runtime: Runtime, bind: TranslateContext['bind']): TranslateContext {
  return {
    bind,
    session: {
      user: session.user,
      role: session.role,
      warehouse: session.warehouse,
      account: runtime.account.toUpperCase(),
      sessionId: String(session.id),
      region: runtime.region,
      version: runtime.version,
    },
  };
}
