// The saved form of an org (PersistedOrg, schema changes) and field definitions as JSON keeps and revives them.
import type { FieldDefinition, ObjectDefinition, OrgRecord } from '../contract.js';
import { compileFormula } from '../schema/formula.js';
import { typedFormula } from '../schema/sfdx.js';

/** The shape of `LocalOrg.toJSON()` output. */
export interface PersistedOrg {
  format: 'kicksaw-sf-emulator-org';
  version: 1;
  orgId: string;
  userId: string;
  sequence: number;
  autoNumbers: Record<string, number>;
  objects: ObjectDefinition[];
  records: Record<string, OrgRecord[]>;
  /** Per object: the delete log (`[id, epoch ms]`) and the last purge. Absent in older files. */
  deleteLog?: Record<string, { entries: Array<[string, number]>; lastPurged: number | null }>;
  recycleBinRetentionDays?: number;
  /** Schema changes made while running (`addField`, `removeField`, `removeObject`), in order. */
  schemaChanges?: SchemaChange[];
}

/** One schema change made while the org ran, as saved. */
export type SchemaChange =
  | { change: 'addField'; object: string; field: FieldDefinition }
  | { change: 'removeField'; object: string; field: string }
  | { change: 'removeObject'; object: string };

/** A field definition as JSON keeps it: a formula's compute function is dropped (its `source` stays). */
export function persistableField(field: FieldDefinition): FieldDefinition {
  return JSON.parse(JSON.stringify(field)) as FieldDefinition;
}

/** A saved field definition made usable again: a formula with a `source` is compiled anew. */
export function revivedField(field: FieldDefinition): FieldDefinition {
  const formula = field.formula as (FieldDefinition['formula'] & { compute?: unknown }) | undefined;
  if (field.type !== 'formula' || !formula || typeof formula.compute === 'function' || !formula.source) return field;
  const compute = typedFormula(compileFormula(formula.source), formula.returnType, field.scale) as (
    record: OrgRecord,
  ) => unknown;
  return { ...field, formula: { ...formula, compute } };
}
