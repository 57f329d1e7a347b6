import { randomWord } from '../auth/tokens.js';
import type { FieldDefinition, Org, QueryResult } from '../contract.js';
import { findField } from '../schema/fields.js';
import type { ApiRequest, QueryCursor, QueryCursorStore } from '../server/context.js';
import { ApiError, sendJson } from '../server/http.js';
import { handleExplain } from './listviews.js';
import { noteViewed } from './ui.js';

/** Open query cursors for queryMore (`nextRecordsUrl`). Old cursors are dropped past a cap. */
export class QueryCursors implements QueryCursorStore {
  private readonly cursors = new Map<string, QueryCursor>();
  constructor(private readonly max = 200) {}

  open(result: QueryResult, pageSize: number): string {
    const id = `01g${randomWord(15)}`;
    this.cursors.set(id, { records: result.records, totalSize: result.totalSize, pageSize, touched: Date.now() });
    if (this.cursors.size > this.max) {
      const oldest = this.cursors.keys().next().value;
      if (oldest !== undefined) this.cursors.delete(oldest);
    }
    return id;
  }

  get(id: string): QueryCursor | undefined {
    return this.cursors.get(id);
  }

  close(id: string): void {
    this.cursors.delete(id);
  }
}

function pageSizeOf(api: ApiRequest): number {
  const header = String(api.req.headers['sforce-query-options'] ?? '');
  const match = /batchSize\s*=\s*(\d+)/i.exec(header);
  if (!match) return 2000;
  const size = Number(match[1]);
  return Math.min(2000, Math.max(200, size));
}

function page(
  api: ApiRequest,
  kind: 'query' | 'queryAll',
  cursorId: string | undefined,
  records: Array<Record<string, unknown>>,
  totalSize: number,
  offset: number,
  pageSize: number,
): void {
  const end = Math.min(records.length, offset + pageSize);
  const body: Record<string, unknown> = { totalSize, done: end >= records.length };
  let id = cursorId;
  if (end < records.length) {
    if (!id) {
      id = api.ctx.cursors.open({ records, totalSize, columns: [], isCount: false }, pageSize);
    }
    body.nextRecordsUrl = `/services/data/v${api.version}/${kind}/${id}-${end}`;
  } else if (id) {
    api.ctx.cursors.close(id);
  }
  body.records = offset === 0 && end === records.length ? records : records.slice(offset, end);
  sendJson(api.res, 200, body);
}

/** `GET query?q=` and `GET queryAll?q=` (and `columns=true` for column metadata). */
export function handleQuery(api: ApiRequest, kind: 'query' | 'queryAll'): void {
  const explain = api.query.get('explain');
  if (explain !== null && explain.trim() !== '') {
    handleExplain(api, explain);
    return;
  }
  const soql = api.query.get('q');
  if (soql === null || soql.trim() === '') {
    throw new ApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
  }
  if (api.query.get('columns') === 'true') {
    sendJson(api.res, 200, columnMetadata(api.ctx.org, soql));
    return;
  }
  const result = api.ctx.org.query(soql, { all: kind === 'queryAll' });
  if (result.isCount) {
    sendJson(api.res, 200, { totalSize: result.totalSize, done: true, records: [] });
    return;
  }
  // FOR VIEW / FOR REFERENCE mark the rows as recently viewed (the `recent` resource).
  if (/\bfor\s+(?:view|reference)\s*$/i.test(soql)) noteViewed(api, result.records);
  page(api, kind, undefined, result.records, result.totalSize, 0, pageSizeOf(api));
}

/** `GET query/{cursor}-{offset}`. */
export function handleQueryMore(api: ApiRequest, kind: 'query' | 'queryAll', locator: string): void {
  const match = /^(.+)-(\d+)$/.exec(locator);
  const cursor = match ? api.ctx.cursors.get(match[1] as string) : undefined;
  if (!match || !cursor) {
    throw new ApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
  }
  cursor.touched = Date.now();
  page(api, kind, match[1], cursor.records, cursor.totalSize, Number(match[2]), cursor.pageSize);
}

