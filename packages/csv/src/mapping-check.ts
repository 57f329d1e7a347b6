// The shape of a Mapping, checked once with zod before it is compiled (as sf-bulk checks its settings), so that a
// wrong setting is a ConfigError naming it (`fields.Birthdate.format`) instead of a silent default or a TypeError
// on the first row. What only compiling can tell (a date format's tokens, a time zone's name, separators that
// collide) is checked where it is compiled, in map-fields.ts.
import { ConfigError } from '@kicksaw/core';
import type { z } from 'zod';
import type { Mapping } from './map.js';
import { zod } from './zod-lazy.js';

const FIELD_TYPES = ['string', 'date', 'datetime', 'number', 'integer', 'boolean'] as const;

/** The forms of a field spec: a column name, `{ from }`, `{ value }`, `{ derive }`. */
export type SpecKind = 'name' | 'column' | 'constant' | 'derived';

/**
 * Which of the spec forms a field spec claims to be (a string, else by its one distinguishing key), or
 * `undefined` for none: what both the shape check and the compiler of a mapping dispatch on.
 *
 * @internal
 */
export function specKind(spec: unknown): SpecKind | undefined {
  if (typeof spec === 'string') return 'name';
  if (spec === null || typeof spec !== 'object') return undefined;
  if ('from' in spec) return 'column';
  if ('value' in spec) return 'constant';
  if ('derive' in spec) return 'derived';
  return undefined;
}

/**
 * The schemas of a mapping, built on the first check (zod is loaded then, see zod-lazy.ts): reading a CSV without
 * a mapping never loads zod.
 */
function buildSchemas() {
  const z = zod();
  const columnSpec = z.strictObject({
    from: z.string({ error: 'must be the name of a source column' }).min(1, 'must be the name of a source column'),
    type: z.enum(FIELD_TYPES).optional(),
    format: z.union([z.string(), z.array(z.string())], { error: 'must be a format or a list of formats' }).optional(),
    timeZone: z.string({ error: 'must be an IANA time zone name' }).optional(),
    decimalSeparator: z.string({ error: 'must be a string' }).optional(),
    thousandsSeparator: z.string({ error: 'must be a string' }).optional(),
    trim: z.boolean({ error: 'must be true or false' }).optional(),
    empty: z.enum(['leave', 'null'], { error: "must be 'leave' or 'null'" }).optional(),
  });

  const constantSpec = z.strictObject({
    value: z.union([z.string(), z.number(), z.boolean(), z.null()], {
      error: 'must be a string, number, boolean or null',
    }),
  });

  const derivedSpec = z.strictObject({
    derive: z.custom<(...args: unknown[]) => unknown>((value) => typeof value === 'function', {
      error: 'must be a function (record, row) => value',
    }),
  });

  const mappingShape = z.strictObject({
    fields: z.record(z.string(), z.unknown(), { error: 'must be an object of Salesforce field -> spec' }),
    drop: z.array(z.string(), { error: 'must be a list of source column names' }).optional(),
    passthrough: z.boolean({ error: 'must be true or false' }).optional(),
  });
  const specs: Record<Exclude<SpecKind, 'name'>, z.ZodType> = {
    column: columnSpec,
    constant: constantSpec,
    derived: derivedSpec,
  };
  return { mappingShape, specs };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;

function fail(error: z.ZodError, prefix: string[], input: unknown): never {
  const issue = error.issues[0] as z.core.$ZodIssue;
  const path = [...prefix, ...issue.path.map(String)];
  if (issue.code === 'invalid_value' && path.at(-1) === 'type') {
    const given = issue.path.reduce<unknown>((at, key) => (at as Record<PropertyKey, unknown>)?.[key], input);
    throw new ConfigError(`has an unknown type "${String(given)}"`, {
      setting: path.join('.'),
      hint: `Use ${FIELD_TYPES.join(', ')}.`,
    });
  }
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    throw new ConfigError(`has unknown setting${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`, {
      setting: path.join('.') || 'mapping',
    });
  }
  throw new ConfigError(issue.message, { setting: path.join('.') || 'mapping' });
}

/**
 * Checks a mapping's shape: throws a `ConfigError` naming the first wrong setting.
 *
 * @internal
 */
export function checkMappingShape(mapping: Mapping): void {
  if (mapping === null || typeof mapping !== 'object') {
    throw new ConfigError('must be an object with a fields object', { setting: 'mapping' });
  }
  schemas ??= buildSchemas();
  const shape = schemas.mappingShape.safeParse(mapping);
  if (!shape.success) fail(shape.error, [], mapping);
  for (const [field, spec] of Object.entries(mapping.fields)) {
    if (field === '__proto__' || field === '') {
      throw new ConfigError('is not a usable field name', { setting: `fields.${field}` });
    }
    const kind = specKind(spec);
    if (kind === 'name') {
      if (spec === '') throw new ConfigError('must be the name of a source column', { setting: `fields.${field}` });
      continue;
    }
    const schema = kind === undefined ? undefined : schemas.specs[kind];
    if (!schema) {
      throw new ConfigError('must be a column name, { from }, { value } or { derive }', { setting: `fields.${field}` });
    }
    const checked = schema.safeParse(spec);
    if (!checked.success) fail(checked.error, ['fields', field], spec);
  }
}
