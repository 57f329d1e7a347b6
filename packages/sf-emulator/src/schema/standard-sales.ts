/**
 * More standard objects of a fresh org: activities (Task, Event), campaigns (Campaign, CampaignMember), products and
 * price books (Product2, Pricebook2, PricebookEntry, OpportunityLineItem), Asset, Contract and Order. Field names,
 * types, lengths, picklist values, relationship names and key prefixes follow Salesforce's Object Reference (API
 * v62); the fields a user cannot set (roll-ups, system-computed flags) are read-only and stay null or false unless
 * noted: Task and Event `IsClosed` / `IsHighPriority` follow `Status` / `Priority`.
 */
import type { FieldDefinition, ObjectDefinition } from '../contract.js';
import { area, bool, currency, date, datetime, double, int, pick, readOnly, ref, text } from './fields.js';
import { address, systemFields } from './standard-fields.js';

/** What an activity's WhatId can point to among the built-in objects. */
const WHAT = ['Account', 'Opportunity', 'Case', 'Campaign', 'Contract', 'Order', 'Asset', 'Product2'];
/** What an activity's WhoId can point to. */
const WHO = ['Contact', 'Lead'];

/** The fields Task and Event share: an activity's who, what, subject and call details. */
function activityFields(children: 'Tasks' | 'Events'): FieldDefinition[] {
  return [
    ref('WhoId', WHO, 'Who', { label: 'Name ID', childRelationshipName: children }),
    ref('WhatId', WHAT, 'What', { label: 'Related To ID', childRelationshipName: children }),
    text('Subject', 255),
    date('ActivityDate', { label: 'Due Date Only' }),
    ref('AccountId', ['Account'], 'Account', { label: 'Account ID', readOnly: true }),
    area('Description', 32000),
    pick('Type', ['Call', 'Email', 'Meeting', 'Other']),
    bool('IsArchived', { label: 'Archived', readOnly: true }),
    bool('IsRecurrence', { label: 'Create Recurring Series' }),
    datetime('ReminderDateTime', { label: 'Reminder Date/Time' }),
    bool('IsReminderSet', { label: 'Reminder Set' }),
    {
      name: 'OwnerId',
      type: 'reference',
      referenceTo: ['User'],
      relationshipName: 'Owner',
      label: 'Assigned To ID',
      defaultedOnCreate: true,
    },
  ];
}

const task: ObjectDefinition = {
  name: 'Task',
  label: 'Task',
  labelPlural: 'Tasks',
  keyPrefix: '00T',
  custom: false,
  fields: [
    ...activityFields('Tasks'),
    pick('Status', ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'], {
      required: true,
      defaultValue: 'Not Started',
      defaultedOnCreate: true,
    }),
    pick('Priority', ['High', 'Normal', 'Low'], { required: true, defaultValue: 'Normal', defaultedOnCreate: true }),
    {
      name: 'IsClosed',
      type: 'formula',
      label: 'Closed',
      formula: { returnType: 'boolean', compute: (record) => record.Status === 'Completed' },
    },
    {
      name: 'IsHighPriority',
      type: 'formula',
      label: 'High Priority',
      formula: { returnType: 'boolean', compute: (record) => record.Priority === 'High' },
    },
    int('CallDurationInSeconds', { label: 'Call Duration' }),
    pick('CallType', ['Internal', 'Inbound', 'Outbound']),
    text('CallDisposition', 255, { label: 'Call Result' }),
    text('CallObject', 255, { label: 'Call Object Identifier' }),
    pick('TaskSubtype', ['Task', 'Email', 'ListEmail', 'Cadence', 'Call', 'LinkedIn']),
    datetime('CompletedDateTime', { label: 'Completed Date/Time', ...readOnly }),
  ],
};

const event: ObjectDefinition = {
  name: 'Event',
  label: 'Event',
  labelPlural: 'Events',
  keyPrefix: '00U',
  custom: false,
  fields: [
    ...activityFields('Events'),
    text('Location', 255),
    bool('IsAllDayEvent', { label: 'All-Day Event' }),
    datetime('ActivityDateTime', { label: 'Due Date Time' }),
    int('DurationInMinutes', { label: 'Duration' }),
    datetime('StartDateTime', { label: 'Start Date Time' }),
    datetime('EndDateTime', { label: 'End Date Time' }),
    date('EndDate', { label: 'End', ...readOnly }),
    bool('IsPrivate', { label: 'Private' }),
    pick('ShowAs', ['Busy', 'OutOfOffice', 'Free'], {
      label: 'Show Time As',
      defaultValue: 'Busy',
      defaultedOnCreate: true,
    }),
    bool('IsChild', { label: 'Is Child', ...readOnly }),
    bool('IsGroupEvent', { label: 'Is Group Event', ...readOnly }),
    pick('EventSubtype', ['Event']),
  ],
};

