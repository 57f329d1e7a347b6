/**
 * Built-in object definitions: the standard objects a fresh org has (Account, Contact, Lead, Opportunity,
 * Case, User, Organization, RecordType, and from `standard-sales.ts` Task, Event, Campaign, CampaignMember,
 * Product2, Pricebook2, PricebookEntry, OpportunityLineItem, Asset, Contract, Order) and the integration-app objects (Integration__c,
 * IntegrationExecution__c, IntegrationError__c). Field names, lengths, picklist values and key prefixes
 * follow Salesforce's own (Object Reference, API v62).
 */
import type { FieldDefinition, ObjectDefinition } from '../contract.js';
import { area, bool, currency, date, datetime, email, int, phone, pick, ref, text, url } from './fields.js';
import { salesObjects } from './standard-sales.js';

const fullName = (record: Record<string, unknown>): string | null => {
  const parts = [record.Salutation, record.FirstName, record.LastName].filter(
    (part) => typeof part === 'string' && part !== '',
  );
  return parts.length === 0 ? null : parts.join(' ');
};

/** The system fields every standard and custom object has (Id and the audit fields). */
export function systemFields(options: { isDeleted?: boolean } = {}): FieldDefinition[] {
  const fields: FieldDefinition[] = [{ name: 'Id', type: 'id', label: 'Record ID', readOnly: true, length: 18 }];
  if (options.isDeleted !== false) fields.push(bool('IsDeleted', { label: 'Deleted', readOnly: true }));
  fields.push(
    datetime('CreatedDate', { readOnly: true, defaultedOnCreate: true }),
    ref('CreatedById', 'User', 'CreatedBy', { label: 'Created By ID', readOnly: true, defaultedOnCreate: true }),
    datetime('LastModifiedDate', { readOnly: true, defaultedOnCreate: true }),
    ref('LastModifiedById', 'User', 'LastModifiedBy', {
      label: 'Last Modified By ID',
      readOnly: true,
      defaultedOnCreate: true,
    }),
    datetime('SystemModstamp', { label: 'System Modstamp', readOnly: true, defaultedOnCreate: true }),
  );
  return fields;
}

/** The OwnerId field of objects that have an owner. */
export function ownerField(): FieldDefinition {
  return ref('OwnerId', 'User', 'Owner', { label: 'Owner ID', defaultedOnCreate: true });
}

const SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
const INDUSTRIES = [
  'Agriculture',
  'Apparel',
  'Banking',
  'Biotechnology',
  'Chemicals',
  'Communications',
  'Construction',
  'Consulting',
  'Education',
  'Electronics',
  'Energy',
  'Engineering',
  'Entertainment',
  'Environmental',
  'Finance',
  'Food & Beverage',
  'Government',
  'Healthcare',
  'Hospitality',
  'Insurance',
  'Machinery',
  'Manufacturing',
  'Media',
  'Not For Profit',
  'Recreation',
  'Retail',
  'Shipping',
  'Technology',
  'Telecommunications',
  'Transportation',
  'Utilities',
  'Other',
];
const RATINGS = ['Hot', 'Warm', 'Cold'];
const SALUTATIONS = ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.', 'Mx.'];

function address(prefix: string, street = 'Street'): FieldDefinition[] {
  const compoundFieldName = `${prefix}Address`;
  const part = { compoundFieldName };
  const names = {
    street: `${prefix}${street}`,
    city: `${prefix}City`,
    state: `${prefix}State`,
    postalCode: `${prefix}PostalCode`,
    country: `${prefix}Country`,
    latitude: `${prefix}Latitude`,
    longitude: `${prefix}Longitude`,
    geocodeAccuracy: `${prefix}GeocodeAccuracy`,
  };
  return [
    area(names.street, 255, part),
    text(names.city, 40, part),
    text(names.state, 80, part),
    text(names.postalCode, 20, part),
    text(names.country, 80, part),
    { name: names.latitude, type: 'double', precision: 18, scale: 15, ...part },
    { name: names.longitude, type: 'double', precision: 18, scale: 15, ...part },
    pick(names.geocodeAccuracy, GEOCODE_ACCURACY, { restricted: true, ...part }),
    {
      name: compoundFieldName,
      type: 'formula',
      label: prefix ? `${prefix} Address` : 'Address',
      readOnly: true,
      // The compound value REST answers: every component (null when unset), or null when all are unset.
      formula: {
        returnType: 'address',
        compute: (record) => {
          let any = false;
          const value: Record<string, unknown> = {};
          for (const [key, field] of Object.entries(names)) {
            const component = record[field] ?? null;
            if (component !== null) any = true;
            value[key] = component;
          }
          return any ? value : null;
        },
      },
    },
  ];
}

