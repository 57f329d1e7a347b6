// The pieces the standard objects' tables share: system, owner, address and recently-viewed fields, a person's
// full name, and the picklist values several objects use.
import type { FieldDefinition } from '../contract.js';
import { area, bool, datetime, pick, ref, text } from './fields.js';

/** A person's full name from Salutation, FirstName and LastName (Contact and Lead `Name`). */
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

export const SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
export const INDUSTRIES = [
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
export const RATINGS = ['Hot', 'Warm', 'Cold'];
export const SALUTATIONS = ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.', 'Mx.'];

export function address(prefix: string, street = 'Street'): FieldDefinition[] {
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

export const GEOCODE_ACCURACY = [
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
export const CLEAN_STATUS = [
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
export function viewedFields(): FieldDefinition[] {
  return [datetime('LastViewedDate', { readOnly: true }), datetime('LastReferencedDate', { readOnly: true })];
}

/** The `Name` of a person (Contact, Lead): a formula of salutation, first and last name. */
export function fullNameField(): FieldDefinition {
  return {
    name: 'Name',
    type: 'formula',
    label: 'Full Name',
    length: 121,
    nameField: true,
    formula: { returnType: 'string', compute: fullName },
  };
}
