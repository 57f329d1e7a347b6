/**
 * Object definitions compiled for fast access: lower-cased field and relationship maps, precomputed
 * per-object lists (required fields, indexed fields, formulas, autonumbers) and describe flags.
 * `compileField` and `compileObject` are longer than a screen on purpose: each builds one frozen shape, every
 * property computed once in one place (the hot paths read them without a lookup).
 */
import { type FieldDefinition, type FieldType, type ObjectDefinition, OrgError } from '../contract.js';
import { expandLocationFields } from './location.js';
import { ownerField, systemFields } from './standard-fields.js';

/** A field with everything the org needs at hand. */
export interface CompiledField {
  readonly def: FieldDefinition;
  readonly name: string;
  readonly lower: string;
  readonly label: string;
  /** Declared type. */
  readonly type: FieldType;
  /** Type of the stored or computed value (formula: result type; autonumber: string). */
  readonly valueType: Exclude<FieldType, 'formula' | 'autonumber'>;
  readonly length: number;
  readonly precision: number;
  readonly scale: number;
  /** Numbers: 10 ^ (precision - scale), the first value too large. */
  readonly numberLimit: number;
  /** Numbers: 10 ^ scale, for rounding; 0 for a double without a declared scale (not rounded). */
  readonly scaleFactor: number;
  readonly custom: boolean;
  readonly createable: boolean;
  readonly updateable: boolean;
  readonly nillable: boolean;
  readonly defaultedOnCreate: boolean;
  /** Fails REQUIRED_FIELD_MISSING when absent on insert. */
  readonly requiredOnCreate: boolean;
  readonly unique: boolean;
  readonly externalId: boolean;
  readonly caseSensitive: boolean;
  readonly idLookup: boolean;
  /** Kept in a value index (unique or external id). */
  readonly indexed: boolean;
  readonly isFormula: boolean;
  readonly isAutoNumber: boolean;
  readonly restricted: boolean;
  /** Value given on insert when the field is absent (checkboxes default to false). */
  readonly defaultValue: unknown;
  /** Picklist values: lower-cased value to canonical value. */
  readonly picklist: Map<string, string> | undefined;
  readonly referenceTo: string[];
  readonly relationshipName: string | undefined;
  readonly cascadeDelete: boolean;
}

/** An object with its compiled fields. */
export interface CompiledObject {
  readonly def: ObjectDefinition;
  readonly name: string;
  readonly lower: string;
  readonly label: string;
  readonly labelPlural: string;
  readonly keyPrefix: string;
  readonly custom: boolean;
  readonly createable: boolean;
  readonly updateable: boolean;
  readonly deletable: boolean;
  readonly fields: CompiledField[];
  readonly byLower: Map<string, CompiledField>;
  /** Reference fields by lower-cased relationship name (`owner`, `parent__r`). */
  readonly byRelationship: Map<string, CompiledField>;
  readonly requiredOnCreate: CompiledField[];
  /** Fields that must keep a value on update (not nillable, updateable, not boolean). */
  readonly requiredOnUpdate: CompiledField[];
  readonly indexed: CompiledField[];
  /** An indexed field gets its value late on insert (autonumber, or the Name defaulted to the Id). */
  readonly lateIndexKeys: boolean;
  readonly formulas: CompiledField[];
  readonly autoNumbers: CompiledField[];
  readonly defaults: CompiledField[];
  readonly references: CompiledField[];
  readonly hasIsDeleted: boolean;
  readonly hasOwner: boolean;
  readonly nameField: CompiledField | undefined;
}

