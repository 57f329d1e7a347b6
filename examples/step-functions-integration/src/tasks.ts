import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger, SalesforceRecord } from '@kicksaw/core';
import { createLongLoadTasks, type LongLoadTasks } from '@kicksaw/orchestrator';
import { readCachedJson } from '@kicksaw/s3';
import type { Connection } from 'jsforce';

/** A contact as the ERP sends it. */
export interface ErpContact {
  erpId: string;
  firstName?: string;
  lastName: string;
  email?: string;
}

/**
 * The state machine's input: the contacts themselves, or (above Step Functions' 256 KB) a reference
 * to them in S3, written with `@kicksaw/s3`'s `cacheJson`.
 */
export interface ErpContactsInput {
  contacts?: ErpContact[];
  contactsRef?: { bucket: string; key: string };
}

/** Options of {@link createErpContactsTasks}. */
export interface ErpContactsTaskOptions {
  connection: Connection | (() => Promise<Connection>);
  s3Client: S3Client;
  /** Bucket for offloaded inputs and parked job states. */
  bucket: string;
  /** How long a poll task waits for Salesforce, in ms. Default 60,000. */
  waitBudgetMs?: number;
  /** How long the start task may read, send and wait, in ms. Default 300,000. */
  startBudgetMs?: number;
  /** Poll interval inside a task, in ms. */
  pollIntervalMs?: number;
  logger?: Logger;
}

/**
 * The three task handlers of `state-machine.asl.json`: ERP contacts upsert into Contact on
 * `External_Id__c`, recorded under the `ERP contacts` integration.
 *
 * @example
 * ```ts
 * const tasks = createErpContactsTasks({ connection: () => connectFromEnv(), s3Client, bucket: 'acme-state' });
 * export const start = (input: ErpContactsInput) => tasks.start(input);
 * ```
 */
export function createErpContactsTasks(options: ErpContactsTaskOptions): LongLoadTasks<ErpContactsInput> {
  return createLongLoadTasks<ErpContactsInput>({
    connection: options.connection,
    integrationName: 'ERP contacts',
    object: 'Contact',
    operation: 'upsert',
    externalIdField: 'External_Id__c',
    records: async (input) => {
      const contacts = input.contactsRef
        ? await readCachedJson<ErpContact[]>({ client: options.s3Client, ...input.contactsRef })
        : (input.contacts ?? []);
      return contacts.map(toContact);
    },
    ingest: {
      api: 'bulk',
      ...(options.pollIntervalMs
        ? { pollIntervalMs: options.pollIntervalMs, maxPollIntervalMs: options.pollIntervalMs * 4 }
        : {}),
    },
    ...(options.waitBudgetMs !== undefined ? { waitBudgetMs: options.waitBudgetMs } : {}),
    ...(options.startBudgetMs !== undefined ? { startBudgetMs: options.startBudgetMs } : {}),
    offload: { s3Client: options.s3Client, bucket: options.bucket, prefix: 'step-functions/erp-contacts' },
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

function toContact(contact: ErpContact): SalesforceRecord {
  return {
    External_Id__c: contact.erpId,
    FirstName: contact.firstName ?? '',
    LastName: contact.lastName,
    Email: contact.email ?? '',
  };
}
