import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { LongLoadResult, LongLoadState } from '@kicksaw/orchestrator';
import { cacheJson, listKeys } from '@kicksaw/s3';
import { startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { type LocalS3, startLocalS3 } from '@kicksaw/testkit';
import { StateMachine } from 'aws-local-stepfunctions';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createErpContactsTasks, type ErpContact, type ErpContactsInput } from '../src/index.js';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];

type Validator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as Validator;

let s3: LocalS3;
let sf: Awaited<ReturnType<typeof startSalesforceEmulator>>;
let connection: Connection;
let definition: Record<string, unknown>;

beforeAll(async () => {
  [s3, sf] = await Promise.all([
    startLocalS3(),
    startSalesforceEmulator({
      integrationObjects: true,
      objects: [
        {
          name: 'Contact',
          merge: true,
          fields: [{ name: 'External_Id__c', type: 'string', length: 40, externalId: true, unique: true }],
        },
      ],
      seed: { Integration__c: [{ Name: 'ERP contacts' }] },
    }),
  ]);
  connection = new Connection({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, version: sf.apiVersion });
  definition = JSON.parse(await readFile(new URL('../state-machine.asl.json', import.meta.url), 'utf8'));
});
afterAll(async () => {
  await Promise.all([s3?.stop(), sf?.stop()]);
});

function erpContacts(count: number, badEvery: number): ErpContact[] {
  return Array.from({ length: count }, (_, index) => ({
    erpId: `ERP-${index + 1}`,
    firstName: 'Ada',
    lastName: (index + 1) % badEvery === 0 ? '' : `Lovelace ${index + 1}`,
    email: `ada${index + 1}@example.com`,
  }));
}

describe('state-machine.asl.json', () => {
  it('is valid Amazon States Language', () => {
    const result = aslValidator(definition);
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('runs end to end with the real task handlers: waits in the Wait state, records every failed row', async () => {
    const bucket = await s3.createBucket();
    const tasks = createErpContactsTasks({
      connection,
      s3Client: s3.client,
      bucket,
      waitBudgetMs: 100,
      startBudgetMs: 3000,
      pollIntervalMs: 20,
    });
    // The input is over 256 KB, so it travels as a reference to a JSON file in S3.
    const contacts = erpContacts(3000, 100);
    const contactsRef = await cacheJson(contacts, { client: s3.client, bucket, key: 'inputs/erp-contacts.json' });
    sf.faults.set({ jobProcessingMs: 5000 }); // Salesforce takes its time: the machine must wait and poll

    const states: string[] = [];
    // A Task state's local handler: records the state name, runs the real task handler on the JSON input.
    const local =
      <T>(name: string, handler: (input: T) => Promise<unknown>) =>
      async (input: unknown) => {
        states.push(name);
        return (await handler(input as T)) as never;
      };
    const machine = new StateMachine(definition as never);
    const execution = machine.run(
      { contactsRef },
      {
        overrides: {
          taskResourceLocalHandlers: {
            StartLoad: local('StartLoad', (input: ErpContactsInput) => tasks.start(input)),
            PollLoad: local('PollLoad', (input: LongLoadState) => tasks.poll(input)),
            FinishLoad: local('FinishLoad', (input: LongLoadState) => tasks.finish(input)),
          },
          waitTimeOverrides: { WaitForSalesforce: 100 },
        },
      },
    );
    const result = (await execution.result) as unknown as LongLoadResult;
    sf.faults.reset();

    expect(states[0]).toBe('StartLoad');
    expect(states).toContain('PollLoad');
    expect(states.at(-1)).toBe('FinishLoad');
    expect(result.summary).toMatchObject({ input: 3000, succeeded: 2970, failed: 30 });
    expect(result.status).toBe('partial');
    expect(result.errorRecords).toBe(30);

    const record = sf.org.get(result.executionId) as Record<string, unknown>;
    expect(record.Status__c).toBe('Completed with Errors');
    expect(JSON.parse(String(record.ExecutionPayload__c))).toEqual({ contactsRef });
    const errors = (sf.org.records('IntegrationError__c') as Array<Record<string, unknown>>).filter(
      (e) => e.IntegrationExecution__c === result.executionId,
    );
    expect(errors).toHaveLength(30);
    expect(new Set(errors.map((e) => e.ErrorCode__c))).toEqual(new Set(['REQUIRED_FIELD_MISSING']));
    expect(sf.org.records('Contact').filter((c) => String(c.External_Id__c).startsWith('ERP-'))).toHaveLength(2970);
    // Parked job states were offloaded and cleaned up; only the input remains.
    const keys: string[] = [];
    for await (const key of listKeys({ client: s3.client, bucket, prefix: '' })) keys.push(key);
    expect(keys).toEqual(['inputs/erp-contacts.json']);
  });
});
