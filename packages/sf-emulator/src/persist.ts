/**
 * The emulator's state file (`persistPath`), streamed: one JSON line of settings (objects, counters, tokens, delete
 * log) then one JSON line per record, object by object, so that an org of millions of records is written and read
 * without one JSON string of its whole size (V8 caps a string at about 512 MB: "Invalid string length").
 * Hand-written over node:readline and a write stream: the format is line-delimited JSON, which needs no library.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { OrgRecord } from './contract.js';
import type { LocalOrg, PersistedOrg } from './org/org.js';

/** The first line of a state file. */
interface StateHeader {
  format: 'kicksaw-sf-emulator';
  version: 2;
  org: PersistedOrg;
  tokens: unknown;
}

/** What a state file holds once read: the org state (with its records) and the tokens. */
export interface LoadedState {
  org: PersistedOrg;
  tokens: unknown;
}

const CHUNK_CHARS = 1 << 20;

/** Writes the org and tokens to `path` (through `path.tmp`, renamed when complete). */
export async function saveState(path: string, org: LocalOrg, tokens: unknown): Promise<void> {
  const temporary = `${path}.tmp`;
  const out = createWriteStream(temporary, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  const write = async (text: string) => {
    if (!out.write(text)) await Promise.race([once(out, 'drain'), failed]);
  };
  const header: StateHeader = { format: 'kicksaw-sf-emulator', version: 2, org: org.persistedMeta(), tokens };
  await write(`${JSON.stringify(header)}\n`);
  let chunk = '';
  let current = '';
  for (const [objectName, record] of org.persistedRecords()) {
    if (objectName !== current) {
      current = objectName;
      chunk += `${JSON.stringify({ object: objectName })}\n`;
    }
    chunk += `${JSON.stringify(record)}\n`;
    if (chunk.length >= CHUNK_CHARS) {
      await write(chunk);
      chunk = '';
    }
  }
  if (chunk !== '') await write(chunk);
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  await rename(temporary, path);
}

/**
 * Reads a state file written by {@link saveState}, or by earlier versions (one JSON document
 * `{ format: 'kicksaw-sf-emulator', org, tokens }`). Undefined when the file does not exist or is empty.
 */
export async function loadState(path: string): Promise<LoadedState | undefined> {
  if (!existsSync(path)) return undefined;
  const lines = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let header: StateHeader | undefined;
  let records: OrgRecord[] | undefined;
  let lineNumber = 0;
  const shared = new Map<string, string>();
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${path}, line ${lineNumber}: not JSON (${(error as Error).message}); the state file is damaged`);
    }
    if (header === undefined) {
      const first = value as { format?: unknown; version?: unknown; org?: unknown; tokens?: unknown };
      if (first.format !== 'kicksaw-sf-emulator') {
        throw new Error(`${path} is not a state file of kicksaw-sf-emulator (it has no format 'kicksaw-sf-emulator')`);
      }
      if (first.version !== 2) {
        // An earlier version: the whole state in one JSON document.
        lines.close();
        return { org: first.org as PersistedOrg, tokens: first.tokens };
      }
      header = value as StateHeader;
      header.org.records = {};
      continue;
    }
    const record = value as Partial<OrgRecord> & { object?: string };
    if (record.Id === undefined && typeof record.object === 'string') {
      records = header.org.records[record.object] ??= [];
      continue;
    }
    if (!records) throw new Error(`${path}, line ${lineNumber}: a record before any object line`);
    records.push(shareRepeatedValues(record as OrgRecord, shared));
  }
  return header ? { org: header.org, tokens: header.tokens } : undefined;
}

/** System fields whose few distinct values (the users) repeat on every record. */
const USER_FIELDS = ['CreatedById', 'LastModifiedById', 'OwnerId'] as const;

/**
 * JSON.parse gives every record its own copies of values that an org made as one string (the user ids, the
 * timestamps a write sets together): each repeated value is pointed at one string again, so a loaded org holds
 * about what a generated one does (measured: 811 heap bytes a record before, see the README's Scale section).
 */
function shareRepeatedValues(record: OrgRecord, shared: Map<string, string>): OrgRecord {
  for (const field of USER_FIELDS) {
    const value = record[field];
    if (typeof value !== 'string') continue;
    const known = shared.get(value);
    if (known !== undefined) record[field] = known;
    else if (shared.size < 10_000) shared.set(value, value);
  }
  const created = record.CreatedDate;
  if (typeof created === 'string') {
    if (record.LastModifiedDate === created) record.LastModifiedDate = created;
    if (record.SystemModstamp === created) record.SystemModstamp = created;
  }
  return record;
}
