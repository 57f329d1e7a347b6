// The compiled insert: for inputs whose keys are all plain createable fields in one order, the stored record is
// built by one generated object literal after the values are coerced into a scratch array.
import type { DmlError } from '../contract.js';
import type { CompiledField, CompiledObject } from '../schema/compile.js';
import { columnOf, type DmlContext, type InsertPlan } from './dml-context.js';
import { checkReference } from './dml-values.js';
import { SYSTEM_LITERAL_KEYS, systemLiteralParts } from './system-fields.js';
import { coercerOf, coerceValue, ValueProblem } from './values.js';

/** Compiled inserts by object and input key list (a redefined object compiles afresh). */
const INSERT_PLANS = new WeakMap<CompiledObject, Map<string, InsertPlan | null>>();

/** The compiled insert for the key set of `input` (cached per object), or null for the generic path. */
export function compileInsert(context: DmlContext, inputKeys: string[]): InsertPlan | null {
  const object = context.store.object;
  let plans = INSERT_PLANS.get(object);
  if (!plans) {
    plans = new Map();
    INSERT_PLANS.set(object, plans);
  }
  const signature = inputKeys.join('\n');
  let plan = plans.get(signature);
  if (plan === undefined) {
    plan = buildInsertPlan(context, inputKeys);
    if (plans.size >= 100) plans.clear();
    plans.set(signature, plan);
  }
  return plan;
}

export function buildInsertPlan(context: DmlContext, inputKeys: string[]): InsertPlan | null {
  const object = context.store.object;
  const keys: string[] = [];
  const fields: CompiledField[] = [];
  const seen = new Set<CompiledField>();
  for (const key of inputKeys) {
    const column = columnOf(context, key);
    if (column.kind !== 'field') return null;
    const field = column.field;
    if (field.type === 'id' || !field.createable || seen.has(field) || SYSTEM_LITERAL_KEYS.has(field.lower)) {
      return null;
    }
    seen.add(field);
    keys.push(key);
    fields.push(field);
  }
  if (fields.length === 0 || fields.length > 200) return null;
  const parts = systemLiteralParts(object.hasIsDeleted, "''");
  for (let index = 0; index < fields.length; index++) parts.push(`${JSON.stringify(fields[index]!.name)}: v[${index}]`);
  // OwnerId goes last, where the generic path adds it, when no default would come before it.
  const ownerLast =
    object.hasOwner &&
    object.defaults.every(
      (field) =>
        seen.has(field) ||
        (field.lower === 'isdeleted'
          ? object.hasIsDeleted
          : field.lower !== 'ownerid' && field.lower !== 'id' && SYSTEM_LITERAL_KEYS.has(field.lower)),
    ) &&
    !object.requiredOnCreate.some((field) => field.lower === 'ownerid');
  if (ownerLast) parts.push('OwnerId: user');
  const build = new Function('ts', 'user', 'v', `return { ${parts.join(', ')} };`) as InsertPlan['build'];
  return {
    keys,
    fields,
    coercers: fields.map(coercerOf),
    values: new Array<unknown>(fields.length),
    raws: new Array<unknown>(fields.length),
    build,
  };
}

/**
 * Coerces the input's values into `plan.values`: true when done, false when the input needs the generic
 * path (other keys, a value the generic path skips), or the first error (the one the generic path gives).
 */
export function plannedValues(
  context: DmlContext,
  plan: InsertPlan,
  input: Record<string, unknown>,
): boolean | DmlError {
  const keys = plan.keys;
  const width = keys.length;
  let position = 0;
  for (const key in input) {
    if (position >= width || key !== keys[position]) return false;
    position++;
  }
  if (position !== width) return false;
  const raws = plan.raws;
  for (let index = 0; index < width; index++) raws[index] = input[keys[index]!];
  return plannedRow(context, plan, raws);
}

/**
 * {@link plannedValues} for values already in the plan's column order (a Bulk CSV row whose header is the plan's
 * keys): no input record is built.
 */
export function plannedRow(context: DmlContext, plan: InsertPlan, raws: ArrayLike<unknown>): boolean | DmlError {
  const width = plan.keys.length;
  if (raws.length < width) return false;
  const csv = context.csv;
  const fields = plan.fields;
  const coercers = plan.coercers;
  const values = plan.values;
  for (let index = 0; index < width; index++) {
    let raw = raws[index];
    if (csv && typeof raw === 'string') {
      if (raw === '') return false;
      if (raw === '#N/A') raw = null;
    }
    if (raw === undefined) return false;
    const field = fields[index]!;
    const value = typeof raw === 'string' ? coercers[index]!(field, raw, csv) : coerceValue(field, raw, csv);
    if (value instanceof ValueProblem) return value.error;
    if (field.type === 'reference' && value !== null) {
      const checked = checkReference(context.host, field, value as string, context.store.object);
      if (typeof checked !== 'string') return checked;
      values[index] = checked;
    } else {
      values[index] = value;
    }
  }
  return true;
}
