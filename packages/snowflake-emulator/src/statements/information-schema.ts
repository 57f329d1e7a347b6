// `[db.]INFORMATION_SCHEMA.view` names as DuckDB subqueries with Snowflake's columns.
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { informationSchemaSql } from '../sql/catalog.js';
import { isOp, isWord, type Token } from '../sql/tokens.js';
import { CLAUSE_AFTER_TABLE } from '../sql/translate.js';

// A name after a table in DML: the clause words after a table name, and those that open DML's own clauses.
const CLAUSE_WORDS = new Set([...CLAUSE_AFTER_TABLE, 'SET', 'WHEN', 'VALUES', 'SELECT']);

/** Replaces `[db.]INFORMATION_SCHEMA.view` names by DuckDB subqueries with Snowflake's columns. */
export function expandInformationSchema(tokens: Token[], session: Session): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    let database: string | undefined;
    let at = i;
    if (
      (token.kind === 'word' || token.kind === 'quoted') &&
      isOp(tokens[i + 1], '.') &&
      isWord(tokens[i + 2], 'INFORMATION_SCHEMA') &&
      isOp(tokens[i + 3], '.') &&
      !isOp(tokens[i - 1], '.')
    ) {
      database = token.value;
      at = i + 2;
    } else if (isWord(token, 'INFORMATION_SCHEMA') && isOp(tokens[i + 1], '.') && !isOp(tokens[i - 1], '.')) {
      database = session.database;
    } else {
      out.push(token);
      continue;
    }
    const view = tokens[at + 2];
    const sql = view && view.kind === 'word' && database ? informationSchemaSql(view.value, database) : undefined;
    if (!sql) {
      if (!database) throw SnowflakeSqlError.objectMissing('Schema', 'INFORMATION_SCHEMA');
      throw SnowflakeSqlError.unsupported(`INFORMATION_SCHEMA.${view?.value ?? ''}`);
    }
    const after = tokens[at + 3];
    const hasAlias =
      after !== undefined &&
      (isWord(after, 'AS') || ((after.kind === 'word' || after.kind === 'quoted') && !CLAUSE_WORDS.has(after.value)));
    out.push({ kind: 'raw', text: hasAlias ? sql : `${sql} AS ${view?.value}`, value: '', start: token.start });
    i = at + 2;
  }
  return out;
}
