/**
 * Object definitions from an SFDX project in source format:
 * `<packageDir>/**\/objects/<Obj>/<Obj>.object-meta.xml` and `fields/<Field>.field-meta.xml`.
 * `fieldFromMetadata` is longer than a screen on purpose: one `case` a metadata field type, a line each, read as
 * the table of how Salesforce's field types map to the org's.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { type FieldDefinition, type FieldType, type ObjectDefinition, OrgError } from '../contract.js';
import { compileFormula } from './formula.js';
import { locationFields } from './location.js';

export { compileFormula } from './formula.js';

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['value', 'referenceTo', 'packageDirectories'].includes(name),
});

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.sfdx', '.sf', '.husky', '.vscode']);

type Xml = Record<string, unknown>;

function readXml(path: string, root: string): Xml {
  let parsed: Xml;
  try {
    parsed = parser.parse(readFileSync(path, 'utf8')) as Xml;
  } catch (error) {
    throw new OrgError('INVALID_METADATA', `Cannot parse ${path}: ${error instanceof Error ? error.message : error}`);
  }
  const body = parsed[root];
  if (body === undefined || body === null || typeof body !== 'object') {
    if (body === '') return {};
    throw new OrgError('INVALID_METADATA', `${path} has no <${root}> element`);
  }
  return body as Xml;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return undefined;
  return String(value);
}

function bool(value: unknown): boolean {
  return text(value)?.toLowerCase() === 'true';
}

function num(value: unknown): number | undefined {
  const raw = text(value);
  if (raw === undefined || raw === '') return undefined;
  const parsed = Number(raw);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function numberType(precision: number | undefined, scale: number | undefined): 'int' | 'double' {
  return (scale ?? 0) === 0 && (precision ?? 18) <= 9 ? 'int' : 'double';
}

const FORMULA_TYPES: Record<string, Exclude<FieldType, 'formula' | 'autonumber'>> = {
  Text: 'string',
  Number: 'double',
  Currency: 'currency',
  Percent: 'percent',
  Checkbox: 'boolean',
  Date: 'date',
  DateTime: 'datetime',
  Time: 'time',
};

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function picklistValues(meta: Xml): { values: string[]; restricted: boolean; defaultValue?: string } {
  const valueSet = (meta.valueSet ?? {}) as Xml;
  const definition = (valueSet.valueSetDefinition ?? {}) as Xml;
  const values: string[] = [];
  let defaultValue: string | undefined;
  for (const entry of (definition.value ?? []) as Xml[]) {
    const name = text(entry.fullName);
    if (name === undefined) continue;
    values.push(safeDecode(name));
    if (bool(entry.default)) defaultValue = safeDecode(name);
  }
  // A global value set (valueSetName) has no local values: the picklist cannot be restricted locally.
  const restricted = bool(valueSet.restricted) && values.length > 0;
  return defaultValue === undefined ? { values, restricted } : { values, restricted, defaultValue };
}

/**
 * Maps one `CustomField` metadata body to a field definition; undefined for fields that only customize a
 * standard field (no `<type>`) and for types the local org does not model (Location).
 */
