// The boolean structure of a WHERE or HAVING clause: AND, OR, NOT and parentheses over compiled conditions.
import type { WhereClause } from '@jetstreamapp/soql-parser-js';
import { malformed, positioned } from './errors.js';
import type { Predicate } from './types.js';

type Token = string | Predicate;

/**
 * Combines the conditions of a parsed WHERE clause into one predicate; `condition` compiles each one (in clause
 * order). Mixing AND and OR without parentheses is refused, as Salesforce refuses it.
 */
export function combineWhere(
  where: WhereClause,
  condition: (left: Record<string, unknown>) => Predicate,
  soql: string,
): Predicate {
  const tokens = whereTokens(where, condition);
  let position = 0;
  const peek = () => tokens[position];
  const parseExpression = (): Predicate => {
    const first = parseUnary();
    const op = peek();
    if (op !== 'AND' && op !== 'OR') return first;
    const operands = [first];
    while (peek() === op) {
      position++;
      operands.push(parseUnary());
    }
    const next = peek();
    if (next === 'AND' || next === 'OR') {
      throw malformed(
        positioned(soql, String(next), `unexpected token: '${String(next)}' (use parentheses to mix AND and OR)`),
      );
    }
    if (op === 'AND') return (record) => operands.every((predicate) => predicate(record));
    return (record) => operands.some((predicate) => predicate(record));
  };
  const parseUnary = (): Predicate => {
    const token = peek();
    if (token === 'NOT') {
      position++;
      const inner = parseUnary();
      return (record) => !inner(record);
    }
    if (token === '(') {
      position++;
      const inner = parseExpression();
      if (peek() !== ')') throw malformed('Unbalanced parentheses in WHERE');
      position++;
      return inner;
    }
    if (typeof token === 'function') {
      position++;
      return token;
    }
    throw malformed(`unexpected token in WHERE: ${String(token)}`);
  };
  const predicate = parseExpression();
  if (position !== tokens.length) throw malformed(`unexpected token in WHERE: ${String(tokens[position])}`);
  return predicate;
}

/** The clause flattened to tokens: parentheses, AND / OR / NOT, and each condition compiled. */
function whereTokens(where: WhereClause, condition: (left: Record<string, unknown>) => Predicate): Token[] {
  const tokens: Token[] = [];
  let node: WhereClause | undefined = where;
  while (node) {
    const left = node.left as (Record<string, unknown> & { openParen?: number; closeParen?: number }) | null;
    const operator = 'operator' in node ? node.operator : undefined;
    if (operator === 'NOT' && (left === null || !('field' in left || 'fn' in left || 'valueQuery' in left))) {
      for (let i = 0; i < (left?.openParen ?? 0); i++) tokens.push('(');
      tokens.push('NOT');
    } else if (left) {
      for (let i = 0; i < (left.openParen ?? 0); i++) tokens.push('(');
      tokens.push(condition(left));
      for (let i = 0; i < (left.closeParen ?? 0); i++) tokens.push(')');
      if (operator) tokens.push(operator);
    }
    node = 'right' in node ? (node.right as WhereClause | undefined) : undefined;
  }
  return tokens;
}