const GEOCODE_ACCURACY = [
  'Address',
  'NearAddress',
  'Block',
  'Street',
  'ExtendedZip',
  'Zip',
  'Neighborhood',
  'City',
  'County',
  'State',
  'Unknown',
];

/** Data.com clean status (Account, Contact, Lead). */
const CLEAN_STATUS = [
  'Matched',
  'Different',
  'Acknowledged',
  'NotFound',
  'Inactive',
  'Pending',
  'SelectMatch',
  'Skipped',
];

/** Fields every record of these objects has in a real org's describe: recently viewed and Data.com fields. */
function viewedFields(): FieldDefinition[] {
  return [datetime('LastViewedDate', { readOnly: true }), datetime('LastReferencedDate', { readOnly: true })];
}

const account: ObjectDefinition = {
  name: 'Account',
  label: 'Account',
  labelPlural: 'Accounts',
  keyPrefix: '001',
  custom: false,
  fields: [
    ...systemFields(),
    ref('MasterRecordId', 'Account', 'MasterRecord', { label: 'Master Record ID', readOnly: true }),
    text('Name', 255, { label: 'Account Name', required: true, nameField: true }),
    pick('Type', [
      'Prospect',
      'Customer - Direct',
      'Customer - Channel',
      'Channel Partner / Reseller',
      'Installation Partner',
      'Technology Partner',
      'Other',
    ]),
    ref('ParentId', 'Account', 'Parent', { label: 'Parent Account ID', childRelationshipName: 'ChildAccounts' }),
    ...address('Billing'),
    ...address('Shipping'),
    phone('Phone', { label: 'Account Phone' }),
    phone('Fax', { label: 'Account Fax' }),
    text('AccountNumber', 40),
    url('Website'),
    text('Sic', 20, { label: 'SIC Code' }),
    pick('Industry', INDUSTRIES),
    currency('AnnualRevenue', { scale: 0 }),
    int('NumberOfEmployees', { precision: 8, label: 'Employees' }),
    pick('Ownership', ['Public', 'Private', 'Subsidiary', 'Other']),
    text('TickerSymbol', 20),
    area('Description', 32000, { label: 'Account Description' }),
    pick('Rating', RATINGS, { label: 'Account Rating' }),
    text('Site', 80, { label: 'Account Site' }),
    pick('AccountSource', SOURCES),
    ownerField(),
    date('LastActivityDate', { readOnly: true }),
    url('PhotoUrl', { label: 'Photo URL', readOnly: true }),
    ...viewedFields(),
    text('Jigsaw', 20, { label: 'Data.com Key' }),
    text('JigsawCompanyId', 20, { label: 'Jigsaw Company ID', readOnly: true }),
    pick('CleanStatus', CLEAN_STATUS, { label: 'Clean Status', restricted: true }),
    text('DunsNumber', 9, { label: 'D-U-N-S Number' }),
    text('Tradestyle', 255),
    text('NaicsCode', 8, { label: 'NAICS Code' }),
    text('NaicsDesc', 120, { label: 'NAICS Description' }),
    text('YearStarted', 4, { label: 'Year Started' }),
    text('SicDesc', 80, { label: 'SIC Description' }),
  ],
};

