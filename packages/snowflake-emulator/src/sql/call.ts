// A function call being rewritten from Snowflake to DuckDB: its name, its arguments and the helpers every
// rewriter of sql/functions-*.ts uses to read them.
import { SnowflakeSqlError } from '../errors.js';
import type { TranslateContext } from './context.js';
import { callArgs } from './scan.js';
import type { Token } from './tokens.js';

/** Translates the tokens from `a` to `b` (exclusive) of the statement being translated. */
export type Tr = (a: number, b: number) => string;

/** A rewritten call: its DuckDB SQL and the index of the token after it. */
export interface Rewritten {
  text: string;
  next: number;
}

/** The call `NAME(...)` whose name stands at `at`. */
export interface Call {
  name: string;
  tokens: Token[];
  /** Index of the `(`. */
  open: number;
  /** Index of the `)`. */
  close: number;
  /** Top-level argument ranges (token indexes, end exclusive). */
  args: Array<[number, number]>;
  ctx: TranslateContext;
  tr: Tr;
  /** Argument `k`, translated; a missing one is Snowflake's "not enough arguments" error. */
  arg(k: number): string;
  /** Argument `k`'s significant tokens as written (empty when absent). */
  rawArg(k: number): Token[];
  /** Every argument, translated and joined by commas. */
  all(): string;
  /** Refuses a format argument (a string) at position `k`. */
  noFormat(k: number): void;
  /** The rewritten call, replacing the tokens up to and including `)`. */
  done(text: string): Rewritten;
}

export function readCall(tokens: Token[], at: number, ctx: TranslateContext, tr: Tr): Call {
  const name = (tokens[at] as Token).value;
  const open = at + 1;
  const { args, close } = callArgs(tokens, open);
  const arg = (k: number) => {
    const range = args[k];
    if (!range)
      throw new SnowflakeSqlError(`SQL compilation error:\nnot enough arguments for function [${name}]`, {
        sfCode: '000938',
        sqlState: '42601',
      });
    return tr(range[0], range[1]);
  };
  const rawArg = (k: number) => {
    const range = args[k];
    return range ? tokens.slice(range[0], range[1]).filter((t) => t.kind !== 'ws') : [];
  };
  return {
    name,
    tokens,
    open,
    close,
    args,
    ctx,
    tr,
    arg,
    rawArg,
    all: () => args.map((_, k) => arg(k)).join(', '),
    noFormat: (k: number) => {
      if (args.length > k && rawArg(k)[0]?.kind === 'string')
        throw SnowflakeSqlError.unsupported(`${name} with a format argument`);
    },
    done: (text: string) => ({ text, next: close + 1 }),
  };
}
