import { createConsoleLogger } from '@kicksaw/core';
import {
  createS3ImportHandler,
  type S3ImportHandlerOptions,
  s3ImportHandlerOptionsFromEnv,
} from '@kicksaw/orchestrator';
import { CONTACT_MAPPING } from './mapping.js';
import { ContactsOrchestrator } from './orchestrator.js';

/**
 * The Contacts import handler: CSV files dropped in the bucket upsert Contacts on `External_Id__c`.
 * Salesforce settings come from the environment (`SF_*`, see `@kicksaw/sf-bulk`), unless given in
 * `overrides`; `overrides` win over everything.
 *
 * @example
 * ```ts
 * export const handler = createContactsHandler();
 * ```
 */
export function createContactsHandler(
  overrides: Partial<S3ImportHandlerOptions> = {},
  env: Record<string, string | undefined> = process.env,
) {
  return createS3ImportHandler(
    s3ImportHandlerOptionsFromEnv(env, {
      object: 'Contact',
      operation: 'upsert',
      externalIdField: 'External_Id__c',
      mapping: CONTACT_MAPPING,
      orchestrator: (options) => ContactsOrchestrator.create(options),
      // A later row with the same External Id as an earlier one is reported, not silently merged.
      ingest: { duplicateExternalIds: 'fail' },
      logger: createConsoleLogger({
        level: env.LOG_LEVEL === 'debug' ? 'debug' : 'warn',
        base: { service: 'contacts-import' },
      }),
      ...overrides,
    }),
  );
}