const APEX_TYPES: Record<string, string> = {
  id: 'Id',
  string: 'String',
  textarea: 'String',
  email: 'String',
  phone: 'String',
  url: 'String',
  picklist: 'String',
  multipicklist: 'String',
  boolean: 'Boolean',
  int: 'Integer',
  double: 'Double',
  currency: 'Decimal',
  percent: 'Double',
  date: 'Date',
  datetime: 'Datetime',
  time: 'Time',
  reference: 'Id',
  autonumber: 'String',
};

function apexType(field: FieldDefinition | undefined): string | null {
  if (!field) return null;
  if (field.type === 'formula') return APEX_TYPES[field.formula?.returnType ?? 'string'] ?? 'String';
  return APEX_TYPES[field.type] ?? 'String';
}

/** The `COUNT()` column of a count query. */
const COUNT_COLUMN: Record<string, unknown> = {
  aggregate: true,
  apexType: 'Integer',
  booleanType: false,
  columnName: 'expr0',
  custom: false,
  displayName: 'COUNT()',
  foreignKeyName: null,
  insertable: false,
  joinColumns: [],
  numberType: true,
  textType: false,
  updatable: false,
};

/** The metadata entry of one select item (`path` split on dots), a parent field as a join column. */
function columnEntry(org: Org, path: string[], object: string): Record<string, unknown> {
  const def = org.getObject(object);
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) return fieldEntry(def ? findField(def, head) : undefined, head);
  const reference = def?.fields.find((f) => f.relationshipName?.toLowerCase() === head.toLowerCase());
  const target = reference?.referenceTo?.[0] ?? head;
  return {
    aggregate: false,
    apexType: target,
    booleanType: false,
    columnName: reference?.relationshipName ?? head,
    custom: head.endsWith('__r'),
    displayName: reference?.relationshipName ?? head,
    foreignKeyName: null,
    insertable: false,
    joinColumns: [columnEntry(org, rest, target)],
    numberType: false,
    textType: false,
    updatable: false,
  };
}

/** The metadata entry of a field of the queried object (or of an unknown name, typed as a String). */
function fieldEntry(field: FieldDefinition | undefined, name: string): Record<string, unknown> {
  return {
    aggregate: false,
    apexType: apexType(field),
    booleanType: field?.type === 'boolean',
    columnName: field?.name ?? name,
    custom: (field?.name ?? name).endsWith('__c'),
    displayName: field?.name ?? name,
    foreignKeyName: null,
    insertable: !field?.readOnly,
    joinColumns: [],
    numberType: ['int', 'double', 'currency', 'percent'].includes(field?.type ?? ''),
    textType: ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist'].includes(field?.type ?? ''),
    updatable: !field?.readOnly,
  };
}

/**
 * The `columns=true` answer (what `sf data query` reads to lay out its table): one entry per select
 * item, parent fields as join columns.
 */
export function columnMetadata(org: Org, soql: string): Record<string, unknown> {
  const from = /\bfrom\s+(\w+)/i.exec(soql.replace(/\([^()]*\)/g, ''));
  const objectName = from?.[1] ?? '';
  const definition = org.getObject(objectName);
  if (!definition) {
    throw new ApiError(400, 'INVALID_TYPE', `sObject type '${objectName}' is not supported.`);
  }
  // Validate the query and learn the columns from the org's parser.
  const probe = org.query(soql);
  const columns = probe.columns;
  const metadata: Array<Record<string, unknown>> = [];
  for (const column of columns) {
    const path = column.split('.');
    const top = columnEntry(org, path, definition.name);
    const existing = metadata.find((m) => path.length > 1 && m.columnName === top.columnName);
    if (existing) {
      (existing.joinColumns as unknown[]).push(...(top.joinColumns as unknown[]));
    } else {
      metadata.push(top);
    }
  }
  if (probe.isCount) metadata.push(COUNT_COLUMN);
  return {
    columnMetadata: metadata,
    entityName: definition.name,
    groupBy: false,
    idSelected: columns.some((c) => c.toLowerCase() === 'id'),
    keyPrefix: definition.keyPrefix ?? null,
  };
}
