// The session's context functions (CURRENT_USER, ...), generators and hashes, and the aggregates with
// WITHIN GROUP (LISTAGG, ARRAY_AGG).
import { SnowflakeSqlError } from '../errors.js';
import type { Call, Rewritten } from './call.js';
import { closingParen } from './scan.js';
import { isOp, isWord, sqlString } from './tokens.js';

export function rewriteSessionFunction(call: Call): Rewritten | undefined {
  const { name, ctx, done } = call;
  switch (name) {
    case 'CURRENT_USER':
      return done(sqlString(ctx.session.user));
    case 'CURRENT_ROLE':
      return done(sqlString(ctx.session.role));
    case 'CURRENT_WAREHOUSE':
      return done(ctx.session.warehouse ? sqlString(ctx.session.warehouse) : 'NULL');
    case 'CURRENT_ACCOUNT':
    case 'CURRENT_ACCOUNT_NAME':
      return done(sqlString(ctx.session.account));
    case 'CURRENT_REGION':
      return done(sqlString(ctx.session.region));
    case 'CURRENT_SESSION':
      return done(sqlString(ctx.session.sessionId));
    case 'CURRENT_VERSION':
      return done(sqlString(ctx.session.version));
    case 'CURRENT_CLIENT':
      return done(sqlString('JavaScript'));
    case 'CURRENT_DATABASE':
      return done('current_database()');
    case 'CURRENT_SCHEMA':
      return done('current_schema()');
    default:
      return undefined;
  }
}

/**
 * A function `call` the other tables leave, rewritten for DuckDB, or `undefined`. One switch over the function
 * names, kept whole: a case per Snowflake function, found by its name.
 */
export function rewriteOtherFunction(call: Call): Rewritten | undefined {
  const { name, tokens, close, args, tr, arg, rawArg, done, all } = call;
  switch (name) {
    case 'UUID_STRING':
      if (args.length > 0) throw SnowflakeSqlError.unsupported('UUID_STRING with a namespace (version 5 UUIDs)');
      return done('CAST(uuid() AS VARCHAR)');
    case 'SHA2':
    case 'SHA2_HEX': {
      const bits = rawArg(1)[0]?.value ?? '256';
      if (bits !== '256') throw SnowflakeSqlError.unsupported(`SHA2 with ${bits} bits`);
      return done(`sha256(${arg(0)})`);
    }
    case 'RANDOM':
      // Snowflake's RANDOM() is a 64-bit integer; a seeded RANDOM(n) repeats per seed, which DuckDB cannot.
      if (args.length > 0) throw SnowflakeSqlError.unsupported('RANDOM with a seed');
      return done('CAST(floor((random() - 0.5) * 18446744073709551615) AS BIGINT)');
    case 'RANDSTR':
      // A string of the given length that depends only on the generator value, as Snowflake's.
      return done(
        `left(repeat(md5(CAST(${arg(1)} AS VARCHAR)), CAST(ceil((${arg(0)}) / 32.0) AS INTEGER)), CAST(${arg(0)} AS INTEGER))`,
      );
    case 'SEQ1':
    case 'SEQ2':
    case 'SEQ4':
    case 'SEQ8':
      return done('(row_number() OVER () - 1)');
    case 'GENERATOR': {
      const raw = rawArg(0);
      if (!(isWord(raw[0], 'ROWCOUNT') && isOp(raw[1], '=>')))
        throw SnowflakeSqlError.unsupported('GENERATOR without ROWCOUNT');
      const range = args[0] as [number, number];
      let start = range[0];
      while (!isOp(tokens[start], '=>')) start++;
      return done(`range(CAST(${tr(start + 1, range[1])} AS BIGINT))`);
    }
    case 'TABLE':
      return done(all());
    case 'LISTAGG':
    case 'ARRAY_AGG': {
      let orderBy = '';
      let next = close + 1;
      while (tokens[next]?.kind === 'ws') next++;
      if (isWord(tokens[next], 'WITHIN')) {
        let g = next + 1;
        while (tokens[g]?.kind === 'ws') g++;
        let p = g + 1;
        while (tokens[p]?.kind === 'ws') p++;
        if (!isWord(tokens[g], 'GROUP') || !isOp(tokens[p], '('))
          throw SnowflakeSqlError.syntax("unexpected 'WITHIN'", '', 0);
        const end = closingParen(tokens, p);
        orderBy = ` ${tr(p + 1, end)}`;
        next = end + 1;
      }
      const first = rawArg(0);
      const distinct = isWord(first[0], 'DISTINCT');
      const range = args[0] as [number, number];
      let a0 = range[0];
      if (distinct) {
        while (!isWord(tokens[a0], 'DISTINCT')) a0++;
        a0++;
      }
      const value = tr(a0, range[1]);
      const text =
        name === 'LISTAGG'
          ? `COALESCE(string_agg(${distinct ? 'DISTINCT ' : ''}${value}, ${args.length > 1 ? arg(1) : "''"}${orderBy}), '')`
          : `COALESCE(to_json(list(${distinct ? 'DISTINCT ' : ''}${value}${orderBy}) FILTER (WHERE (${value}) IS NOT NULL)), '[]'::JSON)`;
      return { text, next };
    }
    default:
      return undefined;
  }
}