const campaign: ObjectDefinition = {
  name: 'Campaign',
  label: 'Campaign',
  labelPlural: 'Campaigns',
  keyPrefix: '701',
  custom: false,
  fields: [
    text('Name', 80, { required: true, nameField: true }),
    ref('ParentId', ['Campaign'], 'Parent', { label: 'Parent Campaign ID', childRelationshipName: 'ChildCampaigns' }),
    pick('Type', [
      'Conference',
      'Webinar',
      'Trade Show',
      'Public Relations',
      'Partners',
      'Referral Program',
      'Advertisement',
      'Banner Ads',
      'Direct Mail',
      'Email',
      'Telemarketing',
      'Other',
    ]),
    pick('Status', ['Planned', 'In Progress', 'Completed', 'Aborted']),
    date('StartDate'),
    date('EndDate'),
    currency('ExpectedRevenue', { label: 'Expected Revenue in Campaign' }),
    currency('BudgetedCost', { label: 'Budgeted Cost in Campaign' }),
    currency('ActualCost', { label: 'Actual Cost in Campaign' }),
    { name: 'ExpectedResponse', type: 'percent', label: 'Expected Response (%)', precision: 10, scale: 2 },
    double('NumberSent', 18, 0, { label: 'Num Sent in Campaign' }),
    bool('IsActive', { label: 'Active' }),
    area('Description', 32000),
    int('NumberOfLeads', { label: 'Leads in Campaign', ...readOnly }),
    int('NumberOfConvertedLeads', { label: 'Converted Leads in Campaign', ...readOnly }),
    int('NumberOfContacts', { label: 'Contacts in Campaign', ...readOnly }),
    int('NumberOfResponses', { label: 'Responses in Campaign', ...readOnly }),
    int('NumberOfOpportunities', { label: 'Opportunities in Campaign', ...readOnly }),
    int('NumberOfWonOpportunities', { label: 'Won Opportunities in Campaign', ...readOnly }),
    currency('AmountAllOpportunities', { label: 'Value Opportunities in Campaign', ...readOnly }),
    currency('AmountWonOpportunities', { label: 'Value Won Opportunities in Campaign', ...readOnly }),
    date('LastActivityDate', { label: 'Last Activity', ...readOnly }),
    {
      name: 'OwnerId',
      type: 'reference',
      referenceTo: ['User'],
      relationshipName: 'Owner',
      label: 'Owner ID',
      defaultedOnCreate: true,
    },
  ],
};

const campaignMember: ObjectDefinition = {
  name: 'CampaignMember',
  label: 'Campaign Member',
  labelPlural: 'Campaign Members',
  keyPrefix: '00v',
  custom: false,
  fields: [
    ref('CampaignId', ['Campaign'], 'Campaign', {
      label: 'Campaign ID',
      required: true,
      createOnly: true,
      childRelationshipName: 'CampaignMembers',
      cascadeDelete: true,
    }),
    ref('LeadId', ['Lead'], 'Lead', { label: 'Lead ID', createOnly: true, childRelationshipName: 'CampaignMembers' }),
    ref('ContactId', ['Contact'], 'Contact', {
      label: 'Contact ID',
      createOnly: true,
      childRelationshipName: 'CampaignMembers',
    }),
    pick('Status', ['Planned', 'Sent', 'Received', 'Responded'], { defaultValue: 'Sent', defaultedOnCreate: true }),
    bool('HasResponded', { label: 'Responded', ...readOnly }),
    date('FirstRespondedDate', { label: 'First Responded Date', ...readOnly }),
    text('Name', 121, { nameField: true, ...readOnly }),
    text('FirstName', 40, readOnly),
    text('LastName', 80, readOnly),
    text('Title', 128, readOnly),
    text('CompanyOrAccount', 255, { label: 'Company (Account)', ...readOnly }),
    { name: 'Email', type: 'email', length: 80, readOnly: true },
    { name: 'Phone', type: 'phone', length: 40, readOnly: true },
    text('LeadSource', 255, readOnly),
    text('Type', 255, readOnly),
  ],
};

