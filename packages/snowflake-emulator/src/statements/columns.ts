// Column definitions of CREATE TABLE and ALTER TABLE ADD: type, NOT NULL, DEFAULT, the constraints accepted
// and not enforced, the options refused.
import { SnowflakeSqlError } from '../errors.js';
import { readName } from '../sql/names.js';
import { closingParen } from '../sql/scan.js';
import { isOp, isWord, sqlIdent, type Token } from '../sql/tokens.js';
import { type TranslateContext, translateTokens } from '../sql/translate.js';
import { parseType } from '../sql/types.js';

export const CONSTRAINT_WORDS = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK']);

/** One translated column definition: its DuckDB SQL, its name and the declared type DuckDB does not keep. */
export interface ColumnDefinition {
  sql: string;
  column: string;
  declared?: string;
}

/** Translates one column definition (`name TYPE [options]`) of CREATE TABLE / ALTER TABLE ADD. */
export function columnDefinition(tokens: Token[], from: number, to: number, ctx: TranslateContext): ColumnDefinition {
  const nameToken = tokens[from] as Token;
  if (nameToken.kind !== 'word' && nameToken.kind !== 'quoted')
    throw SnowflakeSqlError.syntax(`unexpected '${nameToken.text}'`, '', 0);
  const name = sqlIdent(nameToken.value);
  if (from + 1 >= to) return { sql: name, column: nameToken.value }; // CTAS-style column list without types
  const type = parseType(tokens.slice(0, to), from + 1);
  const parts = [name, type.duck];
  let i = type.next;
  while (i < to) {
    const token = tokens[i] as Token;
    if (isWord(token, 'NOT') && isWord(tokens[i + 1], 'NULL')) {
      parts.push('NOT NULL');
      i += 2;
    } else if (isWord(token, 'NULL')) {
      i++;
    } else if (isWord(token, 'DEFAULT')) {
      // DEFAULT expr runs to the next option keyword.
      let end = i + 1;
      let depth = 0;
      while (end < to) {
        const t = tokens[end] as Token;
        if (isOp(t, '(')) depth++;
        else if (isOp(t, ')')) depth--;
        else if (
          depth === 0 &&
          isWord(t, 'NOT', 'NULL', 'PRIMARY', 'UNIQUE', 'REFERENCES', 'COMMENT', 'COLLATE', 'CONSTRAINT')
        )
          break;
        end++;
      }
      parts.push(`DEFAULT ${translateTokens(tokens, ctx, i + 1, end)}`);
      i = end;
    } else if (isWord(token, 'AUTOINCREMENT', 'IDENTITY')) {
      throw SnowflakeSqlError.unsupported('AUTOINCREMENT / IDENTITY columns');
    } else if (isWord(token, 'COMMENT', 'COLLATE')) {
      i += 2;
    } else if (isWord(token, 'PRIMARY') && isWord(tokens[i + 1], 'KEY')) {
      // Snowflake records PRIMARY KEY / UNIQUE / FOREIGN KEY but does not enforce them: neither do we.
      i += 2;
    } else if (isWord(token, 'UNIQUE')) {
      i++;
    } else if (isWord(token, 'REFERENCES')) {
      i++;
      i = readName(tokens, i).next;
      if (isOp(tokens[i], '(')) i = closingParen(tokens, i) + 1;
    } else if (isWord(token, 'CONSTRAINT')) {
      i += 2;
    } else if (
      isWord(
        token,
        'ENFORCED',
        'NOT',
        'DEFERRABLE',
        'INITIALLY',
        'DEFERRED',
        'IMMEDIATE',
        'RELY',
        'NORELY',
        'VALIDATE',
        'NOVALIDATE',
        'ENABLE',
        'DISABLE',
      )
    ) {
      i++;
    } else {
      throw SnowflakeSqlError.unsupported(`the column option ${token.text}`);
    }
  }
  return { sql: parts.join(' '), column: nameToken.value, ...(type.declared ? { declared: type.declared } : {}) };
}
