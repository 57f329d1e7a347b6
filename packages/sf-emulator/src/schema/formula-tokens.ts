// The tokens of a formula: numbers, strings, names, operators and punctuation. `tokenize` is one scanner loop, a
// branch a token kind; longer than a screen, it reads top to bottom as the grammar's list of tokens.
import { FormulaSyntaxError } from '../errors.js';

/** One token of a formula. */
export interface Token {
  kind: 'number' | 'string' | 'name' | 'op' | 'punct';
  text: string;
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index]!;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    if (char === '/' && source[index + 1] === '*') {
      const end = source.indexOf('*/', index + 2);
      if (end < 0) throw new FormulaSyntaxError('unterminated comment');
      index = end + 2;
      continue;
    }
    if (/[0-9.]/.test(char)) {
      const match = /^(\d+\.?\d*|\.\d+)/.exec(source.slice(index));
      if (!match) throw new FormulaSyntaxError(`bad number at ${index}`);
      tokens.push({ kind: 'number', text: match[0] });
      index += match[0].length;
      continue;
    }
    if (char === '"' || char === "'") {
      let text = '';
      index++;
      while (index < source.length && source[index] !== char) {
        if (source[index] === '\\' && index + 1 < source.length) index++;
        text += source[index];
        index++;
      }
      if (source[index] !== char) throw new FormulaSyntaxError('unterminated string');
      index++;
      tokens.push({ kind: 'string', text });
      continue;
    }
    if (/[A-Za-z_$]/.test(char)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$.]*/.exec(source.slice(index))!;
      tokens.push({ kind: 'name', text: match[0] });
      index += match[0].length;
      continue;
    }
    const two = source.slice(index, index + 2);
    if (['<=', '>=', '<>', '!=', '==', '&&', '||'].includes(two)) {
      tokens.push({ kind: 'op', text: two });
      index += 2;
      continue;
    }
    if ('+-*/^&=<>!'.includes(char)) {
      tokens.push({ kind: 'op', text: char });
      index++;
      continue;
    }
    if ('(),'.includes(char)) {
      tokens.push({ kind: 'punct', text: char });
      index++;
      continue;
    }
    throw new FormulaSyntaxError(`unexpected character ${char}`);
  }
  return tokens;
}
