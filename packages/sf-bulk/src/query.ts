import { InputError, type Logger, silentLogger } from '@kicksaw/core';
import { readCsvRecords } from './csv-reader.js';
import { describeObject, type ObjectDescribe } from './describe.js';
import { describeError, type HttpContext, type HttpRetryOptions, sfJson, sfRequest } from './http.js';
import { createQueryJob, waitForQueryJob } from './query-job.js';
import type { SalesforceConnection } from './session.js';

/**
 * A piece of SOQL inserted verbatim by {@link soql} (made by {@link soqlIdentifier}, {@link soqlDate} or {@link soqlRaw}).
 *
 * @example
 * ```ts
 * soql`SELECT Id FROM ${soqlIdentifier('Contact')}`; // soqlIdentifier returns a SoqlFragment
 * ```
 */
export class SoqlFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/**
 * A SOQL value: quoted and escaped by {@link soql}.
 *
 * @example
 * ```ts
 * const values: SoqlValue[] = ['a', 1, true, null, new Date(), ['x', 'y']];
 * ```
 */
export type SoqlValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | null
  | undefined
  | SoqlFragment
  | readonly SoqlValue[];

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/**
 * A string as a quoted SOQL literal with every special character escaped.
 *
 * @example
 * ```ts
 * quoteSoqlString("O'Brien"); // "'O\\'Brien'"
 * ```
 */
export function quoteSoqlString(value: string): string {
  return `'${value.replace(/[\\'"\n\r\t\b\f]/g, (ch) => ESCAPES[ch] as string)}'`;
}

/**
 * Renders one value as a SOQL literal.
 *
 * @example
 * ```ts
 * soqlLiteral(['a', 'b']); // "('a', 'b')"
 * ```
 */
export function soqlLiteral(value: SoqlValue): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof SoqlFragment) return value.text;
  if (typeof value === 'string') return quoteSoqlString(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InputError(`SOQL cannot hold the number ${String(value)}`);
    return String(value);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InputError('SOQL cannot hold an invalid Date');
    return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  if (Array.isArray(value)) {
    if (value.length === 0) throw new InputError('SOQL IN needs at least one value (an empty list would be malformed)');
    return `(${value.map((item) => soqlLiteral(item as SoqlValue)).join(', ')})`;
  }
  throw new InputError(`SOQL cannot hold a value of type ${typeof value}`);
}

/**
 * A tagged template that builds SOQL with every interpolated value quoted and escaped: strings
 * (quotes, backslashes, newlines escaped), numbers, booleans, `Date`s (datetime literals), `null`,
 * arrays (for `IN`). No value can change the query's structure; field and object names go through
 * {@link soqlIdentifier}.
 *
 * @example
 * ```ts
 * soql`SELECT Id FROM Contact WHERE Email = ${"o'brien@x.com"} AND Id IN ${['003A', '003B']}`;
 * // "SELECT Id FROM Contact WHERE Email = 'o\\'brien@x.com' AND Id IN ('003A', '003B')"
 * ```
 */
export function soql(strings: TemplateStringsArray, ...values: SoqlValue[]): string {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += soqlLiteral(value) + (strings[i + 1] ?? '');
  });
  return out;
}

/**
 * A field or object name for {@link soql}, checked to be a plain (dotted) API name.
 *
 * @example
 * ```ts
 * soql`SELECT Id FROM ${soqlIdentifier('Contact')} ORDER BY ${soqlIdentifier('Account.Name')}`;
 * ```
 */
export function soqlIdentifier(name: string): SoqlFragment {
  if (!/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/.test(name)) {
    throw new InputError(`"${name}" is not a valid SOQL field or object name`);
  }
  return new SoqlFragment(name);
}

/**
 * A date-only literal (`2024-05-01`) for {@link soql}, from a Date (UTC) or a `yyyy-MM-dd` string.
 *
 * @example
 * ```ts
 * soql`SELECT Id FROM Opportunity WHERE CloseDate >= ${soqlDate('2024-05-01')}`;
 * ```
 */
