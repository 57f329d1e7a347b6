// CREATE DATABASE | SCHEMA | VIEW | SEQUENCE, and the dispatch of CREATE TABLE, STAGE and FILE FORMAT to
// their own modules (warehouses, roles and users are accepted without effect).
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { duckName, qualify, readName } from '../sql/names.js';
import { ifNotExists } from '../sql/scan.js';
import { isOp, isWord, sqlIdent, type Token } from '../sql/tokens.js';
import { type TranslateContext, translateTokens } from '../sql/translate.js';
import { createTable } from './create-table.js';
import { type Runtime, runDuck, type StatementOutcome, statusResult } from './outcome.js';
import { useSchema } from './session.js';

/** `CREATE [OR REPLACE] [TEMP | TRANSIENT ...]`: the modifiers, and the index of the object kind's token. */
interface CreateModifiers {
  orReplace: boolean;
  temporary: boolean;
  kindAt: number;
}

function readModifiers(tokens: Token[]): CreateModifiers {
  let i = 1;
  let orReplace = false;
  if (isWord(tokens[i], 'OR') && isWord(tokens[i + 1], 'REPLACE')) {
    orReplace = true;
    i += 2;
  }
  let temporary = false;
  // TRANSIENT (and LOCAL / GLOBAL) are accepted without effect.
  while (isWord(tokens[i], 'LOCAL', 'GLOBAL', 'TEMP', 'TEMPORARY', 'VOLATILE', 'TRANSIENT')) {
    if (isWord(tokens[i], 'TEMP', 'TEMPORARY', 'VOLATILE')) temporary = true;
    i++;
  }
  return { orReplace, temporary, kindAt: i };
}

export async function create(
  session: Session,
  runtime: Runtime,
  tokens: Token[],
  ctx: TranslateContext,
): Promise<StatementOutcome> {
  const modifiers = readModifiers(tokens);
  const { orReplace, temporary, kindAt: i } = modifiers;
  const kind = tokens[i];
  if (isWord(kind, 'DATABASE')) return createDatabase(session, runtime, tokens, modifiers);
  if (isWord(kind, 'SCHEMA')) return createSchema(session, runtime, tokens, modifiers);
  if (isWord(kind, 'TABLE')) return createTable(session, tokens, i + 1, { orReplace, temporary }, ctx);
  if (isWord(kind, 'VIEW') || (isWord(kind, 'SECURE') && isWord(tokens[i + 1], 'VIEW')))
    return createView(session, tokens, modifiers, ctx);
  if (isWord(kind, 'SEQUENCE')) return createSequence(session, tokens, modifiers);
  if (isWord(kind, 'STAGE')) return runtime.stages.createStage(session, tokens, i + 1, { orReplace, temporary });
  if (isWord(kind, 'FILE') && isWord(tokens[i + 1], 'FORMAT'))
    return runtime.stages.createFileFormat(session, tokens, i + 2, { orReplace });
  if (isWord(kind, 'WAREHOUSE')) return statusResult(`Warehouse ${tokens[i + 1]?.value ?? ''} successfully created.`);
  if (isWord(kind, 'ROLE', 'USER')) return statusResult('Statement executed successfully.');
  throw SnowflakeSqlError.unsupported(`CREATE ${kind?.text ?? ''}`);
}

async function createDatabase(
  session: Session,
  runtime: Runtime,
  tokens: Token[],
  { orReplace, kindAt: i }: CreateModifiers,
): Promise<StatementOutcome> {
  const exists = ifNotExists(tokens, i + 1);
  const name = readName(tokens, exists.next).parts.join('.');
  const outcome = await runtime.engine.createDatabase(name, { orReplace, ifNotExists: exists.present });
  if (outcome === 'created') await useSchema(session, runtime, name, 'PUBLIC');
  return statusResult(
    outcome === 'exists' ? `${name} already exists, statement succeeded.` : `Database ${name} successfully created.`,
  );
}

async function createSchema(
  session: Session,
  runtime: Runtime,
  tokens: Token[],
  { orReplace, kindAt: i }: CreateModifiers,
): Promise<StatementOutcome> {
  const exists = ifNotExists(tokens, i + 1);
  const parts = readName(tokens, exists.next).parts;
  const database = parts.length === 2 ? (parts[0] as string) : session.database;
  const schema = parts.at(-1) as string;
  if (!database) throw SnowflakeSqlError.objectMissing('Database', '<none>');
  if (!runtime.engine.database(database)) throw SnowflakeSqlError.objectMissing('Database', database);
  const name = `${sqlIdent(database)}.${sqlIdent(schema)}`;
  const sql = orReplace
    ? `DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}`
    : `CREATE SCHEMA ${exists.present ? 'IF NOT EXISTS ' : ''}${name}`;
  await runDuck(sql, () => session.connection.run(sql));
  if (!exists.present || orReplace) await useSchema(session, runtime, database, schema);
  return statusResult(`Schema ${schema} successfully created.`);
}

async function createView(
  session: Session,
  tokens: Token[],
  { orReplace, temporary, kindAt: i }: CreateModifiers,
  ctx: TranslateContext,
): Promise<StatementOutcome> {
  const viewAt = isWord(tokens[i], 'SECURE') ? i + 1 : i;
  const exists = ifNotExists(tokens, viewAt + 1);
  const name = readName(tokens, exists.next);
  const q = qualify(name.parts, session.database, session.schema);
  let as = name.next;
  while (as < tokens.length && !isWord(tokens[as], 'AS')) as++;
  const body = translateTokens(tokens, ctx, as + 1);
  const sql = `CREATE ${orReplace ? 'OR REPLACE ' : ''}${temporary ? 'TEMP ' : ''}VIEW ${exists.present ? 'IF NOT EXISTS ' : ''}${temporary ? sqlIdent(q.name) : duckName(q)} AS ${body}`;
  await runDuck(sql, () => session.connection.run(sql));
  return statusResult(`View ${q.name} successfully created.`);
}

async function createSequence(
  session: Session,
  tokens: Token[],
  { orReplace, kindAt: i }: CreateModifiers,
): Promise<StatementOutcome> {
  const exists = ifNotExists(tokens, i + 1);
  const name = readName(tokens, exists.next);
  const q = qualify(name.parts, session.database, session.schema);
  const rest = tokens
    .slice(name.next)
    .filter((t) => !isOp(t, '=') && !isWord(t, 'WITH', 'ORDER', 'NOORDER'))
    .map((t) => (t.kind === 'word' ? t.value : t.text))
    .join(' ');
  const sql = `CREATE ${orReplace ? 'OR REPLACE ' : ''}SEQUENCE ${exists.present ? 'IF NOT EXISTS ' : ''}${duckName(q)} ${rest}`;
  await runDuck(sql, () => session.connection.run(sql));
  return statusResult(`Sequence ${q.name} successfully created.`);
}
