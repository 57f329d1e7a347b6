// The plan of one `org.generate()` call: which fields get values, how each is made, the record's fixed shape, its stamps.
import { OrgError, type OrgRecord } from '../contract.js';
import { normalizeId } from '../ids.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import { clockMillis } from './clock.js';
import { type GenerateSpec, valueMaker } from './generate.js';
import { SYSTEM_LITERAL_KEYS, systemLiteralParts } from './system-fields.js';
import { coerceValue, formatDateTime, ValueProblem } from './values.js';

/** What a plan reads from the org. */
export interface GenerateContext {
  /** The org's clock at the start of the call, in epoch milliseconds. */
  now: number;
  /** Ids of the live records of an object (references are made to them in turn). */
  parents: (name: string) => string[];
  /** The object's default record type id, if it has record types. */
  defaultRecordTypeId: (object: CompiledObject) => string | undefined;
}

/** How each generated record is built. */
export interface GeneratePlan {
  /** Per generated field: its value for the record's index within the call and its sequence number. */
  fillers: Array<(index: number, sequence: number) => unknown>;
  /** The default values written on every record. */
  defaultValues: unknown[];
  /** One object literal per record with every property in place (a stable shape, no growing property stores). */
  build: (id: string, ts: string, user: string, v: unknown[], d: unknown[]) => OrgRecord;
  /** Stamps: the first instant and the span records are spread over (0: every record stamped `fixedStamp`). */
  from: number;
  span: number;
  fixedStamp: string;
}

export function generatePlan(object: CompiledObject, spec: GenerateSpec, context: GenerateContext): GeneratePlan {
  const makers = fieldMakers(object, spec, context);
  const chosen = [...makers.keys()];
  const defaults = object.defaults.filter((field) => !makers.has(field) && !SYSTEM_LITERAL_KEYS.has(field.lower));
  const recordTypeId =
    object.byLower.has('recordtypeid') && !makers.has(object.byLower.get('recordtypeid')!)
      ? context.defaultRecordTypeId(object)
      : undefined;
  const parts = systemLiteralParts(object.hasIsDeleted, 'id');
  for (const [index, field] of chosen.entries()) parts.push(`${JSON.stringify(field.name)}: v[${index}]`);
  for (const [index, field] of defaults.entries()) parts.push(`${JSON.stringify(field.name)}: d[${index}]`);
  if (object.hasOwner && !makers.has(object.byLower.get('ownerid')!)) parts.push('OwnerId: user');
  if (recordTypeId !== undefined) parts.push(`RecordTypeId: ${JSON.stringify(recordTypeId)}`);
  const build = new Function('id', 'ts', 'user', 'v', 'd', `return { ${parts.join(', ')} };`) as GeneratePlan['build'];
  let from = context.now;
  let span = 0;
  if (spec.spread) {
    from = clockMillis(spec.spread.from, 'spread.from');
    span = clockMillis(spec.spread.to, 'spread.to') - from;
    if (span < 0) throw new OrgError('INVALID_ARGUMENT', 'generate: spread.from must not be after spread.to');
  }
  return {
    fillers: chosen.map((field) => makers.get(field)!),
    defaultValues: defaults.map((field) => field.defaultValue),
    build,
    from,
    span,
    fixedStamp: formatDateTime(spec.spread ? from : context.now),
  };
}

/** The value maker of each generated field: name and required fields, `spec.fields`, then `spec.values`. */
function fieldMakers(
  object: CompiledObject,
  spec: GenerateSpec,
  context: GenerateContext,
): Map<CompiledField, (index: number, sequence: number) => unknown> {
  const makers = new Map<CompiledField, (index: number, sequence: number) => unknown>();
  const auto = [...object.requiredOnCreate];
  const nameField = object.nameField;
  if (nameField?.createable && !nameField.isAutoNumber && !nameField.isFormula) auto.unshift(nameField);
  for (const name of spec.fields ?? []) auto.push(generatedField(object, name));
  for (const field of auto) {
    if (!makers.has(field) && !SYSTEM_LITERAL_KEYS.has(field.lower)) {
      makers.set(field, valueMaker(field, { now: context.now, parents: context.parents }));
    }
  }
  for (const [name, given] of Object.entries(spec.values ?? {})) {
    const field = generatedField(object, name);
    const checked = (value: unknown, index: number) => givenValue(object, field, value, index);
    if (typeof given === 'function') makers.set(field, (index) => checked(given(index), index));
    else {
      const constant = checked(given, 0);
      makers.set(field, () => constant);
    }
  }
  return makers;
}

/** A field `generate` may fill: it exists and the org does not set it (OwnerId excepted). */
function generatedField(object: CompiledObject, name: string): CompiledField {
  const field = object.byLower.get(name.toLowerCase());
  if (!field) {
    throw new OrgError('INVALID_FIELD', `No such column '${name}' on sobject of type ${object.name}`, {
      fields: [name],
    });
  }
  if (field.type === 'id' || field.isFormula || field.isAutoNumber || SYSTEM_LITERAL_KEYS.has(field.lower)) {
    if (field.lower !== 'ownerid') {
      throw new OrgError('INVALID_FIELD', `generate: ${object.name}.${field.name} is set by the org, not generated`);
    }
  }
  return field;
}

/** A value given in `spec.values`, validated like a seed value (by type), references as 18-character ids. */
function givenValue(object: CompiledObject, field: CompiledField, value: unknown, index: number): unknown {
  const coerced = coerceValue(field, value, false);
  if (coerced instanceof ValueProblem) {
    throw new OrgError(coerced.error.statusCode, `generate ${object.name} record ${index}: ${coerced.error.message}`, {
      fields: coerced.error.fields,
    });
  }
  return field.type === 'reference' && coerced !== null ? normalizeId(coerced) : coerced;
}