export function soqlDate(value: Date | string): SoqlFragment {
  const text = value instanceof Date ? value.toISOString().slice(0, 10) : value;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new InputError(`"${text}" is not a yyyy-MM-dd date`);
  return new SoqlFragment(text);
}

/**
 * Trusted SOQL text inserted verbatim (date literals such as `LAST_N_DAYS:30`). Never pass user input.
 *
 * @example
 * ```ts
 * soql`SELECT Id FROM Case WHERE CreatedDate = ${soqlRaw('LAST_N_DAYS:30')}`;
 * ```
 */
export function soqlRaw(text: string): SoqlFragment {
  return new SoqlFragment(text);
}

/**
 * Options of {@link query}.
 *
 * @example
 * ```ts
 * query(conn, 'SELECT Id FROM Contact', { all: true, api: 'bulk', pageSize: 100_000 } satisfies QueryOptions);
 * ```
 */
export interface QueryOptions {
  /** queryAll: include deleted and archived rows. Default false. */
  all?: boolean;
  /** `auto` (default): REST for results that fit in `restMaxRows`, Bulk API 2.0 query jobs above. */
  api?: 'auto' | 'bulk' | 'rest';
  /** Largest result `auto` reads through REST. Default 10,000. */
  restMaxRows?: number;
  /** Records per Bulk result page (`maxRecords`). Default 50,000. */
  pageSize?: number;
  /** Type values by the object's describe (numbers, booleans, null for empty). Default true. */
  typed?: boolean;
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  logger?: Logger;
  http?: HttpRetryOptions;
}

const NUMERIC = new Set(['int', 'double', 'currency', 'percent', 'long']);

/** How a column's cells become values: as they are, or typed by the describe ('' is null when typed). */
enum ColumnKind {
  Raw,
  Text,
  Boolean,
  Number,
}

function columnKind(name: string, typed: boolean, types: ReadonlyMap<string, string>): ColumnKind {
  if (!typed) return ColumnKind.Raw;
  const type = name.includes('.') ? undefined : types.get(name.toLowerCase());
  if (type === 'boolean') return ColumnKind.Boolean;
  if (type && NUMERIC.has(type)) return ColumnKind.Number;
  return ColumnKind.Text;
}

function typeValue(value: string, kind: ColumnKind): unknown {
  if (kind === ColumnKind.Raw) return value;
  if (value === '') return null;
  if (kind === ColumnKind.Boolean) return value.toLowerCase() === 'true';
  if (kind === ColumnKind.Number) {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  return value;
}

function flatten(
  record: Record<string, unknown>,
  prefix = '',
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const [key, value] of Object.entries(record)) {
    if (key === 'attributes') continue;
    if (value && typeof value === 'object' && !Array.isArray(value) && !('records' in (value as object))) {
      flatten(value as Record<string, unknown>, `${prefix}${key}.`, out);
    } else out[`${prefix}${key}`] = value;
  }
  return out;
}

/**
 * Runs a SOQL query and yields its records one by one, flat (`Account.Name` keys for parent fields),
 * typed by the object's describe. Small results go through the REST query API; large ones through
 * a Bulk API 2.0 query job whose result pages are followed by locator here (jsforce's `bulk2.query`
 * loses pages), each page streamed.
 *
 * @example
 * ```ts
 * for await (const contact of query(conn, soql`SELECT Id, Email FROM Contact WHERE Account.Name = ${name}`)) {
 *   console.log(contact.Id, contact.Email);
 * }
 * ```
 */
export async function* query(
  connection: SalesforceConnection,
  soqlText: string,
  options: QueryOptions = {},
): AsyncGenerator<Record<string, unknown>> {
  const logger = options.logger ?? silentLogger;
  const ctx: HttpContext = { conn: connection, logger, ...(options.http ? { retry: options.http } : {}) };
  const api = options.api ?? 'auto';
  const types = await columnTypes(ctx, soqlText, options.typed !== false);

  if (api !== 'bulk' && (yield* restQuery(ctx, logger, soqlText, options, api))) return;

  const job = await createQueryJob(ctx, soqlText, options.all === true);
  await waitForQueryJob(ctx, job.id, { ...options, pollIntervalMs: options.pollIntervalMs ?? 500 });
  const pageSize = options.pageSize ?? 50_000;
  let locator: string | undefined;
  for (;;) {
    const params = new URLSearchParams({ maxRecords: String(pageSize) });
    if (locator) params.set('locator', locator);
    const next = yield* bulkResultPage(ctx, logger, job.id, params, options.typed !== false, types);
    if (!next || next === 'null') return;
    locator = next;
  }
}

