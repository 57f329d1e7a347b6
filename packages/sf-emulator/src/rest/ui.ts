/**
 * User-interface resources clients read: `recent` (recently viewed records), `tabs` and `theme`.
 *
 * Recently viewed records are kept per user by the HTTP layer, not the org: a record becomes "viewed" when it is
 * read by `GET sobjects/{T}/{id}` or returned by a query with `FOR VIEW` / `FOR REFERENCE` (what Salesforce's
 * UI and API do). The records' `LastViewedDate` / `LastReferencedDate` fields are not updated.
 */
import type { ApiRequest, EmulatorContext } from '../server/context.js';
import { sendJson } from '../server/http.js';
import { objectOfId } from './sobject-access.js';

/** Most recently viewed record ids per user, newest last (a user keeps at most 200, like the UI's list). */
export class RecentlyViewed {
  private readonly byUser = new Map<string, Map<string, string>>();

  /** Notes that `userId` viewed these records (id -> object name). */
  view(userId: string, records: Array<{ id: string; object: string }>): void {
    let list = this.byUser.get(userId);
    if (!list) {
      list = new Map();
      this.byUser.set(userId, list);
    }
    for (const { id, object } of records) {
      list.delete(id);
      list.set(id, object);
    }
    while (list.size > 200) list.delete(list.keys().next().value as string);
  }

  /** Ids viewed by the user, newest first, optionally of one object only. */
  ids(userId: string, objectName?: string): string[] {
    const list = [...(this.byUser.get(userId) ?? new Map<string, string>()).entries()].reverse();
    const wanted = objectName?.toLowerCase();
    return list.filter(([, object]) => wanted === undefined || object.toLowerCase() === wanted).map(([id]) => id);
  }
}

/** Recently viewed records of each emulator (`recent`, `sobjects/{T}` recentItems), made on first use. */
const RECENT = new WeakMap<EmulatorContext, RecentlyViewed>();

function recentOf(ctx: EmulatorContext): RecentlyViewed {
  let recent = RECENT.get(ctx);
  if (!recent) {
    recent = new RecentlyViewed();
    RECENT.set(ctx, recent);
  }
  return recent;
}

/** Records views of query results (rows that carry `attributes.type` and an `Id`). */
export function noteViewed(api: ApiRequest, records: Array<Record<string, unknown>>): void {
  const viewed: Array<{ id: string; object: string }> = [];
  for (const record of records) {
    const attributes = record.attributes as { type?: string } | undefined;
    if (typeof record.Id === 'string' && attributes?.type) viewed.push({ id: record.Id, object: attributes.type });
  }
  if (viewed.length > 0) recentOf(api.ctx).view(api.session.userId, viewed);
}

/** `[{ attributes, Id, Name }]` of the user's recently viewed live records, newest first. */
export function recentItems(api: ApiRequest, limit: number, objectName?: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const id of recentOf(api.ctx).ids(api.session.userId, objectName)) {
    if (out.length >= limit) break;
    const record = api.ctx.org.get(id);
    const definition = record ? objectOfId(api.ctx.org, id) : undefined;
    if (!record || !definition) continue;
    const nameField = api.ctx.org.compiledObject(definition.name)?.nameField?.name ?? 'Name';
    out.push({
      attributes: { type: definition.name, url: `/services/data/v${api.version}/sobjects/${definition.name}/${id}` },
      Id: record.Id,
      [nameField]: record[nameField] ?? null,
      ...(nameField === 'Name' ? {} : { Name: record[nameField] ?? null }),
    });
  }
  return out;
}

/** `GET recent[?limit=n]`: the user's recently viewed records, newest first (200 at most). */
export function handleRecent(api: ApiRequest): void {
  const limit = Math.min(200, Math.max(1, Number(api.query.get('limit') ?? 200) || 200));
  sendJson(api.res, 200, recentItems(api, limit));
}

/** Objects that get a tab: the standard objects users open and every custom object. */
const STANDARD_TABS = [
  'Account',
  'Contact',
  'Lead',
  'Opportunity',
  'Case',
  'Campaign',
  'Product2',
  'Contract',
  'Order',
  'Asset',
  'User',
];

function tabObjects(ctx: EmulatorContext) {
  return ctx.org
    .listObjects()
    .filter((definition) => definition.name.endsWith('__c') || STANDARD_TABS.includes(definition.name))
    .map((definition) => ctx.org.compiledObject(definition.name))
    .filter((object) => object !== undefined);
}

/** A stable colour per object name (six hex digits), so `tabs` and `theme` agree. */
function colourOf(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return (hash & 0xffffff).toString(16).toUpperCase().padStart(6, '0');
}

/** `GET tabs`: one tab per object with a tab (its list page URL on the instance). */
export function handleTabs(api: ApiRequest): void {
  sendJson(
    api.res,
    200,
    tabObjects(api.ctx).map((object) => ({
      colors: [{ color: colourOf(object.name), context: 'primary', theme: 'theme4' }],
      custom: object.custom,
      iconUrl: null,
      icons: [],
      label: object.labelPlural,
      miniIconUrl: null,
      name: object.custom ? `${object.name.replace(/__c$/, '')}__c` : `standard-${object.name}`,
      sobjectName: object.name,
      url: `${api.ctx.baseUrl}/${object.keyPrefix}/o`,
    })),
  );
}

/** `GET theme`: the colours of every object with a tab (no icons: the emulator serves no images). */
export function handleTheme(api: ApiRequest): void {
  sendJson(api.res, 200, {
    themeItems: tabObjects(api.ctx).map((object) => ({
      colors: [{ color: colourOf(object.name), context: 'primary', theme: 'theme4' }],
      icons: [],
      name: object.name,
    })),
  });
}
