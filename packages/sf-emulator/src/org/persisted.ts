// The saved form of an org (PersistedOrg, schema changes), field definitions as JSON keeps and revives them, and
// the org's state written to and read back from that form.
import type { FieldDefinition, ObjectDefinition, OrgRecord } from '../contract.js';
import { compileFormula } from '../schema/formula.js';
import { typedFormula } from '../schema/sfdx.js';
import { rebuildIndexes } from './indexes.js';
import { logDeletion } from './recycle-bin.js';
import type { ObjectStore } from './store.js';

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

/** The org's state that its saved form holds besides the records. */
export interface OrgState {
  orgId: string;
  userId: string;
  sequence: number;
  autoNumbers: Map<string, number>;
  /** Object definitions as given (lower-cased name to definition). */
  definitions: Map<string, ObjectDefinition>;
  stores: Map<string, ObjectStore>;
  recycleBinRetentionDays: number;
  schemaLog: SchemaChange[];
}

/** The saved form of an org without its records (`records: {}`): streamed persistence adds them one by one. */
export function persistedMeta(state: OrgState): PersistedOrg {
  const objects = [...state.definitions.values()].map((definition) => ({
    ...definition,
    keyPrefix: state.stores.get(definition.name.toLowerCase())?.object.keyPrefix,
    validationRules: undefined,
  }));
  return {
    format: 'kicksaw-sf-emulator-org',
    version: 1,
    orgId: state.orgId,
    userId: state.userId,
    sequence: state.sequence,
    autoNumbers: Object.fromEntries(state.autoNumbers),
    objects: JSON.parse(JSON.stringify(objects)) as ObjectDefinition[],
    records: {},
    deleteLog: Object.fromEntries(
      [...state.stores.values()]
        .filter((store) => store.deleteLog.size > 0 || store.lastPurged !== undefined)
        .map((store) => [store.object.name, { entries: [...store.deleteLog], lastPurged: store.lastPurged ?? null }]),
    ),
    recycleBinRetentionDays: state.recycleBinRetentionDays,
    schemaChanges: state.schemaLog,
  };
}

/** Replaces the records of `stores` with the saved ones (of objects still defined), with their indexes and delete logs. */
export function restoreRecords(stores: Map<string, ObjectStore>, state: PersistedOrg): void {
  for (const store of stores.values()) store.records.clear();
  for (const [name, list] of Object.entries(state.records ?? {})) {
    const store = stores.get(name.toLowerCase());
    if (!store) continue;
    for (const record of list) store.records.set(record.Id, record);
  }
  for (const store of stores.values()) rebuildIndexes(store);
  for (const [name, log] of Object.entries(state.deleteLog ?? {})) {
    const store = stores.get(name.toLowerCase());
    if (!store) continue;
    for (const [id, at] of log.entries) logDeletion(store, id, at);
    store.lastPurged = log.lastPurged ?? undefined;
  }
}