export function fieldFromMetadata(meta: Xml, objectName: string): FieldDefinition | undefined {
  const name = text(meta.fullName);
  const type = text(meta.type);
  if (!name || !type) return undefined;
  const label = text(meta.label);
  const base: FieldDefinition = { name, type: 'string' };
  if (label) base.label = label;
  if (bool(meta.required)) base.required = true;
  if (bool(meta.unique)) base.unique = true;
  if (bool(meta.externalId)) base.externalId = true;
  if (bool(meta.caseSensitive)) base.caseSensitive = true;
  const length = num(meta.length);
  const precision = num(meta.precision);
  const scale = num(meta.scale);
  const formula = text(meta.formula);
  if (formula !== undefined && type !== 'Summary') return formulaField(meta, base, type, formula);
  switch (type) {
    case 'Text':
    case 'EncryptedText':
      return { ...base, type: 'string', length: length ?? 255 };
    case 'TextArea':
      return { ...base, type: 'textarea', length: 255 };
    case 'LongTextArea':
    case 'Html':
      return { ...base, type: 'textarea', length: length ?? 32768 };
    case 'Email':
      return { ...base, type: 'email', length: 80 };
    case 'Phone':
      return { ...base, type: 'phone', length: 40 };
    case 'Url':
      return { ...base, type: 'url', length: 255 };
    case 'Picklist':
    case 'MultiselectPicklist':
      return picklistField(meta, base, type);
    case 'Checkbox':
      return { ...base, type: 'boolean', defaultValue: text(meta.defaultValue)?.toLowerCase() === 'true' };
    case 'Number':
      return { ...base, type: numberType(precision, scale), precision: precision ?? 18, scale: scale ?? 0 };
    case 'Currency':
      return { ...base, type: 'currency', precision: precision ?? 18, scale: scale ?? 2 };
    case 'Percent':
      return { ...base, type: 'percent', precision: precision ?? 18, scale: scale ?? 2 };
    case 'Date':
      return { ...base, type: 'date' };
    case 'DateTime':
      return { ...base, type: 'datetime' };
    case 'Time':
      return { ...base, type: 'time' };
    case 'Lookup':
    case 'MasterDetail':
    case 'Hierarchy':
      return referenceField(meta, base, type, objectName);
    case 'AutoNumber':
      return { ...base, type: 'autonumber', displayFormat: text(meta.displayFormat) ?? '{0}', length: 30 };
    case 'Summary':
      return {
        ...base,
        type: 'formula',
        required: false,
        formula: { returnType: 'double', compute: () => null },
      };
    case 'Location':
      return undefined;
    default:
      return { ...base, type: 'string', length: length ?? 255 };
  }
}

/** A formula field (`<formula>`): typed by the metadata's type, computed by the local evaluator. */
function formulaField(meta: Xml, base: FieldDefinition, type: string, formula: string): FieldDefinition {
  const precision = num(meta.precision);
  const scale = num(meta.scale);
  const blankAsZero = text(meta.formulaTreatBlanksAs) === 'BlankAsZero';
  const returnType = FORMULA_TYPES[type] ?? 'string';
  const resolvedType = returnType === 'double' ? numberType(precision, scale) : returnType;
  return {
    ...base,
    type: 'formula',
    required: false,
    unique: false,
    externalId: false,
    ...(precision === undefined ? {} : { precision }),
    ...(scale === undefined ? {} : { scale }),
    ...(resolvedType === 'string' ? { length: 1300 } : {}),
    formula: {
      returnType: resolvedType,
      compute: typedFormula(compileFormula(formula, { blankAsZero }), resolvedType, scale),
      source: formula,
    },
  };
}

/** A Picklist or MultiselectPicklist field with its values, restriction and default. */
function picklistField(meta: Xml, base: FieldDefinition, type: 'Picklist' | 'MultiselectPicklist'): FieldDefinition {
  const { values, restricted, defaultValue } = picklistValues(meta);
  const field: FieldDefinition = {
    ...base,
    type: type === 'Picklist' ? 'picklist' : 'multipicklist',
    picklistValues: values,
    restricted,
  };
  if (type === 'MultiselectPicklist') field.length = 4099;
  if (defaultValue !== undefined) field.defaultValue = defaultValue;
  return field;
}

/** A Lookup, MasterDetail or Hierarchy field: its targets, relationship names, master-detail rules and cascade. */
function referenceField(
  meta: Xml,
  base: FieldDefinition,
  type: 'Lookup' | 'MasterDetail' | 'Hierarchy',
  objectName: string,
): FieldDefinition {
  const name = base.name;
  const referenceTo = type === 'Hierarchy' ? ['User'] : ((meta.referenceTo ?? []) as unknown[]).map(String);
  if (referenceTo.length === 0) {
    throw new OrgError('INVALID_METADATA', `${objectName}.${name}: a ${type} field needs <referenceTo>`);
  }
  const field: FieldDefinition = {
    ...base,
    type: 'reference',
    referenceTo,
    relationshipName: name.replace(/__c$/i, '__r'),
  };
  const childName = text(meta.relationshipName);
  if (childName) field.childRelationshipName = name.endsWith('__c') ? `${childName}__r` : childName;
  if (type === 'MasterDetail') {
    field.masterDetail = true;
    field.required = true;
    field.createOnly = !bool(meta.reparentableMasterDetail);
  }
  if (text(meta.deleteConstraint) === 'Cascade') field.cascadeDelete = true;
  return field;
}

