// COPY INTO <table> FROM <stage>: the statement and its options, the files it loads (the load history skips
// those already loaded), one transaction around ABORT_STATEMENT, PURGE, and Snowflake's result of one row per
// file. Loading each file is copy-load.ts's.
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CopyRunner } from './copy.js';
import { type FileOutcome, loadCsv, loadDocuments, type OnError, type TargetColumn } from './copy-load.js';
import { SnowflakeSqlError } from './errors.js';
import type { Session } from './session.js';
import { displayName, duckName, qualify, readName } from './sql/names.js';
import { bool, type FormatOptions, nested, option, readOptions } from './sql/options.js';
import { isOp, isWord, sqlIdent, sqlString, type Token } from './sql/tokens.js';
import type { TranslateContext } from './sql/translate.js';
import type { StageLocation, Stages } from './stages.js';
import {
  numberColumn,
  type Runtime,
  rowsResult,
  STATEMENT_TYPE,
  type StatementOutcome,
  statusResult,
  textColumn,
} from './statements/outcome.js';

/**
 * COPY INTO <table> FROM <stage>: CSV (DuckDB's CSV reader with Snowflake's options mapped: delimiter,
 * SKIP_HEADER, FIELD_OPTIONALLY_ENCLOSED_BY, NULL_IF, EMPTY_FIELD_AS_NULL, PARSE_HEADER), JSON and Parquet
 * (by column name, or whole records into one VARIANT column), ON_ERROR (ABORT_STATEMENT, CONTINUE,
 * SKIP_FILE), PURGE, FORCE and the load history that skips files already loaded.
 */
export class CopyInto implements CopyRunner {
  private readonly stages: Stages;
  private readonly runtime: Runtime;
  /** Files loaded per table (`DB.SCHEMA.TABLE` -> file path + size + mtime), as Snowflake's load metadata. */
  private readonly history = new Map<string, Set<string>>();

  constructor(stages: Stages, runtime: Runtime) {
    this.stages = stages;
    this.runtime = runtime;
  }

  async run(session: Session, tokens: Token[], _ctx: TranslateContext): Promise<StatementOutcome> {
    void this.runtime;
    const statement = await this.readStatement(session, tokens);
    const { q, location } = statement;
    const settings = this.settings(session, statement);
    const conn = session.connection;
    const columns = await this.targetColumns(conn, q, statement.nameParts.length === 1);
    if (columns.length === 0) throw SnowflakeSqlError.objectMissing('Object', displayName(q));
    const targetSql = columns.temp ? `temp.main.${sqlIdent(q.name)}` : duckName(q);
    const historyKey = displayName(q);
    const loaded = this.history.get(historyKey) ?? new Set<string>();
    this.history.set(historyKey, loaded);
    const pending = await this.pendingFiles(location, settings, loaded);
    if (pending.length === 0) return statusResult('Copy executed with 0 files processed.');
    const used = statement.columnList
      ? statement.columnList.map((n) => columns.list.find((c) => c.name === n) ?? missingColumn(n))
      : columns.list;
    const outcomes = await loadFiles(conn, targetSql, used, pending, settings);
    for (let k = 0; k < pending.length; k++) {
      const file = pending[k] as PendingFile;
      const outcome = outcomes[k] as FileOutcome;
      if (outcome.status !== 'LOAD_FAILED') {
        loaded.add(file.key);
        if (settings.purge) await rm(file.path, { force: true });
      }
    }
    return copyResult(outcomes, settings.onError);
  }

