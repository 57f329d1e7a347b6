/**
 * Describe bodies in Salesforce's REST shape: `GET sobjects/{T}/describe` and `GET sobjects`.
 * `describeField` and `describeObject` are longer than a screen on purpose: each is one object literal with every
 * property of Salesforce's describe in its order, compared side by side with a real describe.
 */
import type { CompiledField, CompiledObject } from './compile.js';
import { isLocationCompound } from './location.js';

/** One child relationship of a parent object. */
/**
 * An object whose Tasks relate to it through WhatId also has Salesforce's read-only activity relationships
 * `ActivityHistories` (closed activities) and `OpenActivities` (open ones); SOQL reads them from Tasks.
 */
function withActivityRelationships(
  children: ChildRelationship[],
): Array<Omit<ChildRelationship, 'child' | 'childField'>> {
  const tasks = children.find((child) => child.childSObject === 'Task' && child.field === 'WhatId');
  if (!tasks) return children;
  return [
    ...children,
    { childSObject: 'ActivityHistory', field: 'WhatId', relationshipName: 'ActivityHistories', cascadeDelete: false },
    { childSObject: 'OpenActivity', field: 'WhatId', relationshipName: 'OpenActivities', cascadeDelete: false },
  ];
}

export interface ChildRelationship {
  childSObject: string;
  field: string;
  relationshipName: string | null;
  cascadeDelete: boolean;
  /** The compiled child object and field (not part of the describe body). */
  child: CompiledObject;
  childField: CompiledField;
}

const SOAP_TYPES: Record<string, string> = {
  address: 'urn:address',
  id: 'tns:ID',
  reference: 'tns:ID',
  string: 'xsd:string',
  textarea: 'xsd:string',
  email: 'xsd:string',
  phone: 'xsd:string',
  url: 'xsd:string',
  picklist: 'xsd:string',
  multipicklist: 'xsd:string',
  boolean: 'xsd:boolean',
  int: 'xsd:int',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
  time: 'xsd:time',
};

function describeType(field: CompiledField): string {
  if (field.isAutoNumber) return 'string';
  if (isLocationCompound(field.name, field.valueType)) return 'location';
  return field.valueType;
}

function isTextual(type: string): boolean {
  return ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist', 'id', 'reference'].includes(type);
}

/** The describe entry of one field. */
export function describeField(field: CompiledField): Record<string, unknown> {
  const type = describeType(field);
  const textual = isTextual(type);
  const numeric = type === 'double' || type === 'currency' || type === 'percent';
  const length = textual ? field.length : 0;
  const picklistValues =
    field.def.picklistValues?.map((value) => ({
      active: true,
      defaultValue: field.def.defaultValue === value,
      label: value,
      validFor: null,
      value,
    })) ?? [];
  const sortable = type !== 'textarea' || field.length <= 255;
  return {
    aggregatable: sortable && type !== 'multipicklist',
    aiPredictionField: false,
    autoNumber: field.isAutoNumber,
    byteLength: textual ? length * 3 : 0,
    // Compound names (Contact.Name, Lead.Name, User.Name) are computed but Salesforce does not call them formulas.
    calculated: field.isFormula && field.def.nameField !== true && field.valueType !== 'address',
    calculatedFormula: field.isFormula && field.def.nameField !== true && field.valueType !== 'address' ? '' : null,
    cascadeDelete: false,
    caseSensitive: field.caseSensitive,
    compoundFieldName: field.def.compoundFieldName ?? null,
    controllerName: null,
    createable: field.createable,
    custom: field.custom,
    defaultValue: field.def.defaultValue ?? null,
    defaultValueFormula: null,
    defaultedOnCreate: field.defaultedOnCreate,
    dependentPicklist: false,
    deprecatedAndHidden: false,
    digits: type === 'int' ? field.precision : 0,
    displayLocationInDecimal: false,
    encrypted: false,
    externalId: field.externalId,
    extraTypeInfo: type === 'textarea' ? (field.length > 255 ? 'plaintextarea' : 'plaintextarea') : null,
    filterable: type !== 'textarea' || field.length <= 255,
    filteredLookupInfo: null,
    formulaTreatNullNumberAsZero: false,
    groupable: sortable && !numeric && type !== 'multipicklist',
    highScaleNumber: false,
    htmlFormatted: false,
    idLookup: field.idLookup,
    inlineHelpText: null,
    label: field.label,
    length,
    mask: null,
    maskType: null,
    name: field.name,
    nameField: field.def.nameField === true,
    namePointing: false,
    nillable: field.nillable,
    permissionable: field.custom && field.nillable,
    picklistValues,
    polymorphicForeignKey: field.referenceTo.length > 1,
    precision: numeric ? field.precision : 0,
    queryByDistance: false,
    referenceTargetField: null,
    referenceTo: field.referenceTo,
    relationshipName: field.type === 'reference' ? (field.relationshipName ?? null) : null,
    relationshipOrder: field.def.masterDetail ? 0 : null,
    restrictedDelete: false,
    restrictedPicklist: field.restricted,
    scale: numeric ? field.scale : 0,
    searchPrefilterable: false,
    soapType: field.type === 'id' ? 'tns:ID' : (SOAP_TYPES[type] ?? 'xsd:string'),
    sortable,
    type,
    unique: field.unique,
    updateable: field.updateable,
    writeRequiresMasterRead: false,
  };
}

