/**
 * SOSL search (`GET search?q=FIND {term} ...`, what jsforce's `conn.search()` and `sf data search` call), a subset:
 * `FIND {term}` or `FIND 'term'`, `IN ALL|NAME|EMAIL|PHONE FIELDS`, `RETURNING Object(fields [WHERE ...] [ORDER BY
 * ...] [LIMIT n]), ...` and a final `LIMIT n`. Terms are words matched case-insensitively as whole words in the
 * searched text fields (`*` any characters, `?` one); every word must match (AND, OR and NOT are not parsed). The
 * answer is `{ searchRecords: [...] }`, records in REST shape. Hand-written: no library parses SOSL.
 */
import { OrgError, type OrgRecord } from '../contract.js';
import type { CompiledField } from '../schema/compile.js';
import type { ApiRequest } from '../server/context.js';
import { ApiError, sendJson } from '../server/http.js';

interface Returning {
  object: string;
  /** The text inside the parentheses: `Id, Name WHERE ... LIMIT 5`, or empty. */
  clause: string;
}

interface ParsedSearch {
  words: RegExp[];
  scope: 'ALL' | 'NAME' | 'EMAIL' | 'PHONE';
  returning: Returning[] | undefined;
  limit: number | undefined;
}

function malformed(message: string): ApiError {
  return new ApiError(400, 'MALFORMED_SEARCH', message);
}

/** Splits `A(x, y), B, C(z)` at top-level commas. */
function splitReturning(text: string): Returning[] {
  const out: Returning[] = [];
  let depth = 0;
  let start = 0;
  const push = (part: string) => {
    const match = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$/s.exec(part);
    if (!match) throw malformed(`Cannot read the RETURNING item: ${part.trim()}`);
    out.push({ object: match[1]!, clause: (match[2] ?? '').trim() });
  };
  for (let index = 0; index < text.length; index++) {
    const c = text[index];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      push(text.slice(start, index));
      start = index + 1;
    }
  }
  push(text.slice(start));
  return out;
}

export function parseSearch(sosl: string): ParsedSearch {
  const find = /^\s*FIND\s+(?:\{((?:\\.|[^}])*)\}|'((?:\\.|[^'])*)')\s*(.*)$/is.exec(sosl);
  if (!find) throw malformed("A search starts with FIND {term} (or FIND 'term')");
  const term = (find[1] ?? find[2] ?? '').replace(/\\(.)/g, '$1').trim();
  let rest = find[3] ?? '';
  const words = term
    .replace(/"/g, ' ')
    .split(/\s+/)
    .filter((word) => word !== '' && !/^(AND|OR|AND NOT)$/i.test(word));
  if (words.length === 0) throw malformed('The search term is empty');
  if (words.some((word) => word.replace(/[*?]/g, '').length < 2)) {
    throw new ApiError(400, 'INVALID_SEARCH', 'search term must be longer than one character');
  }
  const patterns = words.map((word) => {
    const source = word
      .split('')
      .map((c) => (c === '*' ? '\\S*' : c === '?' ? '\\S' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return new RegExp(`(^|[^\\p{L}\\p{N}])${source}($|[^\\p{L}\\p{N}])`, 'iu');
  });
  let scope: ParsedSearch['scope'] = 'ALL';
  const inMatch = /^IN\s+(ALL|NAME|EMAIL|PHONE|SIDEBAR)\s+FIELDS\s*(.*)$/is.exec(rest);
  if (inMatch) {
    scope = inMatch[1]!.toUpperCase() === 'SIDEBAR' ? 'ALL' : (inMatch[1]!.toUpperCase() as ParsedSearch['scope']);
    rest = inMatch[2] ?? '';
  }
  let limit: number | undefined;
  const limitMatch = /^(.*?)\s*\bLIMIT\s+(\d+)\s*$/is.exec(rest);
  if (limitMatch && !/\)\s*$/.test(rest) && !/\([^)]*$/.test(limitMatch[1] ?? '')) {
    limit = Number(limitMatch[2]);
    rest = limitMatch[1] ?? '';
  }
  let returning: Returning[] | undefined;
  const returningMatch = /^RETURNING\s+(.+)$/is.exec(rest.trim());
  if (returningMatch) returning = splitReturning(returningMatch[1]!);
  else if (rest.trim() !== '' && !/^WITH\b/i.test(rest.trim())) throw malformed(`Cannot read: ${rest.trim()}`);
  return { words: patterns, scope, returning, limit };
}

const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist']);

function searchedFields(fields: CompiledField[], scope: ParsedSearch['scope']): CompiledField[] {
  return fields.filter((field) => {
    if (!TEXT_TYPES.has(field.valueType)) return false;
    if (scope === 'NAME') return field.def.nameField === true || /(^|_)name$/i.test(field.name);
    if (scope === 'EMAIL') return field.valueType === 'email';
    if (scope === 'PHONE') return field.valueType === 'phone';
    return true;
  });
}

/** `GET search?q=`. */
export function handleSearch(api: ApiRequest): void {
  const sosl = api.query.get('q');
  if (!sosl || sosl.trim() === '') throw malformed('A search string has to be specified');
  const search = parseSearch(sosl);
  const org = api.ctx.org;
  const targets: Returning[] =
    search.returning ??
    org
      .listObjects()
      .filter((definition) => definition.name !== 'RecordType' && definition.name !== 'Organization')
      .map((definition) => ({ object: definition.name, clause: '' }));
  const searchRecords: Array<Record<string, unknown>> = [];
  for (const target of targets) {
    const object = org.compiledObject(target.object);
    if (!object) throw new OrgError('INVALID_TYPE', `sObject type '${target.object}' is not supported.`);
    const fields = searchedFields(object.fields, search.scope);
    const ids: string[] = [];
    for (const record of org.records(object.name) as OrgRecord[]) {
      const texts = fields.map((field) => record[field.name]).filter((value) => typeof value === 'string') as string[];
      if (search.words.every((pattern) => texts.some((text) => pattern.test(text)))) ids.push(record.Id);
    }
    if (ids.length === 0) continue;
    const clause = /^(.*?)(?:\s+WHERE\s+(.*?))?(\s+ORDER\s+BY\s+.*?)?(\s+LIMIT\s+\d+)?(\s+OFFSET\s+\d+)?$/is.exec(
      target.clause,
    );
    const select = clause?.[1]?.trim() || 'Id';
    const where = clause?.[2] ? ` AND (${clause[2]})` : '';
    for (let start = 0; start < ids.length; start += 500) {
      const list = ids
        .slice(start, start + 500)
        .map((id) => `'${id}'`)
        .join(',');
      const soql = `SELECT ${select} FROM ${object.name} WHERE Id IN (${list})${where}${clause?.[3] ?? ''}${clause?.[4] ?? ''}`;
      searchRecords.push(...org.query(soql).records);
    }
  }
  sendJson(api.res, 200, {
    searchRecords: search.limit === undefined ? searchRecords : searchRecords.slice(0, search.limit),
  });
}
