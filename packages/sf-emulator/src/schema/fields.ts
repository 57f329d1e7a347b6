// Builders of field definitions for the built-in standard objects (standard.ts, standard-sales.ts), and finding a
// field of a definition by name.
import type { FieldDefinition, ObjectDefinition } from '../contract.js';

/** A field of an object definition by name (any case). */
export function findField(definition: ObjectDefinition, name: string): FieldDefinition | undefined {
  const lower = name.toLowerCase();
  return definition.fields.find((f) => f.name.toLowerCase() === lower);
}

type Opts = Partial<FieldDefinition>;

export const text = (name: string, length: number, opts: Opts = {}): FieldDefinition => ({
  name,
  type: 'string',
  length,
  ...opts,
});
export const area = (name: string, length: number, opts: Opts = {}): FieldDefinition => ({
  name,
  type: 'textarea',
  length,
  ...opts,
});
export const pick = (name: string, values: string[], opts: Opts = {}): FieldDefinition => ({
  name,
  type: 'picklist',
  length: 255,
  picklistValues: values,
  ...opts,
});
/** A lookup to one object (`'Account'`) or a polymorphic one (`['Contact', 'Lead']`). */
export const ref = (
  name: string,
  to: string | string[],
  relationshipName: string,
  opts: Opts = {},
): FieldDefinition => ({
  name,
  type: 'reference',
  referenceTo: typeof to === 'string' ? [to] : to,
  relationshipName,
  ...opts,
});
export const bool = (name: string, opts: Opts = {}): FieldDefinition => ({
  name,
  type: 'boolean',
  defaultValue: false,
  defaultedOnCreate: true,
  ...opts,
});
export const phone = (name: string, opts: Opts = {}): FieldDefinition => ({ name, type: 'phone', length: 40, ...opts });
export const email = (name: string, opts: Opts = {}): FieldDefinition => ({ name, type: 'email', length: 80, ...opts });
export const url = (name: string, opts: Opts = {}): FieldDefinition => ({ name, type: 'url', length: 255, ...opts });
export const date = (name: string, opts: Opts = {}): FieldDefinition => ({ name, type: 'date', ...opts });
export const datetime = (name: string, opts: Opts = {}): FieldDefinition => ({ name, type: 'datetime', ...opts });
/** Currency(18, 2) unless `opts` says otherwise. */
export const currency = (name: string, opts: Opts = {}): FieldDefinition => ({
  name,
  type: 'currency',
  precision: 18,
  scale: 2,
  ...opts,
});
export const double = (name: string, precision: number, scale: number, opts: Opts = {}): FieldDefinition => ({
  name,
  type: 'double',
  precision,
  scale,
  ...opts,
});
/** Number(9, 0) unless `opts` says otherwise. */
export const int = (name: string, opts: Opts = {}): FieldDefinition => ({
  name,
  type: 'int',
  precision: 9,
  scale: 0,
  ...opts,
});
export const readOnly = { readOnly: true } as const;
