import { isWord, type Token } from '../sql/tokens.js';

export function ifNotExists(tokens: Token[], at: number): { present: boolean; next: number } {
  if (isWord(tokens[at], 'IF') && isWord(tokens[at + 1], 'NOT') && isWord(tokens[at + 2], 'EXISTS'))
    return { present: true, next: at + 3 };
  return { present: false, next: at };
}

export function ifExists(tokens: Token[], at: number): { present: boolean; next: number } {
  if (isWord(tokens[at], 'IF') && isWord(tokens[at + 1], 'EXISTS')) return { present: true, next: at + 2 };
  return { present: false, next: at };
}