/** Converts a formula's raw result to its declared type (null when it does not fit). */
export function typedFormula(
  compute: (record: Record<string, unknown>) => unknown,
  returnType: Exclude<FieldType, 'formula' | 'autonumber'>,
  scale: number | undefined,
): (record: Record<string, unknown>) => unknown {
  return (record) => {
    const value = compute(record);
    if (value === null || value === undefined) return null;
    switch (returnType) {
      case 'string':
        return String(value);
      case 'boolean':
        return value === true;
      case 'int':
      case 'double':
      case 'currency':
      case 'percent': {
        const number = typeof value === 'number' ? value : Number(value);
        if (!Number.isFinite(number)) return null;
        if (scale === undefined) return number;
        const factor = 10 ** scale;
        return Math.round(number * factor) / factor;
      }
      case 'date':
        return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : null;
      default:
        return typeof value === 'string' ? value : null;
    }
  };
}

/** Recompiles an object's formulas knowing which of its fields are percents (10% reads as 0.1). */
function withPercentAwareFormulas(fields: FieldDefinition[], blankAsZeroByField: Map<string, boolean>): void {
  const percents = new Set(fields.filter((field) => field.type === 'percent').map((field) => field.name.toLowerCase()));
  if (percents.size === 0) return;
  for (const field of fields) {
    const source = field.formula?.source;
    if (!field.formula || source === undefined) continue;
    const compiled = compileFormula(source, {
      blankAsZero: blankAsZeroByField.get(field.name) === true,
      percentFields: percents,
    });
    field.formula = { ...field.formula, compute: typedFormula(compiled, field.formula.returnType, field.scale) };
  }
}

function findObjectDirectories(root: string, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (SKIPPED_DIRECTORIES.has(entry)) continue;
    const path = join(root, entry);
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      continue;
    }
    if (!isDirectory) continue;
    if (entry === 'objects') {
      for (const objectDir of readdirSync(path)) {
        const full = join(path, objectDir);
        if (statSync(full).isDirectory()) out.push(full);
      }
    } else findObjectDirectories(path, out);
  }
}

function packageDirectories(projectDir: string): string[] {
  const config = join(projectDir, 'sfdx-project.json');
  if (!existsSync(config)) return [projectDir];
  try {
    const parsed = JSON.parse(readFileSync(config, 'utf8')) as { packageDirectories?: Array<{ path?: string }> };
    const dirs = (parsed.packageDirectories ?? [])
      .map((entry) => entry.path)
      .filter((path): path is string => typeof path === 'string')
      .map((path) => join(projectDir, path));
    return dirs.length > 0 ? dirs : [projectDir];
  } catch (error) {
    throw new OrgError('INVALID_METADATA', `Cannot read ${config}: ${error instanceof Error ? error.message : error}`);
  }
}

/**
 * Reads an SFDX project's objects and fields (source format). Custom objects (`__c`) come back as full
 * definitions; fields added to standard objects come back as `merge: true` definitions that extend the
 * built-in object. Custom metadata types, platform events and other suffixes are skipped.
 *
 * @example
 * const org = createOrg({ objects: loadSfdxObjects('./my-project') });
 */
export function loadSfdxObjects(projectDir: string): ObjectDefinition[] {
  if (!existsSync(projectDir)) {
    throw new OrgError('INVALID_METADATA', `SFDX project directory not found: ${projectDir}`);
  }
  const objectDirs: string[] = [];
  for (const dir of packageDirectories(projectDir)) findObjectDirectories(dir, objectDirs);
  const byName = new Map<string, ObjectDefinition>();
  for (const dir of objectDirs) {
    const name = basename(dir);
    const lower = name.toLowerCase();
    if (!lower.endsWith('__c') && name.includes('__')) continue;
    const recordTypes = readRecordTypes(dir);
    const definition = objectDefinition(dir, name, readFields(dir, name), recordTypes);
    if (!definition) continue;
    if (recordTypes.length > 0) definition.recordTypes = recordTypes;
    const existing = byName.get(lower);
    if (existing) {
      existing.fields.push(...definition.fields);
      if (recordTypes.length > 0) existing.recordTypes = [...(existing.recordTypes ?? []), ...recordTypes];
    } else byName.set(lower, definition);
  }
  return [...byName.values()];
}