  /** `COPY INTO t [(columns)] [FROM @stage] options`: the table, its column list, the stage, the options. */
  private async readStatement(session: Session, tokens: Token[]): Promise<CopyStatement> {
    if (!isWord(tokens[1], 'INTO')) throw SnowflakeSqlError.syntax(`unexpected '${tokens[1]?.text ?? ''}'`, '', 0);
    if (tokens[2]?.kind === 'stage') throw SnowflakeSqlError.unsupported('COPY INTO <stage> (unloading)');
    const name = readName(tokens, 2);
    const q = qualify(name.parts, session.database, session.schema);
    let i = name.next;
    let columnList: string[] | undefined;
    if (isOp(tokens[i], '(')) {
      columnList = [];
      i++;
      while (i < tokens.length && !isOp(tokens[i], ')')) {
        const t = tokens[i] as Token;
        if (t.kind === 'word' || t.kind === 'quoted') columnList.push(t.value);
        i++;
      }
      i++;
    }
    let location: StageLocation;
    if (isWord(tokens[i], 'FROM')) {
      const source = tokens[i + 1];
      if (isOp(source, '(')) throw SnowflakeSqlError.unsupported('COPY INTO with a transforming SELECT');
      if (source?.kind === 'string') throw SnowflakeSqlError.unsupported('COPY INTO from an external location');
      if (source?.kind !== 'stage') throw SnowflakeSqlError.syntax(`unexpected '${source?.text ?? '<EOF>'}'`, '', 0);
      location = await this.stages.resolve(session, source.text);
      i += 2;
    } else {
      location = await this.stages.resolve(
        session,
        `@%${name.parts.map((p) => (/^[A-Z0-9_$]+$/.test(p) ? p : `"${p}"`)).join('.')}`,
      );
    }
    return { q, nameParts: name.parts, columnList, location, options: readOptions(tokens, i).options };
  }

  /** The statement's options with their defaults; the file format is the stage's, a named one's, then its own. */
  private settings(session: Session, statement: CopyStatement): CopySettings {
    const { options, location } = statement;
    if (options.VALIDATION_MODE) throw SnowflakeSqlError.unsupported('COPY INTO ... VALIDATION_MODE');
    let format: FormatOptions = { ...(location.format ?? {}) };
    const formatName = option(options, 'FILE_FORMAT.FORMAT_NAME') ?? option(options, 'FILE_FORMAT');
    if (formatName) format = { ...format, ...this.stages.fileFormat(session, formatName) };
    format = { ...format, ...nested(options, 'FILE_FORMAT') };
    delete format.FORMAT_NAME;
    const onErrorText = (option(options, 'ON_ERROR') ?? 'ABORT_STATEMENT').toUpperCase();
    const onError: OnError = onErrorText.startsWith('SKIP_FILE')
      ? 'SKIP_FILE'
      : onErrorText === 'CONTINUE'
        ? 'CONTINUE'
        : 'ABORT_STATEMENT';
    if (onErrorText.startsWith('SKIP_FILE_')) throw SnowflakeSqlError.unsupported(`ON_ERROR = ${onErrorText}`);
    return {
      format,
      type: (option(format, 'TYPE') ?? 'CSV').toUpperCase(),
      onError,
      purge: bool(options, 'PURGE', false),
      force: bool(options, 'FORCE', false),
      match: (option(options, 'MATCH_BY_COLUMN_NAME') ?? 'NONE').toUpperCase(),
      files: Array.isArray(options.FILES) ? options.FILES : undefined,
      pattern: option(options, 'PATTERN'),
    };
  }

  /** The stage's files that FILES / PATTERN choose, less those the load history has (unless FORCE). */
  private async pendingFiles(
    location: StageLocation,
    settings: CopySettings,
    loaded: Set<string>,
  ): Promise<PendingFile[]> {
    const { files, pattern } = settings;
    let chosen = await this.stages.filesAt(location, pattern ? new RegExp(`^(?:${pattern})$`) : undefined);
    if (files) {
      const wanted = new Set(files.map((f) => `${location.path ? `${location.path.replace(/\/$/, '')}/` : ''}${f}`));
      chosen = chosen.filter((f) => wanted.has(f) || files.includes(f));
    }
    const pending: PendingFile[] = [];
    for (const file of chosen) {
      const path = join(location.dir, ...file.split('/'));
      const info = await stat(path);
      const key = `${path}|${info.size}|${info.mtimeMs}`;
      if (!settings.force && loaded.has(key)) continue;
      pending.push({ name: file, path, key });
    }
    return pending;
  }

