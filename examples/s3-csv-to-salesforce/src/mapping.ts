import type { ImportMapping } from '@kicksaw/orchestrator';

/** The Contact fields, and the columns of the inbound files that fill them. */
export const CONTACT_MAPPING: ImportMapping = {
  fields: {
    External_Id__c: 'External Id',
    FirstName: 'First Name',
    LastName: 'Last Name',
    Email: 'Email',
    // Checked and converted here: a bad date is reported with its row, never sent.
    Birthdate: { from: 'Birthdate', type: 'date' },
    Title: 'Title',
  },
};