const product: ObjectDefinition = {
  name: 'Product2',
  label: 'Product',
  labelPlural: 'Products',
  keyPrefix: '01t',
  custom: false,
  fields: [
    text('Name', 255, { label: 'Product Name', required: true, nameField: true }),
    text('ProductCode', 255, { label: 'Product Code' }),
    area('Description', 4000, { label: 'Product Description' }),
    bool('IsActive', { label: 'Active' }),
    pick('Family', ['None'], { label: 'Product Family' }),
    pick('QuantityUnitOfMeasure', ['Each'], { label: 'Quantity Unit Of Measure' }),
    { name: 'DisplayUrl', type: 'url', length: 1000, label: 'Display URL' },
    text('ExternalId', 255, { label: 'External ID' }),
    text('StockKeepingUnit', 180, { label: 'Product SKU' }),
    bool('IsArchived', { label: 'Archived', ...readOnly }),
  ],
};

const pricebook: ObjectDefinition = {
  name: 'Pricebook2',
  label: 'Price Book',
  labelPlural: 'Price Books',
  keyPrefix: '01s',
  custom: false,
  fields: [
    text('Name', 255, { label: 'Price Book Name', required: true, nameField: true }),
    bool('IsActive', { label: 'Active' }),
    bool('IsArchived', { label: 'Archived', ...readOnly }),
    text('Description', 255),
    bool('IsStandard', { label: 'Is Standard Price Book', ...readOnly }),
  ],
};

const pricebookEntry: ObjectDefinition = {
  name: 'PricebookEntry',
  label: 'Price Book Entry',
  labelPlural: 'Price Book Entries',
  keyPrefix: '01u',
  custom: false,
  fields: [
    text('Name', 255, { label: 'Product Name', nameField: true, ...readOnly }),
    ref('Pricebook2Id', ['Pricebook2'], 'Pricebook2', {
      label: 'Price Book ID',
      required: true,
      createOnly: true,
      childRelationshipName: 'PricebookEntries',
    }),
    ref('Product2Id', ['Product2'], 'Product2', {
      label: 'Product ID',
      required: true,
      createOnly: true,
      childRelationshipName: 'PricebookEntries',
    }),
    currency('UnitPrice', { label: 'List Price', required: true }),
    bool('IsActive', { label: 'Active' }),
    bool('UseStandardPrice', { label: 'Use Standard Price' }),
    text('ProductCode', 255, { label: 'Product Code', ...readOnly }),
    bool('IsArchived', { label: 'Archived', ...readOnly }),
  ],
};

const opportunityLineItem: ObjectDefinition = {
  name: 'OpportunityLineItem',
  label: 'Opportunity Product',
  labelPlural: 'Opportunity Product',
  keyPrefix: '00k',
  custom: false,
  fields: [
    ref('OpportunityId', ['Opportunity'], 'Opportunity', {
      label: 'Opportunity ID',
      required: true,
      createOnly: true,
      masterDetail: true,
      cascadeDelete: true,
      childRelationshipName: 'OpportunityLineItems',
    }),
    int('SortOrder', { label: 'Sort Order' }),
    ref('PricebookEntryId', ['PricebookEntry'], 'PricebookEntry', {
      label: 'Price Book Entry ID',
      createOnly: true,
      childRelationshipName: 'OpportunityLineItems',
    }),
    ref('Product2Id', ['Product2'], 'Product2', { label: 'Product ID', createOnly: true }),
    text('ProductCode', 255, { label: 'Product Code', ...readOnly }),
    text('Name', 376, { label: 'Opportunity Product Name', nameField: true, ...readOnly }),
    double('Quantity', 12, 2, { required: true }),
    currency('TotalPrice', { label: 'Total Price' }),
    currency('UnitPrice', { label: 'Sales Price' }),
    currency('ListPrice', { label: 'List Price', ...readOnly }),
    date('ServiceDate', { label: 'Date' }),
    text('Description', 255, { label: 'Line Description' }),
  ],
};

const asset: ObjectDefinition = {
  name: 'Asset',
  label: 'Asset',
  labelPlural: 'Assets',
  keyPrefix: '02i',
  custom: false,
  fields: [
    ref('ContactId', ['Contact'], 'Contact', { label: 'Contact ID', childRelationshipName: 'Assets' }),
    ref('AccountId', ['Account'], 'Account', { label: 'Account ID', childRelationshipName: 'Assets' }),
    ref('ParentId', ['Asset'], 'Parent', { label: 'Parent ID', childRelationshipName: 'ChildAssets' }),
    ref('Product2Id', ['Product2'], 'Product2', { label: 'Product ID', childRelationshipName: 'Assets' }),
    text('ProductCode', 255, { label: 'Product Code', ...readOnly }),
    bool('IsCompetitorProduct', { label: 'Competitor Asset' }),
    text('Name', 255, { label: 'Asset Name', required: true, nameField: true }),
    text('SerialNumber', 80, { label: 'Serial Number' }),
    date('InstallDate', { label: 'Install Date' }),
    date('PurchaseDate', { label: 'Purchase Date' }),
    date('UsageEndDate', { label: 'Usage End Date' }),
    pick('Status', ['Purchased', 'Shipped', 'Installed', 'Registered', 'Obsolete']),
    currency('Price'),
    double('Quantity', 18, 2),
    area('Description', 32000),
    {
      name: 'OwnerId',
      type: 'reference',
      referenceTo: ['User'],
      relationshipName: 'Owner',
      label: 'Owner ID',
      defaultedOnCreate: true,
    },
  ],
};