  private async targetColumns(
    conn: DuckDBConnection,
    q: { database: string; schema: string; name: string },
    mayBeTemp: boolean,
  ): Promise<{ list: TargetColumn[]; temp: boolean; length: number }> {
    const read = async (where: string) =>
      (
        await conn.runAndReadAll(
          `SELECT column_name, data_type FROM duckdb_columns() WHERE ${where} AND table_name = ${sqlString(q.name)} ORDER BY column_index`,
        )
      )
        .getRows()
        .map(([n, t]) => ({ name: String(n), type: String(t) }));
    if (mayBeTemp) {
      const temp = await read(`database_name = 'temp'`);
      if (temp.length > 0) return { list: temp, temp: true, length: temp.length };
    }
    const list = await read(`database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)}`);
    return { list, temp: false, length: list.length };
  }
}

/** What `COPY INTO` names. */
interface CopyStatement {
  q: { database: string; schema: string; name: string };
  nameParts: string[];
  columnList: string[] | undefined;
  location: StageLocation;
  options: FormatOptions;
}

/** The options of a COPY that decide how its files load. */
interface CopySettings {
  format: FormatOptions;
  type: string;
  onError: OnError;
  purge: boolean;
  force: boolean;
  match: string;
  files: string[] | undefined;
  pattern: string | undefined;
}

/** A staged file to load; `key` (path, size, mtime) is its entry in the load history. */
interface PendingFile {
  name: string;
  path: string;
  key: string;
}

/** Loads the files in order; ABORT_STATEMENT loads them in one transaction (an error undoes every file). */
async function loadFiles(
  conn: DuckDBConnection,
  targetSql: string,
  used: TargetColumn[],
  pending: PendingFile[],
  settings: CopySettings,
): Promise<FileOutcome[]> {
  const { type, format, onError, match } = settings;
  const outcomes: FileOutcome[] = [];
  const own = onError === 'ABORT_STATEMENT';
  if (own) await conn.run('BEGIN TRANSACTION');
  try {
    for (const file of pending) {
      const outcome =
        type === 'CSV'
          ? await loadCsv(conn, targetSql, used, file, format, onError, match)
          : type === 'JSON' || type === 'PARQUET'
            ? await loadDocuments(conn, targetSql, used, file, format, type, onError, match)
            : unsupportedFormat(type);
      outcomes.push(outcome);
    }
    if (own) await conn.run('COMMIT');
  } catch (error) {
    if (own) await conn.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return outcomes;
}

/** Snowflake's result of a COPY: one row per file. */
function copyResult(outcomes: FileOutcome[], onError: OnError): StatementOutcome {
  return {
    kind: 'result',
    statementTypeId: STATEMENT_TYPE.insert,
    result: rowsResult(
      [
        textColumn('file'),
        textColumn('status'),
        numberColumn('rows_parsed'),
        numberColumn('rows_loaded'),
        numberColumn('error_limit'),
        numberColumn('errors_seen'),
        textColumn('first_error'),
        numberColumn('first_error_line'),
        numberColumn('first_error_character'),
        textColumn('first_error_column_name'),
      ],
      outcomes.map((o) => [
        o.file,
        o.status,
        String(o.parsed),
        String(o.loaded),
        onError === 'CONTINUE' ? String(Math.max(o.parsed, 1)) : '1',
        String(o.errors),
        o.firstError,
        o.firstErrorLine === null ? null : String(o.firstErrorLine),
        o.firstError === null ? null : '1',
        o.firstErrorColumn,
      ]),
    ),
  };
}

function missingColumn(name: string): never {
  throw SnowflakeSqlError.invalidIdentifier(name);
}

function unsupportedFormat(type: string): never {
  throw SnowflakeSqlError.unsupported(`COPY INTO with FILE_FORMAT TYPE = ${type}`);
}