/** The fields of an object folder's `fields/*.field-meta.xml` (a Location field as its components). */
function readFields(dir: string, objectName: string): FieldDefinition[] {
  const fields: FieldDefinition[] = [];
  const fieldsDir = join(dir, 'fields');
  if (!existsSync(fieldsDir)) return fields;
  const blankAsZero = new Map<string, boolean>();
  for (const file of readdirSync(fieldsDir).sort()) {
    if (!file.endsWith('.field-meta.xml')) continue;
    const meta = readXml(join(fieldsDir, file), 'CustomField');
    meta.fullName ??= file.replace(/\.field-meta\.xml$/, '');
    if (text(meta.type) === 'Location') {
      const scale = meta.scale === undefined ? undefined : Number(text(meta.scale));
      fields.push(
        ...locationFields(String(meta.fullName), { label: text(meta.label), scale, required: bool(meta.required) }),
      );
      continue;
    }
    const field = fieldFromMetadata(meta, objectName);
    if (!field) continue;
    fields.push(field);
    if (text(meta.formulaTreatBlanksAs) === 'BlankAsZero') blankAsZero.set(field.name, true);
  }
  withPercentAwareFormulas(fields, blankAsZero);
  return fields;
}

type RecordTypes = NonNullable<ObjectDefinition['recordTypes']>;

/** The record types of an object folder's `recordTypes/*.recordType-meta.xml`. */
function readRecordTypes(dir: string): RecordTypes {
  const recordTypes: RecordTypes = [];
  const recordTypesDir = join(dir, 'recordTypes');
  if (!existsSync(recordTypesDir)) return recordTypes;
  for (const file of readdirSync(recordTypesDir).sort()) {
    if (!file.endsWith('.recordType-meta.xml')) continue;
    const meta = readXml(join(recordTypesDir, file), 'RecordType');
    const developerName = text(meta.fullName) ?? file.replace(/\.recordType-meta\.xml$/, '');
    const entry: RecordTypes[number] = {
      developerName,
      label: text(meta.label) ?? developerName,
      active: text(meta.active) === undefined ? true : bool(meta.active),
    };
    const description = text(meta.description);
    if (description !== undefined) entry.description = description;
    recordTypes.push(entry);
  }
  return recordTypes;
}

/**
 * The definition of one object folder: a custom object (with a Name field when its fields have none), or fields
 * that extend an object defined elsewhere (`merge: true`); undefined when the folder adds nothing.
 */
function objectDefinition(
  dir: string,
  name: string,
  fields: FieldDefinition[],
  recordTypes: RecordTypes,
): ObjectDefinition | undefined {
  const objectFile = join(dir, `${name}.object-meta.xml`);
  if (!name.toLowerCase().endsWith('__c') || !existsSync(objectFile)) {
    // A standard object, or fields only: the object itself is defined elsewhere (another package directory, a
    // managed package, the built-in integration objects), so these fields extend it.
    if (fields.length === 0 && recordTypes.length === 0) return undefined;
    return { name, fields, merge: true };
  }
  const objectMeta = readXml(objectFile, 'CustomObject');
  const label = text(objectMeta.label) ?? name.replace(/__c$/i, '').replace(/_/g, ' ');
  const definition: ObjectDefinition = {
    name,
    label,
    labelPlural: text(objectMeta.pluralLabel) ?? `${label}s`,
    custom: true,
    fields,
  };
  if (!fields.some((field) => field.name.toLowerCase() === 'name')) {
    fields.unshift(nameFieldOf((objectMeta.nameField ?? {}) as Xml, label));
  }
  return definition;
}

/** The Name field of a custom object from its `nameField` metadata: text, or an autonumber. */
function nameFieldOf(nameField: Xml, objectLabel: string): FieldDefinition {
  const label = text(nameField.label) ?? `${objectLabel} Name`;
  if (text(nameField.type) !== 'AutoNumber')
    return { name: 'Name', type: 'string', length: 80, label, nameField: true };
  return {
    name: 'Name',
    type: 'autonumber',
    label,
    displayFormat: text(nameField.displayFormat) ?? '{0}',
    nameField: true,
  };
}