const contract: ObjectDefinition = {
  name: 'Contract',
  label: 'Contract',
  labelPlural: 'Contracts',
  keyPrefix: '800',
  custom: false,
  fields: [
    ref('AccountId', ['Account'], 'Account', {
      label: 'Account ID',
      required: true,
      childRelationshipName: 'Contracts',
    }),
    ref('Pricebook2Id', ['Pricebook2'], 'Pricebook2', { label: 'Price Book ID' }),
    pick('OwnerExpirationNotice', ['15', '30', '45', '60', '90', '120'], { label: 'Owner Expiration Notice' }),
    date('StartDate', { label: 'Contract Start Date' }),
    date('EndDate', { label: 'Contract End Date', ...readOnly }),
    ...address('Billing'),
    int('ContractTerm', { label: 'Contract Term' }),
    pick('Status', ['Draft', 'In Approval Process', 'Activated'], {
      required: true,
      defaultValue: 'Draft',
      defaultedOnCreate: true,
    }),
    date('CompanySignedDate', { label: 'Company Signed Date' }),
    date('CustomerSignedDate', { label: 'Customer Signed Date' }),
    area('SpecialTerms', 4000, { label: 'Special Terms' }),
    area('Description', 32000),
    {
      name: 'ContractNumber',
      type: 'autonumber',
      label: 'Contract Number',
      length: 30,
      displayFormat: '{00000000}',
      nameField: true,
      readOnly: true,
    },
    datetime('ActivatedDate', { label: 'Activated Date', ...readOnly }),
    {
      name: 'OwnerId',
      type: 'reference',
      referenceTo: ['User'],
      relationshipName: 'Owner',
      label: 'Owner ID',
      defaultedOnCreate: true,
    },
  ],
};

const order: ObjectDefinition = {
  name: 'Order',
  label: 'Order',
  labelPlural: 'Orders',
  keyPrefix: '801',
  custom: false,
  fields: [
    ref('AccountId', ['Account'], 'Account', {
      label: 'Account ID',
      required: true,
      childRelationshipName: 'Orders',
    }),
    ref('ContractId', ['Contract'], 'Contract', { label: 'Contract ID', childRelationshipName: 'Orders' }),
    ref('Pricebook2Id', ['Pricebook2'], 'Pricebook2', { label: 'Price Book ID', childRelationshipName: 'Orders' }),
    date('EffectiveDate', { label: 'Order Start Date', required: true }),
    date('EndDate', { label: 'Order End Date' }),
    pick('Status', ['Draft', 'Activated'], { required: true, defaultValue: 'Draft', defaultedOnCreate: true }),
    area('Description', 32000),
    pick('Type', ['None'], { label: 'Order Type' }),
    ...address('Billing'),
    ...address('Shipping'),
    text('Name', 80, { label: 'Order Name' }),
    text('PoNumber', 80, { label: 'PO Number' }),
    date('PoDate', { label: 'PO Date' }),
    text('OrderReferenceNumber', 80, { label: 'Order Reference Number' }),
    {
      name: 'OrderNumber',
      type: 'autonumber',
      label: 'Order Number',
      length: 30,
      displayFormat: '{00000000}',
      nameField: true,
      readOnly: true,
    },
    currency('TotalAmount', { label: 'Order Amount', ...readOnly }),
    datetime('ActivatedDate', { label: 'Activated Date', ...readOnly }),
    {
      name: 'OwnerId',
      type: 'reference',
      referenceTo: ['User'],
      relationshipName: 'Owner',
      label: 'Owner ID',
      defaultedOnCreate: true,
    },
  ],
};

/** The objects above, parents before children; every object gets the system fields first. */
export const SALES_OBJECTS: readonly ObjectDefinition[] = [
  campaign,
  product,
  pricebook,
  pricebookEntry,
  contract,
  order,
  opportunityLineItem,
  asset,
  campaignMember,
  task,
  event,
].map((object) => ({ ...object, fields: [...systemFields(), ...object.fields] }));