/** The urls block of an object. */
export function objectUrls(object: CompiledObject, apiVersion: string): Record<string, string> {
  const base = `/services/data/v${apiVersion}/sobjects/${object.name}`;
  return {
    compactLayouts: `${base}/describe/compactLayouts`,
    rowTemplate: `${base}/{ID}`,
    approvalLayouts: `${base}/describe/approvalLayouts`,
    uiDetailTemplate: `https://localhost/{ID}`,
    uiEditTemplate: `https://localhost/{ID}/e`,
    defaultValues: `${base}/defaultValues?recordTypeId&fields`,
    describe: `${base}/describe`,
    uiNewRecord: `https://localhost/${object.keyPrefix}/e`,
    quickActions: `${base}/quickActions`,
    layouts: `${base}/describe/layouts`,
    sobject: base,
  };
}

/** The describeGlobal entry of one object. */
export function describeGlobalEntry(object: CompiledObject, apiVersion: string): Record<string, unknown> {
  return {
    activateable: false,
    associateEntityType: null,
    associateParentEntity: null,
    createable: object.createable,
    custom: object.custom,
    customSetting: false,
    deepCloneable: false,
    deletable: object.deletable,
    deprecatedAndHidden: false,
    feedEnabled: false,
    hasSubtypes: false,
    isInterface: false,
    isSubtype: false,
    keyPrefix: object.keyPrefix,
    label: object.label,
    labelPlural: object.labelPlural,
    layoutable: true,
    mergeable: false,
    mruEnabled: false,
    name: object.name,
    queryable: true,
    replicateable: true,
    retrieveable: true,
    searchable: true,
    triggerable: true,
    undeletable: object.deletable && object.hasIsDeleted,
    updateable: object.updateable,
    urls: {
      rowTemplate: `/services/data/v${apiVersion}/sobjects/${object.name}/{ID}`,
      describe: `/services/data/v${apiVersion}/sobjects/${object.name}/describe`,
      sobject: `/services/data/v${apiVersion}/sobjects/${object.name}`,
    },
  };
}

/** A record type as describe's recordTypeInfos lists it. */
export interface RecordTypeInfo {
  id: string;
  name: string;
  developerName: string;
  active: boolean;
}

/** The full describe body of an object. */
export function describeObject(
  object: CompiledObject,
  children: ChildRelationship[],
  recordTypes: RecordTypeInfo[],
  apiVersion: string,
): Record<string, unknown> {
  const base = describeGlobalEntry(object, apiVersion);
  const master = {
    active: true,
    available: true,
    defaultRecordTypeMapping: !recordTypes.some((recordType) => recordType.active),
    developerName: 'Master',
    master: true,
    name: 'Master',
    recordTypeId: '012000000000000AAA',
    urls: { layout: `/services/data/v${apiVersion}/sobjects/${object.name}/describe/layouts/012000000000000AAA` },
  };
  const defaultId = recordTypes.find((recordType) => recordType.active)?.id;
  const infos = recordTypes.map((recordType) => ({
    active: recordType.active,
    available: recordType.active,
    defaultRecordTypeMapping: recordType.id === defaultId,
    developerName: recordType.developerName,
    master: false,
    name: recordType.name,
    recordTypeId: recordType.id,
    urls: { layout: `/services/data/v${apiVersion}/sobjects/${object.name}/describe/layouts/${recordType.id}` },
  }));
  return {
    ...base,
    actionOverrides: [],
    childRelationships: withActivityRelationships(children).map((child) => ({
      cascadeDelete: child.cascadeDelete,
      childSObject: child.childSObject,
      deprecatedAndHidden: false,
      field: child.field,
      junctionIdListNames: [],
      junctionReferenceTo: [],
      relationshipName: child.relationshipName,
      restrictedDelete: false,
    })),
    compactLayoutable: true,
    defaultImplementation: null,
    extendedBy: null,
    extendsInterfaces: null,
    fields: object.fields.map(describeField),
    implementedBy: null,
    implementsInterfaces: null,
    listviewable: null,
    lookupLayoutable: null,
    namedLayoutInfos: [],
    networkScopeFieldName: null,
    recordTypeInfos: [...infos, master],
    searchLayoutable: true,
    sobjectDescribeOption: 'FULL',
    supportedScopes: [{ label: 'All records', name: 'everything' }],
    urls: objectUrls(object, apiVersion),
  };
}
