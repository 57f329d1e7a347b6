/**
 * Geolocation custom fields (`Location__c`), which Salesforce stores as two components, `Location__Latitude__s` and
 * `Location__Longitude__s` (doubles carrying `compoundFieldName`), plus the read-only compound `Location__c` that
 * describe types `location`, REST answers as `{ latitude, longitude }` and Bulk query refuses.
 *
 * A definition asks for one with `{ name: 'Location__c', type: 'location', scale?: 6 }` (the `location` type is
 * accepted at run time; see {@link expandLocationFields}) or, in SFDX metadata, `<type>Location</type>`.
 */
import type { FieldDefinition } from '../contract.js';
import { OrgError } from '../contract.js';

/** The three fields of a geolocation field named `name` (`X__c`), `scale` decimal places (Salesforce allows 0-15). */
export function locationFields(
  name: string,
  options: { label?: string; scale?: number; required?: boolean } = {},
): FieldDefinition[] {
  if (!/__c$/i.test(name)) {
    throw new OrgError('INVALID_FIELD', `A geolocation field is a custom field: ${name} needs the __c suffix`);
  }
  const base = name.slice(0, -3);
  const scale = Math.min(15, Math.max(0, options.scale ?? 15));
  const label = options.label ?? base.replace(/_/g, ' ');
  const latitude = `${base}__Latitude__s`;
  const longitude = `${base}__Longitude__s`;
  const component = (field: string, axis: string): FieldDefinition => ({
    name: field,
    type: 'double',
    label: `${label} (${axis})`,
    precision: 3 + scale,
    scale,
    compoundFieldName: name,
    ...(options.required ? { required: true } : {}),
  });
  return [
    component(latitude, 'Latitude'),
    component(longitude, 'Longitude'),
    {
      name,
      type: 'formula',
      label,
      readOnly: true,
      formula: {
        // The compound shape REST answers; null when both components are empty.
        returnType: 'address',
        compute: (record) => {
          const lat = record[latitude] ?? null;
          const lon = record[longitude] ?? null;
          return lat === null && lon === null ? null : { latitude: lat, longitude: lon };
        },
      },
    },
  ];
}

/** Whether a compiled compound field is a geolocation one (a custom compound), for describe's `location` type. */
export function isLocationCompound(name: string, valueType: string): boolean {
  return valueType === 'address' && /__c$/i.test(name);
}

/**
 * Replaces each `{ type: 'location' }` field of a definition by its three fields (other fields pass through), so
 * JSON definitions can declare geolocation fields. `location` is not (yet) part of the `FieldType` union.
 */
export function expandLocationFields(fields: FieldDefinition[]): FieldDefinition[] {
  if (!fields.some((field) => field.type === 'location')) return fields;
  return fields.flatMap((field) =>
    field.type === 'location'
      ? locationFields(field.name, { label: field.label, scale: field.scale, required: field.required })
      : [field],
  );
}
