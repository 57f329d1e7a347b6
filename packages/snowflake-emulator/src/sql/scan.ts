// Finding the structure in a run of tokens: the paren that closes another, the arguments of a call, a word
// outside parentheses, `IF [NOT] EXISTS`. Shared by the translator and the statements, which read clauses out of tokens.
import { SnowflakeSqlError } from '../errors.js';
import { isOp, isWord, type Token } from './tokens.js';

/** Finds the index of the `)` that closes the `(` at `open`. */
export function closingParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind !== 'op') continue;
    if (token.value === '(' || token.value === '[') depth++;
    else if (token.value === ')' || token.value === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw SnowflakeSqlError.syntax("unexpected '<EOF>'", '', 0);
}

/** Splits the tokens between `(` at `open` and its `)` into top-level comma-separated ranges. */
export function callArgs(tokens: Token[], open: number): { args: Array<[number, number]>; close: number } {
  const close = closingParen(tokens, open);
  const args: Array<[number, number]> = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < close; i++) {
    const token = tokens[i] as Token;
    if (token.kind === 'op' && (token.value === '(' || token.value === '[')) depth++;
    else if (token.kind === 'op' && (token.value === ')' || token.value === ']')) depth--;
    else if (depth === 0 && isOp(token, ',')) {
      args.push([start, i]);
      start = i + 1;
    }
  }
  if (close > open + 1) args.push([start, close]);
  return { args, close };
}

/** The index of the first of `words` from `from` on that stands outside parentheses, or -1. */
export function topLevelWord(tokens: Token[], from: number, ...words: string[]): number {
  let depth = 0;
  for (let k = from; k < tokens.length; k++) {
    if (isOp(tokens[k], '(')) depth++;
    else if (isOp(tokens[k], ')')) depth--;
    else if (depth === 0 && isWord(tokens[k], ...words)) return k;
  }
  return -1;
}

/** `IF NOT EXISTS` at `at`: whether it is there, and the index after it. */
export function ifNotExists(tokens: Token[], at: number): { present: boolean; next: number } {
  if (isWord(tokens[at], 'IF') && isWord(tokens[at + 1], 'NOT') && isWord(tokens[at + 2], 'EXISTS'))
    return { present: true, next: at + 3 };
  return { present: false, next: at };
}

/** `IF EXISTS` at `at`: whether it is there, and the index after it. */
export function ifExists(tokens: Token[], at: number): { present: boolean; next: number } {
  if (isWord(tokens[at], 'IF') && isWord(tokens[at + 1], 'EXISTS')) return { present: true, next: at + 2 };
  return { present: false, next: at };
}