const TEXT_TYPES = new Set<FieldType>(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist']);

/** Default text lengths by type when a definition gives none. */
function defaultLength(type: FieldType): number {
  switch (type) {
    case 'id':
    case 'reference':
      return 18;
    case 'phone':
      return 40;
    case 'email':
      return 80;
    case 'textarea':
      return 255;
    case 'multipicklist':
      return 4099;
    case 'autonumber':
      return 30;
    default:
      return TEXT_TYPES.has(type) ? 255 : 0;
  }
}

/** Adds the system fields of a custom object that its definition leaves out. */
export function withSystemFields(definition: ObjectDefinition): ObjectDefinition {
  if (definition.noSystemFields) return definition;
  const isCustom = definition.custom ?? definition.name.toLowerCase().endsWith('__c');
  if (!isCustom) {
    const hasRecordTypes = (definition.recordTypes?.length ?? 0) > 0;
    if (!hasRecordTypes || definition.fields.some((field) => field.name.toLowerCase() === 'recordtypeid')) {
      return definition;
    }
    return {
      ...definition,
      fields: [
        ...definition.fields,
        {
          name: 'RecordTypeId',
          type: 'reference',
          label: 'Record Type ID',
          referenceTo: ['RecordType'],
          relationshipName: 'RecordType',
        },
      ],
    };
  }
  const have = new Set(definition.fields.map((field) => field.name.toLowerCase()));
  const extra: FieldDefinition[] = [];
  for (const field of systemFields()) if (!have.has(field.name.toLowerCase())) extra.push(field);
  if (!have.has('name')) {
    extra.push({
      name: 'Name',
      type: 'string',
      length: 80,
      label: `${definition.label ?? 'Record'} Name`,
      nameField: true,
    });
  }
  if ((definition.recordTypes?.length ?? 0) > 0 && !have.has('recordtypeid')) {
    extra.push({
      name: 'RecordTypeId',
      type: 'reference',
      label: 'Record Type ID',
      referenceTo: ['RecordType'],
      relationshipName: 'RecordType',
    });
  }
  const isDetail = definition.fields.some((field) => field.masterDetail);
  if (!isDetail && !have.has('ownerid')) extra.push(ownerField());
  return { ...definition, fields: [...extra, ...definition.fields] };
}

function labelOf(name: string): string {
  const base = name.replace(/__c$|__r$/i, '').replace(/_/g, ' ');
  return base.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/ Id$/, ' ID');
}

/** Field types whose stored value is a string the APIs write as it is (text, ids, dates and times in ISO form). */
export const STRING_VALUE_TYPES: ReadonlySet<string> = new Set<FieldType>([
  'string',
  'textarea',
  'email',
  'phone',
  'url',
  'picklist',
  'multipicklist',
  'id',
  'reference',
  'date',
  'time',
]);

const FIELD_TYPES = new Set<string>([
  ...STRING_VALUE_TYPES,
  'boolean',
  'int',
  'double',
  'currency',
  'percent',
  'datetime',
  'autonumber',
  'formula',
  'address',
]);

function compileField(def: FieldDefinition, objectCustom: boolean, objectName: string): CompiledField {
  if (typeof def.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(def.name)) {
    throw new OrgError('INVALID_FIELD', `${objectName}: invalid field name ${JSON.stringify(def.name)}`);
  }
  if (!FIELD_TYPES.has(def.type)) {
    throw new OrgError('INVALID_FIELD', `${objectName}.${def.name}: unknown field type ${JSON.stringify(def.type)}`);
  }
  if (def.type === 'reference' && (!def.referenceTo || def.referenceTo.length === 0)) {
    throw new OrgError('INVALID_FIELD', `${objectName}.${def.name}: a reference field needs referenceTo`);
  }
  if (def.type === 'formula' && !def.formula) {
    throw new OrgError('INVALID_FIELD', `${objectName}.${def.name}: a formula field needs formula.returnType`);
  }
  const lower = def.name.toLowerCase();
  const isFormula = def.type === 'formula';
  const isAutoNumber = def.type === 'autonumber';
  const valueType: CompiledField['valueType'] = isFormula
    ? (def.formula?.returnType ?? 'string')
    : isAutoNumber
      ? 'string'
      : (def.type as CompiledField['valueType']);
  const readOnly = def.readOnly === true || isFormula || isAutoNumber || def.type === 'id';
  const custom = lower.endsWith('__c');
  const isNameOfCustom = objectCustom && lower === 'name' && def.type === 'string';
  const defaultedOnCreate =
    def.defaultedOnCreate === true || def.defaultValue !== undefined || isAutoNumber || isNameOfCustom;
  const isBoolean = valueType === 'boolean';
  const nillable = !(def.required === true || def.masterDetail === true || isBoolean || def.type === 'id');
  const picklist =
    def.picklistValues === undefined
      ? undefined
      : new Map(def.picklistValues.map((value) => [value.toLowerCase(), value] as const));
  let relationshipName = def.relationshipName;
  if (def.type === 'reference' && relationshipName === undefined) {
    relationshipName = custom ? def.name.replace(/__c$/i, '__r') : def.name.replace(/Id$/, '');
  }
  const unique = def.unique === true;
  const externalId = def.externalId === true;
  const precision = def.precision ?? (valueType === 'int' ? 9 : valueType === 'percent' ? 3 : 18);
  const scale = def.scale ?? (valueType === 'int' ? 0 : valueType === 'double' ? 0 : 2);
  return {
    def,
    name: def.name,
    lower,
    label: def.label ?? labelOf(def.name),
    type: def.type,
    valueType,
    length: def.length ?? defaultLength(def.type === 'formula' ? valueType : def.type),
    precision,
    scale,
    numberLimit: valueType === 'double' && def.scale === undefined ? 10 ** precision : 10 ** (precision - scale),
    scaleFactor: valueType === 'double' && def.scale === undefined ? 0 : 10 ** scale,
    custom,
    createable: !readOnly,
    updateable: !readOnly && def.createOnly !== true && !(def.masterDetail === true && def.createOnly !== false),
    nillable,
    defaultedOnCreate,
    requiredOnCreate: !readOnly && !nillable && !defaultedOnCreate && !isBoolean,
    unique,
    externalId,
    caseSensitive: def.caseSensitive === true,
    idLookup: def.type === 'id' || externalId || unique || def.nameField === true,
    indexed: (unique || externalId) && !isFormula,
    isFormula,
    isAutoNumber,
    restricted: def.restricted === true,
    defaultValue: def.defaultValue ?? (valueType === 'boolean' && !isFormula ? false : undefined),
    picklist,
    referenceTo: def.referenceTo ?? [],
    relationshipName,
    cascadeDelete: def.masterDetail === true || def.cascadeDelete === true,
  };
}

