/**
 * List views (`sobjects/{T}/listviews`, `.../listviews/{id}/describe`, `.../listviews/{id}/results`) and the query
 * plan resource (`query?explain=`, a SOQL query or a list view id). Every object has the list views a new org
 * gives it: "All {plural}" and, on owned objects, "My {plural}". Their columns are the name field and up to three
 * more fields a user can write; their results run their SOQL against the org, so they follow its data and schema.
 */
import { createHash } from 'node:crypto';
import { idFor } from '../ids.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import type { ApiRequest } from '../server/context.js';
import { ApiError, sendJson } from '../server/http.js';
import { explainQuery } from '../soql/explain.js';
import { requireObject } from './sobject-access.js';

interface ListView {
  id: string;
  developerName: string;
  label: string;
  object: CompiledObject;
  columns: CompiledField[];
  scope: 'everything' | 'mine';
}

function stableId(prefix: string, name: string): string {
  const digest = createHash('sha1').update(name).digest();
  return idFor(prefix, digest.readUInt32BE(0) % 1_000_000_000);
}

function compiled(api: ApiRequest, objectName: string): CompiledObject {
  const definition = requireObject(api.ctx.org, objectName);
  const object = api.ctx.org.compiledObject(definition.name);
  if (!object) throw new ApiError(404, 'NOT_FOUND', `The requested resource does not exist: ${objectName}`);
  return object;
}

function listViewsOf(object: CompiledObject): ListView[] {
  const plural = object.labelPlural;
  const key = plural.replace(/[^A-Za-z0-9]/g, '');
  const nameField = object.nameField ?? object.byLower.get('id');
  const others = object.fields
    .filter(
      (field) => field !== nameField && field.updateable && field.type !== 'textarea' && field.lower !== 'ownerid',
    )
    .slice(0, 3);
  const columns = [...(nameField ? [nameField] : []), ...others];
  const views: ListView[] = [
    {
      id: stableId('00B', `${object.lower}/all`),
      developerName: `All${key}`,
      label: `All ${plural}`,
      object,
      columns,
      scope: 'everything',
    },
  ];
  if (object.hasOwner) {
    views.push({
      id: stableId('00B', `${object.lower}/mine`),
      developerName: `My${key}`,
      label: `My ${plural}`,
      object,
      columns,
      scope: 'mine',
    });
  }
  return views;
}

function findListView(api: ApiRequest, objectName: string, id: string): ListView {
  const object = compiled(api, objectName);
  const view = listViewsOf(object).find((candidate) => candidate.id.slice(0, 15) === id.slice(0, 15));
  if (!view) {
    throw new ApiError(
      404,
      'NOT_FOUND',
      `No list view ${id} on ${object.name}; GET sobjects/${object.name}/listviews lists them`,
    );
  }
  return view;
}

function orderField(view: ListView): CompiledField | undefined {
  return view.columns[0];
}

function soqlOf(view: ListView, userId: string): string {
  const select = ['Id', ...view.columns.map((field) => field.name).filter((name) => name !== 'Id')];
  const where = view.scope === 'mine' ? ` WHERE OwnerId = '${userId}'` : '';
  const order = orderField(view);
  return `SELECT ${select.join(', ')} FROM ${view.object.name}${where}${order ? ` ORDER BY ${order.name} ASC NULLS FIRST, Id ASC NULLS FIRST` : ''}`;
}

function columnsOf(view: ListView) {
  const order = orderField(view);
  return view.columns.map((field) => ({
    ascendingLabel: field.type === 'string' ? 'A-Z' : 'Low to High',
    descendingLabel: field.type === 'string' ? 'Z-A' : 'High to Low',
    fieldNameOrPath: field.name,
    hidden: false,
    label: field.label,
    searchable: field.type === 'string',
    selectListItem: field.name,
    sortDirection: field === order ? 'ascending' : null,
    sortIndex: field === order ? 0 : null,
    sortable: field.type !== 'textarea' && field.type !== 'multipicklist',
    type: field.type === 'autonumber' ? 'string' : field.type,
  }));
}

