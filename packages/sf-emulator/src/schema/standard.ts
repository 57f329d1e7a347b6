/**
 * Built-in object definitions: the standard objects a fresh org has (User, Organization and RecordType here;
 * Account, Contact, Lead, Opportunity and Case from `standard-crm.ts`; Task, Event, Campaign, CampaignMember,
 * Product2, Pricebook2, PricebookEntry, OpportunityLineItem, Asset, Contract and Order from `standard-sales.ts`; the
 * fields they share from `standard-fields.ts`) and the integration-app objects (Integration__c,
 * IntegrationExecution__c, IntegrationError__c). Field names, lengths, picklist values and key prefixes
 * follow Salesforce's own (Object Reference, API v62).
 */
import type { ObjectDefinition } from '../contract.js';
import { area, bool, datetime, email, phone, pick, ref, text } from './fields.js';
import { crmObjects } from './standard-crm.js';
import { address, fullNameField, systemFields } from './standard-fields.js';
import { SALES_OBJECTS } from './standard-sales.js';

export { ownerField, systemFields } from './standard-fields.js';

const user: ObjectDefinition = {
  name: 'User',
  label: 'User',
  labelPlural: 'Users',
  keyPrefix: '005',
  custom: false,
  deletable: false,
  fields: [
    ...systemFields({ isDeleted: false }),
    text('Username', 80, { required: true, unique: true }),
    text('LastName', 80, { required: true }),
    text('FirstName', 40),
    fullNameField(),
    text('CompanyName', 80),
    text('Division', 80),
    text('Department', 80),
    text('Title', 80),
    ...address(''),
    email('Email', { required: true, length: 128 }),
    phone('Phone'),
    phone('MobilePhone'),
    text('Alias', 8, { required: true }),
    text('CommunityNickname', 40, { label: 'Nickname' }),
    bool('IsActive', { label: 'Active', defaultValue: true }),
    pick('TimeZoneSidKey', ['America/Los_Angeles', 'America/New_York', 'Europe/London', 'GMT'], {
      label: 'Time Zone',
      required: true,
      restricted: true,
    }),
    pick('LocaleSidKey', ['en_US', 'en_GB', 'de_DE', 'fr_FR'], { label: 'Locale', required: true, restricted: true }),
    pick('EmailEncodingKey', ['UTF-8', 'ISO-8859-1'], {
      label: 'Email Encoding',
      required: true,
      restricted: true,
    }),
    pick('LanguageLocaleKey', ['en_US', 'de', 'fr', 'es'], { label: 'Language', required: true, restricted: true }),
    pick('UserType', ['Standard', 'PowerPartner', 'CsnOnly', 'Guest'], { readOnly: true }),
    ref('ManagerId', 'User', 'Manager', { label: 'Manager ID' }),
    datetime('LastLoginDate', { readOnly: true }),
  ],
};

const organization: ObjectDefinition = {
  name: 'Organization',
  label: 'Organization',
  labelPlural: 'Organizations',
  keyPrefix: '00D',
  custom: false,
  createable: false,
  deletable: false,
  fields: [
    ...systemFields({ isDeleted: false }),
    text('Name', 80, { required: true, nameField: true }),
    text('Division', 80),
    ...address(''),
    phone('Phone'),
    phone('Fax'),
    text('PrimaryContact', 80),
    pick('DefaultLocaleSidKey', ['en_US', 'en_GB', 'de_DE', 'fr_FR'], { label: 'Locale', required: true }),
    pick('LanguageLocaleKey', ['en_US', 'de', 'fr', 'es'], { label: 'Language', required: true }),
    pick('TimeZoneSidKey', ['America/Los_Angeles', 'America/New_York', 'Europe/London', 'GMT'], { required: true }),
    text('InstanceName', 5, { label: 'Instance Name', readOnly: true }),
    bool('IsSandbox', { readOnly: true }),
    datetime('TrialExpirationDate', { readOnly: true }),
    text('NamespacePrefix', 15, { readOnly: true }),
    pick(
      'OrganizationType',
      [
        'Team Edition',
        'Professional Edition',
        'Enterprise Edition',
        'Developer Edition',
        'Personal Edition',
        'Unlimited Edition',
        'Contact Manager Edition',
        'Base Edition',
      ],
      { label: 'Edition', readOnly: true },
    ),
    text('Country', 80),
  ],
};

const recordType: ObjectDefinition = {
  name: 'RecordType',
  label: 'Record Type',
  labelPlural: 'Record Types',
  keyPrefix: '012',
  custom: false,
  fields: [
    ...systemFields({ isDeleted: false }),
    text('Name', 80, { label: 'Record Type Label', required: true, nameField: true }),
    text('DeveloperName', 80, { label: 'Record Type Name', required: true }),
    text('NamespacePrefix', 15, { readOnly: true }),
    area('Description', 255),
    text('SobjectType', 40, { required: true }),
    bool('IsActive', { label: 'Active' }),
  ],
};

/**
 * The standard objects of a fresh org.
 *
 * @example
 * STANDARD_OBJECTS.map((object) => object.name) // ['Account', 'Contact', 'Lead', ...]
 */
export const STANDARD_OBJECTS: readonly ObjectDefinition[] = [
  ...crmObjects,
  user,
  organization,
  recordType,
  ...SALES_OBJECTS,
];

/**
 * The integration-app objects added by `createOrg({ integrationObjects: true })`.
 *
 * @example
 * createOrg({ objects: [...INTEGRATION_OBJECTS] }); // same as integrationObjects: true
 */
export const INTEGRATION_OBJECTS: readonly ObjectDefinition[] = [
  {
    name: 'Integration__c',
    label: 'Integration',
    labelPlural: 'Integrations',
    custom: true,
    fields: [text('Name', 80, { label: 'Integration Name', nameField: true })],
  },
  {
    name: 'IntegrationExecution__c',
    label: 'Integration Execution',
    labelPlural: 'Integration Executions',
    custom: true,
    fields: [
      text('Name', 80, { label: 'Integration Execution Name', nameField: true }),
      ref('Integration__c', 'Integration__c', 'Integration__r', {
        label: 'Integration',
        childRelationshipName: 'IntegrationExecutions__r',
      }),
      area('ExecutionPayload__c', 131072, { label: 'Execution Payload' }),
      pick('Status__c', ['Queued', 'In Progress', 'Completed', 'Completed with Errors', 'Failed'], {
        label: 'Status',
      }),
      text('IdempotencyKey__c', 255, {
        label: 'Idempotency Key',
        externalId: true,
        unique: true,
      }),
    ],
  },
  {
    name: 'IntegrationError__c',
    label: 'Integration Error',
    labelPlural: 'Integration Errors',
    custom: true,
    fields: [
      text('Name', 80, { label: 'Integration Error Name', nameField: true }),
      ref('IntegrationExecution__c', 'IntegrationExecution__c', 'IntegrationExecution__r', {
        label: 'Integration Execution',
        masterDetail: true,
        required: true,
        childRelationshipName: 'IntegrationErrors__r',
      }),
      text('Operation__c', 255, { label: 'Operation' }),
      text('Object__c', 255, { label: 'Object' }),
      text('ErrorCode__c', 255, { label: 'Error Code' }),
      area('ErrorMessage__c', 32768, { label: 'Error Message' }),
      text('UpsertKey__c', 255, { label: 'Upsert Key' }),
      text('UpsertKeyValue__c', 255, { label: 'Upsert Key Value' }),
      area('ObjectPayload__c', 131072, { label: 'Object Payload' }),
    ],
  },
];
