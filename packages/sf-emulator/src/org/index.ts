/**
 * The in-memory org: `createOrg()` and what it is built from.
 */
import type { ObjectDefinition } from '../contract.js';
import { OrgError } from '../contract.js';
import { idFor } from '../ids.js';
import { loadSfdxObjects } from '../schema/sfdx.js';
import { INTEGRATION_OBJECTS, STANDARD_OBJECTS } from '../schema/standard.js';
import { OrgClock } from './clock.js';
import { type CreateOrgOptions, type EmulatedOrg, LocalOrg, type PersistedOrg } from './org.js';

export { type ClockInput, OrgClock } from './clock.js';
export type { GeneratedValue, GenerateResult, GenerateSpec } from './generate.js';
export type {
  CreateOrgOptions,
  EmulatedOrg,
  GetDeletedResult,
  GetUpdatedResult,
  PersistedOrg,
  RecycleBinEntry,
} from './org.js';
export { LocalOrg } from './org.js';

function isPersisted(value: unknown): value is PersistedOrg {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === 'kicksaw-sf-emulator-org' &&
    (value as { version?: unknown }).version === 1
  );
}

/**
 * Creates an in-memory org with the standard objects (Account, Contact, Lead, Opportunity, Case, User,
 * Organization, RecordType), one running User and one Organization record, plus any custom objects.
 *
 * @example
 * const org = createOrg({ integrationObjects: true });
 * const [result] = org.dml('insert', 'Account', [{ Name: 'Acme' }]);
 * org.query("SELECT Id, Name FROM Account WHERE Name = 'Acme'").records;
 */
export function createOrg(options: CreateOrgOptions = {}): EmulatedOrg {
  const persisted = options.fromJSON;
  if (persisted !== undefined && !isPersisted(persisted)) {
    throw new OrgError('INVALID_STATE', 'fromJSON is not a state written by org.toJSON()');
  }
  const org = new LocalOrg({
    orgId: persisted?.orgId ?? idFor('00D', 1),
    userId: persisted?.userId ?? idFor('005', 1),
    sequence: persisted?.sequence ?? 100,
    ...(options.now ? { now: options.now } : {}),
    ...(options.clock instanceof OrgClock
      ? { clock: options.clock }
      : options.clock !== undefined
        ? { clock: new OrgClock(options.clock, options.now ? () => options.now!().getTime() : Date.now) }
        : {}),
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
    recycleBinRetentionDays:
      options.recycleBinRetentionDays ??
      (persisted as { recycleBinRetentionDays?: number } | undefined)?.recycleBinRetentionDays,
    ...(options.replicationIdLimit !== undefined ? { replicationIdLimit: options.replicationIdLimit } : {}),
  });
  const definitions: ObjectDefinition[] = [...STANDARD_OBJECTS];
  if (options.integrationObjects) definitions.push(...INTEGRATION_OBJECTS);
  if (options.sfdxProject) definitions.push(...loadSfdxObjects(options.sfdxProject));
  if (options.objects) definitions.push(...options.objects);
  for (const definition of definitions) org.defineObject(definition);

  if (persisted) {
    org.restore(persisted);
    org.syncRecordTypes();
  } else {
    seedUserAndOrganization(org, options);
    org.syncRecordTypes();
  }
  for (const [objectName, records] of Object.entries(options.seed ?? {})) org.seed(objectName, records);
  return org;
}

/** A new org's running user and its Organization record. */
function seedUserAndOrganization(org: LocalOrg, options: CreateOrgOptions): void {
  const username = options.username ?? 'admin@kicksaw.local';
  org.seed('User', [
    {
      Id: org.userId,
      Username: username,
      LastName: 'User',
      FirstName: 'Integration',
      Email: options.userEmail ?? username,
      Alias: 'iuser',
      CommunityNickname: 'integration.user',
      IsActive: true,
      TimeZoneSidKey: 'GMT',
      LocaleSidKey: 'en_US',
      EmailEncodingKey: 'UTF-8',
      LanguageLocaleKey: 'en_US',
      UserType: 'Standard',
    },
  ]);
  org.seed('Organization', [
    {
      Id: org.orgId,
      Name: options.orgName ?? 'Kicksaw Local Org',
      InstanceName: 'LOCAL',
      IsSandbox: false,
      TrialExpirationDate: null,
      NamespacePrefix: null,
      OrganizationType: 'Developer Edition',
      DefaultLocaleSidKey: 'en_US',
      LanguageLocaleKey: 'en_US',
      TimeZoneSidKey: 'GMT',
      Country: 'US',
    },
  ]);
}

export { isValidId, newId, normalizeId, to18 } from '../ids.js';
export { loadSfdxObjects } from '../schema/sfdx.js';
export { INTEGRATION_OBJECTS, STANDARD_OBJECTS } from '../schema/standard.js';
