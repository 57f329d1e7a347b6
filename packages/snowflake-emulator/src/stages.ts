// Stages in folders (user, table, named and session-temporary stages) and their commands: PUT, GET, LIST,
// REMOVE, CREATE / DROP / DESCRIBE / SHOW STAGE and FILE FORMAT, the driver's stage-bind upload. One class
// because every command resolves a stage reference to the same folder layout; COPY INTO is copy-into.ts's.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { CopyRunner } from './copy.js';
import { SnowflakeSqlError } from './errors.js';
import { column, type RowType } from './result-columns.js';
import type { Session } from './session.js';
import { qualify, readName } from './sql/names.js';
import { type FormatOptions, nested, readOptions } from './sql/options.js';
import { ifNotExists } from './sql/scan.js';
import { isWord, significant, type Token, tokenize } from './sql/tokens.js';
import type { TranslateContext } from './sql/translate.js';
import { type StatementOutcome, selectResult, statusResult } from './statements/outcome.js';

/** A resolved stage location: its folder and the path prefix inside it. */
export interface StageLocation {
  /** Display name (`@~`, `@%T`, `@DB.SCHEMA.S`). */
  display: string;
  /** Folder holding the stage's files. */
  dir: string;
  /** Path inside the stage (no leading slash), may be empty. */
  path: string;
  /** The stage's file format (named stages). */
  format?: FormatOptions;
  /** For table stages: the table's qualified name parts. */
  table?: { database: string; schema: string; name: string };
}

/** Where the driver uploads stream PUTs (the stage-bind CSV) when LOCAL_FS cannot take them. */
export interface UploadEndpoint {
  /** `http://127.0.0.1:PORT/__stage` */
  base: string;
}

/** Stage commands of the dialect (PUT, GET, LIST, REMOVE, CREATE/DROP STAGE, COPY INTO). */
export interface StageCommands {
  put(session: Session, sqlText: string, tokens: Token[], queryId: string): Promise<StatementOutcome>;
  get(session: Session, sqlText: string, tokens: Token[], queryId: string): Promise<StatementOutcome>;
  list(session: Session, tokens: Token[]): Promise<StatementOutcome>;
  remove(session: Session, tokens: Token[]): Promise<StatementOutcome>;
  createStage(
    session: Session,
    tokens: Token[],
    at: number,
    mode: { orReplace: boolean; temporary: boolean },
  ): Promise<StatementOutcome>;
  dropStage(session: Session, tokens: Token[], at: number, ifExists: boolean): Promise<StatementOutcome>;
  describeStage(session: Session, tokens: Token[], at: number): Promise<StatementOutcome>;
  showStages(session: Session, tokens: Token[]): Promise<StatementOutcome>;
  createFileFormat(
    session: Session,
    tokens: Token[],
    at: number,
    mode: { orReplace: boolean },
  ): Promise<StatementOutcome>;
  dropFileFormat(session: Session, tokens: Token[], at: number, ifExists: boolean): Promise<StatementOutcome>;
  showFileFormats(session: Session, tokens: Token[]): Promise<StatementOutcome>;
  copyInto(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome>;
  bindStageFiles(session: Session, bindStage: string): Promise<string[]>;
  /** Absolute path of an uploaded stage object (HTTP upload), or undefined when outside the stage root. */
  uploadPath(relativePath: string): string | undefined;
  resolve(session: Session, reference: string): Promise<StageLocation>;
  filesAt(location: StageLocation, pattern?: RegExp): Promise<string[]>;
  dropSession(session: Session): Promise<void>;
}

const STAGE_META = '.kicksaw-stage.json';

/** A folder name for an object name: letters, digits, `_`, `$` and `-` as they are, anything else as `~HH`. */
function safeSegment(name: string): string {
  return name.replace(/[^A-Za-z0-9_$-]/g, (c) => `~${c.codePointAt(0)?.toString(16)}~`);
}

function fromSegment(segment: string): string {
  return segment.replace(/~([0-9a-f]+)~/g, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)));
}

/** Stage storage in folders: user stages, table stages, named stages and session-temporary stages. */
export class Stages implements StageCommands {
  private readonly root: string;
  private readonly endpoint: () => UploadEndpoint;
  private readonly formats = new Map<string, FormatOptions>();
  copyRunner: CopyRunner | undefined;

