/**
 * `GET sobjects/{T}/describe/layouts` and `.../describe/layouts/{recordTypeId}`: a minimal but well-formed page layout
 * document built from the object's describe (so it follows schema changes). Every object has one layout: an
 * "Information" section with the fields a user can write, a "System Information" section with the audit fields, and
 * a related list per child relationship; every record type (and the master record type) maps to it.
 */
import { createHash } from 'node:crypto';
import { idFor } from '../ids.js';
import type { ApiRequest } from '../server/context.js';
import { ApiError, sendJson } from '../server/http.js';
import { requireObject } from './sobject-access.js';

interface FieldDescribe {
  name: string;
  label: string;
  type: string;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  defaultedOnCreate: boolean;
  picklistValues?: unknown[];
}

interface RecordTypeInfo {
  active: boolean;
  available: boolean;
  defaultRecordTypeMapping: boolean;
  developerName: string;
  master: boolean;
  name: string;
  recordTypeId: string;
}

interface ChildRelationshipDescribe {
  childSObject: string;
  field: string;
  relationshipName: string | null;
}

const AUDIT_FIELDS = ['OwnerId', 'CreatedById', 'LastModifiedById'];

/** A stable id with the layout (`00h`) or layout section (`01B`) key prefix, derived from a name. */
function stableId(prefix: string, name: string): string {
  const digest = createHash('sha1').update(name).digest();
  return idFor(prefix, digest.readUInt32BE(0) % 1_000_000_000);
}

function layoutItem(field: FieldDescribe, tabOrder: number, edit: boolean) {
  const editable = edit && (field.createable || field.updateable);
  return {
    editableForNew: edit && field.createable,
    editableForUpdate: edit && field.updateable,
    label: field.label,
    layoutComponents: [{ details: field, displayLines: 1, tabOrder, type: 'Field', value: field.name }],
    placeholder: false,
    required: editable && field.createable && !field.nillable && !field.defaultedOnCreate && field.type !== 'boolean',
  };
}

/** A two-column section of fields, laid out top to bottom. */
function section(layoutId: string, heading: string, fields: FieldDescribe[], edit: boolean) {
  const rows = [];
  for (let index = 0; index < fields.length; index += 2) {
    const items = fields.slice(index, index + 2).map((field, k) => layoutItem(field, index + k + 1, edit));
    rows.push({ layoutItems: items, numItems: items.length });
  }
  return {
    collapsed: false,
    columns: 2,
    heading,
    layoutRows: rows,
    layoutSectionId: stableId('01B', `${layoutId}/${heading}/${edit ? 'edit' : 'detail'}`),
    parentLayoutId: layoutId,
    rows: rows.length,
    tabOrder: 'TopToBottom',
    useCollapsibleSection: false,
    useHeading: true,
  };
}

function buildLayout(objectName: string, describe: Record<string, unknown>) {
  const layoutId = stableId('00h', objectName.toLowerCase());
  const fields = (describe.fields ?? []) as FieldDescribe[];
  const audit = fields.filter((field) => AUDIT_FIELDS.includes(field.name));
  const writable = fields.filter(
    (field) => (field.createable || field.updateable) && !AUDIT_FIELDS.includes(field.name),
  );
  const children = ((describe.childRelationships ?? []) as ChildRelationshipDescribe[]).filter(
    (child) => child.relationshipName,
  );
  const detail = [section(layoutId, 'Information', writable, false)];
  if (audit.length > 0) detail.push(section(layoutId, 'System Information', audit, false));
  return {
    buttonLayoutSection: { detailButtons: [] },
    detailLayoutSections: detail,
    editLayoutSections: [section(layoutId, 'Information', writable, true)],
    feedView: null,
    highlightsPanelLayoutSection: null,
    id: layoutId,
    multirowEditLayoutSections: [],
    offlineLinks: [],
    quickActionList: { quickActionListItems: [] },
    relatedContent: null,
    relatedLists: children.map((child) => ({
      accessLevelRequiredForCreate: null,
      buttons: [],
      columns: [
        {
          field: `${child.childSObject}.Name`,
          fieldApiName: 'Name',
          format: null,
          label: 'Name',
          lookupId: null,
          name: 'Name',
          sortable: true,
        },
      ],
      custom: child.childSObject.endsWith('__c'),
      field: child.field,
      label: child.relationshipName,
      limitRows: 5,
      name: child.relationshipName,
      sobject: child.childSObject,
      sort: [],
    })),
    saveOptions: [],
  };
}

function picklistsFor(fields: FieldDescribe[]) {
  return fields
    .filter((field) => field.type === 'picklist' || field.type === 'multipicklist')
    .map((field) => ({ picklistName: field.name, picklistValues: field.picklistValues ?? [] }));
}

