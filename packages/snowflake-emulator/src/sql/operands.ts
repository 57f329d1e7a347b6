// The translator's output as pieces of DuckDB SQL, and the operands in it: where an operand ends in the
// tokens, taking the one before a postfix operator (`::`, `:`) off the pieces, VARIANT paths.
import { SnowflakeSqlError } from '../errors.js';
import { closingParen } from './scan.js';
import { isOp, isWord, sqlString, type Token } from './tokens.js';
import { parseType } from './types.js';

export interface Piece {
  text: string;
  /** An identifier (name part), a closing paren/bracket or a literal: something a `:` path can follow. */
  operand?: boolean;
  /** For `(`: whether the paren directly follows a function name (`f(`). */
  call?: boolean;
}

export function joinPieces(pieces: Piece[]): string {
  let out = '';
  let previous: Piece | undefined;
  for (const piece of pieces) {
    const text = piece.text;
    const glue =
      previous === undefined ||
      text === ')' ||
      text === ',' ||
      text === '.' ||
      text === ']' ||
      previous.text === '.' ||
      previous.text === '(' ||
      previous.text === '[' ||
      (text === '(' && piece.call) ||
      (text === '[' && previous.operand)
        ? ''
        : ' ';
    out += glue + text;
    previous = piece;
  }
  return out;
}

/**
 * End (exclusive) of the operand that starts at `at`: unary signs, then a literal, bind, name chain, call,
 * parenthesised expression or CASE ... END, then `::type`, `[...]` and `:path` suffixes. Returns `at` when no
 * operand is recognised (the caller then leaves the SQL as it is).
 */
export function operandEnd(tokens: Token[], at: number, to: number): number {
  let i = at;
  while (i < to && (isOp(tokens[i], '-') || isOp(tokens[i], '+'))) i++;
  const first = tokens[i];
  if (!first || i >= to) return at;
  const named = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'quoted');
  if (isOp(first, '(')) i = closingParen(tokens, i) + 1;
  else if (isWord(first, 'CASE')) {
    let depth = 0;
    for (; i < to; i++) {
      if (isWord(tokens[i], 'CASE')) depth++;
      else if (isWord(tokens[i], 'END') && --depth === 0) break;
    }
    if (i >= to) return at;
    i++;
  } else if (first.kind === 'number' || first.kind === 'string' || first.kind === 'bind' || first.kind === 'raw') i++;
  else if (named(first)) {
    i++;
    while (isOp(tokens[i], '.') && named(tokens[i + 1])) i += 2;
    if (isOp(tokens[i], '(')) i = closingParen(tokens, i) + 1;
  } else return at;
  for (;;) {
    if (isOp(tokens[i], '::') && i + 1 < to) i = parseType(tokens, i + 1).next;
    else if (isOp(tokens[i], '[')) i = closingParen(tokens, i) + 1;
    else if (isOp(tokens[i], ':') && named(tokens[i + 1])) {
      i += 2;
      while (isOp(tokens[i], '.') && named(tokens[i + 1])) i += 2;
    } else break;
  }
  return i <= to ? i : at;
}

/** Takes the operand before a postfix operator off the pieces: a name chain (a.b.c), a parenthesised expression or a call. */
export function takeOperand(pieces: Piece[], operator: string): Piece[] {
  const base: Piece[] = [];
  const last = pieces.at(-1);
  if (!last?.operand) throw SnowflakeSqlError.syntax(`unexpected '${operator}'`, '', 0);
  if (last.text === ')' || last.text === ']') {
    let depth = 0;
    while (pieces.length > 0) {
      const piece = pieces.pop() as Piece;
      base.unshift(piece);
      if (piece.text === ')' || piece.text === ']') depth++;
      else if (piece.text === '(' || piece.text === '[') {
        depth--;
        if (depth === 0) break;
      }
    }
    if ((base[0]?.text === '(' && base[0]?.call) || (base[0]?.text === '[' && pieces.at(-1)?.operand)) {
      base.unshift(pieces.pop() as Piece);
    }
  } else {
    base.unshift(pieces.pop() as Piece);
    while (pieces.at(-1)?.text === '.' && pieces.at(-2)?.operand) {
      base.unshift(pieces.pop() as Piece);
      base.unshift(pieces.pop() as Piece);
    }
  }
  return base;
}

/** Handles `base:path.to[0]` and `base['key']`: wraps the preceding operand in JSON extraction. */
export function pathAccess(tokens: Token[], at: number, to: number, pieces: Piece[]): number {
  const base = takeOperand(pieces, ':');
  let path = '$';
  let i = at;
  const key = (name: string) =>
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `.${name}` : `."${name.replaceAll('"', '\\"')}"`;
  if (isOp(tokens[i], ':')) {
    const step = tokens[i + 1];
    if (!step || (step.kind !== 'word' && step.kind !== 'quoted'))
      throw SnowflakeSqlError.syntax("unexpected ':'", '', 0);
    path += key(step.kind === 'word' ? step.text : step.value);
    i += 2;
  }
  while (i < to) {
    const token = tokens[i];
    if (isOp(token, '.') && (tokens[i + 1]?.kind === 'word' || tokens[i + 1]?.kind === 'quoted')) {
      const step = tokens[i + 1] as Token;
      path += key(step.kind === 'word' ? step.text : step.value);
      i += 2;
    } else if (isOp(token, '[') && isOp(tokens[i + 2], ']')) {
      const inner = tokens[i + 1] as Token;
      if (inner.kind === 'number') path += `[${inner.value}]`;
      else if (inner.kind === 'string') path += key(inner.value);
      else throw SnowflakeSqlError.unsupported('computed VARIANT subscripts');
      i += 3;
    } else break;
  }
  const cast = isOp(tokens[i], '::');
  pieces.push({ text: `(${joinPieces(base)} ${cast ? '->>' : '->'} ${sqlString(path)})`, operand: true });
  return i;
}
