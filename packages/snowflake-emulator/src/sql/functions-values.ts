// Functions of NULLs and zeros (NVL2, DIV0, EQUAL_NULL, ...) and of semi-structured values (PARSE_JSON,
// OBJECT_CONSTRUCT, GET, SPLIT, ...).
import { SnowflakeSqlError } from '../errors.js';
import type { Call, Rewritten } from './call.js';
import { sqlString } from './tokens.js';

export function rewriteValueFunction(call: Call): Rewritten | undefined {
  const { name, args, arg, rawArg, done } = call;
  switch (name) {
    case 'NVL2':
      return done(`(CASE WHEN (${arg(0)}) IS NOT NULL THEN (${arg(1)}) ELSE (${arg(2)}) END)`);
    case 'ZEROIFNULL':
      return done(`COALESCE(${arg(0)}, 0)`);
    case 'NULLIFZERO':
      return done(`NULLIF(${arg(0)}, 0)`);
    case 'DIV0':
      return done(`(CASE WHEN (${arg(1)}) = 0 THEN 0 ELSE (${arg(0)}) / (${arg(1)}) END)`);
    case 'DIV0NULL':
      return done(`(CASE WHEN (${arg(1)}) = 0 OR (${arg(1)}) IS NULL THEN 0 ELSE (${arg(0)}) / (${arg(1)}) END)`);
    case 'EQUAL_NULL':
      return done(`((${arg(0)}) IS NOT DISTINCT FROM (${arg(1)}))`);
    case 'PARSE_JSON':
      return done(`json(${arg(0)})`);
    case 'TRY_PARSE_JSON':
      return done(`TRY_CAST(${arg(0)} AS JSON)`);
    case 'TO_VARIANT':
    case 'TO_OBJECT':
    case 'TO_ARRAY':
      return done(`to_json(${arg(0)})`);
    case 'TO_JSON':
      return done(`CAST(to_json(${arg(0)}) AS VARCHAR)`);
    case 'OBJECT_CONSTRUCT': {
      if (rawArg(0)[0]?.kind === 'op' && rawArg(0)[0]?.value === '*')
        throw SnowflakeSqlError.unsupported('OBJECT_CONSTRUCT(*)');
      // Snowflake leaves out keys whose value is NULL: build the object from the non-null pairs.
      if (args.length === 0) return done(`CAST('{}' AS JSON)`);
      const pairs: string[] = [];
      for (let k = 0; k + 1 < args.length; k += 2) pairs.push(`(${arg(k)}, to_json(${arg(k + 1)}))`);
      return done(
        `(SELECT COALESCE(json_group_object(__k, __v), CAST('{}' AS JSON)) FROM (VALUES ${pairs.join(', ')}) AS __kv(__k, __v) WHERE __v IS NOT NULL)`,
      );
    }
    case 'OBJECT_KEYS':
      return done(`to_json(json_keys(${arg(0)}))`);
    case 'IS_NULL_VALUE':
      return done(`(json_type(${arg(0)}) = 'NULL')`);
    case 'GET':
      if (rawArg(1)[0]?.kind === 'string') return done(`(${arg(0)} -> ${sqlString(`$.${rawArg(1)[0]?.value}`)})`);
      if (rawArg(1)[0]?.kind === 'number') return done(`(${arg(0)} -> ${sqlString(`$[${rawArg(1)[0]?.value}]`)})`);
      throw SnowflakeSqlError.unsupported('GET with a computed key');
    case 'SPLIT':
      return done(`to_json(string_split(${arg(0)}, ${arg(1)}))`);
    default:
      return undefined;
  }
}
