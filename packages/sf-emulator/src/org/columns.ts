// Input columns of DML against an object's fields: plain fields, parent external ids, nested parents; required fields.
import type { DmlError, OrgRecord } from '../contract.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import { err } from './dml-results.js';

/** How one incoming column resolves against an object. */
export type Column =
  | { kind: 'field'; field: CompiledField }
  | { kind: 'relationship'; field: CompiledField; target: CompiledObject; targetField: CompiledField }
  | { kind: 'nested'; field: CompiledField }
  | { kind: 'attributes' }
  | { kind: 'error'; error: DmlError };

/**
 * How one incoming column (`Name`, `Parent__r.Ext__c`, `Owner:User.Ext__c`, a nested parent) resolves against an
 * object; `objectNamed` finds a referenced object by name.
 */
export function resolveColumn(
  object: CompiledObject,
  key: string,
  objectNamed: (name: string) => CompiledObject | undefined,
): Column {
  if (key === 'attributes') return { kind: 'attributes' };
  const lower = key.toLowerCase();
  const field = object.byLower.get(lower);
  if (field) return { kind: 'field', field };
  const dot = lower.indexOf('.');
  if (dot > 0) {
    // `Parent__r.Ext__c`, `Account.External_Id__c`, or polymorphic `Owner:User.Ext__c`.
    const [relationshipName = '', typeName] = lower.slice(0, dot).split(':');
    const relationship = object.byRelationship.get(relationshipName);
    const rest = lower.slice(dot + 1);
    const targetName =
      typeName === undefined
        ? relationship?.referenceTo[0]
        : relationship?.referenceTo.find((candidate) => candidate.toLowerCase() === typeName);
    if (relationship && targetName && !rest.includes('.')) {
      const target = objectNamed(targetName);
      const targetField = target?.byLower.get(rest);
      if (target && targetField && (targetField.idLookup || targetField.externalId)) {
        return { kind: 'relationship', field: relationship, target, targetField };
      }
      if (target && targetField) {
        return {
          kind: 'error',
          error: err('INVALID_FIELD', `${targetField.name} is not an External ID or indexed field for ${target.name}`, [
            key,
          ]),
        };
      }
    }
  } else {
    const relationship = object.byRelationship.get(lower);
    if (relationship) return { kind: 'nested', field: relationship };
  }
  return {
    kind: 'error',
    error: err('INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`, [key]),
  };
}

/** REQUIRED_FIELD_MISSING naming every required field the record leaves empty, else undefined. */
export function missingRequired(record: OrgRecord, fields: CompiledField[]): DmlError | undefined {
  let missing: string[] | undefined;
  for (const field of fields) {
    const value = record[field.name];
    if (value === undefined || value === null || value === '') {
      missing ??= [];
      missing.push(field.name);
    }
  }
  if (!missing) return undefined;
  return err('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
}
