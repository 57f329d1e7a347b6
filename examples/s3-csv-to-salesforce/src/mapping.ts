import type { ColumnMapping } from '@kicksaw/orchestrator';

/** Columns of the inbound Contact files, and the Contact fields they fill. */
export const CONTACT_MAPPING: ColumnMapping = {
  'External Id': 'External_Id__c',
  'First Name': 'FirstName',
  'Last Name': 'LastName',
  Email: 'Email',
  Birthdate: 'Birthdate',
  Title: 'Title',
};
