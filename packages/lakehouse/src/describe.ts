import type { Connection } from 'jsforce';
import { LakehouseError } from './errors.js';
import type { DescribedField } from './types.js';

/** The parts of an object describe the lakehouse reads. */
export interface DescribedObject {
  name: string;
  fields: DescribedField[];
  replicateable?: boolean;
  queryable?: boolean;
}

/**
 * A fresh describe of an object (never cached: a sync must see fields added or removed since the last run).
 * An unknown object is a `LakehouseError` with code `SF_UNKNOWN_OBJECT`.
 */
export async function describeFresh(connection: Connection, object: string): Promise<DescribedObject> {
  try {
    const result = (await connection.request(
      `/sobjects/${encodeURIComponent(object)}/describe`,
    )) as unknown as DescribedObject;
    return result;
  } catch (error) {
    const code = (error as { errorCode?: string; name?: string }).errorCode ?? (error as { name?: string }).name;
    if (code === 'NOT_FOUND' || /NOT_FOUND|INVALID_TYPE/.test(String(code))) {
      throw new LakehouseError(
        `Salesforce has no object named "${object}" (check the API name, e.g. Account or Invoice__c)`,
        {
          code: 'SF_UNKNOWN_OBJECT',
          cause: error,
        },
      );
    }
    throw error;
  }
}