/** `GET sobjects/{T}/describe/layouts` -> `{ layouts, recordTypeMappings, recordTypeSelectorRequired }`. */
export function handleLayouts(api: ApiRequest, objectName: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  const describe = api.ctx.org.describe(definition.name);
  const layout = buildLayout(definition.name, describe);
  const infos = (describe.recordTypeInfos ?? []) as RecordTypeInfo[];
  const custom = infos.filter((info) => !info.master);
  const fields = (describe.fields ?? []) as FieldDescribe[];
  // Like Salesforce: with no record type of its own the object lists no mappings.
  const recordTypeMappings =
    custom.length === 0
      ? []
      : infos.map((info) => ({
          active: info.active,
          available: info.available,
          defaultRecordTypeMapping: info.defaultRecordTypeMapping,
          developerName: info.developerName,
          layoutId: layout.id,
          master: info.master,
          name: info.name,
          picklistsForRecordType: picklistsFor(fields),
          recordTypeId: info.recordTypeId,
          urls: {
            layout: `/services/data/v${api.version}/sobjects/${definition.name}/describe/layouts/${info.recordTypeId}`,
          },
        }));
  sendJson(api.res, 200, {
    layouts: [layout],
    recordTypeMappings,
    recordTypeSelectorRequired: [custom.filter((info) => info.available).length > 1],
  });
}

/** `GET sobjects/{T}/describe/layouts/{recordTypeId}` -> the layout of that record type (the master one too). */
export function handleRecordTypeLayout(api: ApiRequest, objectName: string, recordTypeId: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  const describe = api.ctx.org.describe(definition.name);
  const infos = (describe.recordTypeInfos ?? []) as RecordTypeInfo[];
  const wanted = recordTypeId.slice(0, 15);
  if (!infos.some((info) => info.recordTypeId.slice(0, 15) === wanted)) {
    throw new ApiError(
      404,
      'NOT_FOUND',
      `No record type ${recordTypeId} on ${definition.name}; describe's recordTypeInfos lists the ids it has`,
    );
  }
  sendJson(api.res, 200, buildLayout(definition.name, describe));
}

/**
 * Named layouts Salesforce defines besides the page layouts, by object (lower-cased): `describe/namedLayouts/{name}`.
 * Only User's `UserAlt` (the user detail page's alternative layout) is modelled.
 */
const NAMED_LAYOUTS: Record<string, string[]> = { user: ['UserAlt'] };

/** `GET sobjects/{T}/describe/namedLayouts/{name}` -> the same document as `describe/layouts`. */
export function handleNamedLayout(api: ApiRequest, objectName: string, layoutName: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  const names = NAMED_LAYOUTS[definition.name.toLowerCase()] ?? [];
  const name = names.find((candidate) => candidate.toLowerCase() === layoutName.toLowerCase());
  if (!name) {
    throw new ApiError(
      404,
      'NOT_FOUND',
      `No named layout '${layoutName}' on ${definition.name}${names.length > 0 ? ` (it has ${names.join(', ')})` : ''}`,
    );
  }
  const describe = api.ctx.org.describe(definition.name);
  const layout = { ...buildLayout(`${definition.name}/${name}`, describe) };
  sendJson(api.res, 200, { layouts: [layout], recordTypeMappings: [], recordTypeSelectorRequired: [false] });
}

/**
 * `GET sobjects/{T}/describe/compactLayouts`: the system default compact layout (id null, as Salesforce answers for
 * an object without a custom one): the name field and up to three more fields a user can write, mapped to every
 * record type.
 */
export function handleCompactLayouts(api: ApiRequest, objectName: string): void {
  const definition = requireObject(api.ctx.org, objectName);
  const describe = api.ctx.org.describe(definition.name);
  const fields = (describe.fields ?? []) as Array<FieldDescribe & { nameField?: boolean }>;
  const nameField = fields.find((field) => field.nameField);
  const others = fields
    .filter((field) => !field.nameField && field.updateable && !AUDIT_FIELDS.includes(field.name))
    .slice(0, 3);
  const items = [...(nameField ? [nameField] : []), ...others].map((field, index) =>
    layoutItem(field, index + 1, false),
  );
  const infos = (describe.recordTypeInfos ?? []) as RecordTypeInfo[];
  sendJson(api.res, 200, {
    compactLayouts: [
      {
        actions: [],
        fieldItems: items,
        id: null,
        imageItems: [],
        label: 'System Default',
        name: 'SYSTEM',
        objectType: definition.name,
      },
    ],
    defaultCompactLayoutId: null,
    recordTypeCompactLayoutMappings: infos.map((info) => ({
      available: info.available,
      compactLayoutId: null,
      compactLayoutName: 'SYSTEM',
      recordTypeId: info.recordTypeId,
      recordTypeName: info.name,
      urls: {
        compactLayout: `/services/data/v${api.version}/sobjects/${definition.name}/describe/compactLayouts/${info.recordTypeId}`,
      },
    })),
  });
}

/** `GET sobjects/{T}/describe/approvalLayouts`: the emulator has no approval processes, so the list is empty. */
export function handleApprovalLayouts(api: ApiRequest, objectName: string): void {
  requireObject(api.ctx.org, objectName);
  sendJson(api.res, 200, { approvalLayouts: [] });
}
