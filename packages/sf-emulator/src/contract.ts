/**
 * The contract between the emulator's parts: the in-memory org (schema, records, validation, SOQL)
 * and the HTTP layer (auth, REST, Bulk API 2.0, faults). Both sides build against these types.
 * Public types are re-exported from `index.ts`.
 */

/** Salesforce field types the emulator knows. */
export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'url'
  | 'picklist'
  | 'multipicklist'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'time'
  | 'reference'
  | 'address' // compound: computed from its components, read-only, refused by Bulk query
  | 'location' // geolocation: a definition's Foo__c becomes Foo__Latitude__s, Foo__Longitude__s and the compound Foo__c
  | 'autonumber' // describe reports type 'string' with autoNumber: true
  | 'formula'; // describe reports the formula's result type with calculated: true

/** One field of an object, as defined by the user or built in. Names compare case-insensitively. */
export interface FieldDefinition {
  name: string;
  type: FieldType;
  label?: string;
  /** Max length for text types (default 255; textarea long text up to 131072). */
  length?: number;
  precision?: number;
  scale?: number;
  /** Required on create (nillable false and not defaulted). */
  required?: boolean;
  unique?: boolean;
  externalId?: boolean;
  /** Case-sensitive uniqueness for unique / external id fields. Default false. */
  caseSensitive?: boolean;
  /** For picklist / multipicklist. */
  picklistValues?: string[];
  /** Restricted picklist: other values fail with INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST. */
  restricted?: boolean;
  /** For reference fields: the object(s) referred to. */
  referenceTo?: string[];
  /** For reference fields: the relationship name (`Account` for AccountId, `Parent__r` for Parent__c). */
  relationshipName?: string;
  /** Master-detail: required, cascade delete. */
  masterDetail?: boolean;
  /** Read-only (system fields, formulas, autonumbers). */
  readOnly?: boolean;
  /** For formula fields: the result type and a function computing it from the record. */
  formula?: {
    returnType: Exclude<FieldType, 'formula' | 'autonumber'>;
    compute: (record: OrgRecord) => unknown;
    /** The formula's text, when it came from metadata (informational). */
    source?: string;
  };
  /** For autonumber: display format such as `EX-{00000}`. */
  displayFormat?: string;
  defaultValue?: unknown;
  /** The child relationship name on the parent's describe, for reference fields (`Contacts` for Contact.AccountId). */
  childRelationshipName?: string;
  /** Filled by the org when not given on create (describe `defaultedOnCreate`), so never REQUIRED_FIELD_MISSING. */
  defaultedOnCreate?: boolean;
  /** Createable but not updateable (e.g. a master-detail field that cannot be reparented). */
  createOnly?: boolean;
  /** The object's name field (describe `nameField`). */
  nameField?: boolean;
  /** Deleting the parent deletes records referring to it through this field (always true for master-detail). */
  cascadeDelete?: boolean;
  /** For multipicklist: visible lines in the UI (metadata only). */
  visibleLines?: number;
  /** The compound field this field is a component of (describe `compoundFieldName`), e.g. `BillingAddress`. */
  compoundFieldName?: string;
}

/** A validation rule: return a message to reject the record (FIELD_CUSTOM_VALIDATION_EXCEPTION). */
export type ValidationRule = (record: OrgRecord, context: { operation: 'insert' | 'update' }) => string | undefined;

/** An object (sObject type) definition. */
export interface ObjectDefinition {
  name: string;
  label?: string;
  labelPlural?: string;
  /** 3-character id prefix. Generated for custom objects when absent. */
  keyPrefix?: string;
  custom?: boolean;
  fields: FieldDefinition[];
  validationRules?: ValidationRule[];
  /**
   * Merge these fields into an existing object of the same name instead of replacing it (used for SFDX
   * metadata that adds custom fields to standard objects such as Account).
   */
  merge?: boolean;
  /** Describe flags; default true. Organization, for example, is neither createable nor deletable. */
  createable?: boolean;
  updateable?: boolean;
  deletable?: boolean;
  /** Skip the system fields the org adds to custom objects (Id, Name, OwnerId, audit fields). Default false. */
  noSystemFields?: boolean;
  /**
   * Record types of the object. The org adds a `RecordTypeId` field (relationship `RecordType`) and one
   * RecordType record per entry; describe lists them in `recordTypeInfos`.
   */
  recordTypes?: Array<{ developerName: string; label?: string; active?: boolean; description?: string }>;
}

/** A stored record: API field name (canonical case) to value. Always has Id. */
export type OrgRecord = Record<string, unknown> & { Id: string };

/** One error on one record, as sObject Collections report it. */
export interface DmlError {
  statusCode: string;
  message: string;
  fields: string[];
}

/** The result of one record of a DML call, in input order. */
export interface DmlResult {
  success: boolean;
  id: string | null;
  created: boolean;
  errors: DmlError[];
}

export type DmlOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete' | 'undelete';

