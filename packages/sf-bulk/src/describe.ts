import { type BulkOperation, InputError } from '@kicksaw/core';
import { SalesforceApiError } from './errors.js';
import { type HttpContext, sfJson } from './http.js';
import type { SalesforceConnection } from './session.js';

/**
 * The parts of a field's describe the engine uses.
 *
 * @example
 * ```ts
 * const email: FieldDescribe | undefined = (await describeObject({ conn }, 'Contact')).fields.find((f) => f.name === 'Email');
 * ```
 */
export interface FieldDescribe {
  name: string;
  type: string;
  createable?: boolean;
  updateable?: boolean;
  nillable?: boolean;
  defaultedOnCreate?: boolean;
  externalId?: boolean;
  idLookup?: boolean;
  calculated?: boolean;
  autoNumber?: boolean;
  referenceTo?: string[];
  relationshipName?: string | null;
}

/**
 * The parts of an object's describe the engine uses.
 *
 * @example
 * ```ts
 * const contact: ObjectDescribe = await describeObject({ conn }, 'Contact');
 * ```
 */
export interface ObjectDescribe {
  name: string;
  fields: FieldDescribe[];
}

const cache = new WeakMap<SalesforceConnection, Map<string, Promise<ObjectDescribe>>>();

/**
 * An object's describe, fetched once per connection and object (`GET sobjects/{T}/describe`).
 * An unknown object gives an `InputError`.
 *
 * @example
 * ```ts
 * const contact = await describeObject({ conn }, 'Contact');
 * contact.fields.find((f) => f.name === 'Email')?.type; // 'email'
 * ```
 */
export function describeObject(ctx: HttpContext, object: string): Promise<ObjectDescribe> {
  let perConnection = cache.get(ctx.conn);
  if (!perConnection) {
    perConnection = new Map();
    cache.set(ctx.conn, perConnection);
  }
  const key = object.toLowerCase();
  let pending = perConnection.get(key);
  if (!pending) {
    pending = sfJson<ObjectDescribe>(ctx, 'GET', `sobjects/${encodeURIComponent(object)}/describe`).catch((error) => {
      perConnection.delete(key);
      if (error instanceof SalesforceApiError && (error.status === 404 || error.errorCode === 'NOT_FOUND')) {
        throw new InputError(`Salesforce has no object named "${object}"`, { code: 'SF_UNKNOWN_OBJECT', cause: error });
      }
      throw error;
    });
    perConnection.set(key, pending);
  }
  return pending;
}

/**
 * Forgets cached describes of a connection (after a deployment changed the schema).
 *
 * @example
 * ```ts
 * clearDescribeCache(conn); // after deploying new fields
 * ```
 */
export function clearDescribeCache(conn: SalesforceConnection): void {
  cache.delete(conn);
}

/**
 * The result of {@link preflightFields}.
 *
 * @example
 * ```ts
 * const { apiFields }: PreflightResult = await preflightFields({ conn }, { object: 'Contact', operation: 'insert', fields: ['lastname'] });
 * ```
 */
export interface PreflightResult {
  /** API names (as Salesforce spells them) of the input fields, in the same order. */
  apiFields: string[];
  /** The external id field's API name, for upsert. */
  externalIdField?: string;
}

/**
 * Checks the columns of an ingest against the object's describe before anything is uploaded:
 * unknown fields and relationship columns, read-only fields, missing required fields on insert,
 * the external id field of an upsert, the Id column of update/delete. All problems are reported at
 * once in one `InputError`. Returns the fields with their API spelling.
 *
 * @example
 * ```ts
 * const { apiFields } = await preflightFields({ conn }, { object: 'Contact', operation: 'insert', fields: ['lastname', 'email'] });
 * // ['LastName', 'Email']
 * ```
 */
export async function preflightFields(
  ctx: HttpContext,
  input: { object: string; operation: BulkOperation; fields: readonly string[]; externalIdField?: string | undefined },
): Promise<PreflightResult> {
  const describe = await describeObject(ctx, input.object);
  const byName = new Map(describe.fields.map((f) => [f.name.toLowerCase(), f]));
  const byRelationship = new Map(
    describe.fields.filter((f) => f.relationshipName).map((f) => [String(f.relationshipName).toLowerCase(), f]),
  );
  const op = input.operation;
  const found: Findings = { problems: [], unknown: [], readOnly: [], apiFields: [] };
  const externalIdField = op === 'upsert' ? checkExternalId(describe, byName, input.externalIdField, found) : undefined;

  for (const field of input.fields) {
    if (field.includes('.')) await checkRelationshipColumn(ctx, field, op, byRelationship, found);
    else checkPlainColumn(field, op, byName, externalIdField, found);
  }
  checkColumnSet(describe, op, externalIdField, found);

  const { problems, unknown, apiFields } = found;
  if (problems.length > 0) {
    throw new InputError(`Cannot ${op} ${describe.name}: ${problems.join('; ')}`, {
      code: unknown.length > 0 ? 'SF_UNKNOWN_FIELD' : 'SF_PREFLIGHT_FAILED',
      ...(unknown.length > 0 ? { field: unknown[0] } : {}),
    });
  }
  return { apiFields, ...(externalIdField ? { externalIdField } : {}) };
}