const contact: ObjectDefinition = {
  name: 'Contact',
  label: 'Contact',
  labelPlural: 'Contacts',
  keyPrefix: '003',
  custom: false,
  fields: [
    ...systemFields(),
    ref('MasterRecordId', 'Contact', 'MasterRecord', { label: 'Master Record ID', readOnly: true }),
    ref('AccountId', 'Account', 'Account', {
      label: 'Account ID',
      childRelationshipName: 'Contacts',
      cascadeDelete: true,
    }),
    text('LastName', 80, { required: true }),
    text('FirstName', 40),
    pick('Salutation', SALUTATIONS),
    {
      name: 'Name',
      type: 'formula',
      label: 'Full Name',
      length: 121,
      nameField: true,
      formula: { returnType: 'string', compute: fullName },
    },
    ...address('Other'),
    ...address('Mailing'),
    phone('Phone', { label: 'Business Phone' }),
    phone('Fax', { label: 'Business Fax' }),
    phone('MobilePhone', { label: 'Mobile Phone' }),
    phone('HomePhone', { label: 'Home Phone' }),
    phone('OtherPhone', { label: 'Other Phone' }),
    ref('ReportsToId', 'Contact', 'ReportsTo', { label: 'Reports To ID' }),
    email('Email'),
    text('Title', 128),
    text('Department', 80),
    text('AssistantName', 40, { label: "Assistant's Name" }),
    pick('LeadSource', SOURCES),
    date('Birthdate'),
    area('Description', 32000, { label: 'Contact Description' }),
    ownerField(),
    bool('HasOptedOutOfEmail', { label: 'Email Opt Out' }),
    bool('DoNotCall'),
    date('LastActivityDate', { readOnly: true }),
    bool('HasOptedOutOfFax', { label: 'Fax Opt Out' }),
    phone('AssistantPhone', { label: 'Asst. Phone' }),
    datetime('LastCURequestDate', { label: 'Last Stay-in-Touch Request Date', readOnly: true }),
    datetime('LastCUUpdateDate', { label: 'Last Stay-in-Touch Save Date', readOnly: true }),
    ...viewedFields(),
    text('EmailBouncedReason', 255, { label: 'Email Bounced Reason' }),
    datetime('EmailBouncedDate', { label: 'Email Bounced Date' }),
    bool('IsEmailBounced', { label: 'Is Email Bounced', readOnly: true }),
    url('PhotoUrl', { label: 'Photo URL', readOnly: true }),
    text('Jigsaw', 20, { label: 'Data.com Key' }),
    text('JigsawContactId', 20, { label: 'Jigsaw Contact ID', readOnly: true }),
    pick('CleanStatus', CLEAN_STATUS, { label: 'Clean Status', restricted: true }),
  ],
};

const lead: ObjectDefinition = {
  name: 'Lead',
  label: 'Lead',
  labelPlural: 'Leads',
  keyPrefix: '00Q',
  custom: false,
  fields: [
    ...systemFields(),
    ref('MasterRecordId', 'Lead', 'MasterRecord', { label: 'Master Record ID', readOnly: true }),
    text('LastName', 80, { required: true }),
    text('FirstName', 40),
    pick('Salutation', SALUTATIONS),
    {
      name: 'Name',
      type: 'formula',
      label: 'Full Name',
      length: 121,
      nameField: true,
      formula: { returnType: 'string', compute: fullName },
    },
    text('Title', 128),
    text('Company', 255, { required: true }),
    ...address(''),
    phone('Phone'),
    phone('MobilePhone', { label: 'Mobile Phone' }),
    phone('Fax'),
    email('Email'),
    url('Website'),
    area('Description', 32000),
    pick('LeadSource', SOURCES),
    pick('Status', ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted'], {
      required: true,
      defaultValue: 'Open - Not Contacted',
      defaultedOnCreate: true,
    }),
    pick('Industry', INDUSTRIES),
    pick('Rating', RATINGS),
    currency('AnnualRevenue', { scale: 0 }),
    int('NumberOfEmployees', { precision: 8, label: 'Employees' }),
    ownerField(),
    bool('IsConverted', { label: 'Converted', readOnly: true }),
    date('ConvertedDate', { readOnly: true }),
    ref('ConvertedAccountId', 'Account', 'ConvertedAccount', { readOnly: true }),
    ref('ConvertedContactId', 'Contact', 'ConvertedContact', { readOnly: true }),
    ref('ConvertedOpportunityId', 'Opportunity', 'ConvertedOpportunity', { readOnly: true }),
    bool('IsUnreadByOwner', { label: 'Unread By Owner' }),
    bool('HasOptedOutOfEmail', { label: 'Email Opt Out' }),
    bool('DoNotCall'),
    bool('HasOptedOutOfFax', { label: 'Fax Opt Out' }),
    date('LastActivityDate', { readOnly: true }),
    ...viewedFields(),
    text('Jigsaw', 20, { label: 'Data.com Key' }),
    text('JigsawContactId', 20, { label: 'Jigsaw Contact ID', readOnly: true }),
    pick('CleanStatus', CLEAN_STATUS, { label: 'Clean Status', restricted: true }),
    text('CompanyDunsNumber', 9, { label: 'Company D-U-N-S Number' }),
    text('EmailBouncedReason', 255, { label: 'Email Bounced Reason' }),
    datetime('EmailBouncedDate', { label: 'Email Bounced Date' }),
    url('PhotoUrl', { label: 'Photo URL', readOnly: true }),
  ],
};

const STAGES = [
  'Prospecting',
  'Qualification',
  'Needs Analysis',
  'Value Proposition',
  'Id. Decision Makers',
  'Perception Analysis',
  'Proposal/Price Quote',
  'Negotiation/Review',
  'Closed Won',
  'Closed Lost',
];