/** Options of {@link Org.dml}. */
export interface DmlOptions {
  /** For upsert: the external id field (or `Id`). */
  externalIdField?: string;
  /** All or none: any failure rolls every record back; the others get ALL_OR_NONE_OPERATION_ROLLED_BACK. */
  allOrNone?: boolean;
  /**
   * Values came from Bulk API CSV: strings to coerce by field type; empty string = leave unchanged
   * (null on insert); `#N/A` = set null; relationship columns `Parent__r.ExtId__c` resolve by external id.
   */
  csvValues?: boolean;
  /** Inside one bulk job, duplicate external id values fail with DUPLICATE_EXTERNAL_ID. Default true for bulk. */
  rejectDuplicateExternalIds?: boolean;
  /** Per-record hook for fault injection: return an error to fail that record instead of applying it. */
  injectError?: (record: Record<string, unknown>, index: number) => DmlError | undefined;
}

/** Result of a SOQL query run against the org. */
export interface QueryResult {
  totalSize: number;
  /** Records in REST shape: `attributes: {type, url}`, parent relationships nested, child subqueries as `{totalSize, done, records}`. */
  records: Array<Record<string, unknown>>;
  /** Column names in SELECT order, for Bulk query CSV (`Owner.Name` for parent fields). */
  columns: string[];
  /** True when the query was SELECT COUNT() (records empty, totalSize the count). */
  isCount: boolean;
}

/**
 * The in-memory org. Every method is synchronous and all-or-nothing for a call that fails as a whole
 * (it throws {@link OrgError}, leaving nothing changed).
 */
export interface Org {
  readonly orgId: string;
  readonly userId: string;
  /** Adds or replaces an object definition. */
  defineObject(definition: ObjectDefinition): void;
  /** Object definition by name, case-insensitive; undefined when unknown. */
  getObject(name: string): ObjectDefinition | undefined;
  listObjects(): ObjectDefinition[];
  /** The REST describe body of an object (`GET sobjects/{T}/describe`). Throws NOT_FOUND when unknown. */
  describe(name: string): Record<string, unknown>;
  /** The describeGlobal body (`GET sobjects`). */
  describeGlobal(): Record<string, unknown>;
  /** Runs DML on a list of records; results in input order; never throws for per-record problems. */
  dml(
    operation: DmlOperation,
    objectName: string,
    records: Array<Record<string, unknown>>,
    options?: DmlOptions,
  ): DmlResult[];
  /** Reads one record by id (case-insensitive 15/18 char); undefined when absent or deleted (unless includeDeleted). */
  get(id: string, options?: { includeDeleted?: boolean }): OrgRecord | undefined;
  /** All records of an object (for test assertions), excluding deleted unless asked. */
  records(objectName: string, options?: { includeDeleted?: boolean }): OrgRecord[];
  /** Seeds records directly, bypassing validation of required fields but assigning ids and audit fields. */
  seed(objectName: string, records: Array<Record<string, unknown>>): OrgRecord[];
  /** Runs a SOQL query. `all`: queryAll (includes IsDeleted = true rows). Throws OrgError MALFORMED_QUERY / INVALID_FIELD / INVALID_TYPE. */
  query(soql: string, options?: { all?: boolean }): QueryResult;
  /** Serializes the whole org (for persistence to a file). */
  toJSON(): unknown;
  /**
   * Live records whose external id / unique field equals `value` (case-insensitive unless the field is
   * case-sensitive). For REST upsert: several matches mean HTTP 300. `field` may be `Id`.
   */
  findByExternalId?(objectName: string, field: string, value: string): OrgRecord[];
  /** The API version used in record `attributes.url`, e.g. '62.0'. */
  readonly apiVersion?: string;
}

export { OrgError } from './errors.js';

/** Fault injection settings. All rates are 0..1 and drawn from a seeded generator for repeatable runs. */
export interface FaultSettings {
  /** Seed of the fault random generator. Default 1. */
  seed?: number;
  /** Per-row errors in DML (REST collections and Bulk ingest). */
  rowErrors?: Array<{
    /** e.g. 'UNABLE_TO_LOCK_ROW'. */
    statusCode: string;
    message?: string;
    /** Fraction of rows that fail (drawn per row per attempt, so a retry can succeed). */
    rate?: number;
    /** Or a predicate choosing the rows that fail. */
    when?: (record: Record<string, unknown>, context: { objectName: string; operation: DmlOperation }) => boolean;
    /** Only for these objects (case-insensitive). */
    objects?: string[];
  }>;
  /** HTTP errors on API requests (not OAuth). */
  httpErrors?: { status: 500 | 502 | 503; rate: number; match?: RegExp };
  /** Fraction of API requests whose connection is destroyed without a response. */
  dropConnectionRate?: number;
  /** Added latency per request, in ms. */
  latencyMs?: number;
  /** Sessions expire: every access token stops working after N API requests or T seconds (401 INVALID_SESSION_ID). */
  sessionExpiry?: { afterRequests?: number; afterSeconds?: number };
  /** Ingest jobs go Failed part-way: after processing this many rows; the rest are unprocessed. */
  failIngestJobAfterRows?: number;
  /** How long ingest/query jobs stay InProgress before they finish, in ms. Default 0. */
  jobProcessingMs?: number;
  /** Daily API request limit: requests past it get 403 REQUEST_LIMIT_EXCEEDED. */
  dailyApiRequestLimit?: number;
}
