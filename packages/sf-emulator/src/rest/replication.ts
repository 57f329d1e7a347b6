/**
 * The replication API: `GET sobjects/{T}/updated/?start=&end=` and `GET sobjects/{T}/deleted/?start=&end=`, read
 * from the org's SystemModstamp values and delete log (see `EmulatedOrg.getUpdated` / `getDeleted`).
 */
import type { ApiRequest } from '../server/context.js';
import { ApiError, sendJson } from '../server/http.js';
import { requireObject } from './sobject-access.js';

function parameter(api: ApiRequest, name: 'start' | 'end'): string {
  const value = api.query.get(name);
  if (value === null || value.trim() === '') {
    throw new ApiError(400, 'MISSING_ARGUMENT', `${name} is required: an ISO 8601 date-time in UTC or with an offset`);
  }
  return value;
}

/** `GET sobjects/{T}/updated/?start=&end=` -> `{ ids, latestDateCovered }`. */
export function handleGetUpdated(api: ApiRequest, objectName: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  sendJson(api.res, 200, api.ctx.org.getUpdated(definition.name, parameter(api, 'start'), parameter(api, 'end')));
}

/** `GET sobjects/{T}/deleted/?start=&end=` -> `{ deletedRecords, earliestDateAvailable, latestDateCovered }`. */
export function handleGetDeleted(api: ApiRequest, objectName: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  sendJson(api.res, 200, api.ctx.org.getDeleted(definition.name, parameter(api, 'start'), parameter(api, 'end')));
}