/** The field types of the queried object (lower-cased names), from its describe; empty when untyped. */
async function columnTypes(ctx: HttpContext, soqlText: string, typed: boolean): Promise<Map<string, string>> {
  const object = /\bFROM\s+([A-Za-z][A-Za-z0-9_]*)/i.exec(soqlText)?.[1];
  let describe: ObjectDescribe | undefined;
  if (typed && object) describe = await describeObject(ctx, object).catch(() => undefined);
  return new Map((describe?.fields ?? []).map((f) => [f.name.toLowerCase(), f.type]));
}

/**
 * The REST query API: yields every record and returns true when the result is small enough (or `api` is
 * `rest`); returns false, having yielded nothing, when a Bulk API 2.0 query job should read it instead.
 */
async function* restQuery(
  ctx: HttpContext,
  logger: Logger,
  soqlText: string,
  options: QueryOptions,
  api: string,
): AsyncGenerator<Record<string, unknown>, boolean> {
  const resource = options.all ? 'queryAll' : 'query';
  let page = await sfJson<{
    totalSize: number;
    done: boolean;
    nextRecordsUrl?: string;
    records: Array<Record<string, unknown>>;
  }>(ctx, 'GET', `${resource}?q=${encodeURIComponent(soqlText)}`);
  const restMax = options.restMaxRows ?? 10_000;
  if (api === 'rest' || page.done || page.totalSize <= restMax) {
    for (;;) {
      for (const record of page.records) yield flatten(record);
      if (page.done || !page.nextRecordsUrl) return true;
      page = await sfJson(ctx, 'GET', page.nextRecordsUrl);
    }
  }
  logger.debug('Large result: switching to a Bulk API 2.0 query job', { totalSize: page.totalSize });
  return false;
}

/**
 * Yields the typed records of one result page of a query job and returns the next page's locator. A page
 * that breaks off is read again (up to five times), skipping the rows already yielded. The per-row loop
 * stays in this one function: the row count that makes a re-read safe lives in its scope.
 */
async function* bulkResultPage(
  ctx: HttpContext,
  logger: Logger,
  jobId: string,
  params: URLSearchParams,
  typed: boolean,
  types: ReadonlyMap<string, string>,
): AsyncGenerator<Record<string, unknown>, string | null> {
  let yielded = 0;
  let next: string | null = null;
  for (let attempt = 1; ; attempt++) {
    const response = await sfRequest(ctx, {
      method: 'GET',
      path: `jobs/query/${jobId}/results?${params}`,
      headers: { Accept: 'text/csv' },
    });
    next = response.headers['sforce-locator'] ?? null;
    if (response.status === 204) {
      response.body.resume();
      break;
    }
    try {
      let header: string[] | undefined;
      // Each column's conversion is looked up once per page, not once per cell.
      let kinds: ColumnKind[] = [];
      let seen = 0;
      // Rows come in small arrays (one promise per array, not per row) and are yielded one by one.
      for await (const batch of readCsvRecords(response.body)) {
        for (const cells of batch) {
          if (!header) {
            header = cells;
            kinds = header.map((name) => columnKind(name, typed, types));
            continue;
          }
          seen++;
          if (seen <= yielded) continue; // a re-read page: skip what was already yielded
          const record: Record<string, unknown> = {};
          for (let i = 0; i < header.length; i++) {
            record[header[i] as string] = typeValue(cells[i] ?? '', kinds[i] as ColumnKind);
          }
          yielded++;
          yield record;
        }
      }
      break;
    } catch (error) {
      if (attempt >= 5) throw error;
      logger.debug('Query page broke off, reading it again', { jobId, error: describeError(error) });
    }
  }
  return next;
}