const opportunity: ObjectDefinition = {
  name: 'Opportunity',
  label: 'Opportunity',
  labelPlural: 'Opportunities',
  keyPrefix: '006',
  custom: false,
  fields: [
    ...systemFields(),
    ref('AccountId', 'Account', 'Account', {
      label: 'Account ID',
      childRelationshipName: 'Opportunities',
      cascadeDelete: true,
    }),
    bool('IsPrivate', { label: 'Private' }),
    text('Name', 120, { required: true, nameField: true }),
    area('Description', 32000),
    pick('StageName', STAGES, { label: 'Stage', required: true, length: 255 }),
    currency('Amount'),
    { name: 'Probability', type: 'percent', label: 'Probability (%)', precision: 3, scale: 0 },
    currency('ExpectedRevenue', { label: 'Expected Amount', readOnly: true }),
    { name: 'TotalOpportunityQuantity', type: 'double', label: 'Quantity', precision: 18, scale: 2 },
    date('CloseDate', { required: true }),
    pick(
      'Type',
      [
        'Existing Customer - Upgrade',
        'Existing Customer - Replacement',
        'Existing Customer - Downgrade',
        'New Customer',
      ],
      { label: 'Opportunity Type' },
    ),
    text('NextStep', 255),
    pick('LeadSource', SOURCES),
    bool('IsClosed', { label: 'Closed', readOnly: true }),
    bool('IsWon', { label: 'Won', readOnly: true }),
    pick('ForecastCategory', ['Omitted', 'Pipeline', 'BestCase', 'MostLikely', 'Forecast', 'Closed'], {
      readOnly: true,
    }),
    pick('ForecastCategoryName', ['Omitted', 'Pipeline', 'Best Case', 'Commit', 'Closed'], {
      label: 'Forecast Category',
    }),
    ref('ContactId', 'Contact', 'Contact', { label: 'Contact ID' }),
    ownerField(),
    date('LastActivityDate', { readOnly: true }),
  ],
};

const caseObject: ObjectDefinition = {
  name: 'Case',
  label: 'Case',
  labelPlural: 'Cases',
  keyPrefix: '500',
  custom: false,
  fields: [
    ...systemFields(),
    ref('MasterRecordId', 'Case', 'MasterRecord', { label: 'Master Record ID', readOnly: true }),
    {
      name: 'CaseNumber',
      type: 'autonumber',
      label: 'Case Number',
      length: 30,
      displayFormat: '{00000000}',
      nameField: true,
      readOnly: true,
    },
    ref('ContactId', 'Contact', 'Contact', { label: 'Contact ID', childRelationshipName: 'Cases' }),
    ref('AccountId', 'Account', 'Account', { label: 'Account ID', childRelationshipName: 'Cases' }),
    ref('ParentId', 'Case', 'Parent', { label: 'Parent Case ID', childRelationshipName: 'Cases' }),
    text('SuppliedName', 80, { label: 'Web Name' }),
    email('SuppliedEmail', { label: 'Web Email' }),
    phone('SuppliedPhone', { label: 'Web Phone' }),
    text('SuppliedCompany', 80, { label: 'Web Company' }),
    pick('Type', ['Mechanical', 'Electrical', 'Electronic', 'Structural', 'Other'], { label: 'Case Type' }),
    pick('Status', ['New', 'Working', 'Escalated', 'Closed'], { defaultValue: 'New', defaultedOnCreate: true }),
    pick(
      'Reason',
      ['Installation', 'Equipment Complexity', 'Performance', 'Breakdown', 'Equipment Design', 'Feedback', 'Other'],
      { label: 'Case Reason' },
    ),
    pick('Origin', ['Phone', 'Email', 'Web'], { label: 'Case Origin' }),
    text('Subject', 255),
    pick('Priority', ['High', 'Medium', 'Low'], { defaultValue: 'Medium', defaultedOnCreate: true }),
    area('Description', 32000),
    bool('IsClosed', { label: 'Closed', readOnly: true }),
    datetime('ClosedDate', { label: 'Closed Date', readOnly: true }),
    bool('IsEscalated', { label: 'Escalated' }),
    ownerField(),
  ],
};

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
    {
      name: 'Name',
      type: 'formula',
      label: 'Full Name',
      length: 121,
      nameField: true,
      formula: { returnType: 'string', compute: fullName },
    },
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
  account,
  contact,
  lead,
  opportunity,
  caseObject,
  user,
  organization,
  recordType,
  ...salesObjects({ systemFields: () => systemFields(), address: (prefix) => address(prefix) }),
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