/** Compiles an object definition (adding system fields to custom objects). */
export function compileObject(input: ObjectDefinition, keyPrefix: string): CompiledObject {
  if (typeof input.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(input.name)) {
    throw new OrgError('INVALID_TYPE', `Invalid object name ${JSON.stringify(input.name)}`);
  }
  if (!Array.isArray(input.fields)) throw new OrgError('INVALID_TYPE', `${input.name}: fields must be an array`);
  const withSystem = withSystemFields(input);
  const custom = withSystem.custom ?? withSystem.name.toLowerCase().endsWith('__c');
  const fields: CompiledField[] = [];
  const byLower = new Map<string, CompiledField>();
  for (const fieldDef of expandLocationFields(withSystem.fields)) {
    const field = compileField(fieldDef, custom, withSystem.name);
    const existing = byLower.get(field.lower);
    if (existing) fields.splice(fields.indexOf(existing), 1, field);
    else fields.push(field);
    byLower.set(field.lower, field);
  }
  // The definition as `getObject` reports it: system fields added, defaults such as relationship names filled in.
  const def: ObjectDefinition = {
    ...withSystem,
    custom,
    keyPrefix,
    fields: fields.map((field) =>
      field.type === 'reference' && field.def.relationshipName === undefined
        ? { ...field.def, relationshipName: field.relationshipName! }
        : field.def,
    ),
  };
  const byRelationship = new Map<string, CompiledField>();
  for (const field of fields) {
    if (field.type === 'reference' && field.relationshipName) {
      byRelationship.set(field.relationshipName.toLowerCase(), field);
    }
  }
  return {
    def,
    name: def.name,
    lower: def.name.toLowerCase(),
    label: def.label ?? labelOf(def.name),
    labelPlural: def.labelPlural ?? `${def.label ?? labelOf(def.name)}s`,
    keyPrefix,
    custom,
    createable: def.createable !== false,
    updateable: def.updateable !== false,
    deletable: def.deletable !== false,
    fields,
    byLower,
    byRelationship,
    requiredOnCreate: fields.filter((field) => field.requiredOnCreate),
    requiredOnUpdate: fields.filter((field) => !field.nillable && field.updateable && field.valueType !== 'boolean'),
    indexed: fields.filter((field) => field.indexed),
    lateIndexKeys: fields.some((field) => field.indexed && (field.isAutoNumber || field.lower === 'name')),
    formulas: fields.filter((field) => field.isFormula),
    autoNumbers: fields.filter((field) => field.isAutoNumber),
    defaults: fields.filter((field) => field.defaultValue !== undefined && !field.isFormula && field.type !== 'id'),
    references: fields.filter((field) => field.type === 'reference'),
    hasIsDeleted: byLower.has('isdeleted'),
    hasOwner: byLower.has('ownerid'),
    nameField: fields.find((field) => field.def.nameField) ?? byLower.get('name'),
  };
}