  constructor(root: string, endpoint: () => UploadEndpoint) {
    this.root = resolve(root);
    this.endpoint = endpoint;
    const formatsFile = join(this.root, 'file-formats.json');
    if (existsSync(formatsFile)) {
      const saved = JSON.parse(readFileSync(formatsFile, 'utf8')) as Record<string, FormatOptions>;
      for (const [key, value] of Object.entries(saved)) this.formats.set(key, value);
    }
  }

  private namedDir(q: { database: string; schema: string; name: string }): string {
    return join(this.root, 'named', safeSegment(q.database), safeSegment(q.schema), safeSegment(q.name));
  }

  private tempDir(session: Session, name: string): string {
    return join(this.root, 'sessions', String(session.id), safeSegment(name));
  }

  async resolve(session: Session, reference: string): Promise<StageLocation> {
    // reference: @~[/path], @%table[/path], @[db.][schema.]name[/path] (quotes allowed)
    let text = reference.startsWith('@') ? reference.slice(1) : reference;
    if (text.startsWith("'")) text = text.slice(1, text.endsWith("'") ? -1 : undefined);
    let head = text;
    let path = '';
    const slash = findSlash(text);
    if (slash >= 0) {
      head = text.slice(0, slash);
      path = text.slice(slash + 1);
    }
    path = path.replace(/^\/+/, '');
    if (head === '~') {
      return { display: '@~', dir: join(this.root, 'users', safeSegment(session.user.toUpperCase())), path };
    }
    // Table stages: @%table and @db.schema.%table.
    const lastDot = head.lastIndexOf('.');
    if (head.startsWith('%') || head.slice(lastDot + 1).startsWith('%')) {
      const parts = head.startsWith('%')
        ? splitName(head.slice(1))
        : [...splitName(head.slice(0, lastDot)), ...splitName(head.slice(lastDot + 2))];
      const q = qualify(parts, session.database, session.schema);
      return {
        display: `@%${q.name}`,
        dir: join(this.root, 'tables', safeSegment(q.database), safeSegment(q.schema), safeSegment(q.name)),
        path,
        table: q,
      };
    }
    const parts = splitName(head);
    if (parts.length === 1) {
      const temp = this.tempDir(session, parts[0] as string);
      if (existsSync(temp)) return { display: `@${parts[0]}`, dir: temp, path, format: await readMeta(temp) };
    }
    const q = qualify(parts, session.database, session.schema);
    const dir = this.namedDir(q);
    if (!existsSync(join(dir, STAGE_META)))
      throw SnowflakeSqlError.objectMissing('Stage', `${q.database}.${q.schema}.${q.name}`);
    return { display: `@${q.database}.${q.schema}.${q.name}`, dir, path, format: await readMeta(dir) };
  }

