// Snowflake's functions in DuckDB: the ones refused, the ones only renamed, and the dispatch to the rewriters
// of each family (functions-convert.ts, functions-time.ts, functions-values.ts, functions-other.ts).
import { SnowflakeSqlError } from '../errors.js';
import { type Rewritten, readCall, type Tr } from './call.js';
import type { TranslateContext } from './context.js';
import { rewriteConversion } from './functions-convert.js';
import { rewriteOtherFunction, rewriteSessionFunction } from './functions-other.js';
import { rewriteTimeFunction } from './functions-time.js';
import { rewriteValueFunction } from './functions-values.js';
import type { Token } from './tokens.js';

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

const REWRITERS = [
  rewriteConversion,
  rewriteTimeFunction,
  rewriteValueFunction,
  rewriteSessionFunction,
  rewriteOtherFunction,
];

/**
 * The DuckDB SQL of the call whose name stands at `at` (`(` follows it), or undefined when DuckDB has the
 * function under the same name and meaning (the caller then copies the call as written).
 */
export function rewriteCall(tokens: Token[], at: number, ctx: TranslateContext, tr: Tr): Rewritten | undefined {
  const name = (tokens[at] as Token).value;
  if (UNSUPPORTED_FUNCTIONS.has(name) || name.startsWith('SYSTEM$'))
    throw SnowflakeSqlError.unsupported(`the function ${name}`);
  const call = readCall(tokens, at, ctx, tr);
  const simple = SIMPLE_RENAMES[name];
  if (simple) return call.done(`${simple}(${call.all()})`);
  for (const rewrite of REWRITERS) {
    const rewritten = rewrite(call);
    if (rewritten) return rewritten;
  }
  return undefined;
}