/** What the preflight found so far: problems in report order, the columns by kind, the API spelling. */
interface Findings {
  readonly problems: string[];
  readonly unknown: string[];
  readonly readOnly: string[];
  readonly apiFields: string[];
}

/** The external id field of an upsert, in its API spelling, or a problem. */
function checkExternalId(
  describe: ObjectDescribe,
  byName: ReadonlyMap<string, FieldDescribe>,
  name: string | undefined,
  found: Findings,
): string | undefined {
  const ext = name ? byName.get(name.toLowerCase()) : undefined;
  if (!name) found.problems.push('upsert needs externalIdField');
  else if (!ext) found.problems.push(`external id field "${name}" does not exist on ${describe.name}`);
  else if (!ext.externalId && !ext.idLookup && ext.name !== 'Id') {
    found.problems.push(`"${ext.name}" is not an external id field of ${describe.name}`);
  } else return ext.name;
  return undefined;
}

/** A `Relationship.Field` column: the relationship exists, and its parent field can match parents. */
async function checkRelationshipColumn(
  ctx: HttpContext,
  field: string,
  op: BulkOperation,
  byRelationship: ReadonlyMap<string, FieldDescribe>,
  found: Findings,
): Promise<void> {
  const [relationship, ...restParts] = field.split('.');
  const parentField = restParts.join('.');
  const reference = byRelationship.get(String(relationship).toLowerCase());
  if (!reference || !parentField) {
    found.unknown.push(field);
    found.apiFields.push(field);
    return;
  }
  let parentName = parentField;
  const targets = reference.referenceTo ?? [];
  if (targets.length === 1 && !parentField.includes('.')) {
    const parent = await describeObject(ctx, targets[0] as string).catch(() => undefined);
    const target = parent?.fields.find((f) => f.name.toLowerCase() === parentField.toLowerCase());
    if (parent && !target) found.unknown.push(field);
    else if (target && !target.externalId && !target.idLookup) {
      found.problems.push(
        `"${field}": ${parent?.name}.${target.name} is not an external id, so it cannot match parents`,
      );
    }
    if (target) parentName = target.name;
  }
  found.apiFields.push(`${reference.relationshipName}.${parentName}`);
  if (!writable(reference, op)) found.readOnly.push(field);
}

/** A plain column: it exists and the operation may write it (a delete takes only Id). */
function checkPlainColumn(
  field: string,
  op: BulkOperation,
  byName: ReadonlyMap<string, FieldDescribe>,
  externalIdField: string | undefined,
  found: Findings,
): void {
  const described = byName.get(field.toLowerCase());
  if (!described) {
    found.unknown.push(field);
    found.apiFields.push(field);
    return;
  }
  found.apiFields.push(described.name);
  if (op === 'delete' || op === 'hardDelete') {
    if (described.name !== 'Id') found.problems.push(`${op} takes only an Id column, not "${field}"`);
    return;
  }
  if (described.name === 'Id' || described.name === externalIdField) return;
  if (!writable(described, op)) found.readOnly.push(described.name);
}

/** The columns as a set: unknown and read-only ones, the key column, required fields, duplicates. */
function checkColumnSet(
  describe: ObjectDescribe,
  op: BulkOperation,
  externalIdField: string | undefined,
  found: Findings,
): void {
  const { problems, unknown, readOnly, apiFields } = found;
  if (unknown.length > 0) {
    problems.unshift(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `"${f}"`).join(', ')}`);
  }
  if (readOnly.length > 0) {
    problems.push(`read-only for ${op}: ${readOnly.map((f) => `"${f}"`).join(', ')}`);
  }
  const lower = new Set(apiFields.map((f) => f.toLowerCase()));
  const isDelete = op === 'delete' || op === 'hardDelete';
  if ((op === 'update' || isDelete) && !lower.has('id')) problems.push(`${op} needs an Id column`);
  if (op === 'upsert' && externalIdField && !lower.has(externalIdField.toLowerCase())) {
    problems.push(`upsert needs a "${externalIdField}" column`);
  }
  if (op === 'insert') {
    const missing = describe.fields
      .filter((f) => f.createable && f.nillable === false && !f.defaultedOnCreate && f.type !== 'boolean')
      .filter((f) => !lower.has(f.name.toLowerCase()))
      .filter(
        (f) => !(f.relationshipName && [...lower].some((c) => c.startsWith(`${f.relationshipName?.toLowerCase()}.`))),
      )
      .map((f) => f.name);
    if (missing.length > 0)
      problems.push(`required for insert but missing: ${missing.map((f) => `"${f}"`).join(', ')}`);
  }
  const dupes = apiFields.filter((f, i) => apiFields.findIndex((g) => g.toLowerCase() === f.toLowerCase()) !== i);
  if (dupes.length > 0) problems.push(`duplicate columns ${dupes.map((f) => `"${f}"`).join(', ')}`);
}

function writable(field: FieldDescribe, op: BulkOperation): boolean {
  if (field.calculated || field.autoNumber) return false;
  if (op === 'insert') return field.createable !== false;
  if (op === 'update') return field.updateable !== false;
  return field.createable !== false || field.updateable !== false;
}