  async filesAt(location: StageLocation, pattern?: RegExp): Promise<string[]> {
    if (!existsSync(location.dir)) return [];
    const out: string[] = [];
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.name !== STAGE_META) out.push(relative(location.dir, full).split(sep).join('/'));
      }
    };
    await walk(location.dir);
    return out
      .filter((name) => name.startsWith(location.path))
      .filter((name) => !pattern || pattern.test(name))
      .sort();
  }

  async put(session: Session, sqlText: string, tokens: Token[], queryId: string): Promise<StatementOutcome> {
    // PUT file://<path> @stage[/path] [AUTO_COMPRESS=TRUE] [SOURCE_COMPRESSION=...] [OVERWRITE=FALSE] [PARALLEL=n]
    const match = /^\s*PUT\s+'?file:\/\/(.+?)'?\s*('@[^']*'|@\S+)(.*)$/is.exec(sqlText);
    if (!match) throw SnowflakeSqlError.syntax("unexpected 'PUT'", sqlText, 0);
    const localPath = match[1] as string;
    const stageRef = (match[2] as string).replace(/^'|'$/g, '');
    const location = await this.resolve(session, stageRef);
    // Options follow the stage; the path was read from the text (a `//` in file:// opens a comment for the tokenizer).
    void tokens;
    const { options } = readOptions(significant(tokenize(match[3] as string)), 0);
    const autoCompress = String(options.AUTO_COMPRESS ?? 'TRUE').toUpperCase() !== 'FALSE';
    const overwrite = String(options.OVERWRITE ?? 'FALSE').toUpperCase() === 'TRUE';
    const sourceCompression = String(options.SOURCE_COMPRESSION ?? 'AUTO_DETECT').toLowerCase();
    const parallel = Number(options.PARALLEL ?? 4);
    const target = join(location.dir, ...location.path.split('/').filter(Boolean));
    await mkdir(target, { recursive: true });
    const common = {
      command: 'UPLOAD',
      src_locations: [localPath],
      autoCompress,
      sourceCompression,
      parallel,
      overwrite,
      queryId,
      encryptionMaterial: null,
      presignedUrls: [],
    };
    // LOCAL_FS takes files by path; the driver's stream PUTs (stage binds) have no local file and go
    // over HTTP to our own upload URL in the GCS shape (the driver's LOCAL_FS client cannot take streams).
    const isStream =
      !localPath.includes('/') &&
      !localPath.includes('\\') &&
      /^\d+$/.test(localPath) &&
      stageRef.toUpperCase().startsWith('@SYSTEM$BIND');
    if (isStream) {
      const relativeDir = relative(this.root, target).split(sep).join('/');
      return {
        kind: 'transfer',
        data: {
          ...common,
          stageInfo: {
            locationType: 'GCS',
            location: `kicksaw-stage/${relativeDir}/`,
            path: `${relativeDir}/`,
            region: 'local',
            endPoint: this.endpoint().base,
            creds: { GCS_ACCESS_TOKEN: 'local-stage' },
            isClientSideEncrypted: false,
          },
        },
      };
    }
    return {
      kind: 'transfer',
      data: {
        ...common,
        stageInfo: {
          locationType: 'LOCAL_FS',
          location: `${target}${sep}`,
          path: '',
          region: null,
          creds: {},
          isClientSideEncrypted: false,
        },
      },
    };
  }

  uploadPath(relativePath: string): string | undefined {
    const full = resolve(this.root, relativePath);
    if (!full.startsWith(`${this.root}${sep}`)) return undefined;
    return full;
  }

  async get(session: Session, sqlText: string, tokens: Token[], queryId: string): Promise<StatementOutcome> {
    // GET @stage[/path] file://<dir> [PATTERN = '...'] [PARALLEL = n]
    const match = /^\s*GET\s+('@[^']*'|@\S+)\s+'?file:\/\/([^'\s]+)'?(.*)$/is.exec(sqlText);
    if (!match) throw SnowflakeSqlError.syntax("unexpected 'GET'", sqlText, 0);
    const location = await this.resolve(session, (match[1] as string).replace(/^'|'$/g, ''));
    const localDir = match[2] as string;
    void tokens;
    const { options } = readOptions(significant(tokenize(match[3] as string)), 0);
    const pattern = typeof options.PATTERN === 'string' ? new RegExp(`^(?:${options.PATTERN})$`) : undefined;
    const files = await this.filesAt(location, pattern);
    return {
      kind: 'transfer',
      data: {
        command: 'DOWNLOAD',
        src_locations: files,
        localLocation: localDir,
        parallel: Number(options.PARALLEL ?? 4),
        overwrite: true,
        queryId,
        encryptionMaterial: null,
        presignedUrls: [],
        stageInfo: {
          locationType: 'LOCAL_FS',
          location: `${location.dir}${sep}`,
          path: '',
          region: null,
          creds: {},
          isClientSideEncrypted: false,
        },
      },
    };
  }

  /** The stage a LIST or REMOVE names and its files (relative paths) matching its `PATTERN`, if any. */
  private async namedFiles(session: Session, tokens: Token[]): Promise<{ location: StageLocation; files: string[] }> {
    const stage = tokens.find((t) => t.kind === 'stage');
    if (!stage) throw SnowflakeSqlError.syntax("unexpected '<EOF>'", '', 0);
    const location = await this.resolve(session, stage.text);
    const at = tokens.findIndex((t) => isWord(t, 'PATTERN'));
    const pattern =
      at >= 0 && tokens[at + 2]?.kind === 'string' ? new RegExp(`^(?:${tokens[at + 2]?.value})$`) : undefined;
    const files = await this.filesAt(location, pattern);
    return { location, files };
  }

  async list(session: Session, tokens: Token[]): Promise<StatementOutcome> {
    const { location, files } = await this.namedFiles(session, tokens);
    const prefix =
      location.display === '@~'
        ? ''
        : `${(location.table ? location.table.name : (location.display.slice(1).split('.').at(-1) ?? '')).toLowerCase()}/`;
    const rows: Array<Array<string | null>> = [];
    for (const name of files) {
      const full = join(location.dir, ...name.split('/'));
      const info = await stat(full);
      const md5 = createHash('md5')
        .update(await readFile(full))
        .digest('hex');
      rows.push([`${prefix}${name}`, String(info.size), md5, info.mtime.toUTCString()]);
    }
    return selectResult(
      [
        column('name', 'text'),
        column('size', 'fixed', { precision: 38, scale: 0 }),
        column('md5', 'text'),
        column('last_modified', 'text'),
      ],
      rows,
    );
  }

  async remove(session: Session, tokens: Token[]): Promise<StatementOutcome> {
    const { location, files } = await this.namedFiles(session, tokens);
    for (const name of files) await rm(join(location.dir, ...name.split('/')), { force: true });
    return selectResult(
      [column('name', 'text'), column('result', 'text')],
      files.map((name) => [name, 'removed']),
    );
  }

  async createStage(
    session: Session,
    tokens: Token[],
    at: number,
    mode: { orReplace: boolean; temporary: boolean },
  ): Promise<StatementOutcome> {
    const exists = ifNotExists(tokens, at);
    const name = readName(tokens, exists.next);
    const { options } = readOptions(tokens, name.next);
    if (options.URL || options.STORAGE_INTEGRATION) throw SnowflakeSqlError.unsupported('external stages (URL = ...)');
    // FILE_FORMAT = (TYPE = ... | FORMAT_NAME = ...) or FILE_FORMAT = <named format>: keep the resolved options.
    let format = nested(options, 'FILE_FORMAT');
    const named =
      typeof options.FILE_FORMAT === 'string'
        ? options.FILE_FORMAT
        : typeof format.FORMAT_NAME === 'string'
          ? format.FORMAT_NAME
          : undefined;
    if (named) format = { ...this.fileFormat(session, named), ...format };
    delete format.FORMAT_NAME;
    const dir =
      mode.temporary && name.parts.length === 1
        ? this.tempDir(session, name.parts[0] as string)
        : this.namedDir(qualify(name.parts, session.database, session.schema));
    if (existsSync(join(dir, STAGE_META))) {
      if (exists.present) return statusResult(`${name.parts.at(-1)} already exists, statement succeeded.`);
      if (!mode.orReplace)
        throw new SnowflakeSqlError(`SQL compilation error:\nObject '${name.parts.at(-1)}' already exists.`, {
          sfCode: '002002',
          sqlState: '42710',
        });
      await rm(dir, { recursive: true, force: true });
    }
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, STAGE_META), JSON.stringify({ format, temporary: mode.temporary }));
    return statusResult(`Stage area ${name.parts.at(-1)} successfully created.`);
  }

  async dropStage(session: Session, tokens: Token[], at: number, ifExists: boolean): Promise<StatementOutcome> {
    const name = readName(tokens, at);
    const temp = name.parts.length === 1 ? this.tempDir(session, name.parts[0] as string) : undefined;
    const dir = temp && existsSync(temp) ? temp : this.namedDir(qualify(name.parts, session.database, session.schema));
    if (!existsSync(join(dir, STAGE_META))) {
      if (ifExists) return statusResult('Drop statement executed successfully.');
      throw SnowflakeSqlError.objectMissing('Stage', name.parts.join('.'));
    }
    await rm(dir, { recursive: true, force: true });
    return statusResult(`${name.parts.at(-1)} successfully dropped.`);
  }

  async describeStage(session: Session, tokens: Token[], at: number): Promise<StatementOutcome> {
    const name = readName(tokens, at);
    const location = await this.resolve(session, `@${name.parts.join('.')}`);
    const rows = Object.entries(location.format ?? {}).map(([key, value]) => [
      'STAGE_FILE_FORMAT',
      key,
      'String',
      Array.isArray(value) ? JSON.stringify(value) : value,
      '',
    ]);
    return selectResult(
      ['parent_property', 'property', 'property_type', 'property_value', 'property_default'].map((n) =>
        column(n, 'text'),
      ),
      rows,
    );
  }

  async showStages(session: Session, _tokens: Token[]): Promise<StatementOutcome> {
    const rows: Array<Array<string | null>> = [];
    const base = join(this.root, 'named');
    if (existsSync(base)) {
      for (const db of await readdir(base)) {
        for (const schema of await readdir(join(base, db))) {
          for (const stage of await readdir(join(base, db, schema))) {
            rows.push([
              String(Math.floor(Date.now() / 1000)),
              fromSegment(stage),
              fromSegment(db),
              fromSegment(schema),
              '',
              'N',
              'N',
              'ACCOUNTADMIN',
              '',
              '',
              'INTERNAL',
            ]);
          }
        }
      }
    }
    void session;
    return selectResult(
      [
        column('created_on', 'timestamp_ltz', { scale: 3 }),
        ...[
          'name',
          'database_name',
          'schema_name',
          'url',
          'has_credentials',
          'has_encryption_key',
          'owner',
          'comment',
          'region',
          'type',
        ].map((n) => column(n, 'text')),
      ] as RowType[],
      rows,
    );
  }

  private async saveFormats(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await writeFile(join(this.root, 'file-formats.json'), JSON.stringify(Object.fromEntries(this.formats)));
  }

  async createFileFormat(
    session: Session,
    tokens: Token[],
    at: number,
    mode: { orReplace: boolean },
  ): Promise<StatementOutcome> {
    const exists = ifNotExists(tokens, at);
    const name = readName(tokens, exists.next);
    const q = qualify(name.parts, session.database, session.schema);
    const key = `${q.database}.${q.schema}.${q.name}`;
    if (this.formats.has(key) && !mode.orReplace) {
      if (exists.present) return statusResult(`${q.name} already exists, statement succeeded.`);
      throw new SnowflakeSqlError(`SQL compilation error:\nObject '${q.name}' already exists.`, {
        sfCode: '002002',
        sqlState: '42710',
      });
    }
    this.formats.set(key, readOptions(tokens, name.next).options);
    await this.saveFormats();
    return statusResult(`File format ${q.name} successfully created.`);
  }

  async dropFileFormat(session: Session, tokens: Token[], at: number, ifExists: boolean): Promise<StatementOutcome> {
    const name = readName(tokens, at);
    const q = qualify(name.parts, session.database, session.schema);
    const key = `${q.database}.${q.schema}.${q.name}`;
    if (!this.formats.delete(key) && !ifExists) throw SnowflakeSqlError.objectMissing('Object', key);
    await this.saveFormats();
    return statusResult(`${q.name} successfully dropped.`);
  }

  async showFileFormats(session: Session, _tokens: Token[]): Promise<StatementOutcome> {
    void session;
    const rows = [...this.formats.entries()].map(([key, options]) => {
      const [db, schema, name] = key.split('.');
      return [
        String(Math.floor(Date.now() / 1000)),
        name ?? '',
        db ?? '',
        schema ?? '',
        String(options.TYPE ?? 'CSV'),
        'ACCOUNTADMIN',
        '',
        JSON.stringify(options),
      ];
    });
    return selectResult(
      [
        column('created_on', 'timestamp_ltz', { scale: 3 }),
        ...['name', 'database_name', 'schema_name', 'type', 'owner', 'comment', 'format_options'].map((n) =>
          column(n, 'text'),
        ),
      ] as RowType[],
      rows,
    );
  }

  /** A named file format's options (`FORMAT_NAME = x`). */
  fileFormat(session: Session, name: string): FormatOptions {
    const q = qualify(splitName(name), session.database, session.schema);
    const key = `${q.database}.${q.schema}.${q.name}`;
    const format = this.formats.get(key);
    if (!format) throw SnowflakeSqlError.objectMissing('Object', key);
    return format;
  }

  async copyInto(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
    if (!this.copyRunner) throw SnowflakeSqlError.unsupported('COPY INTO');
    return this.copyRunner.run(session, tokens, ctx);
  }

  async bindStageFiles(session: Session, bindStage: string): Promise<string[]> {
    const location = await this.resolve(session, bindStage);
    return (await this.filesAt(location)).map((name) => join(location.dir, ...name.split('/')));
  }

  async dropSession(session: Session): Promise<void> {
    await rm(join(this.root, 'sessions', String(session.id)), { recursive: true, force: true });
  }
}

async function readMeta(dir: string): Promise<FormatOptions | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(dir, STAGE_META), 'utf8')) as { format?: FormatOptions };
    return meta.format && Object.keys(meta.format).length > 0 ? meta.format : undefined;
  } catch {
    return undefined;
  }
}

/** The index of the first `/` outside double quotes. */
function findSlash(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === '/' && !quoted) return i;
  }
  return -1;
}

/** Splits `db.schema."Name"` into Snowflake-resolved parts. */
export function splitName(text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      parts.push(text.slice(i + 1, end < 0 ? undefined : end));
      i = end < 0 ? text.length : end + 1;
    } else {
      let end = text.indexOf('.', i);
      if (end < 0) end = text.length;
      parts.push(text.slice(i, end).toUpperCase());
      i = end;
    }
    if (text[i] === '.') i++;
  }
  return parts;
}