function listViewInfo(api: ApiRequest, view: ListView) {
  const base = `/services/data/v${api.version}/sobjects/${view.object.name}/listviews/${view.id}`;
  return {
    describeUrl: `${base}/describe`,
    developerName: view.developerName,
    id: view.id,
    label: view.label,
    resultsUrl: `${base}/results`,
    soqlCompatible: true,
    url: base,
  };
}

/** `GET sobjects/{T}/listviews`. */
export function handleListViews(api: ApiRequest, objectName: string): void {
  const views = listViewsOf(compiled(api, objectName));
  sendJson(api.res, 200, {
    done: true,
    listviews: views.map((view) => listViewInfo(api, view)),
    nextRecordsUrl: null,
    size: views.length,
  });
}

/** `GET sobjects/{T}/listviews/{id}`: the list view's basic information. */
export function handleListView(api: ApiRequest, objectName: string, id: string): void {
  sendJson(api.res, 200, listViewInfo(api, findListView(api, objectName, id)));
}

/** `GET sobjects/{T}/listviews/{id}/describe`. */
export function handleListViewDescribe(api: ApiRequest, objectName: string, id: string): void {
  const view = findListView(api, objectName, id);
  const order = orderField(view);
  sendJson(api.res, 200, {
    columns: columnsOf(view),
    id: view.id,
    orderBy: order ? [{ fieldNameOrPath: order.name, nullsPosition: 'first', sortDirection: 'ascending' }] : [],
    query: soqlOf(view, api.session.userId),
    relatedEntityId: null,
    scope: view.scope,
    scopeEntityId: null,
    sobjectType: view.object.name,
    whereCondition:
      view.scope === 'mine'
        ? { field: 'OwnerId', operator: 'equals', values: [`'${api.session.userId}'`] }
        : { conditions: [], conjunction: 'and' },
  });
}

/** `GET sobjects/{T}/listviews/{id}/results[?limit=&offset=]`: the list view's records, 25 by default. */
export function handleListViewResults(api: ApiRequest, objectName: string, id: string): void {
  const view = findListView(api, objectName, id);
  const limit = Math.min(2000, Math.max(1, Number(api.query.get('limit') ?? 25) || 25));
  const offset = Math.max(0, Number(api.query.get('offset') ?? 0) || 0);
  const result = api.ctx.org.query(soqlOf(view, api.session.userId));
  const records = result.records.slice(offset, offset + limit) as Array<Record<string, unknown>>;
  const columns = columnsOf(view);
  sendJson(api.res, 200, {
    columns,
    developerName: view.developerName,
    done: offset + records.length >= result.records.length,
    id: view.id,
    label: view.label,
    records: records.map((record) => ({
      columns: [
        { fieldNameOrPath: 'Id', value: record.Id ?? null },
        ...columns
          .filter((column) => column.fieldNameOrPath !== 'Id')
          .map((column) => ({
            fieldNameOrPath: column.fieldNameOrPath,
            value: stringValue(record[column.fieldNameOrPath]),
          })),
      ],
    })),
    size: result.records.length,
  });
}

function stringValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * `GET query?explain=`: the plan of a SOQL query, or of a list view's query when given a list view id
 * (`00B...`, as jsforce's `listview(id).explain()` sends it).
 */
export function handleExplain(api: ApiRequest, subject: string): void {
  let soql = subject.trim();
  if (/^00B[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/.test(soql)) {
    const view = api.ctx.org
      .listObjects()
      .map((definition) => api.ctx.org.compiledObject(definition.name))
      .flatMap((object) => (object ? listViewsOf(object) : []))
      .find((candidate) => candidate.id.slice(0, 15) === soql.slice(0, 15));
    if (!view) throw new ApiError(400, 'INVALID_ID_FIELD', `No list view with id ${soql}`);
    soql = soqlOf(view, api.session.userId);
  }
  sendJson(api.res, 200, { plans: [explainQuery(api.ctx.org, soql)], sourceQuery: soql });
}
